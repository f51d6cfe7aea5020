import { afterAll, beforeAll } from 'vitest';
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
