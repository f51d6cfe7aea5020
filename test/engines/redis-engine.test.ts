import { afterAll, beforeAll } from 'vitest';
import { pino } from 'pino';
import { systemClock, type Engine } from '../../src/domain/ports.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { describeEngineContract } from './contract.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.dispose());

let fleet = 0;
const prefixes = new WeakMap<Engine, { prefix: string; retention: number }>();
const open = (prefix: string, retention: number) =>
  createRedisEngine({
    url: redis.url,
    keyPrefix: prefix,
    commandTimeoutMs: 2000,
    retention,
    clock: systemClock,
    instanceId: `test-${prefix}`,
    logger: pino({ level: 'silent' }),
  });

describeEngineContract('redis', {
  // A fresh prefix per engine: a fleet of its own on the shared test server.
  async create({ retention }) {
    const prefix = `contract-${++fleet}`;
    const engine = await open(prefix, retention);
    prefixes.set(engine, { prefix, retention });
    return engine;
  },
  async peer(engine) {
    const { prefix, retention } = prefixes.get(engine)!;
    return open(prefix, retention);
  },
});
