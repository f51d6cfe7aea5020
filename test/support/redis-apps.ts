/**
 * For a test file whose apps share one private redis-server: the server lives as long as the file,
 * and every app started through `start` is stopped after the test that started it.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Clock } from '../../src/domain/ports.js';
import { startApp, type TestApp } from './app.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface RedisApps {
  /** The file's redis-server (set once its `beforeAll` has run). */
  readonly redis: RedisServer;
  /** An app on that server under `prefix` (its own fleet), with `env` on top. */
  onRedis(prefix: string, env?: Record<string, string>, options?: { clock?: Clock }): Promise<TestApp>;
  /** An app with exactly `env` (e.g. on the memory engine), stopped after the test all the same. */
  start(env?: Record<string, string>): Promise<TestApp>;
}

export function useRedisApps(): RedisApps {
  let redis: RedisServer | undefined;
  let apps: TestApp[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.dispose());
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    apps = [];
  });
  const start = async (env: Record<string, string> = {}, options: { clock?: Clock } = {}) => {
    const app = await startApp(env, options);
    apps.push(app);
    return app;
  };
  return {
    get redis() {
      if (!redis) throw new Error('the redis-server starts in beforeAll: use it inside a test');
      return redis;
    },
    start,
    onRedis: (prefix, env = {}, options = {}) =>
      start({ REDIS_URL: redis!.url, REDIS_KEY_PREFIX: prefix, ...env }, options),
  };
}
