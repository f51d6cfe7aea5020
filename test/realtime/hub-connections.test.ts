/**
 * The hub's connections, as the WebSocket and SSE transports use them, on a memory engine: what is
 * counted and when, grouped delivery framed onto a connection's socket, `since` replays and their
 * slots, slow consumers, renewed rights, refusals and shutdown. The sockets stand in for `ws` ones:
 * a test decides when the peer reads. The transports' own suites check the same over real sockets;
 * this one needs no server, so mutation testing runs it.
 */
import { eventCommitter } from '../support/events.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { READ_ALL, type ReadAccess } from '../../src/domain/access/read-access.js';
import type { EventDraft, StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type RealtimeSnapshot } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import type { FrameSink } from '../../src/realtime/connection-queue.js';
import type { EventStreamRequest } from '../../src/realtime/realtime-api.js';
import type { Connection } from '../../src/realtime/connection.js';
import { RealtimeHub, SLOW_CONSUMER, type Grouping } from '../../src/realtime/realtime-hub.js';
import { errorOf, ManualClock } from '../domain/fleet.js';

const logger = pino({ level: 'silent' });
/** The two kinds of connection, as the WebSocket and SSE transports declare them. */
const WS = { transport: 'ws' } as const;
const SSE = { transport: 'sse', oneSubscription: true } as const;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A socket whose peer reads everything at once (`reading`), or only when the test says. */
class Socket implements FrameSink {
  readonly frames: string[] = [];
  private buffered = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly reading = true) {}
  write(frame: Buffer): void {
    this.frames.push(frame.toString());
    if (!this.reading) this.buffered += frame.length;
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  onDrain(callback: () => void): void {
    if (this.buffered === 0) setImmediate(callback);
    else this.waiting.push(callback);
  }
  /** The peer reads what is buffered. */
  drain(): void {
    this.buffered = 0;
    for (const callback of this.waiting.splice(0)) callback();
  }
}

/** A connection as a transport opens one: a label, where frames go (none: iterated), how to close it. */
function connectTo(
  hub: RealtimeHub,
  kind: { transport: string; oneSubscription?: boolean },
  close: ((code: number, reason: string) => void) | null,
  sink: FrameSink | null = null,
) {
  return hub.connect({ ...kind, sink, close: close ?? (() => undefined) });
}

/** The stream when its group delivers it, or null when its caller iterates it. */
const grouped = <T>(stream: AsyncIterableIterator<T>) =>
  (stream as unknown as { grouped: boolean }).grouped ? stream : null;

const onlyRoom = (room: string): ReadAccess => ({ key: `only:${room}`, canRead: (r) => r === room });
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: { maxQueuedBytes?: number; maxReplays?: number } = {}) {
  const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
  const replays: string[] = [];
  const slow: string[] = [];
  const drops: string[] = [];
  const hub = new RealtimeHub({
    engine,
    instanceId: 'connections-test',
    maxQueuedBytesPerConnection: options.maxQueuedBytes ?? 1 << 20,
    logger,
    maxReplaysPerConnection: options.maxReplays,
    onReplay: (outcome) => replays.push(outcome),
    onSlowConsumer: (connection) => slow.push(connection.transport),
    onDropped: (policy, reason, count) => drops.push(`${policy} ${reason} ${count}`),
  });
  cleanup.push(
    () => engine.close(),
    () => hub.close(),
  );
  const commit = eventCommitter(engine.store, 'connections-test');
  const say = async (...roomLists: string[][]) => (await commit(...roomLists)).map((e) => e.id);
  /**
   * As the WebSocket server groups: the key is the operation (here: its rooms) and the read rights.
   * Encodes an event as its `n`; counts the encoders made and the encodings run.
   */
  const encoders = { made: 0, runs: 0 };
  const groupingFor =
    (rooms: readonly string[] | null | undefined): Grouping =>
    (access) => ({
      key: `events|${JSON.stringify(rooms ?? null)}|${access.key}`,
      encoder: () => {
        encoders.made++;
        return (event: StoredEvent) => {
          encoders.runs++;
          return Buffer.from(String((event.payload as unknown as { data: { n: number } }).data.n));
        };
      },
    });
  const request = (connection: EventStreamRequest['connection'], more: Partial<EventStreamRequest>) => ({
    rooms: ['r'],
    types: null,
    since: null,
    access: READ_ALL,
    connection,
    ...more,
  });
  /**
   * Subscribes as the WebSocket server does: open on the connection with the operation's framing and
   * grouping. `direct` is the stream when its group delivers it (it then only waits for its end).
   */
  const subscribe = async (connection: Connection, name: string, more: Partial<EventStreamRequest> = {}) => {
    const full = request(connection, more);
    const framing = { prefix: Buffer.from(`${name}:`), suffix: Buffer.from(';') };
    const stream = await hub.open({ ...full, delivery: { framing, grouping: groupingFor(full.rooms) } });
    return { stream, direct: grouped(stream) };
  };
  const open = (connection: EventStreamRequest['connection'], more: Partial<EventStreamRequest> = {}) =>
    hub.open(request(connection, more));
  return { engine, hub, say, subscribe, open, encoders, replays, slow, drops };
}

