/**
 * `since` replays as a cost the client chooses: on Redis (where a replay deserializes what it reads),
 * with 2 000 retained events of 4 KB. At most WS_MAX_REPLAYS replays in flight per connection, each
 * read a page at a time as the client consumes it; a client that stops reading holds at most a page
 * per replay and is closed as slow once anything queues for it; the server's memory stays bounded.
 */
import type WebSocket from 'ws';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { Broadcast } from '../api/operations.js';
import { closed, healthWithinOneSecond, rawSocket, stopReading } from './transports.js';

const RETAINED = 2000;
const blob = 'h'.repeat(4000);
/** Big events: loopback's kernel buffers take ~36 MB before a paused reader stalls the sender. */
const BIG = 800;
const bigBlob = 'b'.repeat(60_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

let t: TestApp;
afterEach(async () => {
  await t?.stop();
});

/** An app on the test's redis-server (a fleet of its own) with `n` events of `data` in `room`. */
async function seeded(room: string, n: number, data: string): Promise<{ app: TestApp; oldest: string }> {
  const app = await startApp({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `replay-limits-${room}`,
    EVENT_RETENTION: '10000',
    // Only the replay bound is under test here, not the subscribe rate or count.
    WS_SUBSCRIBE_BURST: '1000',
    WS_MAX_SUBSCRIPTIONS: '1000',
    // Seeding writes megabytes per commit: give a busy machine time.
    REDIS_COMMAND_TIMEOUT_MS: '20000',
  });
  const events: StoredEvent[] = [];
  for (let i = 0; i < n / 20; i++) {
    events.push(
      ...(await app.app.engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: Array.from({ length: 20 }, (_, j) => ({
          type: 'CUSTOM' as const,
          rooms: [room],
          payload: { kind: 'custom' as const, data: { n: i * 20 + j, blob: data } },
        })),
        timestamp: new Date().toISOString(),
        source: 'replay-test',
      })),
    );
  }
  return { app, oldest: events[0]!.id };
}

/** The heap in use after a full collection: what the process holds, not garbage yet to collect. */
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heldHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const subscribeSince = (socket: WebSocket, id: string, since: string, room = 'hist') =>
  socket.send(
    JSON.stringify({
      id,
      type: 'subscribe',
      payload: {
        query:
          'subscription ($since: ID, $room: String!) { events(rooms: [$room], since: $since) { id payload { ... on CustomEventPayload { data } } } }',
        variables: { since, room },
      },
    }),
  );

interface Seen {
  nexts: Map<string, number>;
  errors: Map<string, number>;
  until(check: () => boolean): Promise<void>;
}

function watch(socket: WebSocket): Seen {
  const nexts = new Map<string, number>();
  const errors = new Map<string, number>();
  let waiters: { check: () => boolean; resolve: () => void }[] = [];
  const poke = () => (waiters = waiters.filter((w) => (w.check() ? (w.resolve(), false) : true)));
  socket.on('message', (raw) => {
    type Errors = { extensions?: { code?: string; reason?: string } }[];
    const m = JSON.parse(String(raw)) as { id: string; type: string; payload?: Errors | { errors?: Errors } };
    // A refusal from the subscription's resolver comes as a result with errors, then `complete`.
    const refusal = m.type === 'error' ? (m.payload as Errors) : (m.payload as { errors?: Errors })?.errors;
    if (refusal) {
      const key = `${refusal[0]?.extensions?.code}/${refusal[0]?.extensions?.reason}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    } else if (m.type === 'next') nexts.set(m.id, (nexts.get(m.id) ?? 0) + 1);
    poke();
  });
  return {
    nexts,
    errors,
    until: (check) =>
      new Promise((resolve) => {
        waiters.push({ check, resolve });
        poke();
      }),
  };
}

async function metric(name: string): Promise<number> {
  if (!t) throw new Error('no app');
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('since replays', () => {
  it('serves WS_MAX_REPLAYS of 200 replays from the oldest event on one socket, refuses the rest, and counts them', async () => {
    const seed = await seeded('hist', RETAINED, blob);
    t = seed.app;
    const oldest = seed.oldest;
    const started = await metric('colony_realtime_replays_total{outcome="started"}');
    const socket = await rawSocket(t.wsUrl);
    const seen = watch(socket);
    for (let i = 0; i < 200; i++) subscribeSince(socket, `r${i}`, oldest);
    await seen.until(() => (seen.errors.get('RATE_LIMITED/TOO_MANY_REPLAYS') ?? 0) === 198);
    // While the two replays stream.
    await healthWithinOneSecond(t.url);
    // Two replays, each the whole retained log, read to the end.
    await seen.until(() => [...seen.nexts.values()].filter((n) => n === RETAINED - 1).length === 2);
    expect(seen.nexts.size).toBe(2);
    expect(Object.fromEntries(seen.errors)).toEqual({ 'RATE_LIMITED/TOO_MANY_REPLAYS': 198 });

    // Once they are live, their slots are free again.
    await t.ok(Broadcast, { room: 'hist', data: { live: true } });
    await seen.until(() => [...seen.nexts.values()].filter((n) => n === RETAINED).length === 2);
    subscribeSince(socket, 'after', oldest);
    await seen.until(() => seen.nexts.get('after') === RETAINED);
    expect(await metric('colony_realtime_replays_total{outcome="started"}')).toBe(started + 3);
    expect(await metric('colony_realtime_replays_total{outcome="refused"}')).toBe(198);
    socket.close();
  });

  it('closes as slow a paused client holding replays, with the memory it holds bounded', async () => {
    const seed = await seeded('big', BIG, bigBlob);
    t = seed.app;
    const oldest = seed.oldest;
    const socket = await rawSocket(t.wsUrl);
    const done = closed(socket);
    const baseline = heldHeap();
    let peak = 0;
    const sample = () => (peak = Math.max(peak, heldHeap() - baseline));
    // Stop reading at once: the kernel buffers fill with the first pages, then the server waits.
    const reading = stopReading(socket);
    for (let i = 0; i < 50; i++) subscribeSince(socket, `p${i}`, oldest, 'big');
    // The replays write until the kernel buffers are full, then wait for the reader: held meanwhile.
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sample();
      await healthWithinOneSecond(t.url);
    }
    const slow = await metric('colony_slow_consumers_closed_total{transport="ws"}');
    // Live events queue behind the stalled replays, against the same budget as any slow reader.
    for (let i = 0; i < 2000; i++) {
      await t.ok(Broadcast, { room: 'big', data: { live: i, blob: bigBlob } });
      if (i % 5 === 0) {
        sample();
        await healthWithinOneSecond(t.url);
        if ((await metric('colony_slow_consumers_closed_total{transport="ws"}')) > slow) break;
      }
    }
    sample();
    expect(await metric('colony_slow_consumers_closed_total{transport="ws"}')).toBe(slow + 1);
    reading.resume();
    expect(await done).toMatchObject({ code: 4008 });
    // Two replays hold a page (100 events of ~60 KB) each, and the queue is bounded at 1 MB; reading
    // all 50 replays of 48 MB of log into memory would be gigabytes.
    expect(peak).toBeLessThan(64 * 1024 * 1024);
    await healthWithinOneSecond(t.url);
    expect(await metric('colony_realtime_replays_in_flight')).toBe(0);
  }, 120_000);
});
