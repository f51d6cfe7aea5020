/**
 * A `since` replay read page by page (LogReplay) and the per-connection bound on replays in flight
 * (ReplaySlots), on the memory engine's log: which pages it reads and when it stops reading, what it
 * hands out, where `lastId` and `lastReadable` stand, a replay cut short by `stopBefore`, and its slot
 * given back exactly once.
 */
import { eventCommitter } from '../support/events.js';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type EventLog } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { LogReplay, REPLAY_PAGE, ReplaySlots } from '../../src/realtime/replay.js';
import { errorOf } from '../domain/fleet.js';

function setup(retention = 1000) {
  const engine = createMemoryEngine({ retention, clock: systemClock });
  // The engine's log, each read written down as it is asked for.
  const reads: string[] = [];
  const log: EventLog = {
    readAfter: (cursor, limit) => {
      reads.push(`after ${cursor} ${limit}`);
      return engine.log.readAfter(cursor, limit);
    },
    readRange: (range) => {
      reads.push(`range ${range.after} ${range.before} ${range.limit} ${range.newestFirst}`);
      return engine.log.readRange(range);
    },
    lastId: () => engine.log.lastId(),
  };
  const commit = eventCommitter(engine.store, 'replay-test');
  /** Commits one event per room list; returns their ids. */
  const say = async (...roomLists: string[][]) => (await commit(...roomLists)).map((e) => e.id);
  const releases = { count: 0 };
  const open = (options: Partial<Parameters<typeof LogReplay.open>[0]> & { since: string | null }) =>
    LogReplay.open({ log, wanted: () => true, release: () => releases.count++, ...options });
  return { log, reads, say, releases, open };
}

const inRoom = (room: string) => (event: StoredEvent) => event.rooms.includes(room);

async function drain(replay: LogReplay): Promise<string[]> {
  const ids: string[] = [];
  for (let event = await replay.next(); event; event = await replay.next()) ids.push(event.id);
  return ids;
}

describe('a log replay', () => {
  it('hands out every event after `since`, page by page, then ends and gives its slot back once', async () => {
    const s = setup();
    const [since, ...rest] = await s.say(...Array.from({ length: 8 }, () => ['r']));
    const replay = await s.open({ since: since!, pageSize: 3 });
    // Its first page is read as it opens.
    expect(s.reads).toEqual([`after ${since} 3`]);
    expect(replay.lastId).toBe(rest[2]);
    expect(await drain(replay)).toEqual(rest);
    // Pages of 3, the last one short: no read after it.
    expect(s.reads).toEqual([`after ${since} 3`, `after ${rest[2]} 3`, `after ${rest[5]} 3`]);
    expect(replay.lastId).toBe(rest.at(-1));
    expect(s.releases.count).toBe(1);
    expect(await replay.next()).toBeNull();
    replay.release();
    expect(s.releases.count).toBe(1);
  });

  it('reads from the start of the log without `since`', async () => {
    const s = setup();
    const ids = await s.say(['r'], ['r']);
    const replay = await s.open({ since: null });
    expect(s.reads).toEqual([`range null null ${REPLAY_PAGE} false`]);
    expect(await drain(replay)).toEqual(ids);
  });

  it('reads one more page after a full one when it does not know where the live side took over', async () => {
    const s = setup();
    const [since, ...rest] = await s.say(['r'], ['r'], ['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 3 });
    expect(await drain(replay)).toEqual(rest);
    expect(s.reads).toHaveLength(3);
  });

  it('reads no page past where the live side took over', async () => {
    const s = setup();
    const [since, ...rest] = await s.say(['r'], ['r'], ['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 3, upTo: rest.at(-1)! });
    expect(await drain(replay)).toEqual(rest);
    expect(s.reads).toHaveLength(2);
  });

  it('stops at the page that passes where the live side took over, handing out that page whole', async () => {
    const s = setup();
    const [since, ...rest] = await s.say(['r'], ['r'], ['r'], ['r'], ['r'], ['r'], ['r']);
    // The live side took over at the second event: later ones arrive live, and are dropped there.
    const replay = await s.open({ since: since!, pageSize: 3, upTo: rest[1]! });
    expect(await drain(replay)).toEqual(rest.slice(0, 3));
    expect(s.reads).toHaveLength(1);
  });

  it('reads nothing more when the live side took over on an empty log', async () => {
    const s = setup();
    await s.say(['r'], ['r'], ['r']);
    const replay = await s.open({ since: null, pageSize: 3, upTo: null });
    expect(await drain(replay)).toHaveLength(3);
    expect(s.reads).toHaveLength(1);
  });

  it('hands out what it wants, and follows what its reader may read past what it does not want', async () => {
    const s = setup();
    const [since, a1, , a2, b1] = await s.say(['r'], ['a'], ['x'], ['a'], ['b'], ['x']);
    const replay = await s.open({
      since: since!,
      wanted: inRoom('a'),
      readable: (e) => !e.rooms.includes('x'),
    });
    expect(replay.lastReadable).toBeNull();
    expect(await replay.next()).toMatchObject({ id: a1 });
    expect(replay.lastReadable).toBe(a1);
    expect(await replay.next()).toMatchObject({ id: a2 });
    expect(await replay.next()).toBeNull();
    expect(replay.lastReadable).toBe(b1);
  });

  it('counts every event as readable by default', async () => {
    const s = setup();
    const [since, , last] = await s.say(['r'], ['a'], ['x']);
    const replay = await s.open({ since: since!, wanted: inRoom('a') });
    await drain(replay);
    expect(replay.lastReadable).toBe(last);
  });

  it('refuses a malformed or trimmed `since` as it opens, and gives its slot back', async () => {
    const s = setup(3);
    const [gone] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    expect((await errorOf(s.open({ since: 'nope' }))).code).toBe('BAD_USER_INPUT');
    expect((await errorOf(s.open({ since: gone! }))).code).toBe('CURSOR_EXPIRED');
    expect(s.releases.count).toBe(2);
  });

  it('hands out nothing more once released, and reads no further', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 2 });
    await replay.next();
    replay.release();
    expect(s.releases.count).toBe(1);
    expect(await replay.next()).toBeNull();
    expect(s.reads).toHaveLength(1);
    expect(s.releases.count).toBe(1);
  });

  it('drops the page that was being read when released meanwhile', async () => {
    const s = setup();
    const [since, e1, e2] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 2 });
    expect(await replay.next()).toMatchObject({ id: e1 });
    expect(await replay.next()).toMatchObject({ id: e2 });
    // The next page is asked for; the stream ends before it comes back.
    const reading = replay.next();
    replay.release();
    expect(await reading).toBeNull();
    expect(replay.lastId).toBe(e2);
    expect(s.reads).toEqual([`after ${since} 2`, `after ${e2} 2`]);
  });
});