describe('connections', () => {
  it('count a WebSocket from its opening and an SSE response from its first subscription, and each end once', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null);
    const sse = connectTo(s.hub, SSE, null);
    expect(await s.hub.stats()).toMatchObject({
      activeConnections: 1,
      totalConnections: 1,
      totalDisconnections: 0,
    });
    const stream = await s.open(sse);
    expect(await s.hub.stats()).toMatchObject({
      activeConnections: 2,
      totalConnections: 2,
      activeSubscriptions: 1,
    });
    // An SSE response is one subscription: when it ends, so does the connection.
    await stream.return!();
    expect(await s.hub.stats()).toMatchObject({
      activeConnections: 1,
      totalDisconnections: 1,
      activeSubscriptions: 0,
    });
    ws.release();
    ws.release();
    expect(await s.hub.stats()).toMatchObject({
      activeConnections: 0,
      totalConnections: 2,
      totalDisconnections: 2,
    });
    // An SSE response that never subscribed was never a connection, and its end counts nothing.
    connectTo(s.hub, SSE, null).release();
    expect((await s.hub.stats()).totalDisconnections).toBe(2);
  });

  it('count an SSE response once however many streams it opens', async () => {
    const s = setup();
    const sse = connectTo(s.hub, SSE, null);
    await s.open(sse);
    await s.open(sse);
    expect(await s.hub.stats()).toMatchObject({
      activeConnections: 1,
      totalConnections: 1,
      activeSubscriptions: 2,
    });
  });

  it('hand a stream only the types it asked for and, without rooms, what its reader may read', async () => {
    const s = setup();
    const typed = await s.open(null, { types: ['TASK_CREATED'] });
    const mine = await s.open(null, { rooms: null, access: onlyRoom('a') });
    const [, a, ab] = await s.say(['r'], ['a'], ['b', 'a'], ['b']);
    const [task] = (
      await s.engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: [
          {
            type: 'TASK_CREATED',
            rooms: ['r'],
            payload: { kind: 'custom', data: {} },
          } as unknown as EventDraft,
        ],
        timestamp: new Date().toISOString(),
        source: 'connections-test',
      })
    ).map((e) => e.id);
    expect((await typed.next()).value?.id).toBe(task);
    expect([(await mine.next()).value?.id, (await mine.next()).value?.id]).toEqual([a, ab]);
    await s.say(['a']);
    expect((await mine.next()).value?.type).toBe('CUSTOM');
  });

  it('hand a live event in several rooms to every stream of any of them, once', async () => {
    const s = setup();
    const [r, b, rb] = [
      await s.open(null, { rooms: ['r'] }),
      await s.open(null, { rooms: ['b'] }),
      await s.open(null, { rooms: ['r', 'b'] }),
    ];
    const [xr, br, , rOnly] = await s.say(['x', 'r'], ['b', 'r'], ['x'], ['r']);
    const take = async (stream: AsyncIterableIterator<StoredEvent>, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await stream.next()).value.id);
      return ids;
    };
    expect(await take(r, 3)).toEqual([xr, br, rOnly]);
    expect(await take(b, 1)).toEqual([br]);
    expect(await take(rb, 3)).toEqual([xr, br, rOnly]);
    expect((await s.hub.stats()).messagesDelivered).toBe(7);
  });

  it('replay after `since` every event in any of its rooms', async () => {
    const s = setup();
    const [since, , both] = await s.say(['r'], ['x'], ['x', 'r']);
    const stream = await s.open(null, { since: since! });
    expect((await stream.next()).value?.id).toBe(both);
  });

  it('count what a stream its caller iterates hands out as delivered', async () => {
    const s = setup();
    const stream = await s.open(null);
    await s.say(['r'], ['r']);
    await stream.next();
    expect((await s.hub.stats()).messagesDelivered).toBe(1);
    await stream.next();
    expect((await s.hub.stats()).messagesDelivered).toBe(2);
  });

  it('keep a WebSocket open while one of its subscriptions ends, and end them all with it', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null);
    const only = await s.open(ws);
    await only.return!();
    expect(await s.hub.stats()).toMatchObject({ activeConnections: 1, activeSubscriptions: 0 });
    const one = await s.open(ws);
    const two = await s.open(ws);
    await one.return!();
    expect(await s.hub.stats()).toMatchObject({ activeConnections: 1, activeSubscriptions: 1 });
    ws.release();
    expect(await two.next()).toEqual({ value: undefined, done: true });
    expect(await s.hub.stats()).toMatchObject({ activeConnections: 0, activeSubscriptions: 0 });
    expect((await errorOf(s.open(ws))).code).toBe('BAD_USER_INPUT');
  });

  it('refuse rooms that are not room names or not granted, saying which', async () => {
    const s = setup();
    const bad = await errorOf(s.open(null, { rooms: ['ok', 'not ok'] }));
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.details).toEqual({ reason: 'BAD_ROOM' });
    const denied = await errorOf(s.open(null, { rooms: ['a', 'b', 'c'], access: onlyRoom('b') }));
    expect(denied.code).toBe('FORBIDDEN');
    expect(denied.details).toEqual({ reason: 'ROOM_NOT_GRANTED', rooms: ['a', 'c'] });
    expect((await s.hub.stats()).activeSubscriptions).toBe(0);
  });

  it('count subscribers per room across instances, the stream to every room in none', async () => {
    const s = setup();
    const other = new RealtimeHub({
      engine: s.engine,
      instanceId: 'connections-test-2',
      maxQueuedBytesPerConnection: 1 << 20,
      logger,
    });
    cleanup.push(() => other.close());
    await s.open(null, { rooms: ['r', 'b'] });
    await s.open(null, { rooms: ['r'] });
    await s.open(null, { rooms: null });
    await other.open({ rooms: ['r', 'a'], types: null, since: null, access: READ_ALL, connection: null });
    // Each instance reports its own figures; any of them answers for all.
    await other.stats();
    const stats = await s.hub.stats();
    expect(stats.rooms).toEqual([
      { room: 'a', subscribers: 1 },
      { room: 'b', subscribers: 1 },
      { room: 'r', subscribers: 3 },
    ]);
    expect(stats.activeSubscriptions).toBe(4);
  });

  it('are refused once the hub closes, which ends every stream', async () => {
    const s = setup();
    const stream = await s.open(connectTo(s.hub, WS, null));
    const grouped = await s.subscribe(connectTo(s.hub, WS, null, new Socket()), 'g');
    s.hub.close();
    s.hub.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(await grouped.direct!.next()).toEqual({ value: undefined, done: true });
    expect(s.hub.snapshot()).toMatchObject({ activeConnections: 0, totalDisconnections: 2, rooms: {} });
    expect((await errorOf(s.open(null))).code).toBe('BAD_USER_INPUT');
  });
});

describe('grouped delivery', () => {
  it('encodes an event once per group and writes it framed to every member socket', async () => {
    const s = setup();
    const sockets = [new Socket(), new Socket(), new Socket()];
    const [a, b, c] = sockets.map((socket) => connectTo(s.hub, WS, null, socket));
    const subs = [await s.subscribe(a!, 'a'), await s.subscribe(b!, 'b')];
    // Other read rights: another group, even for the same document.
    await s.subscribe(c!, 'c', { access: onlyRoom('r') });
    for (const sub of subs) expect(sub.direct).toBe(sub.stream);
    await s.say(['r'], ['elsewhere'], ['r']);
    expect(sockets.map((x) => x.frames)).toEqual([
      ['a:1;', 'a:3;'],
      ['b:1;', 'b:3;'],
      ['c:1;', 'c:3;'],
    ]);
    expect(s.encoders).toEqual({ made: 2, runs: 4 });
    expect(await s.hub.stats()).toMatchObject({ messagesDelivered: 6, activeSubscriptions: 3 });
  });

  it('keeps a group for its other members when one leaves, and makes a new one after the last', async () => {
    const s = setup();
    const [x, y] = [new Socket(), new Socket()];
    const one = await s.subscribe(connectTo(s.hub, WS, null, x), 'x');
    const two = await s.subscribe(connectTo(s.hub, WS, null, y), 'y');
    await one.stream.return!();
    expect(await one.direct!.next()).toEqual({ value: undefined, done: true });
    await s.say(['r']);
    expect([x.frames, y.frames]).toEqual([[], ['y:1;']]);
    await two.stream.return!();
    await s.say(['r']);
    expect(y.frames).toEqual(['y:1;']);
    await s.subscribe(connectTo(s.hub, WS, null, y), 'z');
    await s.say(['r']);
    expect(y.frames).toEqual(['y:1;', 'z:3;']);
    expect(s.encoders.made).toBe(2);
  });

  it('is not taken up without a socket, for a stream its caller iterates, or for an operation with no stream', async () => {
    const s = setup();
    const plain = connectTo(s.hub, WS, null);
    expect((await s.subscribe(plain, 'p')).direct).toBeNull();
    const ws = connectTo(s.hub, WS, null, new Socket());
    expect((await s.subscribe(ws, 'e', { exclusive: true })).direct).toBeNull();
    expect(s.encoders.made).toBe(0);
  });

  it('writes a `since` replay before the live events, then goes on live in its group', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r'], ['x'], ['r']);
    const socket = new Socket();
    await s.subscribe(connectTo(s.hub, WS, null, socket), 's', { since: since! });
    await s.say(['r']);
    for (let i = 0; i < 10 && socket.frames.length < 3; i++) await settle();
    expect(socket.frames).toEqual(['s:2;', 's:4;', 's:5;']);
    expect(s.replays).toEqual(['started']);
    expect(s.hub.replaysInFlight).toBe(0);
  });

  it('holds a replay slot until the socket has taken the replay, and refuses one more meanwhile', async () => {
    const s = setup({ maxReplays: 1 });
    const [since] = await s.say(['r'], ['r'], ['r']);
    const socket = new Socket(false);
    const ws = connectTo(s.hub, WS, null, socket);
    await s.subscribe(ws, 'one', { since: since! });
    await settle();
    expect(socket.frames).toEqual(['one:2;']);
    expect(s.hub.replaysInFlight).toBe(1);
    const refused = await errorOf(s.subscribe(ws, 'two', { since: since! }));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.details).toMatchObject({ reason: 'TOO_MANY_REPLAYS', limit: 1 });
    // Another connection has slots of its own.
    await s.subscribe(connectTo(s.hub, WS, null, new Socket()), 'other', { since: since! });
    for (let i = 0; i < 10 && socket.frames.length < 2; i++) {
      socket.drain();
      await settle();
    }
    socket.drain();
    for (let i = 0; i < 10 && s.hub.replaysInFlight > 0; i++) await settle();
    expect(socket.frames).toEqual(['one:2;', 'one:3;']);
    expect(s.hub.replaysInFlight).toBe(0);
    await s.subscribe(ws, 'three', { since: since! });
    expect(s.replays).toEqual(['started', 'refused', 'started', 'started']);
  });
});

