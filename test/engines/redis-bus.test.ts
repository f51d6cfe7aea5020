/**
 * The Redis event bus under loss and reconnection: what it fills from the stream, where it starts,
 * what it tells the log, and what it leaves subscribed in Redis. Two engines on one private
 * redis-server are two instances; faults are the test's own (CLIENT KILL, stopping its Redis,
 * storing events that are never published). Each test waits on conditions, never on time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import type { Engine } from '../../src/domain/ports.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import {
  commitOf,
  custom,
  engines,
  noUnhandledRejections,
  sinkOf,
  storeUnpublished,
  until,
} from './redis-support.js';

const rejections = noUnhandledRejections();
const engineOn = engines();

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.dispose());

let fleet = 0;
const FILLED = 'event bus: filled a gap from the stream';
const FAILED = 'event bus: Redis call failed; will retry on the next check';
const WENT_BACK = 'event bus: channel sequence went back';
/** Long enough that only what a test does reveals a loss. */
const NO_CHECK = 3_600_000;

const commit = async (engine: Engine, room: string, n: number) =>
  (await engine.store.commit(commitOf({ events: [custom(room, n)] })))[0] as StoredEvent;

const subscribers = async (prefix: string, room: string) => {
  const [, n] = (await redis.client().pubsub('NUMSUB', `{${prefix}}:room:${room}`)) as [string, number];
  return n;
};

describe('the Redis bus fills losses', () => {
  it('over more than one page of the stream, in order, with only the watched rooms, and says how many', async () => {
    const prefix = `bus-${++fleet}`;
    // Retention above what the test writes: the commit would trim the stream to it.
    const { engine: a } = await engineOn(redis, prefix, { retention: 5000 });
    const { engine: b, logger } = await engineOn(redis, prefix, { gapCheckMs: NO_CHECK });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const first = await commit(a, 'r', 0);
    await sink.waitFor(1);
    const lost = [
      ...(await storeUnpublished(redis, prefix, 'r', 1, 600)),
      ...(await storeUnpublished(redis, prefix, 'other', 1, 10)),
      ...(await storeUnpublished(redis, prefix, 'r', 601, 600)),
    ];
    const last = await commit(a, 'r', 1201);
    await sink.waitFor(1202);
    expect(sink.got).toEqual([first, ...lost.filter((e) => e.rooms[0] === 'r'), last]);
    expect(logger.lines.filter((l) => l.msg === FILLED).map((l) => l.obj)).toEqual([{ recovered: 1201 }]);
  });

  it('moves past the events of other rooms, so that a room watched later gets nothing older', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix, { gapCheckMs: 30 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const first = await commit(a, 'r', 0);
    await sink.waitFor(1);
    const [lost] = await storeUnpublished(redis, prefix, 'r', 1);
    // The stream's tail is of a room not watched yet.
    await storeUnpublished(redis, prefix, 'x', 2);
    await sink.waitFor(2);
    await b.bus.watch('x');
    const [lostX] = await storeUnpublished(redis, prefix, 'x', 3);
    const lastX = await commit(a, 'x', 4);
    await sink.waitFor(4);
    expect(sink.got).toEqual([first, lost, lostX, lastX]);
  });

  it('starts at the tail again once nothing was watched, not where it stopped', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix, { gapCheckMs: NO_CHECK });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const first = await commit(a, 'r', 0);
    await sink.waitFor(1);
    await b.bus.unwatch('r');
    await commit(a, 'r', 1);
    await b.bus.watch('r');
    const [lost] = await storeUnpublished(redis, prefix, 'r', 2);
    const last = await commit(a, 'r', 3);
    await sink.waitFor(3);
    expect(sink.got).toEqual([first, lost, last]);
  });

  it('does not fill under steady traffic that arrives (no false alarm)', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b, logger } = await engineOn(redis, prefix, { gapCheckMs: 400 });
    const sink = sinkOf(b);
    await b.bus.watch('*');
    const committed: StoredEvent[] = [];
    const until1s = Date.now() + 1000;
    for (let i = 0; Date.now() < until1s; i++) {
      committed.push(await commit(a, `r${i % 3}`, i));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await sink.waitFor(committed.length);
    // One more check after the last: nothing was missing.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(sink.got).toEqual(committed);
    expect(logger.count(FILLED)).toBe(0);
  });

  it('follows a channel sequence that went back (Redis lost its last writes), and still sees gaps after', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b, logger } = await engineOn(redis, prefix, { gapCheckMs: 30 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const first = await commit(a, 'r', 0);
    await commit(a, 'r', 1);
    await sink.waitFor(2);
    const admin = redis.client();
    await admin.hset(`{${prefix}}:chanseq`, `{${prefix}}:room:r`, 1);
    await until('went back', () => logger.count(WENT_BACK) === 1);
    expect(logger.lines.find((l) => l.msg === WENT_BACK)).toMatchObject({
      level: 'warn',
      obj: { channel: `{${prefix}}:room:r`, had: 2, now: 1 },
    });
    // From there on: a message lost with nothing after it is found by the periodic check.
    const [lost] = await storeUnpublished(redis, prefix, 'r', 2);
    await sink.waitFor(3);
    expect(sink.got).toEqual([first, expect.anything(), lost]);
    expect(logger.count(WENT_BACK)).toBe(1);
  });
  it('follows a Redis that lost everything, without failing', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b, logger } = await engineOn(redis, prefix, { gapCheckMs: 30 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    await commit(a, 'r', 0);
    await sink.waitFor(1);
    // Every key of this fleet gone, the stream with them.
    const admin = redis.client();
    await admin.del(`{${prefix}}:chanseq`, `{${prefix}}:events`, `{${prefix}}:seq`);
    await until('went back', () => logger.count(WENT_BACK) === 1);
    const after = await commit(a, 'r', 1);
    await sink.waitFor(2);
    expect(sink.got.at(-1)).toEqual(after);
    expect(logger.count(FAILED)).toBe(0);
  });
});

