/**
 * The realtime hub on a real engine (memory; the `redis` project runs it again on redis-server), with
 * events committed through the engine's store. Two thin wrappers delegate to the real engine: one
 * records the bus watches the hub holds, the other commits events at the exact moments a `since`
 * replay reads the log, so the seam is exercised on every run instead of by chance.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { READ_ALL } from '../../src/domain/access/read-access.js';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type Engine, type EventBus, type EventLog } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import { RealtimeHub, SLOW_CONSUMER } from '../../src/realtime/realtime-hub.js';
import { errorOf } from '../domain/fleet.js';

const logger = pino({ level: 'silent' });
/** The two kinds of connection, as the WebSocket and SSE transports declare them. */
const WS = { transport: 'ws' } as const;

/** A connection as a transport opens one, without a sink: its streams are iterated. */
function connectTo(
  hub: RealtimeHub,
  kind: { transport: string },
  close: ((code: number, reason: string) => void) | null,
) {
  return hub.connect({ ...kind, sink: null, close: close ?? (() => undefined) });
}
let engines = 0;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

type LogHook = (moment: 'before' | 'after') => Promise<void>;

interface Harness {
  engine: Engine;
  hub: RealtimeHub;
  /** Net bus watches per room, as the hub asked for them. */
  watching: Map<string, number>;
  /** Runs around every page read of the log while set. */
  setLogHook(hook: LogHook | null): void;
  say(rooms: string[], ...ns: number[]): Promise<StoredEvent[]>;
}

async function harness(options: { maxQueuedBytes?: number; onSlow?: () => void } = {}): Promise<Harness> {
  const redisUrl = inject('redisUrl');
  const real = redisUrl
    ? await createRedisEngine({
        url: redisUrl,
        keyPrefix: `hub${process.pid}-${++engines}`,
        commandTimeoutMs: 2000,
        retention: 5000,
        clock: systemClock,
        instanceId: 'hub-test',
        logger,
      })
    : createMemoryEngine({ retention: 5000, clock: systemClock });
  const watching = new Map<string, number>();
  const bump = (room: string, by: number) => {
    const n = (watching.get(room) ?? 0) + by;
    if (n === 0) watching.delete(room);
    else watching.set(room, n);
  };
  const bus: EventBus = {
    setSink: (sink) => real.bus.setSink(sink),
    watch: async (room) => {
      await real.bus.watch(room);
      bump(room, 1);
    },
    unwatch: (room) => {
      bump(room, -1);
      return real.bus.unwatch(room);
    },
  };
  let hook: LogHook | null = null;
  const log: EventLog = {
    readAfter: async (cursor, limit) => {
      await hook?.('before');
      const page = await real.log.readAfter(cursor, limit);
      await hook?.('after');
      return page;
    },
    lastId: () => real.log.lastId(),
    readRange: (range) => real.log.readRange(range),
  };
  const engine: Engine = { ...real, bus, log };
  const hub = new RealtimeHub({
    engine,
    instanceId: 'hub-test',
    maxQueuedBytesPerConnection: options.maxQueuedBytes ?? 1024 * 1024,
    logger,
    onSlowConsumer: options.onSlow,
  });
  cleanup.push(
    () => real.close(),
    () => hub.close(),
  );
  return {
    engine,
    hub,
    watching,
    setLogHook: (h) => (hook = h),
    say: (rooms, ...ns) =>
      engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: ns.map((n) => ({ type: 'CUSTOM', rooms, payload: { kind: 'custom', data: { n } } })),
        timestamp: new Date().toISOString(),
        source: 'hub-test',
      }),
  };
}

/** The `n` a test event carries. */
function numberOf(event: StoredEvent): number {
  if (event.payload.kind !== 'custom') throw new Error(`not a test event: ${event.type}`);
  return (event.payload.data as { n: number }).n;
}

/** Reads the stream until an event satisfies `last`, returning everything read. */
async function readUntil(
  stream: AsyncIterator<StoredEvent>,
  last: (event: StoredEvent) => boolean,
): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  for (;;) {
    const { value, done } = await stream.next();
    if (done) throw new Error(`stream ended after ${got.length} events`);
    got.push(value);
    if (last(value)) return got;
  }
}