describe('a grouped eventStream', () => {
  /** Encodes an event as `n`, a position as `@cursor/live`; counts the encodings run. */
  const streamGrouping =
    (runs: { events: number; positions: number }): Grouping =>
    (access) => ({
      key: `stream|${access.key}`,
      encoder: () => (root: StoredEvent) => {
        const position = root as unknown as { kind?: string; cursor: string | null; live: boolean };
        if (position.kind === 'position') {
          runs.positions++;
          return Buffer.from(`@${JSON.stringify(position.cursor)}/${position.live}`);
        }
        runs.events++;
        return Buffer.from(String((root.payload as unknown as { data: { n: number } }).data.n));
      },
    });

  async function subscribeStream(
    s: ReturnType<typeof setup>,
    socket: Socket,
    name: string,
    runs: { events: number; positions: number },
    more: Partial<EventStreamRequest> = {},
    heartbeatMs = 0,
  ) {
    const connection = connectTo(s.hub, WS, null, socket);
    const framing = { prefix: Buffer.from(`${name}:`), suffix: Buffer.from(';') };
    const stream = await s.hub.openPositioned(
      {
        rooms: ['r'],
        types: null,
        since: null,
        access: READ_ALL,
        connection,
        delivery: { framing, grouping: streamGrouping(runs) },
        ...more,
      },
      heartbeatMs,
    );
    return { stream, direct: grouped(stream) };
  }

  it('writes positions as frames of their own and encodes each event once for the whole group', async () => {
    const s = setup();
    const [first] = await s.say(['r']);
    const runs = { events: 0, positions: 0 };
    const sockets = [new Socket(), new Socket(), new Socket()];
    const subs = [];
    for (const [i, socket] of sockets.entries()) subs.push(await subscribeStream(s, socket, `s${i}`, runs));
    for (const sub of subs) expect(sub.direct).toBe(sub.stream);
    await s.say(['r'], ['x'], ['r']);
    expect(sockets.map((x) => x.frames)).toEqual(
      [0, 1, 2].map((i) => [`s${i}:@${JSON.stringify(first)}/true;`, `s${i}:2;`, `s${i}:4;`]),
    );
    // One execution per event for the group, one for the template of a live position.
    expect(runs).toEqual({ events: 2, positions: 1 });
    // Positions are not deliveries of events.
    expect((await s.hub.stats()).messagesDelivered).toBe(6);
  });

  it('replays after `since` between its two positions, then goes on live in its group', async () => {
    const s = setup();
    const [since, , , last] = await s.say(['r'], ['r'], ['x'], ['r']);
    const runs = { events: 0, positions: 0 };
    const socket = new Socket();
    await subscribeStream(s, socket, 's', runs, { since: since! });
    for (let i = 0; i < 10 && socket.frames.length < 4; i++) await settle();
    await s.say(['r']);
    expect(socket.frames).toEqual([
      `s:@${JSON.stringify(since)}/false;`,
      's:2;',
      's:4;',
      `s:@${JSON.stringify(last)}/true;`,
      's:5;',
    ]);
    expect(s.replays).toEqual(['started']);
    expect(s.hub.replaysInFlight).toBe(0);
  });

  it('sends its position while idle, once its socket has taken everything', async () => {
    const s = setup();
    const runs = { events: 0, positions: 0 };
    const socket = new Socket(false);
    await subscribeStream(s, socket, 's', runs, {}, 20);
    const [mine] = await s.say(['r']);
    await new Promise((resolve) => setTimeout(resolve, 80));
    // The socket still holds the first frames: no heartbeat is written behind them.
    expect(socket.frames).toEqual(['s:@null/true;', 's:1;']);
    socket.drain();
    for (let i = 0; i < 200 && socket.frames.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(socket.frames[2]).toBe(`s:@${JSON.stringify(mine)}/true;`);
    expect(runs.positions).toBe(1);
  });
});

describe('a slow consumer', () => {
  it('is closed once, with 4008, when its socket holds more than the bound, and its subscriptions end', async () => {
    const s = setup({ maxQueuedBytes: 10 });
    const socket = new Socket(false);
    const closes: [number, string][] = [];
    const ws = connectTo(s.hub, WS, (code, reason) => closes.push([code, reason]), socket);
    const { direct } = await s.subscribe(ws, 'slow');
    const fast = new Socket();
    await s.subscribe(connectTo(s.hub, WS, null, fast), 'fast');
    await s.say(['r'], ['r'], ['r'], ['r']);
    expect(closes).toEqual([[SLOW_CONSUMER.code, SLOW_CONSUMER.reason]]);
    expect(s.slow).toEqual(['ws']);
    expect(await direct!.next()).toEqual({ value: undefined, done: true });
    expect(fast.frames).toEqual(['fast:1;', 'fast:2;', 'fast:3;', 'fast:4;']);
    expect(await s.hub.stats()).toMatchObject({ activeConnections: 1, totalDisconnections: 1 });
  });

  it('is closed when the streams it iterates itself hold more than the bound, not before', async () => {
    const s = setup({ maxQueuedBytes: 600 });
    const closes: number[] = [];
    const ws = connectTo(s.hub, WS, (code) => closes.push(code));
    const stream = await s.open(ws);
    await s.say(['r']);
    expect(closes).toEqual([]);
    // Reading gives the bytes back.
    await stream.next();
    await s.say(['r']);
    expect(closes).toEqual([]);
    for (let i = 0; i < 10 && closes.length === 0; i++) await s.say(['r']);
    expect(closes).toEqual([SLOW_CONSUMER.code]);
  });
});

describe('renewed rights', () => {
  it('end a subscription to rooms no longer granted, and move one to every room into the group of its new rights', async () => {
    const s = setup();
    const socket = new Socket();
    const ws = connectTo(s.hub, WS, null, socket);
    const named = await s.subscribe(ws, 'named', { rooms: ['a'] });
    await s.subscribe(ws, 'all', { rooms: null });
    // Frames of one operation, in order (the two groups' frames interleave in routing order).
    const of = (name: string) => socket.frames.filter((f) => f.startsWith(`${name}:`));
    await s.say(['a'], ['b']);
    expect([of('named'), of('all')]).toEqual([['named:1;'], ['all:1;', 'all:2;']]);
    ws.reauthorize(onlyRoom('b'));
    const ended = await errorOf(named.direct!.next());
    expect(ended.code).toBe('FORBIDDEN');
    expect(ended.details).toEqual({ reason: 'ROOM_NOT_GRANTED', rooms: ['a'] });
    await s.say(['a'], ['b']);
    expect([of('named'), of('all')]).toEqual([['named:1;'], ['all:1;', 'all:2;', 'all:4;']]);
    expect(s.encoders.made).toBe(3);
    // The same rights again: nothing moves.
    ws.reauthorize(onlyRoom('b'));
    await s.say(['b']);
    expect(of('all')).toEqual(['all:1;', 'all:2;', 'all:4;', 'all:5;']);
    expect(s.encoders.made).toBe(3);
    expect((await s.hub.stats()).activeSubscriptions).toBe(1);
  });
});

describe('a subscription that drops rather than closes', () => {
  /**
   * Encodes an event as `{"n":…}` (with its type when not CUSTOM), a position as `{"at":…,"live":…}`
   * and a report of dropped events as `{"dropped":…,"from":…,"to":…}`: JSON objects, as results are.
   */
  const jsonGrouping =
    (runs: { drops: number }): Grouping =>
    (access) => ({
      key: `json|${access.key}`,
      encoder: () => (root: StoredEvent) => {
        const item = root as unknown as {
          kind?: string;
          cursor?: string | null;
          live?: boolean;
          count?: number;
          fromId?: string;
          toId?: string;
        };
        if (item.kind === 'position')
          return Buffer.from(`{"at":${JSON.stringify(item.cursor)},"live":${item.live}}`);
        if (item.kind === 'dropped') {
          runs.drops++;
          return Buffer.from(
            `{"dropped":${item.count},"from":${JSON.stringify(item.fromId)},"to":${JSON.stringify(item.toId)}}`,
          );
        }
        const n = (root.payload as unknown as { data: { n: number } }).data.n;
        return Buffer.from(root.type === 'CUSTOM' ? `{"n":${n}}` : `{"n":${n},"t":"${root.type}"}`);
      },
    });

  /** Commits one event per type given, in room `r`, numbered on from the setup's own. */
  async function sayTypes(s: ReturnType<typeof setup>, types: string[]): Promise<string[]> {
    const first = (await s.say(['r']))[0]!;
    const events = types.map((type, i) => ({
      type,
      rooms: ['r'],
      payload: { kind: 'custom', data: { n: 1000 + i } },
    })) as unknown as EventDraft[];
    const ids = (
      await s.engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events,
        timestamp: new Date().toISOString(),
        source: 'connections-test',
      })
    ).map((e) => e.id);
    return [first, ...ids];
  }

  async function subscribeDropping(
    s: ReturnType<typeof setup>,
    socket: Socket,
    overflow: 'DROP_OLDEST' | 'COALESCE',
    more: Partial<EventStreamRequest> = {},
    positioned = false,
  ) {
    const closes: number[] = [];
    const connection = connectTo(s.hub, WS, (code) => closes.push(code), socket);
    const runs = { drops: 0 };
    const request: EventStreamRequest = {
      rooms: ['r'],
      types: null,
      since: null,
      access: READ_ALL,
      connection,
      overflow,
      delivery: {
        framing: { prefix: Buffer.from('d:'), suffix: Buffer.from(';') },
        grouping: jsonGrouping(runs),
      },
      ...more,
    };
    const stream = positioned ? await s.hub.openPositioned(request, 0) : await s.hub.open(request);
    return { stream, connection, closes, runs };
  }

  /** What was written, each frame's JSON. */
  const parsed = (socket: Socket) =>
    socket.frames.map((f) => JSON.parse(f.slice('d:'.length, -1)) as Record<string, unknown>);
  const ns = (socket: Socket) => parsed(socket).flatMap((f) => (typeof f.n === 'number' ? [f.n] : []));

  /** Lets the peer read until a few turns go by with nothing more written. */
  async function readAll(socket: Socket) {
    for (let quiet = 0, seen = -1; quiet < 5;) {
      quiet = seen === socket.frames.length ? quiet + 1 : 0;
      seen = socket.frames.length;
      socket.drain();
      await settle();
    }
  }

  it('DROP_OLDEST keeps the connection, writes the newest within its share, and reports the rest in its next result', async () => {
    // 200 bytes: the socket takes 50 before frames wait in the lane, which holds 150.
    const s = setup({ maxQueuedBytes: 200 });
    const socket = new Socket(false);
    const { closes, stream } = await subscribeDropping(s, socket, 'DROP_OLDEST');
    expect(grouped(stream)).toBe(stream);
    const ids = await s.say(...Array.from({ length: 40 }, () => ['r']));
    expect(closes).toEqual([]);
    // Five frames of 10 bytes written; thirteen of 11 bytes (28 to 40) held; 6 to 27 dropped.
    expect(ns(socket)).toEqual([1, 2, 3, 4, 5]);
    expect(s.drops).toEqual(Array.from({ length: 22 }, () => 'DROP_OLDEST overflow 1'));
    const stats = await s.hub.stats();
    expect(stats.eventsDropped).toBe(22);
    expect(stats.connectionQueues).toEqual([
      expect.objectContaining({ subscriptions: 1, heldFrames: 13, queuedBytes: 50 + 13 * 11 }),
    ]);
    await readAll(socket);
    expect(ns(socket)).toEqual([1, 2, 3, 4, 5, ...Array.from({ length: 13 }, (_, i) => 28 + i)]);
    expect(parsed(socket)[5]).toEqual({
      n: 28,
      extensions: { dropped: { count: 22, fromId: ids[5], toId: ids[26] } },
    });
    expect(parsed(socket).filter((f) => f.extensions)).toHaveLength(1);
    expect((await s.hub.stats()).messagesDelivered).toBe(18);
  });

  it('COALESCE keeps only the newest state of each entity while behind, and every other event', async () => {
    const s = setup({ maxQueuedBytes: 200 });
    const socket = new Socket(false);
    await subscribeDropping(s, socket, 'COALESCE');
    // Four fill the socket's share (the first of them numbered by `say`); then states and others.
    const types = ['CUSTOM', 'CUSTOM', 'CUSTOM'];
    for (let i = 0; i < 4; i++) types.push('METRICS_UPDATED', 'HEALTH_CHANGED', 'CUSTOM');
    const ids = await sayTypes(s, types);
    expect(ns(socket)).toEqual([1, 1000, 1001, 1002, 1003]);
    await readAll(socket);
    // The last METRICS_UPDATED (1012) and HEALTH_CHANGED (1013), the others as they were.
    expect(ns(socket)).toEqual([1, 1000, 1001, 1002, 1003, 1005, 1008, 1011, 1012, 1013, 1014]);
    expect(s.drops).toEqual(Array.from({ length: 5 }, () => 'COALESCE coalesced 1'));
    const reported = parsed(socket).filter((f) => f.extensions);
    expect(reported).toEqual([
      { n: 1005, extensions: { dropped: { count: 5, fromId: ids[5], toId: ids[11] } } },
    ]);
    expect((await s.hub.stats()).eventsDropped).toBe(5);
  });

  it('frames a positioned stream’s gap on its own, from one execution per group and policy', async () => {
    const s = setup({ maxQueuedBytes: 200 });
    const sockets = [new Socket(false), new Socket(false)];
    const subs = [];
    for (const socket of sockets) subs.push(await subscribeDropping(s, socket, 'DROP_OLDEST', {}, true));
    const ids = await s.say(...Array.from({ length: 40 }, () => ['r']));
    for (const socket of sockets) await readAll(socket);
    for (const socket of sockets) {
      const frames = parsed(socket);
      expect(frames[0]).toEqual({ at: null, live: true });
      // Three frames of 10 bytes after the position's 27 fill the socket's 50; thirteen of 11 bytes
      // (28 to 40) fill the lane's 150; 4 to 27 are dropped.
      expect(frames.slice(1)).toEqual([
        { n: 1 },
        { n: 2 },
        { n: 3 },
        { dropped: 24, from: ids[3], to: ids[26] },
        ...Array.from({ length: 13 }, (_, i) => ({ n: 28 + i })),
      ]);
    }
    expect(subs.map((sub) => sub.runs.drops)).toEqual([1, 0]);
    expect(subs.flatMap((sub) => sub.closes)).toEqual([]);
  });

  it('holds live events within its share while a `since` replay waits for its reader, and reports what it dropped before the rest', async () => {
    // 4 000 bytes: the lane's share of the queue, 3 000, holds a dozen buffered events of the log.
    const s = setup({ maxQueuedBytes: 4000 });
    const [since] = await s.say(['r'], ['r'], ['r']);
    const socket = new Socket(false);
    const { closes } = await subscribeDropping(s, socket, 'DROP_OLDEST', { since: since! });
    await settle();
    // The replay wrote its first event and waits for the socket.
    expect(ns(socket)).toEqual([2]);
    const live = await s.say(...Array.from({ length: 40 }, () => ['r']));
    expect(closes).toEqual([]);
    const dropped = s.drops.length;
    expect(dropped).toBeGreaterThan(0);
    expect(s.drops.every((d) => d === 'DROP_OLDEST overflow 1')).toBe(true);
    await readAll(socket);
    // The replay's own event, then the gap in the first kept live event's result, then the rest.
    expect(ns(socket)).toEqual([2, 3, ...Array.from({ length: 40 - dropped }, (_, i) => 4 + dropped + i)]);
    const frames = parsed(socket);
    expect(frames[2]).toEqual({
      n: 4 + dropped,
      extensions: { dropped: { count: dropped, fromId: live[0], toId: live[dropped - 1] } },
    });
    expect(frames.filter((f) => f.extensions)).toHaveLength(1);
    expect((await s.hub.stats()).eventsDropped).toBe(dropped);
    expect(s.hub.replaysInFlight).toBe(0);
  });
});