describe('the Redis bus when the subscriber connection drops', () => {
  it('loses, repeats and reorders nothing over many drops while events flow', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix, { gapCheckMs: NO_CHECK });
    const sink = sinkOf(b);
    await Promise.all([b.bus.watch('r'), b.bus.watch('s')]);
    const admin = redis.client();
    const committed: StoredEvent[] = [];
    for (let i = 0; i < 150; i++) {
      committed.push(await commit(a, i % 2 ? 'r' : 's', i));
      if (i % 30 === 10) await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    }
    await sink.waitFor(committed.length);
    // A last one live, so that any late copy would have shown up before it.
    committed.push(await commit(a, 'r', 150));
    await sink.waitFor(committed.length);
    expect(sink.got.map((e) => e.id)).toEqual(committed.map((e) => e.id));
    expect(sink.got).toEqual(committed);
    expect(rejections()).toEqual([]);
  });

  it('subscribes again to what it watches, and not to what it stopped watching meanwhile', async () => {
    const prefix = `bus-${++fleet}`;
    const server = await startRedis();
    try {
      const { engine: a } = await engineOn(server, prefix, { commandTimeoutMs: 300 });
      // The fill after the return may run before the command connection is back: the next check retries it.
      const { engine: b } = await engineOn(server, prefix, { commandTimeoutMs: 300, gapCheckMs: 50 });
      const sink = sinkOf(b);
      await Promise.all([b.bus.watch('kept'), b.bus.watch('dropped')]);
      await server.stop();
      await b.bus.unwatch('dropped');
      await server.restart();
      await until('ready', async () => (await b.health()).ready && (await a.health()).ready);
      const count = async (room: string) => {
        const [, n] = (await server.client().pubsub('NUMSUB', `{${prefix}}:room:${room}`)) as [
          string,
          number,
        ];
        return n;
      };
      await until('subscribed again', async () => (await count('kept')) === 1);
      expect(await count('dropped')).toBe(0);
      const kept = await commit(a, 'kept', 1);
      await commit(a, 'dropped', 2);
      await sink.waitFor(1);
      const again = await commit(a, 'kept', 3);
      await sink.waitFor(2);
      expect(sink.got).toEqual([kept, again]);
      expect(rejections()).toEqual([]);
    } finally {
      await server.dispose();
    }
  });

  it('logs a failing Redis once per outage, and again in the next one', async () => {
    const prefix = `bus-${++fleet}`;
    const server = await startRedis();
    try {
      const { engine: a } = await engineOn(server, prefix, { commandTimeoutMs: 300 });
      const { engine: b, logger } = await engineOn(server, prefix, { commandTimeoutMs: 300, gapCheckMs: 20 });
      const sink = sinkOf(b);
      await b.bus.watch('r');
      // A hanging Redis: the periodic checks time out one after another.
      server.freeze();
      try {
        await until('logged', () => logger.count(FAILED) === 1);
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(logger.count(FAILED)).toBe(1);
      } finally {
        server.thaw();
      }
      expect(logger.lines.find((l) => l.msg === FAILED)).toMatchObject({
        level: 'warn',
        obj: { err: expect.any(Error) },
      });
      await commit(a, 'r', 1);
      await sink.waitFor(1);
      // A check that succeeds ends the outage.
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.freeze();
      try {
        await until('logged again', () => logger.count(FAILED) === 2);
      } finally {
        server.thaw();
      }
      // A check that fails once the bus is closed is not reported.
      await until('ready', async () => (await b.health()).ready);
      await commit(a, 'r', 2);
      await sink.waitFor(2);
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.freeze();
      try {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await b.close();
        await new Promise((resolve) => setTimeout(resolve, 400));
      } finally {
        server.thaw();
      }
      expect(logger.count(FAILED)).toBe(2);
      await server.restart();
    } finally {
      await server.dispose();
    }
  });
});

