/**
 * One subscription (`events` or `eventStream`, over any transport), as `open` returns it to the
 * schema layer: one state machine, replaying → live, with one cursor and one filter.
 *
 * It starts as its own routing target and queues what arrives (buffering while a replay is read).
 * From there it goes one of two ways: a transport that can take frames hands it to a group (what it
 * queued is flushed into the connection's queue and the group delivers from then on, positions
 * included, written by the hub for this subscription alone), or it is iterated, item by item, by a
 * caller that has no connection queue.
 *
 * A positioned stream (`eventStream`) also says where it stands: a `StreamPosition` right after its
 * live side is registered, one when a `since` replay reaches the point where the live side took
 * over, and one on each idle heartbeat. Its cursor is a promise: resume with `since: cursor` and
 * every matching event after it arrives, none before it again.
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { compareEventIds, type EventType, type StoredEvent } from '../domain/events/event-types.js';
import type { LogReplay } from './replay.js';
import {
  entityKey,
  isEventsDropped,
  type DropListener,
  type EventsDropped,
  type Gap,
  type OverflowPolicy,
} from './overflow.js';
import { wanted } from './room-check.js';
import type { RoutedTarget } from './room-index.js';

/** Where a stream stands: resuming with `since: cursor` misses nothing and repeats nothing. */
export interface StreamPosition {
  readonly kind: 'position';
  /** Null only while the log has never held an event. */
  readonly cursor: string | null;
  /** False while a `since` replay is still to come; true once live events flow. */
  readonly live: boolean;
}

export type StreamItem = StoredEvent | StreamPosition;
/** What waits in a stream: its items, and (a grouped stream's) report of live events it dropped. */
export type QueuedItem = StreamItem | EventsDropped;

export function isStreamPosition(item: StreamItem): item is StreamPosition {
  return (item as StreamPosition).kind === 'position';
}

export function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  // Stryker disable next-line EqualityOperator: equal ids are the same id, whichever is returned
  return compareEventIds(a, b) >= 0 ? a : b;
}

/** What a stream needs from the hub. */
export interface StreamOwner {
  /** An event was handed to an iterating consumer. */
  delivered(): void;
  /** `bytes` more (or fewer) wait in an iterated stream of this connection. */
  queued(stream: Subscription, bytes: number): void;
  ended(stream: Subscription): void;
  /** A positioned stream begins its heartbeats: call `beat` every so often until it ends. */
  beating(stream: Subscription, heartbeatMs: number): void;
}

/**
 * How a grouped positioned stream writes its positions, and whether its connection is idle: its
 * connection, one for all of its streams (each call names the stream).
 */
export interface PositionWriter {
  writePosition(stream: Subscription, position: StreamPosition): void;
  /** Nothing of this subscription waits to be sent: a heartbeat now covers every routed event. */
  positionIdle(stream: Subscription): boolean;
  /** The newest event written for it by its group, and when. */
  lastSentTo(stream: Subscription): { id: string | null; at: number };
}

/** A positioned stream's setup: where it started, and where a `since` replay turns live. */
export interface PositionPlan {
  heartbeatMs: number;
  /** The newest log id before the live side registered: where its replay or catch-up starts. */
  start: string | null;
  /**
   * The newest event at or before `start` that the caller may read: the first cursor of a stream
   * without `since`. A cursor never points past what its reader may read, so that it reveals nothing
   * of rooms the reader lacks (null when none is readable).
   */
  startCursor: string | null;
  /**
   * The newest id a heartbeat can claim one beat later (every event up to it routed by then): the
   * newest event the caller may read, or null when none is found near the end of the log.
   */
  settle: (access: ReadAccess) => Promise<string | null>;
}

const sizes = new WeakMap<StoredEvent, number>();
/** An event's size as JSON, computed once per event whatever the number of iterated streams. */
function sizeOf(item: StreamItem): number {
  if (isStreamPosition(item)) return 0;
  let size = sizes.get(item);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(item));
    sizes.set(item, size);
  }
  return size;
}

