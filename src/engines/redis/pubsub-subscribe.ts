/**
 * SUBSCRIBE through graphql-redis-subscriptions without its unhandled rejection, on its public API.
 *
 * The library's bug (2.7): when SUBSCRIBE fails, `subscribe` rejects, and it also rejects an internal
 * deferred that only a second `subscribe` to the same channel, made while the first is pending,
 * would wait on. Nobody waits on it, and an unhandled rejection ends the process. So a second
 * subscribe is made at once, as a companion: it waits on that deferred (and so handles its
 * rejection), and it is given back with `unsubscribe` once the first has succeeded.
 * test/realtime/pubsub-subscribe.test.ts fails once a release of the library no longer has the bug;
 * this adapter can then go.
 */
import type { RedisPubSub } from 'graphql-redis-subscriptions';

export async function subscribeChannel<T>(
  pubsub: RedisPubSub,
  channel: string,
  onMessage: (message: T) => void,
): Promise<number> {
  const subscribed = pubsub.subscribe<T>(channel, onMessage);
  const companion = pubsub
    .subscribe<T>(channel, () => undefined)
    .then(
      (id) => pubsub.unsubscribe(id),
      // The first one's failure, which its caller gets from `subscribed`.
      () => undefined,
    );
  try {
    return await subscribed;
  } finally {
    await companion;
  }
}
