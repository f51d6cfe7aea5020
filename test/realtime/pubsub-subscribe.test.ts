/**
 * The one workaround the Redis bus keeps for graphql-redis-subscriptions (pubsub-subscribe.ts): a
 * failed SUBSCRIBE must not leave a rejection nobody handles (it would end the process). One test
 * shows the library still has the bug, in a process of its own so that the rejection is counted
 * rather than fatal: once a release fixes it, that test fails and the adapter can go. The other
 * shows the adapter handles it (an unhandled rejection here fails the run).
 */
import { spawnSync } from 'node:child_process';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribeChannel } from '../../src/engines/redis/pubsub-subscribe.js';
import { freePort } from '../support/net.js';

/** A client whose commands fail at once: never connected, no offline queue, no retries. */
const failing = (port: number) => {
  const client = new Redis({ port, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  // Its refused connection is expected.
  client.on('error', () => undefined);
  return client;
};

const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe("graphql-redis-subscriptions' failed SUBSCRIBE", () => {
  it('still leaves a rejection nobody handles (when this fails, remove pubsub-subscribe.ts)', async () => {
    const port = await freePort();
    const script = `
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
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(run.stdout.trim())).toEqual({ failed: true, unhandled: 1 });
  });

  it('reaches the caller through the adapter, and nothing else', async () => {
    const port = await freePort();
    const [publisher, subscriber] = [failing(port), failing(port)];
    clients.push(publisher, subscriber);
    const pubsub = new RedisPubSub({ publisher, subscriber });
    await expect(subscribeChannel(pubsub, 'room', () => undefined)).rejects.toThrow(/enableOfflineQueue/);
    // A second try fails the same way: nothing was left half subscribed.
    await expect(subscribeChannel(pubsub, 'room', () => undefined)).rejects.toThrow(/enableOfflineQueue/);
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});
