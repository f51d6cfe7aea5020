/**
 * The subscriber side of the Redis bus (pubsub-channels.ts) and the two bugs of
 * graphql-redis-subscriptions it works around. Each bug is shown against the library as installed,
 * in a process of its own so that its rejections are counted rather than fatal: once a release
 * fixes one, its test fails and the matching workaround can go. The other tests show the adapter
 * leaves nothing unhandled (an unhandled rejection here fails the run) on a real redis-server.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PubSubChannels, subscriberOptions } from '../../src/engines/redis/pubsub-channels.js';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { noUnhandledRejections, until } from './redis-support.js';

const rejections = noUnhandledRejections();

/** Runs an ES module in a fresh node; what it prints last is its JSON result. */
function runScript(script: string): unknown {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? 'null');
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.dispose());

const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('graphql-redis-subscriptions 2.7, as installed', () => {
  it('leaves a rejection nobody handles when SUBSCRIBE fails (when this fails, drop workaround 1)', async () => {
    const port = await freePort();
    const result = runScript(`
      import { Redis } from 'ioredis';
      import { RedisPubSub } from 'graphql-redis-subscriptions';
      let unhandled = 0;
      process.on('unhandledRejection', () => unhandled++);
      const client = () => new Redis({ port: ${port}, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
      const pubsub = new RedisPubSub({ publisher: client(), subscriber: client() });
      const failed = await pubsub.subscribe('room', () => {}).then(() => false, () => true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log(JSON.stringify({ failed, unhandled }));
      process.exit(0);
    `);
    expect(result).toEqual({ failed: true, unhandled: 1 });
  });

  it('leaves the rejections of UNSUBSCRIBE unhandled when it fails (when this fails, drop workaround 2)', () => {
    const result = runScript(`
      import { Redis } from 'ioredis';
      import { RedisPubSub } from 'graphql-redis-subscriptions';
      let unhandled = 0;
      process.on('unhandledRejection', () => unhandled++);
      const subscriber = new Redis(${JSON.stringify(redis.url)});
      const pubsub = new RedisPubSub({ publisher: new Redis(${JSON.stringify(redis.url)}), subscriber });
      const id = await pubsub.subscribe('room', () => {});
      const ended = new Promise((resolve) => subscriber.once('end', resolve));
      subscriber.disconnect();
      await ended;
      pubsub.unsubscribe(id);
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log(JSON.stringify({ unhandled }));
      process.exit(0);
    `);
    // UNSUBSCRIBE and PUNSUBSCRIBE, both refused on the closed connection.
    expect(result).toEqual({ unhandled: 2 });
  });
});

