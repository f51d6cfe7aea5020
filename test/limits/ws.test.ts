/**
 * What one WebSocket may ask for: WS_MAX_SUBSCRIPTIONS operations open, subscribe messages at a
 * bounded rate (a refusal per message over it), and a close with 4429 for a client that floods on
 * regardless. Raw frames, so that every answer the server sends is counted.
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';
import { closed, healthWithinOneSecond, rawSocket } from './transports.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

interface Tally {
  errors: Map<string, number>;
  nexts: number;
  /** Resolves once `n` answers (errors) arrived. */
  errorsReach(n: number): Promise<void>;
}

function tally(socket: WebSocket): Tally {
  const errors = new Map<string, number>();
  let total = 0;
  let waiters: { n: number; resolve: () => void }[] = [];
  const result: Tally = {
    errors,
    nexts: 0,
    errorsReach: (n) =>
      new Promise((resolve) => {
        waiters.push({ n, resolve });
        waiters = waiters.filter((w) => (total >= w.n ? (w.resolve(), false) : true));
      }),
  };
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as {
      type: string;
      payload?: { extensions?: { reason?: string; code?: string } }[];
    };
    if (message.type === 'next') result.nexts++;
    if (message.type !== 'error') return;
    const reason = `${message.payload?.[0]?.extensions?.code}/${message.payload?.[0]?.extensions?.reason}`;
    errors.set(reason, (errors.get(reason) ?? 0) + 1);
    total++;
    waiters = waiters.filter((w) => (total >= w.n ? (w.resolve(), false) : true));
  });
  return result;
}

const subscribe = (socket: WebSocket, id: string, room = 'r') =>
  socket.send(
    JSON.stringify({
      id,
      type: 'subscribe',
      payload: { query: `subscription { events(rooms: ["${room}"]) { id } }` },
    }),
  );

const stats = async (app: TestApp) => (await app.ok(RealtimeStatsQuery)).realtimeStats;

/** The server still answers, and a well-behaved client still gets its events. */
async function stillServing(app: TestApp): Promise<void> {
  await healthWithinOneSecond(app.url);
  // Live once its first position arrives (a count of subscriptions would also count the abuser's).
  const sub = collect(
    app.ws(),
    'subscription { eventStream(rooms: ["fine"]) { ... on StreamPosition { live } ... on Event { id } } }',
  );
  await sub.waitFor(1);
  await app.ok(Broadcast, { room: 'fine', data: 1 });
  await sub.waitFor(2);
  sub.unsubscribe();
}

describe('one WebSocket connection', () => {
  it('keeps at most WS_MAX_SUBSCRIPTIONS open of 10 000 subscribes, and frees a place as one completes', async () => {
    // The rate out of the way: only the count is under test.
    t = await startApp({ WS_SUBSCRIBE_RATE_PER_S: '1000000', WS_SUBSCRIBE_BURST: '1000000' });
    const app = t;
    const socket = await rawSocket(app.wsUrl);
    const seen = tally(socket);
    for (let i = 0; i < 10_000; i++) subscribe(socket, `s${i}`);
    await seen.errorsReach(9_900);
    expect(Object.fromEntries(seen.errors)).toEqual({ 'RATE_LIMITED/TOO_MANY_SUBSCRIPTIONS': 9_900 });
    await untilSubscribed(() => stats(app), 100);
    expect((await stats(app)).activeSubscriptions).toBe(100);

    // Completing one frees its place.
    socket.send(JSON.stringify({ id: 's0', type: 'complete' }));
    subscribe(socket, 'again');
    await untilSubscribed(() => stats(app), 100);
    subscribe(socket, 'one-too-many');
    await seen.errorsReach(9_901);
    expect(seen.errors.get('RATE_LIMITED/TOO_MANY_SUBSCRIPTIONS')).toBe(9_901);
    expect((await stats(app)).activeSubscriptions).toBe(100);
    await stillServing(app);
    socket.close();
  });

  it('refuses subscribes past the rate, and closes with 4429 a client that floods 5 000 at once', async () => {
    t = await startApp();
    const app = t;
    const socket = await rawSocket(app.wsUrl);
    const seen = tally(socket);
    const done = closed(socket);
    for (let i = 0; i < 5_000; i++) subscribe(socket, `s${i}`);
    expect(await done).toMatchObject({ code: 4429 });
    // The burst (100) was served; about a burst's worth more were refused one by one (plus what the
    // buckets refilled while 5 000 frames were read); then the close. Far from 5 000 of anything.
    const refusedByRate = seen.errors.get('RATE_LIMITED/SUBSCRIBE_RATE') ?? 0;
    expect(refusedByRate).toBeGreaterThanOrEqual(99);
    expect(refusedByRate).toBeLessThan(300);
    expect(seen.errors.get('RATE_LIMITED/SUBSCRIBE_FLOOD')).toBeGreaterThanOrEqual(1);
    expect(seen.nexts).toBe(0);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/colony_limits_refused_total\{limit="ws_subscribe_flood"\} [1-9]/);
    await untilSubscribed(async () => {
      const s = await stats(app);
      return { activeSubscriptions: s.activeSubscriptions === 0 ? 1 : 0 };
    }, 1);
    await stillServing(app);
  });

  it('lets a client that keeps to the rate subscribe as often as it likes', async () => {
    t = await startApp({ WS_SUBSCRIBE_RATE_PER_S: '200', WS_SUBSCRIBE_BURST: '10' });
    const socket = await rawSocket(t.wsUrl);
    const seen = tally(socket);
    const app = t;
    // 10 at once, then 40 more, each sent at least 10 ms after the previous one was registered:
    // at most half the rate as the server sees it, however busy the machine is.
    for (let i = 0; i < 10; i++) subscribe(socket, `s${i}`);
    await untilSubscribed(() => stats(app), 10);
    for (let i = 10; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      subscribe(socket, `s${i}`);
      await untilSubscribed(() => stats(app), i + 1);
    }
    await untilSubscribed(() => stats(app), 50).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(Object.fromEntries(seen.errors))}`);
    });
    expect(seen.errors.size).toBe(0);
    socket.close();
  });
});
