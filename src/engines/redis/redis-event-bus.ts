/**
 * Live events from Redis pub/sub (graphql-redis-subscriptions' RedisPubSub), one channel per room
 * plus one for all rooms, so an instance receives only the rooms it has subscribers for.
 *
 * Pub/sub is at-most-once: a message published while our subscriber connection is down, or after
 * Redis cut it as a lagging client, is gone. So every message carries its channel's own sequence,
 * written by the same script that appends the event to the stream. A message whose sequence skips
 * one, a reconnection, and a check every second (for a loss at the tail, with nothing after it:
 * a message still missing one check after Redis counted it) each fill the gap from the stream.
 *
 * Order: events reach the sink with ids strictly increasing, across rooms. One connection receives
 * messages in publish order, which is commit order, which is id order; only a loss breaks it, and a
 * loss is a span of every channel at once (the connection was down). So a fill is one merge over all
 * watched rooms: from the last id delivered, through the stream's tail, in id order; messages that
 * arrive while the connection is being recovered are held back (they are in the stream, and the
 * fill delivers them in their place); and the sink never gets an id at or below the last one, which
 * also drops the copies an event has on several channels.
 */
import type { Redis } from 'ioredis';
import { compareEventIds, type StoredEvent } from '../../domain/events/event-types.js';
import type { EventBus, RoomInterest } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import type { RedisEventLog } from './redis-event-log.js';
import { execAll, orUnavailable } from './redis-errors.js';
import { PubSubChannels } from './pubsub-channels.js';

/** A pub/sub message, split but not parsed: most copies (one per watched channel) are dropped by id. */
interface Message {
  seq: number;
  id: string;
  body: string;
}

/** `seq|id|body`, as the commit script publishes it. */
function splitMessage(text: string): Message {
  const first = text.indexOf('|');
  const second = text.indexOf('|', first + 1);
  return {
    seq: Number(text.slice(0, first)),
    id: text.slice(first + 1, second),
    body: text.slice(second + 1),
  };
}

