/**
 * The Redis engine as a fleet sees it: two engines on one Redis are two instances, and Redis
 * itself may cut connections, stop and come back. Each test waits on conditions, never on time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, VersionConflict } from '../../src/domain/errors.js';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import type { Engine } from '../../src/domain/ports.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { agentDoc } from './contract.js';
import {
  commitOf,
  custom,
  engines,
  noUnhandledRejections,
  sinkOf,
  storeUnpublished as storeLost,
  until,
} from './redis-support.js';

noUnhandledRejections();
const engineOn = engines();
let fleet = 0;

describe('two instances on one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.dispose());

  it("deliver a commit on A to B's sink once, even when it is in several watched rooms", async () => {
    const prefix = `pair-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix);
    const sink = sinkOf(b);
    await Promise.all([b.bus.watch('x'), b.bus.watch('y'), b.bus.watch('*')]);
    const [first] = await a.store.commit(commitOf({ events: [custom('x', 1, ['x', 'y'])] }));
    // A second event closes the window: once it is here, any duplicate of the first would be too.
    const [second] = await a.store.commit(commitOf({ events: [custom('z', 2)] }));
    await sink.waitFor(2);
    expect(sink.got).toEqual([first, second]);
  });

  it('let exactly one of two racing commits from A and B win, and log only its event', async () => {
    const prefix = `pair-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix);
    const doc = agentDoc();
    const [created] = await a.store.commit(
      commitOf({
        expect: [{ kind: 'agent', id: doc.id, version: 0 }],
        put: [{ kind: 'agent', id: doc.id, doc, version: 1 }],
        events: [custom('r', 0)],
      }),
    );
    const race = (engine: Engine, name: string) =>
      engine.store.commit(
        commitOf({
          expect: [{ kind: 'agent', id: doc.id, version: 1 }],
          put: [{ kind: 'agent', id: doc.id, doc: { ...doc, name }, version: 2 }],
          events: [custom('r', name === 'a' ? 1 : 2)],
        }),
      );
    const results = await Promise.allSettled([race(a, 'a'), race(b, 'b')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflict);
    const winner = (won[0] as PromiseFulfilledResult<StoredEvent[]>).value;
    expect(await b.log.readAfter(created!.id, 10)).toEqual(winner);
    const stored = await a.store.get('agent', doc.id);
    expect(stored?.version).toBe(2);
    expect(stored?.doc.name).toBe(results[0]!.status === 'fulfilled' ? 'a' : 'b');
  });

  it('lose nothing when Redis cuts the pub/sub connection while events are committed', async () => {
    const prefix = `pair-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b, logger } = await engineOn(redis, prefix);
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const committed: StoredEvent[] = [];
    committed.push(...(await a.store.commit(commitOf({ events: [custom('r', 0)] }))));
    await sink.waitFor(1);
    const admin = redis.client();
    // Redis does this to a subscriber that lags (client-output-buffer-limit pubsub).
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);
    // Published while B's subscriber is gone, and nothing after them: only the stream has them.
    for (let i = 1; i <= 5; i++)
      committed.push(...(await a.store.commit(commitOf({ events: [custom('r', i)] }))));
    await sink.waitFor(6);
    expect(sink.got).toEqual(committed);
    expect(logger.lines.some((l) => l.msg.includes('filled a gap'))).toBe(true);
    // And live delivery is back, with no duplicate of what was filled.
    committed.push(...(await a.store.commit(commitOf({ events: [custom('r', 6)] }))));
    await sink.waitFor(7);
    expect(sink.got).toEqual(committed);
  });

  const storeUnpublished = async (prefix: string, room: string, n: number) =>
    (await storeLost(redis, prefix, room, n))[0] as StoredEvent;

  it('fill a lost message from the stream as soon as the next one shows the gap, in order', async () => {
    const prefix = `pair-${++fleet}`;
    // No periodic check in this test: only the skipped sequence can reveal the loss.
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix, { gapCheckMs: 3_600_000 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const [first] = await a.store.commit(commitOf({ events: [custom('r', 0)] }));
    await sink.waitFor(1);
    const lost = await storeUnpublished(prefix, 'r', 1);
    const [third] = await a.store.commit(commitOf({ events: [custom('r', 2)] }));
    await sink.waitFor(3);
    expect(sink.got).toEqual([first, lost, third]);
  });

  it('fill a lost message with nothing after it, by the periodic check', async () => {
    const prefix = `pair-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b, logger } = await engineOn(redis, prefix, { gapCheckMs: 50 });
    const sink = sinkOf(b);
    await b.bus.watch('*');
    const [first] = await a.store.commit(commitOf({ events: [custom('r', 0)] }));
    await sink.waitFor(1);
    const lost = await storeUnpublished(prefix, 'elsewhere', 1);
    await sink.waitFor(2);
    expect(sink.got).toEqual([first, lost]);
    expect(logger.lines.some((l) => l.msg.includes('filled a gap'))).toBe(true);
  });

  it('trim the log to the retention and refuse an older cursor with what to do instead', async () => {
    const { engine } = await engineOn(redis, `pair-${++fleet}`, { retention: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++)
      ids.push((await engine.store.commit(commitOf({ events: [custom('r', i)] })))[0]!.id);
    const admin = redis.client();
    expect(await admin.xlen(`{pair-${fleet}}:events`)).toBe(10);
    const error = await engine.log.readAfter(ids[3]!, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'CURSOR_EXPIRED' });
    expect((error as Error).message).toMatch(/subscribe without `since`/);
    expect((await engine.log.readAfter(ids[14]!, 100)).map((e) => e.id)).toEqual(ids.slice(15));
    expect((await engine.log.readAfter(ids[15]!, 100)).map((e) => e.id)).toEqual(ids.slice(16));
  });
});

describe('when Redis answers with an error', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.dispose());

  it('is UNAVAILABLE when Redis refuses for now (out of memory), and works once it accepts again', async () => {
    const { engine } = await engineOn(redis, `errors-${++fleet}`);
    const admin = redis.client();
    await admin.config('SET', 'maxmemory', '1');
    try {
      await expect(engine.store.commit(commitOf({ events: [custom('r', 1)] }))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      // In a MULTI, Redis refuses each write as it is queued and then discards the whole transaction.
      const snapshot = {
        activeConnections: 0,
        totalConnections: 0,
        totalDisconnections: 0,
        activeSubscriptions: 0,
        rooms: {},
        eventsPublished: 0,
        messagesDelivered: 0,
      };
      await expect(engine.presence.report('i', snapshot, 1000)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await expect(engine.store.commit(commitOf({ events: [custom('r', 2)] }))).resolves.toHaveLength(1);
  });

  it('does not pass a broken key off as an outage', async () => {
    const prefix = `errors-${++fleet}`;
    const { engine } = await engineOn(redis, prefix);
    // A key of the wrong type: retrying cannot help, so this must surface as a bug, not UNAVAILABLE.
    await redis.client().set(`{${prefix}}:doc:agent`, 'not a hash');
    const error = await engine.store.get('agent', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DomainError);
    expect((error as Error).message).toMatch(/WRONGTYPE/);
  });
});

describe('when Redis stops and comes back', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.dispose());

  it('fails fast with UNAVAILABLE, reports not ready, then commits and delivers again', async () => {
    const prefix = `outage-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix, { commandTimeoutMs: 500 });
    const { engine: b } = await engineOn(redis, prefix, { commandTimeoutMs: 500 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    const [before] = await a.store.commit(commitOf({ events: [custom('r', 0)] }));
    await sink.waitFor(1);

    await redis.stop();
    const unavailable = { code: 'UNAVAILABLE', message: 'Redis is unavailable; retry shortly.' };
    await expect(a.store.commit(commitOf({ events: [custom('r', 1)] }))).rejects.toMatchObject(unavailable);
    await expect(a.store.get('agent', 'x')).rejects.toMatchObject(unavailable);
    await expect(a.store.time()).rejects.toMatchObject(unavailable);
    await expect(a.store.list('agent', { limit: 5 })).rejects.toMatchObject(unavailable);
    await expect(a.log.readAfter(before!.id, 5)).rejects.toMatchObject(unavailable);
    await expect(b.bus.watch('other')).rejects.toMatchObject(unavailable);
    await b.bus.unwatch('other');
    const health = await a.health();
    expect(health.ready).toBe(false);
    expect(health.checks.redis?.ok).toBe(false);
    expect(health.checks.redis?.detail).toEqual(expect.any(String));

    await redis.restart();
    await until('A ready again', async () => (await a.health()).ready);
    await until('B ready again', async () => (await b.health()).ready);
    const [after] = await a.store.commit(commitOf({ events: [custom('r', 2)] }));
    await sink.waitFor(2);
    expect(sink.got).toEqual([before, after]);
    // What was acknowledged before the stop is still there (SHUTDOWN writes the AOF out).
    expect(await a.log.readAfter(before!.id, 5)).toEqual([after]);
  });

  it('answers UNAVAILABLE while Redis hangs, instead of hanging with it', async () => {
    const prefix = `outage-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix, { commandTimeoutMs: 300 });
    const { engine: b } = await engineOn(redis, prefix, { commandTimeoutMs: 300 });
    const sink = sinkOf(b);
    await b.bus.watch('r');
    redis.freeze();
    try {
      await expect(a.store.commit(commitOf({ events: [custom('r', 1)] }))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      await expect(b.bus.watch('other')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect((await a.health()).ready).toBe(false);
    } finally {
      redis.thaw();
    }
    // The commit that timed out was still queued in Redis, and ran once it resumed: the reason an
    // UNAVAILABLE commit "may or may not have been applied".
    await sink.waitFor(1);
    const [after] = await a.store.commit(commitOf({ events: [custom('r', 2)] }));
    await sink.waitFor(2);
    expect(sink.got.map((e) => e.payload)).toEqual([
      { kind: 'custom', data: { n: 1 } },
      { kind: 'custom', data: { n: 2 } },
    ]);
    expect(sink.got[1]).toEqual(after);
    await b.bus.watch('other');
  });

  it('does not crash when closed while Redis is away, and close is idempotent', async () => {
    const { engine } = await engineOn(redis, `outage-${++fleet}`, { commandTimeoutMs: 500 });
    await engine.bus.watch('r');
    await redis.kill();
    await engine.close();
    await engine.close();
    await redis.restart();
  });
});
