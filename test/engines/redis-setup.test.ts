/**
 * The Redis engine's set-up, as Redis and an operator see it: its two named connections, what it
 * logs when they fail and come back, refusing to start on a Redis it cannot reach (and then leaving
 * nothing running), its health report, its rate limiter (shared by instances, and per instance
 * while Redis is away) and closing.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { engines, noUnhandledRejections, recordingLogger, until } from './redis-support.js';

noUnhandledRejections();
const engineOn = engines();

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.dispose());

let fleet = 0;

/** The names of the connections Redis has open now. */
async function connectionNames(): Promise<string[]> {
  const list = (await redis.client().call('CLIENT', 'LIST')) as string;
  return list
    .split('\n')
    .map((line) => /name=(\S*)/.exec(line)?.[1] ?? '')
    .filter(Boolean);
}

describe('the Redis engine set-up', () => {
  it('opens two connections named after the instance, and closes both', async () => {
    const prefix = `setup-${++fleet}`;
    const { engine } = await engineOn(redis, prefix);
    const names = (await connectionNames()).filter((n) => n.includes(prefix));
    expect(names.sort()).toEqual([`colony:${prefix}-0`, `colony:${prefix}-0:sub`]);
    await engine.close();
    await until('both closed', async () => !(await connectionNames()).some((n) => n.includes(prefix)));
    // Closing again is a no-op.
    await engine.close();
  });

  it('is ready with Redis reachable, not ready while either connection is down, and says why', async () => {
    const { engine } = await engineOn(redis, `setup-${++fleet}`);
    expect(await engine.health()).toEqual({ ready: true, checks: { redis: { ok: true } } });
    // Subscribed to something, so that Redis counts the subscriber as a pub/sub connection.
    await engine.bus.watch('r');
    const admin = redis.client();
    // Only the subscriber: the command connection stays up, the engine is still not ready.
    let seen = false;
    const watching = until('not ready without the subscriber', async () => {
      const health = await engine.health();
      seen ||= !health.ready;
      return seen;
    });
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);
    await watching;
    await until('ready again', async () => (await engine.health()).ready);
    // Only the command connection.
    const [commands] = (await connectionNames()).filter((n) => n.endsWith(`setup-${fleet}-0`));
    expect(commands).toBeDefined();
    seen = false;
    const watchingCommands = until('not ready without the command connection', async () => {
      const health = await engine.health();
      if (!health.ready) {
        expect(health.checks.redis).toEqual({ ok: false, detail: expect.any(String) });
        seen = true;
      }
      return seen;
    });
    await admin.call('CLIENT', 'KILL', 'USER', 'default', 'SKIPME', 'yes');
    await watchingCommands;
    await until('ready again', async () => (await engine.health()).ready);
  });

  it('logs a connection error once while it lasts, and that the connection is back', async () => {
    const server = await startRedis();
    try {
      const { engine, logger } = await engineOn(server, `setup-${++fleet}`, { commandTimeoutMs: 300 });
      expect(logger.lines).toEqual([]);
      await server.kill();
      await until('an error logged', () => logger.count('redis connection error') > 0);
      // Reconnection attempts keep failing the same way for a while: still one line per connection.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const errors = logger.lines.filter((l) => l.msg === 'redis connection error');
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(errors[0]?.level).toBe('error');
      expect(errors[0]?.obj).toMatchObject({ err: expect.any(Error), connection: expect.any(String) });
      await server.restart();
      await until('back', () => logger.count('redis connection is back') > 0);
      expect(logger.lines.find((l) => l.msg === 'redis connection is back')).toMatchObject({
        level: 'info',
        obj: { connection: expect.stringMatching(/^(commands|subscriber)$/) },
      });
      await until('ready', async () => (await engine.health()).ready);
      // A new error after that is logged again.
      const before = logger.count('redis connection error');
      await server.kill();
      await until('logged again', () => logger.count('redis connection error') > before);
    } finally {
      await server.dispose();
    }
  });

  it('refuses to start on a Redis it cannot reach, naming REDIS_URL, and then stops trying', async () => {
    // A server that accepts and closes at once: every attempt to connect reaches it and fails.
    let attempts = 0;
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      attempts++;
      sockets.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const logger = recordingLogger();
      const started = createRedisEngine({
        url: `redis://127.0.0.1:${port}`,
        keyPrefix: 'unreachable',
        commandTimeoutMs: 500,
        retention: 10,
        clock: systemClock,
        instanceId: 'unreachable',
        logger,
      });
      await expect(started).rejects.toThrow(/^Could not connect to Redis \(REDIS_URL\): /);
      // The other connection's attempt may still be on its way.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const after = attempts;
      // Reconnecting would try again within 100 ms.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(attempts).toBe(after);
    } finally {
      server.close();
    }
  });

  it('limits per key and name, shared by instances, in windows of the given length', async () => {
    const prefix = `setup-${++fleet}`;
    const { engine: a } = await engineOn(redis, prefix);
    const { engine: b } = await engineOn(redis, prefix);
    const limitA = a.limiter('login', 2, 60);
    const limitB = b.limiter('login', 2, 60);
    expect(await limitA.take('k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limitB.take('k')).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await limitA.take('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    if (refused.allowed) throw new Error('allowed');
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Another key, another name, another fleet: each counts on its own.
    expect(await limitA.take('other')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await a.limiter('signup', 2, 60).take('k')).toMatchObject({ allowed: true, remaining: 1 });
    const { engine: c } = await engineOn(redis, `setup-${++fleet}`);
    expect(await c.limiter('login', 2, 60).take('k')).toMatchObject({ allowed: true, remaining: 1 });
    // Under the fleet's own prefix in Redis.
    const keys = await redis.client().keys(`{${prefix}}:limit:login*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it('limits each instance on its own while Redis is away', async () => {
    const server = await startRedis();
    try {
      const { engine } = await engineOn(server, `setup-${++fleet}`, { commandTimeoutMs: 300 });
      const limit = engine.limiter('away', 2, 60);
      await server.kill();
      await until('down', async () => !(await engine.health()).ready);
      expect(await limit.take('k')).toMatchObject({ allowed: true });
      expect(await limit.take('k')).toMatchObject({ allowed: true });
      expect(await limit.take('k')).toMatchObject({ allowed: false });
      await server.restart();
    } finally {
      await server.dispose();
    }
  });

  it('closes within its command timeout while Redis hangs', async () => {
    const server = await startRedis();
    try {
      const prefix = `setup-${++fleet}`;
      const { engine } = await engineOn(server, prefix, { commandTimeoutMs: 300 });
      await engine.bus.watch('r');
      server.freeze();
      try {
        await engine.close();
      } finally {
        server.thaw();
      }
      const names = (await (server.client().call('CLIENT', 'LIST') as Promise<string>)).split('\n');
      expect(names.filter((line) => line.includes(prefix))).toEqual([]);
    } finally {
      await server.dispose();
    }
  });
});
