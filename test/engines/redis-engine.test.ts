import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VersionConflict } from '../../src/domain/errors.js';
import { pino } from 'pino';
import type { Clock, Engine } from '../../src/domain/ports.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { describeEngineContract } from './contract.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.dispose());

let fleet = 0;
const prefixes = new WeakMap<Engine, { prefix: string; retention: number; clock: Clock }>();
const open = (prefix: string, retention: number, clock: Clock) =>
  createRedisEngine({
    url: redis.url,
    keyPrefix: prefix,
    commandTimeoutMs: 2000,
    retention,
    clock,
    instanceId: `test-${prefix}`,
    logger: pino({ level: 'silent' }),
  });

describeEngineContract('redis', {
  // A fresh prefix per engine: a fleet of its own on the shared test server.
  async create({ retention, clock }) {
    const prefix = `contract-${++fleet}`;
    const engine = await open(prefix, retention, clock);
    prefixes.set(engine, { prefix, retention, clock });
    return engine;
  },
  async peer(engine) {
    const { prefix, retention, clock } = prefixes.get(engine)!;
    return open(prefix, retention, clock);
  },
});

describe('the Redis engine clock', () => {
  it('is Redis TIME, whatever the instance clock says, and decides commit conditions by it', async () => {
    const skewed = { now: () => new Date(Date.now() + 3_600_000) };
    const behind = { now: () => new Date(Date.now() - 3_600_000) };
    const ahead = await open(`clock-${++fleet}`, 100, skewed);
    const late = await open(`clock-${fleet}`, 100, behind);
    try {
      const [a, b] = await Promise.all([ahead.store.time(), late.store.time()]);
      expect(Math.abs(a - Date.now())).toBeLessThan(5_000);
      expect(Math.abs(a - b)).toBeLessThan(1_000);
      // A deadline a minute ahead of Redis is ahead for both, though one instance thinks it is an
      // hour past and the other an hour before.
      const id = '01J00000000000000000CLOCK1';
      const commit = (version: number, clock: { notBefore?: number; before?: number }) => ({
        expect: [{ kind: 'coordination' as const, id, version }],
        put: [
          {
            kind: 'coordination' as const,
            id,
            doc: {
              id: 'fleet' as const,
              term: version,
              leaderId: null,
              electionId: null,
              metricsPublishedAt: null,
            },
            version: version + 1,
          },
        ],
        del: [],
        events: [],
        timestamp: new Date().toISOString(),
        source: 't',
        clock,
      });
      await ahead.store.commit(commit(0, { before: a + 60_000 }));
      await expect(late.store.commit(commit(1, { notBefore: a + 60_000 }))).rejects.toBeInstanceOf(
        VersionConflict,
      );
      await late.store.commit(commit(1, { notBefore: a }));
      expect((await late.store.get('coordination', id))?.version).toBe(2);
    } finally {
      await Promise.all([ahead.close(), late.close()]);
    }
  });
});