describe('a subscription that drops, during a `since` replay', () => {
  const encodeN = (root: StoredEvent) => {
    const item = root as unknown as { kind?: string };
    if (item.kind) throw new Error(`no ${item.kind} here`);
    const n = (root.payload as unknown as { data: { n: number } }).data.n;
    return Buffer.from(root.type === 'CUSTOM' ? `{"n":${n}}` : `{"n":${n},"t":"${root.type}"}`);
  };
  const grouping: Grouping = (access) => ({ key: `n|${access.key}`, encoder: () => encodeN });

  async function subscribeSince(
    s: ReturnType<typeof setup>,
    socket: Socket,
    since: string,
    overflow: 'DROP_OLDEST' | 'COALESCE',
  ) {
    const closes: number[] = [];
    const connection = connectTo(s.hub, WS, (code) => closes.push(code), socket);
    await s.hub.open({
      rooms: ['r'],
      types: null,
      since,
      access: READ_ALL,
      connection,
      overflow,
      delivery: { framing: { prefix: Buffer.from('d:'), suffix: Buffer.from(';') }, grouping },
    });
    return closes;
  }

  const parsed = (socket: Socket) =>
    socket.frames.map((f) => JSON.parse(f.slice('d:'.length, -1)) as { n: number; extensions?: unknown });

  /** Commits events of the given types in room `r`, numbered from `from`. */
  async function commitTypes(s: ReturnType<typeof setup>, from: number, types: string[]) {
    return (
      await s.engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: types.map((type, i) => ({
          type,
          rooms: ['r'],
          payload: { kind: 'custom', data: { n: from + i } },
        })) as unknown as EventDraft[],
        timestamp: new Date().toISOString(),
        source: 'connections-test',
      })
    ).map((e) => e.id);
  }

  async function readUntil(socket: Socket, done: () => boolean) {
    for (let i = 0; i < 1000 && !done(); i++) {
      socket.drain();
      await settle();
    }
  }

  it('loses nothing when what it drops from its buffer was read by the replay already', async () => {
    // 4 000 bytes: 3 000 for the live events buffered, about fifteen events of the log.
    const s = setup({ maxQueuedBytes: 4000 });
    const ids = await s.say(...Array.from({ length: 150 }, () => ['r']));
    const socket = new Socket(false);
    const closes = await subscribeSince(s, socket, ids[0]!, 'DROP_OLDEST');
    await s.say(...Array.from({ length: 10 }, () => ['r']));
    // The replay's second page (the rest of the log, these ten included) is read once its first
    // page has been written.
    await readUntil(socket, () => socket.frames.length >= 101);
    await s.say(...Array.from({ length: 10 }, () => ['r']));
    await readUntil(socket, () => socket.frames.length >= 169);
    for (let i = 0; i < 5; i++) {
      socket.drain();
      await settle();
    }
    expect(parsed(socket)).toEqual(Array.from({ length: 169 }, (_, i) => ({ n: i + 2 })));
    expect(s.drops).toEqual([]);
    expect(closes).toEqual([]);
  });

  it('stops the replay before the first live event it dropped that the replay had not read yet', async () => {
    const s = setup({ maxQueuedBytes: 4000 });
    const ids = await s.say(...Array.from({ length: 150 }, () => ['r']));
    const socket = new Socket(false);
    const closes = await subscribeSince(s, socket, ids[0]!, 'DROP_OLDEST');
    // The replay has read its first page (up to the 101st event) and waits for the socket.
    const live = await s.say(...Array.from({ length: 40 }, () => ['r']));
    const dropped = s.drops.length;
    expect(dropped).toBeGreaterThan(1);
    await readUntil(socket, () => socket.frames.length >= 149 + 40 - dropped);
    for (let i = 0; i < 5; i++) {
      socket.drain();
      await settle();
    }
    expect(parsed(socket)).toEqual([
      ...Array.from({ length: 149 }, (_, i) => ({ n: i + 2 })),
      {
        n: 151 + dropped,
        extensions: { dropped: { count: dropped, fromId: live[0], toId: live[dropped - 1] } },
      },
      ...Array.from({ length: 39 - dropped }, (_, i) => ({ n: 152 + dropped + i })),
    ]);
    expect(closes).toEqual([]);
  });

  it('COALESCE past its share during a replay reports exactly the events it did not send, each once', async () => {
    const s = setup({ maxQueuedBytes: 4000 });
    const [since] = await s.say(['r'], ['r'], ['r']);
    const socket = new Socket(false);
    await subscribeSince(s, socket, since!, 'COALESCE');
    await settle();
    const first = await commitTypes(s, 100, [
      ...Array<string>(5).fill('METRICS_UPDATED'),
      ...Array<string>(20).fill('CUSTOM'),
    ]);
    // The newest state was dropped past the share: a newer one of the same entity replaces nothing.
    const second = await commitTypes(s, 200, ['METRICS_UPDATED', 'CUSTOM', 'CUSTOM']);
    await readUntil(socket, () => false);
    const frames = parsed(socket);
    const live = [...first, ...second];
    const ns = [...Array.from({ length: 25 }, (_, i) => 100 + i), 200, 201, 202];
    const sent = new Set(frames.map((f) => f.n));
    const missing = ns.flatMap((n, i) => (sent.has(n) ? [] : [live[i]]));
    const reports = frames.filter((f) => f.extensions);
    expect(reports).toEqual([
      expect.objectContaining({
        extensions: { dropped: { count: missing.length, fromId: missing[0], toId: missing.at(-1) } },
      }),
    ]);
    expect(s.drops).toHaveLength(missing.length);
    expect(s.drops.filter((d) => d === 'COALESCE coalesced 1')).toHaveLength(4);
    expect(sent.has(200)).toBe(true);
    expect(frames.map((f) => f.n)).toEqual([...frames.map((f) => f.n)].sort((a, b) => a - b));
  });

  it('COALESCE keeps the newest state of each entity among the live events buffered, and reports the older ones', async () => {
    const s = setup({ maxQueuedBytes: 1 << 20 });
    const [since] = await s.say(['r'], ['r'], ['r']);
    const socket = new Socket(false);
    await subscribeSince(s, socket, since!, 'COALESCE');
    await settle();
    expect(parsed(socket)).toEqual([{ n: 2 }]);
    const live = await commitTypes(s, 100, [
      'METRICS_UPDATED',
      'CUSTOM',
      'METRICS_UPDATED',
      'HEALTH_CHANGED',
      'METRICS_UPDATED',
      'HEALTH_CHANGED',
    ]);
    expect(s.drops).toEqual(Array.from({ length: 3 }, () => 'COALESCE coalesced 1'));
    await readUntil(socket, () => socket.frames.length >= 5);
    for (let i = 0; i < 5; i++) {
      socket.drain();
      await settle();
    }
    expect(parsed(socket)).toEqual([
      { n: 2 },
      { n: 3 },
      { n: 101, extensions: { dropped: { count: 3, fromId: live[0], toId: live[3] } } },
      { n: 104, t: 'METRICS_UPDATED' },
      { n: 105, t: 'HEALTH_CHANGED' },
    ]);
  });
});