interface Channel {
  name: string;
  /** The room it carries, or null for all rooms. */
  room: string | null;
  subId: number | null;
  /** The last sequence number accounted for: by a message, or by a fill that read the stream. */
  seq: number;
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

const FILL_PAGE = 1000;

/**
 * The bus keeps no count of its own: a room is watched or not. The room index (src/realtime)
 * watches a room when its first subscriber arrives and unwatches it when the last one leaves.
 */
export class RedisEventBus implements EventBus {
  private sink: (event: StoredEvent) => void = () => undefined;
  private readonly pubsub: PubSubChannels<Message>;
  private readonly channels = new Map<string, Channel>();
  /** The newest id handed to the sink: the next one must be greater (null: nothing watched yet). */
  private lastDelivered: string | null = null;
  /**
   * Set when the subscriber connection drops, cleared once the fill after its return has run:
   * until then a message may have lost ones before it, so it is not delivered on its own.
   */
  private recovering = false;
  /** How many times the subscriber connection dropped: a fill clears `recovering` only if none did meanwhile. */
  private drops = 0;
  /** Every message, watch and fill runs in this one queue, so delivery follows arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private failing = false;

  /**
   * `subscriber` must be opened with `subscriberOptions` (pubsub-channels.ts); `timeoutMs` bounds
   * each wait on it.
   */
  constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
    private readonly log: RedisEventLog,
    private readonly logger: BusLogger,
    timeoutMs: number,
    checkEveryMs = 1000,
  ) {
    this.pubsub = new PubSubChannels<Message>(client, subscriber, splitMessage, timeoutMs);
    subscriber.on('close', () => {
      this.recovering = true;
      this.drops++;
    });
    // After a reconnection the bus subscribes again itself; what was published meanwhile comes
    // from the stream.
    subscriber.on('ready', () => {
      void this.enqueue(() => this.recover()).catch(() => undefined);
    });
    this.timer = setInterval(
      () => void this.enqueue(() => this.checkAll()).catch(() => undefined),
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

  /** Starts receiving a room's events (watching it again changes nothing). */
  async watch(room: RoomInterest): Promise<void> {
    const { name, room: carried } = this.channelOf(room);
    const existing = this.channels.get(name);
    if (existing) return existing.ready;
    const channel: Channel = { name, room: carried, subId: null, seq: 0, due: 0, ready: Promise.resolve() };
    this.channels.set(name, channel);
    channel.ready = this.enqueue(async () => {
      try {
        channel.subId = await orUnavailable(() =>
          this.pubsub.subscribe(
            name,
            (message) => void this.enqueue(() => this.receive(channel, message)).catch(() => undefined),
          ),
        );
        // Where the channel stands now: anything later that does not arrive is a gap to fill.
        // Read together (MULTI), so that the sequence and the stream position match.
        const [seq, last] = (await orUnavailable(() =>
          execAll(() =>
            this.client
              .multi()
              .hget(this.keys.channelSeq, name)
              .xrevrange(this.keys.events, '+', '-', 'COUNT', 1)
              .exec(),
          ),
        )) as [string | null, [string, string[]][]];
        channel.seq = Number(seq ?? 0);
        channel.due = channel.seq;
        // The first room watched starts the delivery; later ones join it where it stands.
        if (this.lastDelivered === null) this.lastDelivered = last[0]?.[0] ?? '0-0';
      } catch (error) {
        this.forget(channel);
        if (channel.subId !== null) this.pubsub.release(channel.subId);
        channel.subId = null;
        throw error;
      }
    });
    return channel.ready;
  }

  /** Stops receiving a room's events (a room not watched is left alone). */
  async unwatch(room: RoomInterest): Promise<void> {
    const channel = this.channels.get(this.channelOf(room).name);
    if (!channel) return;
    this.forget(channel);
    // After the watch's own step in the queue, which sets the subscription to give back.
    await this.enqueue(async () => {
      if (channel.subId !== null) this.pubsub.release(channel.subId);
      channel.subId = null;
    });
  }

  private forget(channel: Channel): void {
    if (this.channels.get(channel.name) !== channel) return;
    this.channels.delete(channel.name);
    // Nothing watched: the next watch starts afresh at the stream's tail, not at an old position.
    if (!this.channels.size) this.lastDelivered = null;
  }

  private async receive(channel: Channel, message: Message): Promise<void> {
    if (this.channels.get(channel.name) !== channel) return;
    // In the stream already, and the fill after the reconnection delivers it in its place.
    if (this.recovering) return;
    if (message.seq > channel.seq + 1) await this.fill();
    channel.seq = Math.max(channel.seq, message.seq);
    // Delivered already (it came on another watched channel, or with a fill): dropped unparsed.
    if (this.lastDelivered !== null && compareEventIds(message.id, this.lastDelivered) <= 0) return;
    this.deliver({ ...(JSON.parse(message.body) as object), id: message.id } as StoredEvent);
  }

  /** After a reconnection: subscribes again, then fills from the stream what was published meanwhile. */
  private async recover(): Promise<void> {
    await this.pubsub.resubscribe();
    await this.fill();
  }

  /**
   * Delivers, from the stream and in id order, every event of the watched rooms after the last one
   * delivered, through the stream's tail; each channel then counts as having seen what Redis had
   * published on it by then. The sequences and the tail are read together (MULTI), so that they match.
   */
  private async fill(): Promise<void> {
    const drops = this.drops;
    const channels = [...this.channels.values()];
    if (!channels.length || this.lastDelivered === null) {
      if (this.drops === drops) this.recovering = false;
      return;
    }
    const [seqs, last] = (await execAll(() =>
      this.client
        .multi()
        .hmget(this.keys.channelSeq, ...channels.map((c) => c.name))
        .xrevrange(this.keys.events, '+', '-', 'COUNT', 1)
        .exec(),
    )) as [(string | null)[], [string, string[]][]];
    const tail = last[0]?.[0] ?? null;
    const all = channels.some((c) => c.room === null);
    const rooms = new Set(channels.map((c) => c.room));
    let recovered = 0;
    if (tail && compareEventIds(tail, this.lastDelivered) > 0) {
      let after = this.lastDelivered;
      for (;;) {
        const page = await this.log.range(after, tail, FILL_PAGE, true);
        for (const event of page) {
          if ((all || event.rooms.some((room) => rooms.has(room))) && this.deliver(event)) recovered++;
        }
        if (page.length < FILL_PAGE) break;
        after = (page.at(-1) as StoredEvent).id;
      }
      // Everything up to the tail is accounted for, delivered or not of our rooms.
      this.lastDelivered = tail;
    }
    for (const [i, channel] of channels.entries()) {
      const seq = Number(seqs[i] ?? 0);
      if (seq < channel.seq) {
        // Redis came back with less than it had (restarted without its last writes): follow it,
        // or no later gap would ever show.
        this.logger.warn(
          { channel: channel.name, had: channel.seq, now: seq },
          'event bus: channel sequence went back',
        );
      }
      channel.seq = seq;
      channel.due = seq;
    }
    if (this.drops === drops) this.recovering = false;
    if (recovered) this.logger.warn({ recovered }, 'event bus: filled a gap from the stream');
  }

  /**
   * Compares each watched channel's sequence in Redis with what arrived, and fills what did not:
   * everything Redis had counted at the previous check (messages published since may still be on
   * their way).
   */
  private async checkAll(): Promise<void> {
    const channels = [...this.channels.values()];
    if (!channels.length) return;
    // The recovery after a reconnection failed (or the subscriber is not back yet): again.
    if (this.recovering) return this.recover();
    const current = await this.client.hmget(this.keys.channelSeq, ...channels.map((c) => c.name));
    let behind = false;
    for (const [i, channel] of channels.entries()) {
      const seq = Number(current[i] ?? 0);
      if (channel.seq < channel.due || seq < channel.seq) behind = true;
      channel.due = seq;
    }
    if (behind) await this.fill();
  }

  /** Hands an event to the sink unless its id is not past the last one delivered; says whether it was. */
  private deliver(event: StoredEvent): boolean {
    if (this.lastDelivered !== null && compareEventIds(event.id, this.lastDelivered) <= 0) return false;
    this.lastDelivered = event.id;
    this.sink(event);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // The connection closes next, and its subscriptions with it: nothing to tell the library.
    this.pubsub.close();
    this.channels.clear();
  }
}
