/**
 * Positioned streams and history pages (`eventStream` and `eventLog` below the schema), on the hub
 * and the log of a real engine (memory; the `redis` project runs it again on redis-server): the
 * positions a stream yields and when, a `since` replay across pages and filters, heartbeats, and
 * every rule of a history page. event-stream.test.ts checks the same over real sockets; this suite
 * needs no server, so mutation testing runs it.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import type { EventDraft, EventType, StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type EventLog } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import { HISTORY_PAGE } from '../../src/realtime/replay.js';
import type { EventStreamRequest } from '../../src/realtime/realtime-api.js';
import { RealtimeHub } from '../../src/realtime/realtime-hub.js';
import {
  createEventStreams,
  HISTORY_SCAN_LIMIT,
  HISTORY_UNREADABLE_LIMIT,
  isStreamPosition,
  type HistoryRequest,
  type StreamItem,
  type StreamPosition,
} from '../../src/realtime/event-streams.js';
import { errorOf } from '../domain/fleet.js';

const logger = pino({ level: 'silent' });
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

let engines = 0;

async function setup({ heartbeatMs = 0, retention = 20_000 } = {}) {
  const redisUrl = inject('redisUrl');
  const engine = redisUrl
    ? await createRedisEngine({
        url: redisUrl,
        keyPrefix: `streams${process.pid}-${++engines}`,
        commandTimeoutMs: 5000,
        retention,
        clock: systemClock,
        instanceId: 'streams-test',
        logger,
      })
    : createMemoryEngine({ retention, clock: systemClock });
  // The engine's log, with the reads counted and a hook that runs right after the next `lastId` is
  // read (and may make it answer an older id): the moments a stream's open can race with commits.
  const reads = { readAfter: 0, limits: [] as number[] };
  let afterLastId: ((id: string | null) => Promise<string | null | void>) | null = null;
  const log: EventLog = {
    readAfter: (cursor, limit) => {
      reads.readAfter++;
      reads.limits.push(limit);
      return engine.log.readAfter(cursor, limit);
    },
    readRange: (range) => {
      reads.limits.push(range.limit);
      return engine.log.readRange(range);
    },
    lastId: async () => {
      const id = await engine.log.lastId();
      const hook = afterLastId;
      afterLastId = null;
      const answer = await hook?.(id);
      return answer === undefined ? id : answer;
    },
  };
  // The hub reads the log through the same wrapper: its reads are counted and hooked too.
  const hub = new RealtimeHub({
    engine: { ...engine, log },
    instanceId: 'streams-test',
    maxQueuedBytesPerConnection: 1 << 20,
    logger,
  });
  cleanup.push(
    () => engine.close(),
    () => hub.close(),
  );
  const streams = createEventStreams({ realtime: hub, log, heartbeatMs });
  let n = 0;
  /**
   * Commits one event per room list, in one commit; returns their ids. Every event carries a custom
   * payload whatever its type: streams and pages look only at types and rooms.
   */
  const say = async (type: EventType, ...roomLists: string[][]) =>
    (
      await engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: roomLists.map(
          (rooms) => ({ type, rooms, payload: { kind: 'custom', data: { n: ++n } } }) as EventDraft,
        ),
        timestamp: new Date().toISOString(),
        source: 'streams-test',
      })
    ).map((e) => e.id);
  const open = (request: Partial<EventStreamRequest> = {}) =>
    streams.open({ rooms: null, types: null, since: null, connection: null, access: READ_ALL, ...request });
  const history = (request: Partial<HistoryRequest> = {}) =>
    streams.history({
      rooms: null,
      types: null,
      access: READ_ALL,
      first: null,
      after: null,
      last: null,
      before: null,
      ...request,
    });
  return {
    engine,
    hub,
    streams,
    say,
    open,
    history,
    reads,
    onceAfterLastId: (hook: (id: string | null) => Promise<string | null | void>) => (afterLastId = hook),
  };
}

const position = (cursor: string | null, live: boolean): StreamPosition => ({
  kind: 'position',
  cursor,
  live,
});

/** What an item shows in an assertion: a position as is, an event as its id. */
const shown = (item: StreamItem) => (isStreamPosition(item) ? item : item.id);