describe('the hub’s figures', () => {
  it('list each connection’s queue, the deepest first, and sum them', async () => {
    const s = setup();
    const [shallow, deep, reading] = [new Socket(false), new Socket(false), new Socket()];
    const connections = [shallow, deep, reading].map((socket) => connectTo(s.hub, WS, null, socket));
    await s.subscribe(connections[0]!, 's');
    await s.subscribe(connections[1]!, 'deeper');
    await s.subscribe(connections[2]!, 'r');
    await s.say(['r'], ['r']);
    const bytes = (name: string) => 2 * `${name}:1;`.length;
    expect(s.hub.queuedBytes()).toEqual({ total: bytes('s') + bytes('deeper'), largest: bytes('deeper') });
    expect((await s.hub.stats()).connectionQueues).toEqual([
      {
        id: connections[1]!.id,
        transport: 'ws',
        subscriptions: 1,
        queuedBytes: bytes('deeper'),
        heldFrames: 0,
      },
      { id: connections[0]!.id, transport: 'ws', subscriptions: 1, queuedBytes: bytes('s'), heldFrames: 0 },
      { id: connections[2]!.id, transport: 'ws', subscriptions: 1, queuedBytes: 0, heldFrames: 0 },
    ]);
    deep.drain();
    shallow.drain();
    expect(s.hub.queuedBytes()).toEqual({ total: 0, largest: 0 });
  });

  it('sum every instance’s report, one from an older instance without the newer figures included', async () => {
    const s = setup();
    await s.open(null, { rooms: ['b'] });
    // An instance of an older version reports no `eventsDropped`.
    const { eventsDropped: _, ...older } = { ...s.hub.snapshot(), rooms: { b: 2, a: 1 } };
    await s.engine.presence.report('older', older as RealtimeSnapshot, 60_000);
    const stats = await s.hub.stats();
    expect(stats).toMatchObject({ activeSubscriptions: 2, eventsDropped: 0 });
    expect(stats.rooms).toEqual([
      { room: 'a', subscribers: 1 },
      { room: 'b', subscribers: 3 },
    ]);
  });

  it('count the events this instance published', async () => {
    const s = setup();
    s.hub.countPublished(3);
    s.hub.countPublished(2);
    expect((await s.hub.stats()).eventsPublished).toBe(5);
    expect(s.hub.snapshot().eventsPublished).toBe(5);
  });
});

