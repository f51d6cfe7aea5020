/**
 * Live events from Redis pub/sub (graphql-redis-subscriptions' RedisPubSub), one channel per room
 * plus one for all rooms, so an instance receives only the rooms it has subscribers for.
 *
 * Pub/sub is at-most-once: a message published while our subscriber connection is down, or after
 * Redis cut it as a lagging client, is gone. So every message carries its channel's own sequence,
 * written by the same script that appends the event to the stream. A message whose sequence skips
 * one, a reconnection, and a check every second (for a loss at the tail, with nothing after it:
 * a message still missing one check after Redis counted it) each fill the gap from the stream.
 * Events may then arrive twice (on two channels, or by message and by fill): they are delivered
 * once, by id.
 */
import type { Redis } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { compareEventIds, type StoredEvent } from '../../domain/events/event-types.js';
import type { EventBus, RoomInterest } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import type { RedisEventLog } from './redis-event-log.js';
import { orUnavailable } from './redis-errors.js';

/** A pub/sub message, split but not parsed: the event is parsed once, and only if it is new. */
interface Message {
  seq: number;
  id: string;
  body: string;
}

interface Channel {
  name: string;
  /** The room it carries, or null for all rooms. */
  room: string | null;
  watchers: number;
  subId: number | null;
  /** The last sequence number accounted for, and the stream id of the last event seen there. */
  seq: number;
  lastId: string;
  /**
   * The channel's sequence in Redis at the previous periodic check: by the next one, everything up
   * to it must have arrived. Messages published since may still be on their way, and filling them
   * from the stream would be wasted reads (and a false alarm in the log) under steady traffic.
   */
  due: number;
  ready: Promise<void>;
}

export interface BusLogger {
  warn(obj: object, msg: string): void;
}

const DELIVERED_MEMORY = 20_000;
const FILL_PAGE = 1000;

export class RedisEventBus implements EventBus {
  private sink: ((event: StoredEvent) => void) | null = null;
  private readonly pubsub: RedisPubSub;
  private readonly channels = new Map<string, Channel>();
  /** Ids delivered recently, oldest first, so that a duplicate is dropped. */
  private readonly delivered = new Set<string>();
  /** Every message, watch and fill runs in this one queue, so delivery follows arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private failing = false;

  constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
    private readonly log: RedisEventLog,
    private readonly logger: BusLogger,
    checkEveryMs = 1000,
  ) {
    this.pubsub = new RedisPubSub({
      publisher: client,
      subscriber,
      deserializer: (source) => {
        const text = String(source);
        const first = text.indexOf('|');
        const second = text.indexOf('|', first + 1);
        return {
          seq: Number(text.slice(0, first)),
          id: text.slice(first + 1, second),
          body: text.slice(second + 1),
        } satisfies Message;
      },
    });
    // graphql-redis-subscriptions fires UNSUBSCRIBE without handling its promise: while Redis is
    // away that would be an unhandled rejection, which ends the process.
    for (const method of ['unsubscribe', 'punsubscribe'] as const) {
      const original = subscriber[method].bind(subscriber) as (...args: unknown[]) => Promise<unknown>;
      (subscriber as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const result = original(...args);
        result.catch(() => undefined);
        return result;
      };
    }
    // After a reconnection ioredis subscribes again by itself, right after 'ready'; a PING answered
    // after those SUBSCRIBEs means they hold, and what was published meanwhile comes from the stream.
    subscriber.on('ready', () => {
      void this.enqueue(async () => {
        await subscriber.ping();
        await this.checkAll(true);
      }).catch(() => undefined);
    });
    this.timer = setInterval(
      () => void this.enqueue(() => this.checkAll(false)).catch(() => undefined),
      checkEveryMs,
    );
    this.timer.unref();
  }

  setSink(sink: (event: StoredEvent) => void): void {
    this.sink = sink;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => {
        this.failing = false;
      },
      (error: unknown) => {
        // Once per outage, not once a second.
        if (!this.closed && !this.failing)
          this.logger.warn({ err: error }, 'event bus: Redis call failed; will retry on the next check');
        this.failing = true;
      },
    );
    return run;
  }

  private channelOf(room: RoomInterest): { name: string; room: string | null } {
    return room === '*'
      ? { name: this.keys.allChannel, room: null }
      : { name: this.keys.roomChannel(room), room };
  }

  async watch(room: RoomInterest): Promise<void> {
    const { name, room: carried } = this.channelOf(room);
    const existing = this.channels.get(name);
    if (existing) {
      existing.watchers++;
      return existing.ready;
    }
    const channel: Channel = {
      name,
      room: carried,
      watchers: 1,
      subId: null,
      seq: 0,
      lastId: '0-0',
      due: 0,
      ready: Promise.resolve(),
    };
    this.channels.set(name, channel);
    channel.ready = this.enqueue(async () => {
      try {
        // A SUBSCRIBE that fails inside graphql-redis-subscriptions leaves a rejected promise
        // nobody awaits; do not send one to a connection that is down.
        if (this.subscriber.status !== 'ready')
          await orUnavailable(() => Promise.reject(new Error(`subscriber is ${this.subscriber.status}`)));
        channel.subId = await orUnavailable(() => {
          const subscribed = this.pubsub.subscribe<Message>(
            name,
            (message) => void this.enqueue(() => this.receive(channel, message)).catch(() => undefined),
          );
          this.handlePendingSubscribe(name);
          return subscribed;
        });
        // Where the channel stands now: anything later that does not arrive is a gap to fill.
        // Read together (MULTI), so that the sequence and the stream position match.
        const [seq, last] = await orUnavailable(async () => {
          const results = await this.client
            .multi()
            .hget(this.keys.channelSeq, name)
            .xrevrange(this.keys.events, '+', '-', 'COUNT', 1)
            .exec();
          for (const [error] of results ?? []) if (error) throw error;
          return (results ?? []).map(([, value]) => value) as [string | null, [string, string[]][]];
        });
        channel.seq = Number(seq ?? 0);
        channel.due = channel.seq;
        channel.lastId = last[0]?.[0] ?? '0-0';
      } catch (error) {
        this.channels.delete(name);
        if (channel.subId !== null) this.pubsub.unsubscribe(channel.subId);
        throw error;
      }
    });
    return channel.ready;
  }

  /**
   * When SUBSCRIBE fails (the connection dropped between our status check and the write),
   * graphql-redis-subscriptions 2.7 also rejects an internal promise that nobody awaits, and an
   * unhandled rejection ends the process. We await the failure ourselves; this marks that internal
   * one handled. It reads a private field: if a later version renames it, this does nothing.
   */
  private handlePendingSubscribe(channel: string): void {
    const pending = (
      this.pubsub as unknown as { subsPendingRefsMap?: Map<string, { pending?: { catch?: unknown } }> }
    ).subsPendingRefsMap?.get(channel)?.pending;
    if (pending && typeof pending.catch === 'function')
      (pending.catch as (onRejected: () => void) => unknown)(() => undefined);
  }