describe('the Redis bus watches', () => {
  it('a room once however often it is watched, and stops on one unwatch', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix);
    const sink = sinkOf(b);
    await Promise.all([b.bus.watch('r'), b.bus.watch('r')]);
    await b.bus.watch('r');
    expect(await subscribers(prefix, 'r')).toBe(1);
    const first = await commit(a, 'r', 1);
    await sink.waitFor(1);
    await b.bus.unwatch('r');
    await until('unsubscribed', async () => (await subscribers(prefix, 'r')) === 0);
    await b.bus.watch('s');
    await commit(a, 'r', 2);
    const last = await commit(a, 's', 3);
    await sink.waitFor(2);
    expect(sink.got).toEqual([first, last]);
  });

  it('gives the subscription back when the watch fails after subscribing', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: b } = await engineOn(redis, prefix);
    // The channel sequences key of the wrong type: the read after SUBSCRIBE fails.
    await redis.client().set(`{${prefix}}:chanseq`, 'not a hash');
    await expect(b.bus.watch('r')).rejects.toThrow(/WRONGTYPE/);
    await until('unsubscribed', async () => (await subscribers(prefix, 'r')) === 0);
    await redis.client().del(`{${prefix}}:chanseq`);
    await b.bus.watch('r');
    expect(await subscribers(prefix, 'r')).toBe(1);
  });

  it('a room unwatched while its watch is pending, then watched again, once', async () => {
    const prefix = `bus-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix);
    const sink = sinkOf(b);
    for (let i = 0; i < 20; i++) {
      void b.bus.watch('r');
      void b.bus.unwatch('r');
    }
    await b.bus.watch('r');
    expect(await subscribers(prefix, 'r')).toBe(1);
    const one = await commit(a, 'r', 1);
    await sink.waitFor(1);
    await b.bus.unwatch('r');
    await until('unsubscribed', async () => (await subscribers(prefix, 'r')) === 0);
    expect(sink.got).toEqual([one]);
  });
});