describe('the realtime hub', () => {
  it('replays since across pages while events land on both sides of every read: no gap, no repeat', async () => {
    const h = await harness();
    const [cursor] = await h.say(['seam'], 0);
    // 1200 retained events: the replay reads twelve full pages of 100, then a short one.
    for (let i = 0; i < 12; i++) {
      await h.say(['seam'], ...Array.from({ length: 100 }, (_, j) => 1 + i * 100 + j));
    }
    let extra = 10_000;
    let reads = 0;
    let hooked = true;
    h.setLogHook(async (moment) => {
      if (!hooked) return;
      if (moment === 'before') reads++;
      // Before a read: the event is in the log and also on the bus (live, buffered). After a read:
      // it is live only, or in the next page too. Noise in another room must never show up.
      await h.say(['seam'], extra++);
      await h.say(['noise'], -1);
    });
    const stream = await h.hub.open({
      rooms: ['seam'],
      types: ['CUSTOM'],
      since: cursor!.id,
      connection: null,
      access: READ_ALL,
    });
    // Pages are read as the stream is consumed, not up front.
    expect(reads).toBe(1);
    const got = await readUntil(stream, (e) => numberOf(e) === 1200);
    // Every read so far committed events on both sides of it; the replay goes on past them, and
    // its last read (which finds nothing newer) is also surrounded by commits.
    const replayReads = reads;
    expect(replayReads).toBeGreaterThanOrEqual(12);
    got.push(...(await readUntil(stream, (e) => numberOf(e) === 10_000 + 2 * reads - 1)));
    hooked = false;
    expect(reads).toBeGreaterThan(replayReads);
    const [end] = await h.say(['seam'], 99_999);
    got.push(...(await readUntil(stream, (e) => e.id === end!.id)));

    // Exactly the room's log after the cursor, in log order.
    const expected = (await h.engine.log.readAfter(cursor!.id, 10_000)).filter((e) =>
      e.rooms.includes('seam'),
    );
    expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
    // The 1200 retained ones, each event committed around a read, then the live one.
    expect(got.map(numberOf).sort((a, b) => a - b)).toEqual([
      ...Array.from({ length: 1200 }, (_, i) => i + 1),
      ...Array.from({ length: 2 * reads }, (_, i) => 10_000 + i),
      99_999,
    ]);
    await stream.return?.();
  });

  it('holds one bus watch per room while any stream needs it, and releases it however the last one ends', async () => {
    const h = await harness();
    const ab = await h.hub.open({
      rooms: ['a', 'b'],
      types: null,
      since: null,
      connection: null,
      access: READ_ALL,
    });
    const b = await h.hub.open({
      rooms: ['b'],
      types: null,
      since: null,
      connection: null,
      access: READ_ALL,
    });
    const all = await h.hub.open({
      rooms: null,
      types: null,
      since: null,
      connection: null,
      access: READ_ALL,
    });
    // The hub counts the streams per room; the bus is asked once for each room.
    expect(Object.fromEntries(h.watching)).toEqual({ a: 1, b: 1, '*': 1 });

    // The client unsubscribes: the room stays watched for the other stream on it, which still receives.
    await b.return?.();
    expect(Object.fromEntries(h.watching)).toEqual({ a: 1, b: 1, '*': 1 });
    const [sent] = await h.say(['b'], 1);
    expect((await ab.next()).value).toEqual(sent);
    expect((await all.next()).value).toEqual(sent);

    // Its connection closes.
    const connection = connectTo(h.hub, WS, null);
    const onConnection = await h.hub.open({
      rooms: ['c'],
      types: null,
      since: null,
      connection,
      access: READ_ALL,
    });
    expect(h.watching.get('c')).toBe(1);
    connection.release();
    expect(h.watching.has('c')).toBe(false);
    expect((await onConnection.next()).done).toBe(true);

    // Opening fails on the cursor after the live side was registered.
    const malformed = await errorOf(
      h.hub.open({ rooms: ['d'], types: null, since: 'soon', connection: null, access: READ_ALL }),
    );
    expect(malformed.code).toBe('BAD_USER_INPUT');
    const expired = await errorOf(
      h.hub.open({ rooms: ['d'], types: null, since: '1-0', connection: null, access: READ_ALL }),
    );
    expect(expired.code).toBe('CURSOR_EXPIRED');
    // A bad room name is refused before anything is watched.
    const badRoom = await errorOf(
      h.hub.open({
        rooms: ['e', 'not a room'],
        types: null,
        since: null,
        connection: null,
        access: READ_ALL,
      }),
    );
    expect(badRoom.code).toBe('BAD_USER_INPUT');
    expect(badRoom.message).toContain('"not a room"');
    expect(Object.fromEntries(h.watching)).toEqual({ a: 1, b: 1, '*': 1 });

    // The hub closes.
    h.hub.close();
    expect((await ab.next()).done).toBe(true);
    expect((await all.next()).done).toBe(true);
    expect(h.watching.size).toBe(0);
  });

  it('closes a connection whose queue passes the bound, once, and leaves a reading one alone', async () => {
    let slow = 0;
    const h = await harness({ maxQueuedBytes: 2048, onSlow: () => slow++ });
    const closes: { code: number; reason: string }[] = [];
    let closed!: () => void;
    const closedOnce = new Promise<void>((resolve) => (closed = resolve));
    const idle = connectTo(h.hub, WS, (code, reason) => {
      closes.push({ code, reason });
      closed();
    });
    const reader = connectTo(h.hub, WS, null);
    const never = await h.hub.open({
      rooms: ['flood'],
      types: null,
      since: null,
      connection: idle,
      access: READ_ALL,
    });
    const reads = await h.hub.open({
      rooms: ['flood'],
      types: null,
      since: null,
      connection: reader,
      access: READ_ALL,
    });
    const big = 'x'.repeat(900);
    // One event at a time, each read by `reads` before the next: only `never` falls behind.
    for (let i = 0; i < 6; i++) {
      const [event] = await h.engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: [{ type: 'CUSTOM', rooms: ['flood'], payload: { kind: 'custom', data: { i, big } } }],
        timestamp: new Date().toISOString(),
        source: 'hub-test',
      });
      expect((await reads.next()).value).toEqual(event);
    }
    await closedOnce;
    expect(closes).toEqual([{ code: SLOW_CONSUMER.code, reason: SLOW_CONSUMER.reason }]);
    expect(slow).toBe(1);
    // Its stream ends without handing over what was queued.
    expect((await never.next()).done).toBe(true);
    const figures = await h.hub.stats();
    expect(figures).toMatchObject({ activeConnections: 1, activeSubscriptions: 1 });
  });
});