describe('a replay cut short', () => {
  it('is not cut until told where to stop', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r']);
    const replay = await s.open({ since: since! });
    expect(replay.cut).toBe(false);
    await drain(replay);
    expect(replay.cut).toBe(false);
  });

  it('hands out nothing at or after where it stops, and reads no further', async () => {
    const s = setup();
    const [since, e1, e2, e3] = await s.say(['r'], ['r'], ['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 2 });
    replay.stopBefore(e3!);
    expect(replay.cut).toBe(true);
    expect(await drain(replay)).toEqual([e1, e2]);
    expect(replay.lastId).toBe(e2);
    expect(s.reads).toHaveLength(2);
  });

  it('stops within the page it holds, its `lastId` the last event kept', async () => {
    const s = setup();
    const [since, e1, e2] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 10 });
    replay.stopBefore(e2!);
    expect(replay.lastId).toBe(e1);
    expect(await drain(replay)).toEqual([e1]);
    expect(s.reads).toHaveLength(1);
  });

  it('keeps the earliest place to stop', async () => {
    const s = setup();
    const [since, e1, e2, e3, e4] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 10 });
    replay.stopBefore(e3!);
    replay.stopBefore(e4!);
    replay.stopBefore(e3!);
    expect(replay.lastId).toBe(e2);
    replay.stopBefore(e2!);
    expect(await drain(replay)).toEqual([e1]);
    expect(replay.lastId).toBe(e1);
  });

  it('stopped at the next event to hand out, is over, its `lastId` the last one handed out', async () => {
    const s = setup();
    const [since, e1, e2] = await s.say(['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 10 });
    expect(await replay.next()).toMatchObject({ id: e1 });
    replay.stopBefore(e2!);
    expect(replay.lastId).toBe(e1);
    expect(await replay.next()).toBeNull();
  });

  it('stopped at the first event of the page it just read, is over, its `lastId` where the page began', async () => {
    const s = setup();
    const [since, e1] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 2 });
    replay.stopBefore(e1!);
    expect(replay.lastId).toBe(since);
    expect(await replay.next()).toBeNull();
  });

  it('stopped at the newest event it read, keeps the one before', async () => {
    const s = setup();
    const [since, e1, e2] = await s.say(['r'], ['r'], ['r'], ['r'], ['r']);
    const replay = await s.open({ since: since!, pageSize: 2 });
    expect(replay.lastId).toBe(e2);
    replay.stopBefore(e2!);
    expect(replay.lastId).toBe(e1);
    expect(await drain(replay)).toEqual([e1]);
  });

  it('on a log that was empty, stops without having read anything', async () => {
    const s = setup();
    const replay = await s.open({ since: null });
    replay.stopBefore('1-0');
    expect(replay.cut).toBe(true);
    expect(replay.lastId).toBeNull();
    expect(await replay.next()).toBeNull();
  });
});

describe('replay slots', () => {
  it('lets a connection hold as many replays as its bound, then refuses with RATE_LIMITED', async () => {
    const changes: number[] = [];
    const slots = new ReplaySlots(2, (delta) => changes.push(delta));
    const first = slots.take();
    slots.take();
    const refused = await errorOf(Promise.resolve().then(() => slots.take()));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.details).toMatchObject({ reason: 'TOO_MANY_REPLAYS', limit: 2 });
    expect(changes).toEqual([1, 1, 0]);
    first();
    first();
    expect(changes).toEqual([1, 1, 0, -1]);
    slots.take();
    expect(changes).toEqual([1, 1, 0, -1, 1]);
    expect(() => slots.take()).toThrow();
  });

  it('reports nothing by default', () => {
    const slots = new ReplaySlots(1);
    slots.take()();
    expect(() => slots.take()).not.toThrow();
  });
});
