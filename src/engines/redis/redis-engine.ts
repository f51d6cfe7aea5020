/**
 * The Redis engine: shared records, an event stream and pub/sub, so that any number of instances
 * act as one. Two connections: commands (the commit script publishes on it too) and the pub/sub
 * subscriber.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock, Engine, HealthReport } from '../../domain/ports.js';
import { flexibleLimiter } from '../rate-limiter.js';
import { redisKeys } from './keys.js';
import { subscriberOptions } from './pubsub-channels.js';
import { RedisEventBus, type BusLogger } from './redis-event-bus.js';
import { RedisEventLog } from './redis-event-log.js';
import { RedisPresence } from './redis-presence.js';
import { RedisStore } from './redis-store.js';

export interface RedisEngineOptions {
  url: string;
  keyPrefix: string;
  /** A command that takes longer fails with UNAVAILABLE instead of holding the request. */
  commandTimeoutMs: number;
  retention: number;
  clock: Clock;
  instanceId: string;
  logger: BusLogger & { error(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** How often the bus checks for lost messages (default 1 s). */
  gapCheckMs?: number;
}

export async function createRedisEngine(options: RedisEngineOptions): Promise<Engine> {
  const base: RedisOptions = {
    // Fail fast while Redis is away instead of queueing requests that would hang (pitfall 6).
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: options.commandTimeoutMs,
    // Never give up reconnecting; back off up to 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    lazyConnect: true,
  };
  const client = new Redis(options.url, { ...base, connectionName: `colony:${options.instanceId}` });
  const subscriber = new Redis(options.url, {
    ...base,
    // Commands on it do not fail on their own (pubsub-channels.ts says why); the bus bounds its own
    // waits by the command timeout instead, so that a SUBSCRIBE hanging on a dead connection does not
    // hold up the deliveries queued behind it.
    ...subscriberOptions,
    connectionName: `colony:${options.instanceId}:sub`,
  });
  let lastError: string | null = null;
  for (const [name, connection] of [
    ['commands', client],
    ['subscriber', subscriber],
  ] as const) {
    connection.on('error', (error: Error) => {
      if (lastError !== error.message)
        options.logger.error({ err: error, connection: name }, 'redis connection error');
      lastError = error.message;
    });
    connection.on('ready', () => {
      if (lastError) options.logger.info({ connection: name }, 'redis connection is back');
      lastError = null;
    });
  }
  try {
    await Promise.all([client.connect(), subscriber.connect()]);
  } catch (error) {
    // Otherwise both would go on reconnecting for ever, holding the process open after start failed.
    client.disconnect();
    subscriber.disconnect();
    throw new Error(`Could not connect to Redis (REDIS_URL): ${(error as Error).message}`, { cause: error });
  }

  const keys = redisKeys(options.keyPrefix);
  const log = new RedisEventLog(client, keys);
  const bus = new RedisEventBus(
    client,
    subscriber,
    keys,
    log,
    options.logger,
    options.commandTimeoutMs,
    options.gapCheckMs,
  );
  let closing: Promise<void> | null = null;

  const health = async (): Promise<HealthReport> => {
    try {
      if (client.status !== 'ready' || subscriber.status !== 'ready')
        throw new Error(`connection is ${client.status}`);
      await client.ping();
      return { ready: true, checks: { redis: { ok: true } } };
    } catch (error) {
      return {
        ready: false,
        checks: { redis: { ok: false, detail: error instanceof Error ? error.message : String(error) } },
      };
    }
  };

  return {
    name: 'redis',
    store: new RedisStore(client, keys, options.retention),
    log,
    bus,
    presence: new RedisPresence(client, keys, options.clock),
    limiter: (name, points, durationS) =>
      flexibleLimiter(
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: `${keys.tag}:limit:${name}`,
          points,
          duration: durationS,
          // While Redis is away, each instance limits on its own instead of failing every request.
          insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration: durationS }),
        }),
      ),
    health,
    close: () => {
      closing ??= (async () => {
        await bus.close();
        await Promise.all([
          client.quit().catch(() => client.disconnect()),
          // Its commands have no timeout of their own: a QUIT unanswered in time is given up.
          quitWithin(subscriber, options.commandTimeoutMs),
        ]);
      })();
      return closing;
    },
  };
}

async function quitWithin(connection: Redis, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.quit().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
  if (connection.status !== 'end') connection.disconnect();
}