export class Subscription implements RoutedTarget, AsyncIterableIterator<StreamItem> {
  readonly size = 1;
  private queue: QueuedItem[] = [];
  /** Bytes of this stream counted against the connection's budget now. */
  private countedBytes = 0;
  /** The replay (`since`, or a positioned stream's catch-up), read page by page as the client consumes it. */
  private replay: LogReplay | null = null;
  /** A replayed event read past the live mark, handed out right after the live position. */
  private held: StoredEvent | null = null;
  /** A positioned `since` replay: where it turns live (the live position is sent there). */
  private liveMark: { start: string | null; since: string } | null = null;
  /** The live position's cursor: the newest readable event at the start. */
  private readableMark: string | null = null;
  private waiter: {
    resolve: (result: IteratorResult<StreamItem>) => void;
    reject: (error: unknown) => void;
  } | null = null;
  private done = false;
  /** Why the stream ended, when it ended in an error the client is to receive. */
  private failure: Error | null = null;
  /**
   * While replaying, live events wait here: counted against the connection's budget, or, under a
   * policy that drops, held within the subscription's share (see `bufferWithin`).
   */
  private buffered: StoredEvent[] | null = null;
  /** A grouped stream whose policy drops: the share its buffered live events may take, and its drops. */
  private bound: { share: () => number; onDrop: DropListener } | null = null;
  /** Under `bound`: the buffered events' bytes, the dropped slots, and the newest of each entity. */
  private bufferedBytes = 0;
  private bufferedHead = 0;
  private latestOfEntity: Map<string, StoredEvent> | null = null;
  private droppedWhileBuffered: Set<StoredEvent> | null = null;
  /** Buffered live events dropped that the replay does not send either: reported before the rest. */
  private bufferedGap: Gap | null = null;
  /** Where the replay must stop, set before it was opened (its first page was being read). */
  private stopAt: string | null = null;
  /** Live events at or before this id were already replayed (or precede the cursor). */
  private replayedUpTo: string | null = null;
  /** A positioned stream's newest cursor sent, and its heartbeat state. */
  private cursor: string | null = null;
  private settled: string | null = null;
  private idleSince = Date.now();
  private writer: PositionWriter | null = null;
  /** What it loses when its client falls behind (set by the hub as it opens it). */
  overflow: OverflowPolicy = 'DISCONNECT';
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
    private readonly plan: PositionPlan | null = null,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  get floor(): string | null {
    return this.replayedUpTo;
  }

  get positioned(): boolean {
    return this.plan !== null;
  }

  /** Its types, and (for a subscription to every room) a room the caller may read. */
  wants(event: StoredEvent): boolean {
    return wanted(event, this.rooms, this.types, this.access);
  }

  /**
   * A positioned stream's first position: at `since` (not live: a replay follows), or at its start.
   * Heartbeats begin.
   */
  announce(since: string | null): void {
    const plan = this.plan;
    if (!plan) return;
    this.cursor = since ?? plan.startCursor;
    this.settled = plan.startCursor;
    this.queue.push({ kind: 'position', cursor: this.cursor, live: since === null });
    if (since !== null) this.liveMark = { start: plan.start, since };
    this.readableMark = plan.startCursor;
    if (plan.heartbeatMs > 0) this.owner.beating(this, plan.heartbeatMs);
  }

  startBuffering(): void {
    this.buffered = [];
  }

  /**
   * A grouped stream whose policy drops (DROP_OLDEST, COALESCE): the live events that arrive while a
   * `since` replay is read are held within `share()` bytes instead of counting against the
   * connection's bound, and its policy chooses what goes (overflow.ts). A dropped event that the
   * replay has read already is sent by the replay; one it has not read is lost, and the replay then
   * stops before it, so that what it lost is one range, reported (before the buffered events that
   * follow) exactly.
   */
  bufferWithin(share: () => number, onDrop: DropListener): void {
    this.bound = { share, onDrop };
  }

  /** Made on first use: only a stream whose policy drops buffers within a bound. */
  private get bufferedLatest(): Map<string, StoredEvent> {
    return (this.latestOfEntity ??= new Map());
  }

  private get bufferedDropped(): Set<StoredEvent> {
    return (this.droppedWhileBuffered ??= new Set());
  }

  private bufferBounded(
    buffered: StoredEvent[],
    event: StoredEvent,
    bound: NonNullable<typeof this.bound>,
  ): void {
    const key = this.overflow === 'COALESCE' ? entityKey(event) : null;
    if (key !== null) {
      const older = this.bufferedLatest.get(key);
      if (older) this.dropBuffered(older, 'coalesced', bound);
      this.bufferedLatest.set(key, event);
    }
    buffered.push(event);
    this.bufferedBytes += sizeOf(event);
    // Shown in the connection's queue depth (within its share, so never past the bound alone).
    this.count(sizeOf(event));
    const share = bound.share();
    while (this.bufferedBytes > share && this.bufferedHead < buffered.length) {
      const oldest = buffered[this.bufferedHead++] as StoredEvent;
      if (this.bufferedDropped.delete(oldest)) continue;
      this.dropBuffered(oldest, 'overflow', bound);
      this.bufferedDropped.delete(oldest);
    }
    // Coalesced events leave holes behind the head: compacted once they are most of the buffer.
    const dropped = this.bufferedDropped;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,LogicalOperator,BlockStatement: memory only; the holes are skipped as the buffer is read, compacted or not
    if (this.bufferedHead + dropped.size > 1024 && (this.bufferedHead + dropped.size) * 2 > buffered.length) {
      const kept = buffered.slice(this.bufferedHead).filter((e) => !dropped.has(e));
      buffered.length = 0;
      for (const event of kept) buffered.push(event);
      this.bufferedHead = 0;
      dropped.clear();
    }
  }

