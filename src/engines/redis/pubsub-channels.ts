/**
 * The subscriber side of the bus: graphql-redis-subscriptions' RedisPubSub on the subscriber
 * connection, on public APIs only, with the two workarounds its bugs (2.7) force kept here.
 *
 * 1. A failed SUBSCRIBE rejects `subscribe`, and also an internal deferred that only a second
 *    `subscribe` to the same channel, made while the first is pending, would wait on. Nobody waits
 *    on it: an unhandled rejection. So each subscribe comes with a companion, made at once, which
 *    waits on that deferred (handling its rejection) and is given back once the first succeeded.
 * 2. `unsubscribe` sends UNSUBSCRIBE and PUNSUBSCRIBE without handling their promises: any failure
 *    of those commands is an unhandled rejection. So the subscriber connection is opened with
 *    `subscriberOptions`, under which a command does not fail on its own (no per-command timeout,
 *    no retry limit: a command in flight when the connection drops is sent again once it is back),
 *    and a subscription is given back to the library only right after Redis answered a PING on a
 *    ready connection (else it waits for the next release or `resubscribe`), so that the library's
 *    UNSUBSCRIBE is not sent into a hang that the connection is then dropped in (on close). The
 *    waits of our own are bounded here instead.
 *
 * test/engines/pubsub-channels.test.ts shows both bugs against the library as installed (each in a
 * process of its own, counting the rejections): when a release fixes one, its test fails, and the
 * matching workaround can go.
 *
 * ioredis would subscribe again by itself after a reconnection, without handling that promise
 * either; `autoResubscribe` is off so that the bus does it (`resubscribe`) and knows when it holds.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';

/** How the subscriber connection must be opened for this module (see 2 above). */
export const subscriberOptions = {
  commandTimeout: undefined,
  maxRetriesPerRequest: null,
  // Stryker disable next-line BooleanLiteral: commands are sent only while the connection is ready; the queue covers the instant between its socket ending and ioredis seeing it close, which no test can aim at
  enableOfflineQueue: true,
  // Stryker disable next-line BooleanLiteral: ioredis subscribing again too changes nothing we can see (its SUBSCRIBE, unhandled, fails only when the connection is dropped on close); off, the bus alone does it and knows when it holds
  autoResubscribe: false,
} satisfies RedisOptions;

/** Rejects with `what` timed out after `ms`, leaving the call to settle on its own. */
function within<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  // Stryker disable next-line ArrowFunction: a timer left running rejects a promise nobody waits on any more, handled by the race
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

export class PubSubChannels<T> {
  private readonly pubsub: RedisPubSub;
  /** The library's subscriptions we hold: id → channel. */
  private readonly held = new Map<number, string>();
  /** Given back, and not yet handed to the library. */
  private readonly deferred: number[] = [];
  private closed = false;

  constructor(
    publisher: Redis,
    private readonly subscriber: Redis,
    deserialize: (text: string) => T,
    private readonly timeoutMs: number,
  ) {
    this.pubsub = new RedisPubSub({
      publisher,
      subscriber,
      deserializer: (source) => deserialize(String(source)),
    });
  }

  /** Subscribes; rejects when the connection is not ready or Redis does not answer in time. */
  async subscribe(channel: string, onMessage: (message: T) => void): Promise<number> {
    if (this.subscriber.status !== 'ready') throw new Error(`subscriber is ${this.subscriber.status}`);
    const subscribed = this.pubsub.subscribe<T>(channel, onMessage);
    // Workaround 1: the companion that handles the internal deferred's rejection.
    void this.pubsub
      .subscribe<T>(channel, () => undefined)
      .then(
        (id) => this.release(id),
        // The first one's failure, which our caller gets from `subscribed`.
        () => undefined,
      );
    const id = await within(subscribed, this.timeoutMs, `SUBSCRIBE ${channel}`).catch((error: unknown) => {
      // Still pending (Redis hangs): give it back if it ever succeeds.
      subscribed.then(
        (late) => this.release(late),
        () => undefined,
      );
      throw error;
    });
    this.held.set(id, channel);
    return id;
  }

  /** Gives a subscription back. Never throws. */
  release(id: number): void {
    this.held.delete(id);
    if (this.closed) return;
    this.deferred.push(id);
    if (this.subscriber.status === 'ready') void this.giveBack();
  }

  /** Workaround 2: the library's UNSUBSCRIBE right after a PING came back on a ready connection. */
  private async giveBack(): Promise<void> {
    try {
      // No timeout: it is answered once Redis is (sent again after a reconnection), or fails on close.
      await this.subscriber.ping();
    } catch {
      return;
    }
    if (this.closed || this.subscriber.status !== 'ready') return;
    for (const id of this.deferred.splice(0)) this.pubsub.unsubscribe(id);
  }

  /**
   * After a reconnection: hands the library what was given back meanwhile, then subscribes again to
   * every channel held. Resolves once Redis confirmed it (so that a fill after it misses nothing).
   */
  async resubscribe(): Promise<void> {
    if (this.subscriber.status !== 'ready') throw new Error(`subscriber is ${this.subscriber.status}`);
    for (const id of this.deferred.splice(0)) this.pubsub.unsubscribe(id);
    const channels = [...this.held.values()];
    const confirmed = channels.length ? this.subscriber.subscribe(...channels) : this.subscriber.ping();
    await within(confirmed, this.timeoutMs, 'SUBSCRIBE after reconnecting');
  }

  /** Stops telling the library anything: the connection is about to close. */
  close(): void {
    this.closed = true;
    this.deferred.length = 0;
  }
}