describe('an instance’s report to the cluster', () => {
  function hubsOn(clock: ManualClock, intervals: (number | undefined)[]) {
    const engine = createMemoryEngine({ retention: 1000, clock });
    const hubs = intervals.map(
      (reportIntervalMs, i) =>
        new RealtimeHub({
          engine,
          instanceId: `reporting-${i}`,
          maxQueuedBytesPerConnection: 1 << 20,
          logger,
          ...(reportIntervalMs === undefined ? {} : { reportIntervalMs }),
        }),
    );
    cleanup.push(() => engine.close(), ...hubs.map((hub) => () => hub.close()));
    const open = (hub: RealtimeHub) =>
      hub.open({ rooms: ['r'], types: null, since: null, access: READ_ALL, connection: null });
    return { engine, hubs, open };
  }

  it('lives for three of its intervals (by default, of two seconds)', async () => {
    const clock = new ManualClock();
    const { hubs, open } = hubsOn(clock, [1000, undefined, 60_000]);
    const [short, usual, reader] = hubs as [RealtimeHub, RealtimeHub, RealtimeHub];
    await open(short);
    await open(usual);
    await open(usual);
    await short.stats();
    await usual.stats();
    expect((await reader.stats()).activeSubscriptions).toBe(3);
    clock.advance(2999);
    expect((await reader.stats()).activeSubscriptions).toBe(3);
    clock.advance(1);
    expect((await reader.stats()).activeSubscriptions).toBe(2);
    clock.advance(2999);
    expect((await reader.stats()).activeSubscriptions).toBe(2);
    clock.advance(1);
    expect((await reader.stats()).activeSubscriptions).toBe(0);
  });

  it('is sent every interval without anyone asking, until the hub closes', async () => {
    const clock = new ManualClock();
    const { engine, hubs, open } = hubsOn(clock, [5, 60_000]);
    const [reporting] = hubs as [RealtimeHub];
    await open(reporting);
    const reported = async () => (await engine.presence.all()).reduce((n, s) => n + s.activeSubscriptions, 0);
    for (let i = 0; i < 200 && (await reported()) === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await reported()).toBe(1);
    reporting.close();
    // Its last report expires, and no other follows it.
    clock.advance(15);
    await new Promise((r) => setTimeout(r, 30));
    expect(await engine.presence.all()).toEqual([]);
  });
});

