/**
 * When an idle `eventStream` beats: the hub's one heartbeat timer looks at every beating stream a
 * quarter of the shortest heartbeat apart, and lets go of its timer once the last of them ends. The
 * clock and the interval timers are faked, so that when a position arrives is exact; the log reads
 * a heartbeat makes still run on the memory engine and its real shared reads.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READ_ALL } from '../../src/domain/access/read-access.js';
import type { EventDraft } from '../../src/domain/events/event-types.js';
import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import type { EventStreamRequest } from '../../src/realtime/realtime-api.js';
import { RealtimeHub } from '../../src/realtime/realtime-hub.js';
import type { StreamItem } from '../../src/realtime/subscription.js';

const logger = pino({ level: 'silent' });
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  vi.useRealTimers();
});

/** The hub's figures report and the heartbeat timer are the only intervals here. */
const REPORT_TIMERS = 1;

function setup() {
  // Only the interval timers and the clock: the shared reads' setImmediate stays real.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
  const hub = new RealtimeHub({ engine, instanceId: 'beats', maxQueuedBytesPerConnection: 1 << 20, logger });
  cleanup.push(
    () => engine.close(),
    () => hub.close(),
  );
  const request: EventStreamRequest = {
    rooms: null,
    types: null,
    since: null,
    connection: null,
    access: READ_ALL,
  };
  const open = async (heartbeatMs: number) => {
    const stream = await hub.openPositioned(request, heartbeatMs);
    // Its first position, sent as it opens.
    await stream.next();
    return stream;
  };
  let n = 0;
  /** Commits one event, in room `r`. */
  const say = () =>
    engine.store.commit({
      expect: [],
      put: [],
      del: [],
      events: [{ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: { n: ++n } } } as EventDraft],
      timestamp: new Date().toISOString(),
      source: 'beats',
    });
  return { hub, open, say };
}

/** Lets the log reads a heartbeat makes (a setImmediate, then promises) finish. */
async function settleReads() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Moves the fake clock on a millisecond at a time until the stream yields, and says after how many
 * milliseconds it did (null: not within `withinMs`).
 */
async function msUntilNext(stream: AsyncIterator<StreamItem>, withinMs: number): Promise<number | null> {
  const from = Date.now();
  let arrived: number | null = null;
  void stream.next().then(() => (arrived = Date.now() - from));
  for (let ms = 0; ms < withinMs && arrived === null; ms++) {
    await vi.advanceTimersByTimeAsync(1);
    await settleReads();
  }
  return arrived;
}

describe('heartbeats', () => {
  it('look at a stream a quarter of its heartbeat apart, and send its position at the first look a heartbeat after it went idle', async () => {
    const s = setup();
    const stream = await s.open(20);
    // The timer started as the stream opened; the stream goes idle 3 ms later, off the timer's beat.
    await vi.advanceTimersByTimeAsync(3);
    await s.say();
    expect(await stream.next()).toMatchObject({ value: { type: 'CUSTOM' } });
    // Looks at 5, 10, 15, 20 and 25 ms: idle for a heartbeat (20 ms) at the one 22 ms later.
    expect(await msUntilNext(stream, 100)).toBe(22);
  });

  it('keep the timer they have for a stream of the same heartbeat, and its beat', async () => {
    const s = setup();
    const first = await s.open(20);
    await vi.advanceTimersByTimeAsync(3);
    await s.open(20);
    // Still looked at 5, 10, 15 and 20 ms after the first stream opened (a new timer would look at 23).
    expect(await msUntilNext(first, 100)).toBe(17);
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS + 1);
  });

  it('replace their timer by a faster one for a stream of a shorter heartbeat, keeping one timer', async () => {
    const s = setup();
    await s.open(60_000);
    const fast = await s.open(20);
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS + 1);
    expect(await msUntilNext(fast, 100)).toBe(20);
  });

  it('stop their timer once the last beating stream ends, and start it again for the next one', async () => {
    const s = setup();
    const one = await s.open(20);
    const two = await s.open(20);
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS + 1);
    await one.return!();
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS + 1);
    await two.return!();
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS);
    const three = await s.open(20);
    expect(vi.getTimerCount()).toBe(REPORT_TIMERS + 1);
    expect(await msUntilNext(three, 100)).toBe(20);
  });

  it('stop with the hub', async () => {
    const s = setup();
    await s.open(20);
    s.hub.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