  async unwatch(room: RoomInterest): Promise<void> {
    const { name } = this.channelOf(room);
    const channel = this.channels.get(name);
    if (!channel) return;
    if (--channel.watchers > 0) return;
    this.channels.delete(name);
    await channel.ready.catch(() => undefined);
    if (channel.subId !== null) this.pubsub.unsubscribe(channel.subId);
  }

  private async receive(channel: Channel, message: Message): Promise<void> {
    if (this.channels.get(channel.name) !== channel) return;
    if (message.seq > channel.seq + 1) await this.fill(channel, message.id);
    channel.seq = Math.max(channel.seq, message.seq);
    if (compareEventIds(message.id, channel.lastId) > 0) channel.lastId = message.id;
    // The same event comes once per watched channel it was published on: drop it by id, unparsed.
    this.deliver(
      message.id,
      () => ({ ...(JSON.parse(message.body) as object), id: message.id }) as StoredEvent,
    );
  }

  /** Delivers, from the stream, the channel's events after the last one seen and before `untilId`. */
  private async fill(channel: Channel, untilId: string | null): Promise<void> {
    let after = channel.lastId;
    let recovered = 0;
    for (;;) {
      const page = await this.log.range(after, untilId, FILL_PAGE);
      for (const event of page) {
        if (channel.room === null || event.rooms.includes(channel.room)) {
          if (this.deliver(event.id, () => event)) recovered++;
        }
      }
      if (page.length < FILL_PAGE) break;
      after = (page.at(-1) as StoredEvent).id;
    }
    if (recovered)
      this.logger.warn({ channel: channel.name, recovered }, 'event bus: filled a gap from the stream');
  }

  /**
   * Compares each watched channel's sequence in Redis with what arrived, and fills what did not:
   * everything Redis counted, right after a reconnection (`now`), else what it had counted at the
   * previous check.
   */
  private async checkAll(now: boolean): Promise<void> {
    const channels = [...this.channels.values()];
    if (!channels.length || this.closed) return;
    const current = await this.client.hmget(this.keys.channelSeq, ...channels.map((c) => c.name));
    for (const [i, channel] of channels.entries()) {
      const seq = Number(current[i] ?? 0);
      const due = now ? seq : channel.due;
      channel.due = seq;
      if (seq < channel.seq) {
        // Redis came back with less than it had (restarted without its last writes): follow it,
        // or no later gap would ever show.
        this.logger.warn(
          { channel: channel.name, had: channel.seq, now: seq },
          'event bus: channel sequence went back',
        );
        channel.seq = seq;
        continue;
      }
      if (channel.seq >= due) continue;
      const before = channel.lastId;
      const last = await this.client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1);
      await this.fill(channel, null);
      channel.lastId = last[0]?.[0] ?? before;
      channel.seq = Math.max(channel.seq, seq);
    }
  }

  /** Hands an event to the sink unless it was delivered already; says whether it was new. */
  private deliver(id: string, event: () => StoredEvent): boolean {
    if (this.delivered.has(id)) return false;
    this.delivered.add(id);
    if (this.delivered.size > DELIVERED_MEMORY) {
      const oldest = this.delivered.values().next().value;
      if (oldest !== undefined) this.delivered.delete(oldest);
    }
    this.sink?.(event());
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const channel of this.channels.values())
      if (channel.subId !== null) this.pubsub.unsubscribe(channel.subId);
    this.channels.clear();
  }
}