describe('a refused `since`', () => {
  it('gives its replay slot back and leaves no subscription', async () => {
    const s = setup({ maxReplays: 1 });
    const [since] = await s.say(['r'], ['r']);
    const ws = connectTo(s.hub, WS, null, new Socket());
    for (let i = 0; i < 2; i++) {
      const refused = await errorOf(s.subscribe(ws, 'bad', { since: 'not-a-cursor' }));
      expect(refused.code).toBe('BAD_USER_INPUT');
    }
    expect(s.hub.replaysInFlight).toBe(0);
    expect((await s.hub.stats()).activeSubscriptions).toBe(0);
    await s.subscribe(ws, 'good', { since: since! });
    expect(s.replays).toEqual(['started', 'started', 'started']);
  });
});

describe('live events dropped before a `since` replay has read anything', () => {
  it('stop the replay before the first of them, which is reported with the rest, and nothing is sent twice', async () => {
    const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
    // The replay's first read waits for the test: live events arrive, and are dropped, before it.
    let beforeRead: (() => Promise<void>) | null = null;
    const log = {
      ...engine.log,
      readAfter: async (cursor: string, limit: number) => {
        const hook = beforeRead;
        beforeRead = null;
        await hook?.();
        return engine.log.readAfter(cursor, limit);
      },
    };
    const hub = new RealtimeHub({
      engine: { ...engine, log },
      instanceId: 'dropped-early',
      maxQueuedBytesPerConnection: 4000,
      logger,
    });
    cleanup.push(
      () => engine.close(),
      () => hub.close(),
    );
    let n = 0;
    const commit = async (count: number) =>
      (
        await engine.store.commit({
          expect: [],
          put: [],
          del: [],
          events: Array.from({ length: count }, () => ({
            type: 'CUSTOM' as const,
            rooms: ['r'],
            payload: { kind: 'custom' as const, data: { n: ++n } },
          })),
          timestamp: new Date().toISOString(),
          source: 'connections-test',
        })
      ).map((e) => e.id);
    const [since] = await commit(3);
    let live: string[] = [];
    beforeRead = async () => {
      live = await commit(40);
    };
    const socket = new Socket();
    const connection = connectTo(hub, WS, null, socket);
    const encode = (event: StoredEvent) =>
      Buffer.from(`{"n":${(event.payload as unknown as { data: { n: number } }).data.n}}`);
    await hub.open({
      rooms: ['r'],
      types: null,
      since: since!,
      access: READ_ALL,
      connection,
      overflow: 'DROP_OLDEST',
      delivery: {
        framing: { prefix: Buffer.from(''), suffix: Buffer.from('') },
        grouping: () => ({ key: 'early', encoder: () => encode }),
      },
    });
    for (let i = 0; i < 20; i++) await settle();
    const frames = socket.frames.map((f) => JSON.parse(f) as { n: number; extensions?: unknown });
    const dropped = (await hub.stats()).eventsDropped;
    expect(dropped).toBeGreaterThan(0);
    expect(frames).toEqual([
      { n: 2 },
      { n: 3 },
      {
        n: 4 + dropped,
        extensions: { dropped: { count: dropped, fromId: live[0], toId: live[dropped - 1] } },
      },
      ...Array.from({ length: 39 - dropped }, (_, i) => ({ n: 5 + dropped + i })),
    ]);
  });
});

describe('an operation’s delivery on its connection', () => {
  it('names the subscription it delivers while that runs, and none once it ended', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null, new Socket());
    const framing = { prefix: Buffer.from('o:'), suffix: Buffer.from(';') };
    const delivery = {
      framing,
      grouping: (access: ReadAccess) => ({ key: access.key, encoder: () => () => Buffer.from('x') }),
    };
    const other = { framing, grouping: delivery.grouping };
    const stream = await s.hub.open({
      rooms: ['r'],
      types: null,
      since: null,
      access: READ_ALL,
      connection: ws,
      delivery,
    });
    expect(ws.deliveredFor(delivery)).toBe(stream);
    expect(ws.deliveredFor(other)).toBeNull();
    await stream.return!();
    expect(ws.deliveredFor(delivery)).toBeNull();
  });

  it('gives up its lane when its subscription ends, what the lane held with it', async () => {
    const s = setup({ maxQueuedBytes: 200 });
    const socket = new Socket(false);
    const ws = connectTo(s.hub, WS, null, socket);
    const { stream } = await s.subscribe(ws, 'lane', { overflow: 'DROP_OLDEST' });
    await s.say(...Array.from({ length: 30 }, () => ['r']));
    const [queue] = (await s.hub.stats()).connectionQueues!;
    expect(queue!.heldFrames).toBeGreaterThan(0);
    await stream.return!();
    expect((await s.hub.stats()).connectionQueues).toEqual([
      expect.objectContaining({ subscriptions: 0, heldFrames: 0, queuedBytes: socket.bufferedBytes() }),
    ]);
    // Nothing it held is written once the socket drains.
    const written = socket.frames.length;
    socket.drain();
    await settle();
    expect(socket.frames).toHaveLength(written);
  });
});

describe('replay slots', () => {
  it('are held by a `since` replay only, not by an eventStream opened without one', async () => {
    const s = setup({ maxReplays: 1 });
    const [since] = await s.say(['r'], ['r'], ['r']);
    const socket = new Socket(false);
    const ws = connectTo(s.hub, WS, null, socket);
    await s.subscribe(ws, 'replaying', { since: since! });
    expect(s.hub.replaysInFlight).toBe(1);
    const positioned = await s.hub.openPositioned(
      { rooms: ['r'], types: null, since: null, access: READ_ALL, connection: ws },
      0,
    );
    expect((await positioned.next()).value).toMatchObject({ kind: 'position', live: true });
    expect(s.replays).toEqual(['started']);
    expect(s.hub.replaysInFlight).toBe(1);
  });
});

describe('renewed rights during a `since` replay', () => {
  it('move the subscription to the group of its new rights, which it joins only once its replay is over', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r'], ['x'], ['r']);
    const socket = new Socket(false);
    const ws = connectTo(s.hub, WS, null, socket);
    // Another subscriber already in the group of the new rights.
    const other = new Socket();
    await s.subscribe(connectTo(s.hub, WS, null, other), 'o', { rooms: null, access: onlyRoom('r') });
    await s.subscribe(ws, 'all', { rooms: null, since: since! });
    await settle();
    expect(socket.frames).toEqual(['all:2;']);
    ws.reauthorize(onlyRoom('r'));
    await s.say(['r'], ['x']);
    for (let i = 0; i < 20; i++) {
      socket.drain();
      await settle();
    }
    // The rest of the replay is read under the new rights (3, in room x, is left out); live events
    // follow it once, in order.
    expect(socket.frames).toEqual(['all:2;', 'all:4;', 'all:5;']);
    expect(other.frames).toEqual(['o:5;']);
    await s.say(['r'], ['x']);
    expect(socket.frames.slice(3)).toEqual(['all:7;']);
    // One encoder per group: the first rights, and the new ones shared with the other subscriber.
    expect(s.encoders.made).toBe(2);
  });
});