  private dropBuffered(
    event: StoredEvent,
    reason: 'overflow' | 'coalesced',
    bound: NonNullable<typeof this.bound>,
  ): void {
    this.bufferedDropped.add(event);
    this.bufferedBytes -= sizeOf(event);
    this.count(-sizeOf(event));
    const key = entityKey(event);
    if (key !== null && this.bufferedLatest.get(key) === event) this.bufferedLatest.delete(key);
    // Read by the replay already: it is sent from there, so nothing is lost.
    const read = this.replay?.lastId ?? null;
    if (this.replay && read !== null && compareEventIds(event.id, read) <= 0) return;
    if (this.replay) this.replay.stopBefore(event.id);
    else if (this.stopAt === null || compareEventIds(event.id, this.stopAt) < 0) this.stopAt = event.id;
    const gap = this.bufferedGap;
    if (!gap) this.bufferedGap = { count: 1, fromId: event.id, toId: event.id };
    else {
      gap.count++;
      if (compareEventIds(event.id, gap.fromId) < 0) gap.fromId = event.id;
      if (compareEventIds(event.id, gap.toId) > 0) gap.toId = event.id;
    }
    bound.onDrop(this.overflow, reason, 1);
  }

  /** What a replay hands out: the events this subscription would have received live. */
  replayed(event: StoredEvent): boolean {
    return this.wants(event);
  }

  /** Serves `replay` ahead of the live events buffered since startBuffering. */
  beginReplay(replay: LogReplay): void {
    this.replay = replay;
    if (this.stopAt !== null) replay.stopBefore(this.stopAt);
  }

  /** No replay after all: the live events buffered meanwhile follow what is queued. */
  endBuffering(upTo: string | null): void {
    this.finishReplay(upTo, null);
  }

  get replaying(): boolean {
    return this.replay !== null;
  }

  /**
   * The next replayed item (an event, or the live position where a `since` replay reaches the live
   * side's start), or null once the replay is drained (then the buffered live events follow).
   */
  async nextReplayed(): Promise<StreamItem | null> {
    const replay = this.replay;
    if (!replay || this.done) return null;
    const event = this.held ?? (await replay.next());
    this.held = null;
    if (this.done) return null;
    const mark = this.liveMark;
    if (mark && (!event || mark.start === null || compareEventIds(event.id, mark.start) > 0)) {
      this.liveMark = null;
      this.held = event;
      // A replay cut short of the live side's start (its subscription dropped live events) has not
      // sent everything up to there: the position claims only what it has.
      const cursor = replay.cut
        ? later(mark.since, replay.lastReadable)
        : later(this.readableMark, mark.since);
      this.cursor = later(this.cursor, cursor);
      return { kind: 'position', cursor, live: true };
    }
    if (event) return event;
    this.finishReplay(replay.lastId, replay.lastReadable);
    return null;
  }

  /** The replay is drained: the buffered live events that came after it, then live ones. */
  private finishReplay(lastId: string | null, lastReadable: string | null): void {
    this.replay = null;
    this.replayedUpTo = lastId;
    // What the filter skipped still moves a position's cursor (nothing up to there is left to send),
    // as far as the last event its reader may read.
    if (this.plan) this.cursor = later(this.cursor, lastReadable);
    const waiting = this.buffered ?? [];
    this.buffered = null;
    const gap = this.bufferedGap;
    this.bufferedGap = null;
    if (gap) this.queue.push({ kind: 'dropped', ...gap, reason: this.overflow });
    for (let at = this.bufferedHead; at < waiting.length; at++) {
      const event = waiting[at] as StoredEvent;
      if (this.droppedWhileBuffered?.has(event)) continue;
      // Already counted against the budget as it was buffered.
      if (lastId === null || compareEventIds(event.id, lastId) > 0) this.queue.push(event);
      else this.count(-sizeOf(event));
    }
    this.bufferedHead = 0;
    this.bufferedBytes = 0;
    this.droppedWhileBuffered?.clear();
    this.latestOfEntity?.clear();
    // Stryker disable next-line ConditionalExpression: a short cut; no consumer is waiting here (an iterated stream finishes its replay inside its own next(), a grouped one hands nothing to its waiter)
    if (this.queue.length) this.wakeWaiter();
  }