async function take(stream: AsyncIterator<StreamItem>, count: number): Promise<(string | StreamPosition)[]> {
  const got: (string | StreamPosition)[] = [];
  while (got.length < count) {
    const { value, done } = await stream.next();
    if (done) throw new Error(`stream ended after ${got.length} items`);
    got.push(shown(value));
  }
  return got;
}

const onlyRoom = (room: string): ReadAccess => ({ key: `only:${room}`, canRead: (r) => r === room });

describe('a positioned stream', () => {
  it('starts with a live position at the newest event (null on an empty log), then live events', async () => {
    const s = await setup();
    const empty = await s.open();
    expect(await take(empty, 1)).toEqual([position(null, true)]);
    const [a] = await s.say('CUSTOM', ['r']);
    expect(await take(empty, 1)).toEqual([a]);

    const stream = await s.open({ rooms: ['r'] });
    expect(await take(stream, 1)).toEqual([position(a!, true)]);
    const [, b] = await s.say('CUSTOM', ['other'], ['r']);
    expect(await take(stream, 1)).toEqual([b]);
  });

  it('replays after `since` what the filter wants, then says it is live at the start, then goes on live', async () => {
    const s = await setup();
    const [e1, , e3, e4, e5] = await s.say('CUSTOM', ['r'], ['x'], ['r'], ['r'], ['r']);
    const [t6] = await s.say('TASK_CREATED', ['r']);
    const stream = await s.open({ rooms: ['r'], types: ['CUSTOM'], since: e1! });
    expect(await take(stream, 5)).toEqual([position(e1!, false), e3, e4, e5, position(t6!, true)]);
    const [l1] = await s.say('CUSTOM', ['r'], ['x']);
    const [l3] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 2)).toEqual([l1, l3]);
  });

  it('ends a replay that the filter empties with the live position, and a cursor past every skipped event', async () => {
    const s = await setup();
    const [first, , last] = await s.say('CUSTOM', ['x'], ['x'], ['x']);
    const stream = await s.open({ rooms: ['r'], since: first! });
    expect(await take(stream, 2)).toEqual([position(first!, false), position(last!, true)]);
  });

  it('replays at once to the live position when `since` is the newest event', async () => {
    const s = await setup();
    const [last] = await s.say('CUSTOM', ['r']);
    const stream = await s.open({ since: last! });
    expect(await take(stream, 2)).toEqual([position(last!, false), position(last!, true)]);
  });

  it('pages a long replay without a gap or a repeat, and goes live exactly after it', async () => {
    const s = await setup();
    const [since] = await s.say('CUSTOM', ['r']);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(...(await s.say('CUSTOM', ...Array.from({ length: 100 }, () => ['r']))));
    const stream = await s.open({ since: since! });
    const items = await take(stream, ids.length + 2);
    expect(items[0]).toEqual(position(since!, false));
    expect(items.slice(1, -1)).toEqual(ids);
    expect(items.at(-1)).toEqual(position(ids.at(-1)!, true));
    const [live] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 1)).toEqual([live]);
  });

  it('pages a replay of exactly one full page', async () => {
    const s = await setup();
    const [since] = await s.say('CUSTOM', ['r']);
    const ids = await s.say('CUSTOM', ...Array.from({ length: 500 }, () => ['r']));
    const stream = await s.open({ since: since! });
    const items = await take(stream, 502);
    expect(items.slice(1, -1)).toEqual(ids);
    expect(items.at(-1)).toEqual(position(ids.at(-1)!, true));
    // The page read to check `since` was the whole replay: nothing is read again.
    expect(s.reads.readAfter).toBe(1);
  });

  it('sends what was committed while its live side registered, once, as live events', async () => {
    const s = await setup();
    const [before] = await s.say('CUSTOM', ['r']);
    let during: string[] = [];
    s.onceAfterLastId(async () => {
      during = await s.say('CUSTOM', ['r'], ['x'], ['r']);
    });
    const stream = await s.open({ rooms: ['r'] });
    const [after] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 2)).toEqual([position(before!, true), during[0]]);
    expect(await take(stream, 2)).toEqual([during[2], after]);
  });

  it('catches up from the start of the log when it was empty as the stream opened', async () => {
    const s = await setup();
    let during: string[] = [];
    s.onceAfterLastId(async () => {
      during = await s.say('CUSTOM', ['r'], ['r']);
    });
    const stream = await s.open();
    const [after] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 2)).toEqual([position(null, true), during[0]]);
    expect(await take(stream, 2)).toEqual([during[1], after]);
  });

  it('with `since`, gets what was committed while its live side registered from the hub', async () => {
    const s = await setup();
    const [since, last] = await s.say('CUSTOM', ['r'], ['r']);
    let during: string[] = [];
    s.onceAfterLastId(async () => {
      during = await s.say('CUSTOM', ['r']);
    });
    const stream = await s.open({ since: since! });
    const [after] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 5)).toEqual([
      position(since!, false),
      last,
      position(last!, true),
      during[0],
      after,
    ]);
  });

  it('does not repeat a `since` newer than the newest event it read as it opened', async () => {
    const s = await setup();
    const [older, since] = await s.say('CUSTOM', ['r'], ['r']);
    // As if `since` was committed (and sent by another instance) just after the log was read.
    s.onceAfterLastId(async () => older);
    const stream = await s.open({ since: since! });
    const [after] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 3)).toEqual([position(since!, false), position(since!, true), after]);
  });

  it('misses nothing after `since` when the log read as empty as it opened', async () => {
    const s = await setup();
    const [since, next] = await s.say('CUSTOM', ['r'], ['r']);
    s.onceAfterLastId(async () => null);
    const stream = await s.open({ since: since! });
    const [after] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 3)).toEqual([position(since!, false), position(since!, true), next]);
    expect(await take(stream, 1)).toEqual([after]);
  });

  it('sends no position while idle when heartbeats are off', async () => {
    const s = await setup({ heartbeatMs: 0 });
    const stream = await s.open();
    await take(stream, 1);
    const next = stream.next().then(() => 'an item');
    const quiet = new Promise((resolve) => setTimeout(() => resolve('nothing'), 50));
    expect(await Promise.race([next, quiet])).toBe('nothing');
    await stream.return!();
  });

  it('refuses a malformed or expired `since` before anything is sent, and keeps no subscription', async () => {
    const s = await setup({ retention: 3 });
    const [gone] = await s.say('CUSTOM', ['r'], ['r'], ['r'], ['r'], ['r']);
    expect((await errorOf(s.open({ since: 'nope' }))).code).toBe('BAD_USER_INPUT');
    expect((await errorOf(s.open({ since: gone! }))).code).toBe('CURSOR_EXPIRED');
    expect((await s.hub.stats()).activeSubscriptions).toBe(0);
  });

  it('ends when returned, and lets go of its subscription', async () => {
    const s = await setup();
    const stream = await s.open({ rooms: ['r'] });
    await take(stream, 1);
    expect((await s.hub.stats()).activeSubscriptions).toBe(1);
    const waiting = stream.next();
    expect(await stream.return!()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect((await s.hub.stats()).activeSubscriptions).toBe(0);
  });

  it('ends when thrown into, with that error', async () => {
    const s = await setup();
    const stream = await s.open();
    const boom = new Error('boom');
    await expect(stream.throw!(boom)).rejects.toBe(boom);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('ends when the hub closes', async () => {
    const s = await setup();
    const stream = await s.open();
    await take(stream, 1);
    const waiting = stream.next();
    s.hub.close();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('sends its position again while idle, moving past events that its filter leaves out', async () => {
    const s = await setup({ heartbeatMs: 20 });
    const stream = await s.open({ rooms: ['r'] });
    expect(await take(stream, 1)).toEqual([position(null, true)]);
    const [elsewhere] = await s.say('CUSTOM', ['x']);
    // A heartbeat reports what the log held one heartbeat earlier: every event up to it was routed.
    for (;;) {
      const [beat] = await take(stream, 1);
      expect(beat).toMatchObject({ kind: 'position', live: true });
      if ((beat as StreamPosition).cursor === elsewhere) break;
      expect((beat as StreamPosition).cursor).toBeNull();
    }
    const [mine] = await s.say('CUSTOM', ['r']);
    expect(await take(stream, 1)).toEqual([mine]);
    // The cursor never goes back: a later heartbeat holds at least the event just sent.
    const [beat] = await take(stream, 1);
    expect((beat as StreamPosition).cursor).toBe(mine);
  });
  it('sends no heartbeat behind an event that went out while the heartbeat read the log', async () => {
    const s = await setup({ heartbeatMs: 20 });
    const stream = await s.open();
    expect(await take(stream, 1)).toEqual([position(null, true)]);
    const waiting = stream.next();
    // The next read of the log's end is the heartbeat's: an event goes out meanwhile, and the read
    // answers what the log held before it.
    s.onceAfterLastId(async (id) => {
      await s.say('CUSTOM', ['r']);
      await waiting;
      return id;
    });
    const sent = shown((await waiting).value as StreamItem);
    expect(await take(stream, 1)).toEqual([position(sent as string, true)]);
    await stream.return!();
  });

  it('never points a heartbeat past what its reader may read', async () => {
    const s = await setup({ heartbeatMs: 20 });
    const [a1] = await s.say('CUSTOM', ['a']);
    await s.say('CUSTOM', ['x']);
    const stream = await s.open({ access: onlyRoom('a') });
    expect(await take(stream, 1)).toEqual([position(a1!, true)]);
    const [a2] = await s.say('CUSTOM', ['a']);
    await s.say('CUSTOM', ['x'], ['x']);
    expect(await take(stream, 1)).toEqual([a2]);
    for (const beat of await take(stream, 3)) expect(beat).toEqual(position(a2!, true));
    await stream.return!();
  });

  it('beats at its own pace however slow the heartbeats of the streams before it', async () => {
    const s = await setup();
    const request = { rooms: null, types: null, since: null, connection: null, access: READ_ALL };
    const slow = await s.hub.openPositioned(request, 60_000);
    const fast = await s.hub.openPositioned(request, 20);
    await take(fast, 1);
    const beat = fast.next().then(({ value }) => value);
    const late = new Promise((resolve) => setTimeout(() => resolve('no heartbeat within a second'), 1000));
    expect(await Promise.race([beat, late])).toEqual(position(null, true));
    await fast.return!();
    await slow.return!();
  });
});

describe('a history page', () => {
  it('refuses what a stream refuses, and sizes out of bounds', async () => {
    const s = await setup();
    const code = async (request: Partial<HistoryRequest>) => (await errorOf(s.history(request))).code;
    expect(await code({ rooms: ['not a room'] })).toBe('BAD_USER_INPUT');
    const denied = await errorOf(s.history({ rooms: ['a', 'b'], access: onlyRoom('a') }));
    expect(denied.code).toBe('FORBIDDEN');
    expect(denied.details).toMatchObject({ reason: 'ROOM_NOT_GRANTED', rooms: ['b'] });
    expect(await code({ after: 'x' })).toBe('BAD_USER_INPUT');
    expect(await code({ before: 'x' })).toBe('BAD_USER_INPUT');
    expect(await code({ first: 1, last: 1 })).toBe('BAD_USER_INPUT');
    for (const first of [0, 101, 1.5, -1]) expect(await code({ first })).toBe('BAD_USER_INPUT');
    for (const last of [0, 101]) expect(await code({ last })).toBe('BAD_USER_INPUT');
    await expect(s.history({ first: 1 })).resolves.toBeDefined();
    await expect(s.history({ first: 100 })).resolves.toBeDefined();
    await expect(s.history({ last: 100 })).resolves.toBeDefined();
  });

  it('is empty on an empty log, its cursors the ones given', async () => {
    const s = await setup();
    expect(await s.history()).toEqual({
      events: [],
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });

  it('pages forward: 20 by default, then from the end cursor, with what lies before and after', async () => {
    const s = await setup();
    const ids = await s.say('CUSTOM', ...Array.from({ length: 25 }, () => ['r']));
    const first = await s.history();
    expect(first.events.map((e) => e.id)).toEqual(ids.slice(0, 20));
    expect(first).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: ids[0],
      endCursor: ids[19],
    });
    const second = await s.history({ after: first.endCursor });
    expect(second.events.map((e) => e.id)).toEqual(ids.slice(20));
    expect(second).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: ids[20],
      endCursor: ids[24],
    });
    const exact = await s.history({ after: ids[19]!, first: 5 });
    expect(exact.hasNextPage).toBe(false);
    const beyond = await s.history({ after: ids[24]! });
    expect(beyond).toMatchObject({
      events: [],
      hasNextPage: false,
      startCursor: ids[24],
      endCursor: ids[24],
    });
  });

  it('pages forward up to `before`, excluding it', async () => {
    const s = await setup();
    const ids = await s.say('CUSTOM', ...Array.from({ length: 6 }, () => ['r']));
    const page = await s.history({ after: ids[0]!, before: ids[4]!, first: 10 });
    expect(page.events.map((e) => e.id)).toEqual(ids.slice(1, 4));
    expect(page.hasNextPage).toBe(false);
    const cut = await s.history({ after: ids[0]!, before: ids[4]!, first: 2 });
    expect(cut.events.map((e) => e.id)).toEqual(ids.slice(1, 3));
    expect(cut.hasNextPage).toBe(true);
    const fromStart = await s.history({ before: ids[2]!, first: 10 });
    expect(fromStart.events.map((e) => e.id)).toEqual(ids.slice(0, 2));
  });

  it('pages backward from the newest, with what lies before and after', async () => {
    const s = await setup();
    const ids = await s.say('CUSTOM', ...Array.from({ length: 7 }, () => ['r']));
    const newest = await s.history({ last: 3 });
    expect(newest.events.map((e) => e.id)).toEqual(ids.slice(4));
    expect(newest).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: ids[4],
      endCursor: ids[6],
    });
    const older = await s.history({ last: 3, before: newest.startCursor });
    expect(older.events.map((e) => e.id)).toEqual(ids.slice(1, 4));
    expect(older).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: ids[1],
      endCursor: ids[3],
    });
    const oldest = await s.history({ last: 3, before: older.startCursor });
    expect(oldest.events.map((e) => e.id)).toEqual(ids.slice(0, 1));
    expect(oldest).toMatchObject({ hasPreviousPage: false, startCursor: ids[0], endCursor: ids[0] });
    const bounded = await s.history({ last: 10, after: ids[2]!, before: ids[5]! });
    expect(bounded.events.map((e) => e.id)).toEqual(ids.slice(3, 5));
    expect(bounded.hasPreviousPage).toBe(false);
    const full = await s.history({ last: 2, after: ids[2]!, before: ids[5]! });
    expect(full.events.map((e) => e.id)).toEqual(ids.slice(3, 5));
    expect(full.hasPreviousPage).toBe(false);
    const more = await s.history({ last: 1, after: ids[2]!, before: ids[5]! });
    expect(more.hasPreviousPage).toBe(true);
    const none = await s.history({ last: 5, before: ids[0]! });
    expect(none).toMatchObject({
      events: [],
      hasPreviousPage: false,
      startCursor: ids[0],
      endCursor: ids[0],
    });
  });

  it('filters by room, type and read rights, its cursors at the last event read', async () => {
    const s = await setup();
    const [a1, , a2, b1] = await s.say('CUSTOM', ['a'], ['x'], ['a', 'x'], ['x', 'b']);
    const [a3] = await s.say('TASK_CREATED', ['a']);
    const [tail] = await s.say('CUSTOM', ['x']);
    const ids = (page: { events: StoredEvent[] }) => page.events.map((e) => e.id);
    expect(ids(await s.history({ rooms: ['a'] }))).toEqual([a1, a2, a3]);
    expect(ids(await s.history({ rooms: ['a', 'a'] }))).toEqual([a1, a2, a3]);
    expect(ids(await s.history({ rooms: ['a'], types: ['CUSTOM'] }))).toEqual([a1, a2]);
    expect(ids(await s.history({ rooms: [] }))).toHaveLength(6);
    expect(ids(await s.history({ types: [] }))).toHaveLength(6);
    expect(ids(await s.history({ access: onlyRoom('b') }))).toEqual([b1]);
    const page = await s.history({ rooms: ['a'], types: ['CUSTOM'] });
    expect(page).toMatchObject({ startCursor: a1, endCursor: tail, hasNextPage: false });
    const two = await s.history({ rooms: ['a'], first: 2 });
    expect(two).toMatchObject({ endCursor: a2, hasNextPage: true });
    const back = await s.history({ rooms: ['b'], last: 5 });
    expect(back).toMatchObject({ startCursor: a1, endCursor: b1, hasPreviousPage: false });
  });

  it('reads across log pages to fill a filtered page', async () => {
    const s = await setup();
    const [a1] = await s.say('CUSTOM', ['a']);
    await s.say('CUSTOM', ...Array.from({ length: 1200 }, () => ['x']));
    const [a2] = await s.say('CUSTOM', ['a']);
    const page = await s.history({ rooms: ['a'], first: 2 });
    expect(page.events.map((e) => e.id)).toEqual([a1, a2]);
    const back = await s.history({ rooms: ['a'], last: 2 });
    expect(back.events.map((e) => e.id)).toEqual([a1, a2]);
  });

  it(`reads at most ${HISTORY_SCAN_LIMIT} events for one page, and says where to go on`, async () => {
    const s = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 11; i++)
      ids.push(...(await s.say('CUSTOM', ...Array.from({ length: 500 }, () => ['x']))));
    const [a] = await s.say('CUSTOM', ['a']);
    const page = await s.history({ rooms: ['a'] });
    expect(page).toMatchObject({ events: [], hasNextPage: true, endCursor: ids[HISTORY_SCAN_LIMIT - 1] });
    const rest = await s.history({ rooms: ['a'], after: page.endCursor });
    expect(rest.events.map((e) => e.id)).toEqual([a]);
    const back = await s.history({ rooms: ['x'], types: ['TASK_CREATED'], last: 1 });
    // Reading backward, the event in `a` was the first of the events read.
    expect(back).toMatchObject({
      events: [],
      hasPreviousPage: true,
      startCursor: ids.at(-(HISTORY_SCAN_LIMIT - 1)),
    });
  });

  it(`passes over at most ${HISTORY_UNREADABLE_LIMIT} events its reader may not read, and says there is more`, async () => {
    const s = await setup();
    const [a1] = await s.say('CUSTOM', ['a']);
    const hidden: string[] = [];
    for (let i = 0; i < HISTORY_UNREADABLE_LIMIT / 500; i++)
      hidden.push(...(await s.say('CUSTOM', ...Array.from({ length: 500 }, () => ['x']))));
    // In the same log page as the last event it may pass over.
    const [a2] = await s.say('CUSTOM', ['a']);
    const page = await s.history({ access: onlyRoom('a') });
    // The cursor stays at the last event it may read; the next page starts from there again.
    expect(page).toMatchObject({
      events: [expect.objectContaining({ id: a1 })],
      hasNextPage: true,
      endCursor: a1,
    });
    const fewer = await s.history({ access: onlyRoom('a'), after: hidden[0]! });
    expect(fewer.events.map((e) => e.id)).toEqual([a2]);
  });

  it(`reads the log in pages of at most ${HISTORY_PAGE} events, and no more than its scan limit`, async () => {
    const s = await setup();
    await s.say('CUSTOM', ['x']);
    for (let i = 0; i < 11; i++) await s.say('CUSTOM', ...Array.from({ length: 500 }, () => ['a']));
    s.reads.limits.length = 0;
    // The event in `x` is not the reader's and does not count: the last read asks for one event.
    const page = await s.history({ access: onlyRoom('a'), types: ['TASK_CREATED'] });
    expect(page).toMatchObject({ events: [], hasNextPage: true });
    expect(s.reads.limits).toEqual([...Array.from({ length: 10 }, () => HISTORY_PAGE), 1]);
  });

  it('reads no further forward once a page reaches `before`', async () => {
    const s = await setup();
    const ids = await s.say('CUSTOM', ...Array.from({ length: 1200 }, () => ['r']));
    const reads = s.reads.readAfter;
    const page = await s.history({ after: ids[0]!, before: ids[3]!, first: 10 });
    expect(page.events.map((e) => e.id)).toEqual(ids.slice(1, 3));
    expect(page.hasNextPage).toBe(false);
    expect(s.reads.readAfter - reads).toBe(1);
  });

  it('looks for what follows a full page before `before` only', async () => {
    const s = await setup();
    // After `after`: 500 events, every fifth in `a`, the last of them too; then `before`, then more.
    const [after] = await s.say('CUSTOM', ['r']);
    const ids = await s.say(
      'CUSTOM',
      ...Array.from({ length: 500 }, (_, i) => ((i + 1) % 5 === 0 ? ['a'] : ['r'])),
    );
    const [before] = await s.say('CUSTOM', ['a'], ['a'], ['a']);
    const page = await s.history({ rooms: ['a'], after: after!, before: before!, first: 100 });
    expect(page.events.at(-1)?.id).toBe(ids.at(-1));
    expect(page.hasNextPage).toBe(false);
  });

  it('refuses to page forward from an event no longer retained, rather than skip what was trimmed', async () => {
    const s = await setup({ retention: 3 });
    const [gone] = await s.say('CUSTOM', ['r'], ['r'], ['r'], ['r'], ['r']);
    expect((await errorOf(s.history({ after: gone! }))).code).toBe('CURSOR_EXPIRED');
  });
});