describe('PubSubChannels', () => {
  /** Options as the engine's, which subscriberOptions override for the subscriber. */
  const engineLike = {
    lazyConnect: true,
    commandTimeout: 300,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  };
  const open = (timeoutMs = 2000, server = redis) => {
    // The test's own publishes go on it: connected now, waiting for nothing.
    const publisher = new Redis(server.url);
    const subscriber = new Redis(server.url, {
      ...engineLike,
      ...subscriberOptions,
      retryStrategy: (times: number) => Math.min(50 * times, 500),
    });
    for (const c of [publisher, subscriber]) {
      c.on('error', () => undefined);
      clients.push(c);
    }
    return {
      publisher,
      subscriber,
      channels: new PubSubChannels<string>(publisher, subscriber, (t) => `<${t}>`, timeoutMs),
    };
  };
  const numsub = async (channel: string) => {
    const [, n] = (await redis.client().pubsub('NUMSUB', channel)) as [string, number];
    return n;
  };

  it('refuses to subscribe on a connection that is not ready, and leaves nothing behind', async () => {
    const port = await freePort();
    const down = () => {
      const c = new Redis({ port, lazyConnect: true, ...subscriberOptions, retryStrategy: () => null });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    };
    const channels = new PubSubChannels<string>(down(), down(), String, 500);
    await expect(channels.subscribe('room', () => undefined)).rejects.toThrow('subscriber is wait');
    await expect(channels.resubscribe()).rejects.toThrow('subscriber is wait');
  });

  it('delivers what is published, deserialized, until the subscription is given back', async () => {
    const { publisher, subscriber, channels } = open();
    await subscriber.connect();
    const got: string[] = [];
    const id = await channels.subscribe('pc-a', (m) => got.push(m));
    expect(await numsub('pc-a')).toBe(1);
    await publisher.publish('pc-a', 'one');
    await until('one delivered', () => got.length === 1);
    expect(got).toEqual(['<one>']);
    channels.release(id);
    await until('unsubscribed', async () => (await numsub('pc-a')) === 0);
    await publisher.publish('pc-a', 'two');
    // A second channel's message, published after, shows the first one's would have arrived.
    const other: string[] = [];
    await channels.subscribe('pc-b', (m) => other.push(m));
    await publisher.publish('pc-b', 'three');
    await until('three delivered', () => other.length === 1);
    expect(got).toEqual(['<one>']);
  });

  it('gives back what is released while the connection is down once it is back, and subscribes again to the rest', async () => {
    const { publisher, subscriber, channels } = open();
    await subscriber.connect();
    const kept: string[] = [];
    const dropped: string[] = [];
    await channels.subscribe('pc-kept', (m) => kept.push(m));
    const id = await channels.subscribe('pc-dropped', (m) => dropped.push(m));
    expect(await redis.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);
    await until('subscriber down', () => subscriber.status !== 'ready');
    channels.release(id);
    await until('subscriber back', () => subscriber.status === 'ready');
    await channels.resubscribe();
    expect(await numsub('pc-kept')).toBe(1);
    expect(await numsub('pc-dropped')).toBe(0);
    await publisher.publish('pc-dropped', 'lost');
    await publisher.publish('pc-kept', 'kept');
    await until('kept delivered', () => kept.length === 1);
    expect(dropped).toEqual([]);
    // Subscribing to it again works as for a channel never held.
    await channels.subscribe('pc-dropped', (m) => dropped.push(m));
    await publisher.publish('pc-dropped', 'again');
    await until('again delivered', () => dropped.length === 1);
    expect(dropped).toEqual(['<again>']);
  });

  it('gives up a SUBSCRIBE that Redis does not answer in time, and gives it back once it does', async () => {
    const { subscriber, channels } = open(300);
    await subscriber.connect();
    await channels.resubscribe();
    const got: string[] = [];
    redis.freeze();
    try {
      await expect(channels.subscribe('pc-hung', (m) => got.push(m))).rejects.toThrow(
        'SUBSCRIBE pc-hung timed out after 300 ms',
      );
      await expect(channels.resubscribe()).rejects.toThrow('timed out after 300 ms');
    } finally {
      redis.thaw();
    }
    // Redis ran the SUBSCRIBE once it resumed; the adapter gave it back.
    await until('given back', async () => (await numsub('pc-hung')) === 0);
    await redis.client().publish('pc-hung', 'late');
    await channels.resubscribe();
    expect(got).toEqual([]);
  });

  it('leaves nothing unhandled when Redis hangs after a subscription was given back, then dies and returns', async () => {
    const server = await startRedis();
    try {
      const { subscriber, channels } = open(300, server);
      await subscriber.connect();
      const id = await channels.subscribe('pc-dying', () => undefined);
      server.freeze();
      // UNSUBSCRIBE goes out and waits: longer than a command timeout would allow.
      channels.release(id);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await server.kill();
      await until('down', () => subscriber.status !== 'ready');
      await server.restart();
      await until('back', () => subscriber.status === 'ready');
      await channels.resubscribe();
      const [, n] = (await server.client().pubsub('NUMSUB', 'pc-dying')) as [string, number];
      expect(n).toBe(0);
      expect(rejections()).toEqual([]);
    } finally {
      await server.dispose();
    }
  });

  it('tells the library nothing once closed', async () => {
    const { subscriber, channels } = open();
    await subscriber.connect();
    const first = await channels.subscribe('pc-closed-1', () => undefined);
    const second = await channels.subscribe('pc-closed-2', () => undefined);
    // Given back, waiting for the PING before the library's UNSUBSCRIBE.
    channels.release(first);
    channels.close();
    channels.release(second);
    // Answered after the adapter's own PING.
    await subscriber.ping();
    await channels.resubscribe();
    expect([await numsub('pc-closed-1'), await numsub('pc-closed-2')]).toEqual([1, 1]);
  });

  it('leaves nothing unhandled when closed while Redis hangs after a release, and Redis then dies', async () => {
    const server = await startRedis();
    try {
      const { subscriber, channels } = open(300, server);
      await subscriber.connect();
      const id = await channels.subscribe('pc-shutdown', () => undefined);
      server.freeze();
      channels.release(id);
      channels.close();
      subscriber.disconnect();
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(rejections()).toEqual([]);
    } finally {
      await server.dispose();
    }
  });
});