  private count(bytes: number): void {
    const change = Math.max(bytes, -this.countedBytes);
    if (change === 0) return;
    this.countedBytes += change;
    this.owner.queued(this, change);
  }

  /** A live event routed here. */
  deliver(event: StoredEvent): void {
    if (this.done) return;
    if (this.buffered && this.bound) return this.bufferBounded(this.buffered, event, this.bound);
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

  private enqueue(item: StreamItem): void {
    if (this.waiter && !this.grouped) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(this.take(item));
      return;
    }
    this.queue.push(item);
    if (this.budgeted) this.count(sizeOf(item));
  }

  /** Hands an item to the iterating consumer, moving the cursor. */
  private take(item: StreamItem): IteratorResult<StreamItem> {
    this.idleSince = Date.now();
    if (isStreamPosition(item)) this.cursor = later(this.cursor, item.cursor);
    else {
      if (this.plan) this.cursor = later(this.cursor, item.id);
      this.owner.delivered();
    }
    return { value: item, done: false };
  }

  /**
   * The next item for an iterating consumer. A report of dropped events waits only in a stream bound
   * for a group (`bufferWithin`), which its group hands on; an iterated stream never holds one.
   */
  private shift(): StreamItem | undefined {
    for (;;) {
      const item = this.queue.shift();
      if (!item || !isEventsDropped(item)) return item;
    }
  }

  private wakeWaiter(): void {
    if (!this.waiter || this.grouped) return;
    const item = this.shift();
    if (!item) return;
    this.count(-sizeOf(item));
    const { resolve } = this.waiter;
    this.waiter = null;
    resolve(this.take(item));
  }

  /**
   * Hands over what waits (positions, replayed and live events), for a group to deliver; the stream
   * then only ends, when the client completes or the connection closes.
   */
  takeQueued(): QueuedItem[] {
    const taken = this.queue;
    this.count(-this.countedBytes);
    this.queue = [];
    return taken;
  }

  /** From now on the hub writes this grouped stream's positions (heartbeats) through `writer`. */
  attach(writer: PositionWriter): void {
    this.writer = writer;
  }

  /** A grouped stream's position was written (the first one, or the live one of a replay). */
  wrote(position: StreamPosition): void {
    this.cursor = later(this.cursor, position.cursor);
    this.idleSince = Date.now();
  }

  /** Sends its position if it has been idle for a heartbeat (the hub calls this every so often). */
  async beat(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.done || this.replay || this.queue.length) return;
    // Only while nothing of it waits: every routed event has then been sent.
    const writer = this.grouped ? this.writer : null;
    if (this.grouped ? !writer?.positionIdle(this) : !this.waiter) return;
    const sent = writer?.lastSentTo(this) ?? { id: null, at: 0 };
    const now = Date.now();
    if (now - Math.max(this.idleSince, sent.at) < plan.heartbeatMs) return;
    this.idleSince = now;
    this.cursor = later(this.cursor, sent.id);
    const before = this.cursor;
    const cursor = later(this.cursor, this.settled);
    try {
      this.settled = await plan.settle(this.access);
    } catch {
      // The engine being down is reported by /ready; this heartbeat keeps the cursor it had.
    }
    if (this.done) return;
    // An event went out while the log was read: this position would follow it with an older cursor
    // (a client resuming from it would get that event again). The next heartbeat says where it is.
    if (this.cursor !== before || this.queue.length || (writer && writer.lastSentTo(this).id !== sent.id))
      return;
    this.cursor = later(this.cursor, cursor);
    const position: StreamPosition = { kind: 'position', cursor, live: true };
    if (writer) writer.writePosition(this, position);
    else this.enqueue(position);
  }

  async next(): Promise<IteratorResult<StreamItem>> {
    if (this.grouped) return this.untilEnd();
    for (;;) {
      if (this.done) return this.untilEnd();
      const item = this.shift();
      if (item) {
        this.count(-sizeOf(item));
        return this.take(item);
      }
      if (!this.replay) return this.untilEnd();
      const replayed = await this.nextReplayed();
      if (replayed) return this.take(replayed);
    }
  }

  private untilEnd(): Promise<IteratorResult<StreamItem>> {
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
    this.held = null;
    this.replay?.release();
    this.replay = null;
    this.writer = null;
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = null;
    this.owner.ended(this);
  }

  return(): Promise<IteratorResult<StreamItem>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<StreamItem>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StreamItem> {
    return this;
  }
}