describe('a stream its caller iterates on a connection', () => {
  it('counts the bytes of what waits in it, and gives them back as they are read or as it ends', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null);
    const stream = await s.open(ws);
    const queued = () => s.hub.queuedBytes().total;
    await s.say(['r'], ['r'], ['r']);
    const sizes: number[] = [];
    const first = (await stream.next()).value as StoredEvent;
    sizes.push(Buffer.byteLength(JSON.stringify(first)));
    // The other two wait: their bytes are the connection's.
    const waiting = queued();
    expect(waiting).toBeGreaterThan(0);
    const second = (await stream.next()).value as StoredEvent;
    expect(queued()).toBe(waiting - Buffer.byteLength(JSON.stringify(second)));
    await stream.return!();
    expect(queued()).toBe(0);
    // A stream that ends gives back what it held once: the figure does not go below nothing.
    await stream.return!();
    expect(queued()).toBe(0);
  });

  it('counts the live events it buffers during a `since` replay, and gives back those the replay sent', async () => {
    const s = setup();
    // More than one page of replay: its second page, read as the caller gets there, holds the live
    // events buffered meanwhile, and the replay sends them.
    const [since] = await s.say(...Array.from({ length: 101 }, () => ['r']));
    const ws = connectTo(s.hub, WS, null);
    const stream = await s.open(ws, { since: since! });
    await s.say(['r'], ['r']);
    expect(queued(s)).toBeGreaterThan(0);
    const ns: number[] = [];
    for (let i = 0; i < 102; i++) {
      const event = (await stream.next()).value as StoredEvent;
      ns.push((event.payload as unknown as { data: { n: number } }).data.n);
    }
    expect(ns).toEqual(Array.from({ length: 102 }, (_, i) => i + 2));
    // Asking for the next item ends the replay: what it buffered and sent itself is given back.
    const next = stream.next();
    await settle();
    expect(queued(s)).toBe(0);
    await stream.return!();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});

const queued = (s: ReturnType<typeof setup>) => s.hub.queuedBytes().total;

describe('a connection', () => {
  it('moves a stream its caller iterates to its new rights', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null);
    const stream = await s.open(ws, { rooms: null, access: onlyRoom('a') });
    ws.reauthorize(onlyRoom('b'));
    const [, b] = await s.say(['a'], ['b']);
    expect(((await stream.next()).value as StoredEvent).id).toBe(b);
  });

  it('counts what a stream its caller iterates on it hands out as delivered', async () => {
    const s = setup();
    const stream = await s.open(connectTo(s.hub, WS, null));
    await s.say(['r']);
    await stream.next();
    expect(s.hub.snapshot().messagesDelivered).toBe(1);
  });

  it('without a socket, lists an empty queue', async () => {
    const s = setup();
    const ws = connectTo(s.hub, WS, null);
    await s.open(ws);
    expect((await s.hub.stats()).connectionQueues).toEqual([
      { id: ws.id, transport: 'ws', subscriptions: 1, queuedBytes: 0, heldFrames: 0 },
    ]);
  });

  it('writes a `since` replay past its bound, which counts only live frames', async () => {
    // A bound smaller than one frame: every replayed frame is past it, and none closes the socket.
    const s = setup({ maxQueuedBytes: 3 });
    const [since] = await s.say(['r'], ['r'], ['r'], ['r']);
    const socket = new Socket(false);
    const closes: number[] = [];
    const ws = connectTo(s.hub, WS, (code) => closes.push(code), socket);
    await s.subscribe(ws, 's', { since: since! });
    for (let i = 0; i < 10 && s.hub.replaysInFlight > 0; i++) {
      socket.drain();
      await settle();
    }
    expect(socket.frames).toEqual(['s:2;', 's:3;', 's:4;']);
    expect(closes).toEqual([]);
    // A live frame past the bound is another matter.
    await s.say(['r']);
    expect(closes).toEqual([SLOW_CONSUMER.code]);
  });

  it('released while a subscription on it was being opened delivers nothing of it', async () => {
    const s = setup();
    const socket = new Socket();
    const ws = connectTo(s.hub, WS, null, socket);
    const opening = s.subscribe(ws, 'late');
    ws.release();
    const { stream } = await opening;
    await s.say(['r']);
    expect(socket.frames).toEqual([]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(s.hub.snapshot()).toMatchObject({ activeSubscriptions: 0, rooms: {} });
  });

  it('is closed once the streams it iterates hold more than its bound, not when they hold it exactly', async () => {
    // The bound: one event's JSON exactly (the events of these tests differ only in their ids).
    const probe = setup();
    const sized = await probe.open(null);
    await probe.say(['r']);
    const bound = Buffer.byteLength(JSON.stringify((await sized.next()).value));
    const s = setup({ maxQueuedBytes: bound });
    const closes: number[] = [];
    await s.open(connectTo(s.hub, WS, (code) => closes.push(code)));
    await s.say(['r']);
    expect(queued(s)).toBe(bound);
    expect(closes).toEqual([]);
    await s.say(['r']);
    expect(closes).toEqual([SLOW_CONSUMER.code]);
  });

  it('goes on with a `since` replay in a later turn once this one’s time for fan-outs is spent', async () => {
    const s = setup();
    const [since] = await s.say(['r'], ['r'], ['r'], ['r']);
    // A socket whose every write takes 5 ms: one frame spends the turn's slice (FAN_OUT_SLICE_MS).
    class BusySocket extends Socket {
      override write(frame: Buffer): void {
        const until = performance.now() + 5;
        while (performance.now() < until);
        super.write(frame);
      }
    }
    const socket = new BusySocket();
    await s.subscribe(connectTo(s.hub, WS, null, socket), 's', { since: since! });
    for (let i = 0; i < 20 && s.hub.replaysInFlight > 0; i++) await settle();
    expect(socket.frames).toEqual(['s:2;', 's:3;', 's:4;']);
  });

  it('closed as slow is logged with what it held, also when nobody counts slow consumers', async () => {
    const engine = createMemoryEngine({ retention: 100, clock: systemClock });
    const warnings: [object, string][] = [];
    const hub = new RealtimeHub({
      engine,
      instanceId: 'slow-log-test',
      maxQueuedBytesPerConnection: 4,
      logger: { warn: (obj, msg) => warnings.push([obj, msg]), error: () => undefined },
    });
    cleanup.push(
      () => engine.close(),
      () => hub.close(),
    );
    const closes: number[] = [];
    const ws = connectTo(hub, WS, (code) => closes.push(code), new Socket(false));
    const framing = { prefix: Buffer.from('slow:'), suffix: Buffer.from(';') };
    const grouping: Grouping = (access) => ({
      key: `slow|${access.key}`,
      encoder: () => (event: StoredEvent) => Buffer.from(event.id),
    });
    await hub.open({
      rooms: ['r'],
      types: null,
      since: null,
      access: READ_ALL,
      connection: ws,
      delivery: { framing, grouping },
    });
    const [event] = await engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: [{ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: null } }],
      timestamp: new Date().toISOString(),
      source: 'slow-log-test',
    });
    expect(closes).toEqual([SLOW_CONSUMER.code]);
    expect(warnings).toEqual([
      [
        { connection: ws.id, transport: 'ws', queuedBytes: `slow:${event!.id};`.length },
        'closing a slow consumer',
      ],
    ]);
  });
});
