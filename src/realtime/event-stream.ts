/**
 * One subscription's stream of events, as `open` returns it to the schema layer.
 *
 * It starts as its own routing target and queues what arrives (buffering while a `since` replay is
 * read). From there it goes one of two ways: a transport that can take frames hands it to a group
 * (the queued events are flushed into the connection's queue and the group delivers from then on),
 * or it is iterated, event by event, by a caller that interleaves items of its own (`eventStream`).
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { compareEventIds, type EventType, type StoredEvent } from '../domain/events/event-types.js';
import type { LogReplay } from './replay.js';
import type { RoutedTarget } from './room-index.js';

/** What a stream needs from the hub. */
export interface StreamOwner {
  /** An event was handed to an iterating consumer. */
  delivered(): void;
  /** `bytes` more (or fewer) wait in an iterated stream of this connection. */
  queued(stream: EventStream, bytes: number): void;
  ended(stream: EventStream): void;
}

const sizes = new WeakMap<StoredEvent, number>();
/** An event's size as JSON, computed once per event whatever the number of iterated streams. */
function sizeOf(event: StoredEvent): number {
  let size = sizes.get(event);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(event));
    sizes.set(event, size);
  }
  return size;
}

export class EventStream implements RoutedTarget, AsyncIterableIterator<StoredEvent> {
  readonly size = 1;
  private queue: StoredEvent[] = [];
  /** Bytes of this stream counted against the connection's budget now. */
  private countedBytes = 0;
  /** The `since` replay, read page by page as the client consumes it (replay.ts). */
  private replay: LogReplay | null = null;
  private waiter: {
    resolve: (result: IteratorResult<StoredEvent>) => void;
    reject: (error: unknown) => void;
  } | null = null;
  private done = false;
  /** Why the stream ended, when it ended in an error the client is to receive. */
  private failure: Error | null = null;
  /** While replaying `since`, live events wait here (counted against the connection's budget). */
  private buffered: StoredEvent[] | null = null;
  /** Live events at or before this id were already replayed (or precede the cursor). */
  private replayedUpTo: string | null = null;
  /** Whether the hub counts it among the active subscriptions (once its rooms are watched). */
  counted = false;
  /** Whether what waits in its queue counts against the connection's budget. */
  budgeted = true;
  /**
   * Delivered by its group (replay included): iterating it then only waits for its end, and must not
   * take events (the transport iterates it to learn when it ends).
   */
  grouped = false;

  constructor(
    readonly rooms: readonly string[] | null,
    readonly types: ReadonlySet<EventType> | null,
    /** Replaced when the connection's rights are renewed. */
    public access: ReadAccess,
    private readonly owner: StreamOwner,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  get floor(): string | null {
    return this.replayedUpTo;
  }

  /** Its types, and (for a subscription to every room) a room the caller may read. */
  wants(event: StoredEvent): boolean {
    if (this.types && !this.types.has(event.type)) return false;
    return this.rooms !== null || event.rooms.some((room) => this.access.canRead(room));
  }

  startBuffering(): void {
    this.buffered = [];
  }

  /** What a replay hands out: the events this subscription would have received live. */
  replayed(event: StoredEvent): boolean {
    return this.matchesRooms(event) && this.wants(event);
  }

  /** Serves `replay` ahead of the live events buffered since startBuffering. */
  beginReplay(replay: LogReplay): void {
    this.replay = replay;
  }

  get replaying(): boolean {
    return this.replay !== null;
  }

  /** The next replayed event, or null once the replay is drained (then the buffered live ones follow). */
  async nextReplayed(): Promise<StoredEvent | null> {
    const replay = this.replay;
    if (!replay || this.done) return null;
    const event = await replay.next();
    if (event || this.done) return event;
    this.finishReplay(replay.lastId);
    return null;
  }

  /** The replay is drained: the buffered live events that came after it, then live ones. */
  private finishReplay(lastId: string): void {
    this.replay = null;
    this.replayedUpTo = lastId;
    const waiting = this.buffered ?? [];
    this.buffered = null;
    for (const event of waiting) {
      // Already counted against the budget as it was buffered.
      if (compareEventIds(event.id, lastId) > 0) this.queue.push(event);
      else this.count(-sizeOf(event));
    }
  }

  private count(bytes: number): void {
    const change = Math.max(bytes, -this.countedBytes);
    if (change === 0) return;
    this.countedBytes += change;
    this.owner.queued(this, change);
  }

  private matchesRooms(event: StoredEvent): boolean {
    return !this.rooms || event.rooms.some((room) => this.rooms?.includes(room));
  }

  /** A live event routed here. */
  deliver(event: StoredEvent): void {
    if (this.done) return;
    if (this.buffered) {
      this.buffered.push(event);
      // A replay lasts as long as its client takes to read it: what piles up meanwhile is bounded
      // like any slow reader's queue.
      this.count(sizeOf(event));
      return;
    }
    if (this.replayedUpTo !== null && compareEventIds(event.id, this.replayedUpTo) <= 0) return;
    this.enqueue(event);
  }

  private enqueue(event: StoredEvent): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      this.owner.delivered();
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.budgeted) this.count(sizeOf(event));
  }

  /**
   * Hands over what waits (replayed first, then live), for a group to deliver; the stream then only
   * ends, when the client completes or the connection closes.
   */
  takeQueued(): StoredEvent[] {
    const taken = this.queue;
    this.count(-this.countedBytes);
    this.queue = [];
    return taken;
  }

  async next(): Promise<IteratorResult<StoredEvent>> {
    if (this.grouped) return this.untilEnd();
    if (this.replay && !this.done) {
      const replayed = await this.nextReplayed();
      if (replayed) {
        this.owner.delivered();
        return { value: replayed, done: false };
      }
    }
    return this.nextLive();
  }

  private nextLive(): Promise<IteratorResult<StoredEvent>> {
    const event = this.queue.shift();
    if (event) {
      this.count(-sizeOf(event));
      this.owner.delivered();
      return Promise.resolve({ value: event, done: false });
    }
    return this.untilEnd();
  }

  private untilEnd(): Promise<IteratorResult<StoredEvent>> {
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Ends the stream with an error for the client (its rights no longer cover it). */
  fail(error: Error): void {
    if (this.done) return;
    const waiter = this.waiter;
    this.waiter = null;
    this.end();
    if (waiter) waiter.reject(error);
    else this.failure = error;
  }

  /** Ends the stream: the client unsubscribed, its connection closed, or the hub is closing. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.count(-this.countedBytes);
    this.queue.length = 0;
    this.buffered = null;
    this.replay?.release();
    this.replay = null;
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = null;
    this.owner.ended(this);
  }

  return(): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoredEvent> {
    return this;
  }
}
