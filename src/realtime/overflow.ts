/**
 * What a subscription loses when its client reads slower than its events arrive (docs/overflow.md).
 *
 * DISCONNECT (the default) closes the connection once it holds more than its byte bound (4008); the
 * client resumes with `since`. DROP_OLDEST and COALESCE keep the connection: each such subscription
 * has a `Lane` in its connection's queue, a queue of frames already encoded by its group (with their
 * event ids, entity keys and sizes), held while the socket is behind and bounded by the
 * subscription's share of the connection's bytes. Past its share a lane drops its oldest frames;
 * a coalescing lane first drops the older frame of the same entity. Every dropped event is recorded
 * in the lane's gap, which is sent before the lane's next event: a frame of its own on `eventStream`
 * (`EventsDropped`), `extensions.dropped` on the next result of `events`.
 *
 * A lane that dropped is *behind*: it writes nothing more until its client has read everything
 * written before (connection-queue.ts asks the transport), so that every drop of one backlog joins
 * one gap and one report, however much the kernel's buffers still took meanwhile.
 */
import { compareEventIds, type EventType, type StoredEvent } from '../domain/events/event-types.js';

export const OVERFLOW_POLICIES = ['DISCONNECT', 'DROP_OLDEST', 'COALESCE'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

/** Why events were dropped: their lane passed its share, or a newer state of the same entity replaced them. */
export type DropReason = 'overflow' | 'coalesced';

/** The events a subscription did not get, sent where they were dropped. */
export interface EventsDropped {
  readonly kind: 'dropped';
  readonly count: number;
  readonly fromId: string;
  readonly toId: string;
  readonly reason: OverflowPolicy;
}

export function isEventsDropped(item: unknown): item is EventsDropped {
  return (item as EventsDropped | null)?.kind === 'dropped';
}

/**
 * The types that describe the latest state of one entity: while a COALESCE subscriber is behind,
 * only the newest of each entity is kept.
 */
export const COALESCED_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'METRICS_UPDATED',
  'HEALTH_CHANGED',
  'TASK_PROGRESS',
  'AGENT_UPDATED',
]);

/** The entity an event is the latest state of (null: an event that is never coalesced). */
export function entityKey(event: StoredEvent): string | null {
  if (!COALESCED_TYPES.has(event.type)) return null;
  const payload = event.payload;
  switch (payload.kind) {
    case 'task':
      return `${event.type}:${payload.task.id}`;
    case 'agent':
      return `${event.type}:${payload.agent.id}`;
    // One instance's figures and readiness: the instance is the entity.
    default:
      return `${event.type}:${event.source ?? ''}`;
  }
}

/**
 * A frame as its parts (a member's prefix, the group's payload, the suffix), joined only when it is
 * written: a lane holds references to the payload its group shares, so a thousand paused members
 * holding the same events cost their bytes once, and a frame dropped before it is written is never
 * made at all.
 */
export type FrameParts = Buffer | readonly Buffer[];

/** The bytes of a frame given as its parts. */
export function joinFrame(parts: FrameParts, length = frameLength(parts)): Buffer {
  if (Buffer.isBuffer(parts)) return parts;
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts as Buffer[], length);
}

export function frameLength(parts: FrameParts): number {
  if (Buffer.isBuffer(parts)) return parts.length;
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

/** What a frame that left its lane holds on to. */
const GONE: readonly Buffer[] = [];

/** A frame held in a lane. */
interface Held {
  parts: FrameParts;
  /** Its bytes, as they will be written. */
  length: number;
  /** An event (counted as delivered) rather than one of the stream's own frames (a position). */
  counted: boolean;
  id: string | null;
  key: string | null;
  dropped: boolean;
}

export interface Gap {
  count: number;
  fromId: string;
  toId: string;
}

/** How a lane reports its drops (for the metrics). */
export type DropListener = (policy: OverflowPolicy, reason: DropReason, count: number) => void;

/**
 * One subscription's frames held in its connection while the socket is behind. `marker` makes the
 * frame of a gap (`eventStream`); without it the gap goes into the next event's result (`events`).
 */
export class Lane {
  private items: Held[] = [];
  private head = 0;
  private readonly latest = new Map<string, Held>();
  /** Bytes held now. */
  bytes = 0;
  /** Frames held now. */
  frames = 0;
  private gap: Gap | null = null;
  /**
   * It dropped since it last wrote: it waits (holding its newest) until its client has read what
   * was written before, and then writes its gap and what it holds.
   */
  behind = false;
  /** The connection's queue is waiting for the client to confirm that it read (see `behind`). */
  confirming = false;

  constructor(
    readonly policy: Exclude<OverflowPolicy, 'DISCONNECT'>,
    /** Bytes after an operation's payload in each frame (its framing's suffix). */
    private readonly suffixLength: number,
    private readonly marker: ((dropped: EventsDropped) => Buffer) | null,
    private readonly onDrop: DropListener,
  ) {}

  get empty(): boolean {
    return this.frames === 0;
  }

  /** Holds a frame; a coalescing lane drops the held frame of the same entity. */
  hold(frame: FrameParts, counted: boolean, id: string | null, key: string | null): void {
    const held: Held = { parts: frame, length: frameLength(frame), counted, id, key, dropped: false };
    if (this.policy === 'COALESCE' && key !== null) {
      const older = this.latest.get(key);
      if (older && !older.dropped) this.drop(older, 'coalesced');
      this.latest.set(key, held);
    }
    this.items.push(held);
    this.bytes += held.length;
    this.frames++;
  }

  /** Drops the oldest frames until at most `share` bytes are held. */
  trim(share: number): void {
    while (this.bytes > share) {
      const oldest = this.next();
      if (!oldest) return;
      this.drop(oldest, 'overflow');
    }
  }

  /** The oldest frame still held, removed (its bytes made now); null when none is. */
  shift(): { frame: Buffer; counted: boolean } | null {
    const held = this.next();
    if (!held) return null;
    const frame = joinFrame(held.parts, held.length);
    this.forget(held);
    return { frame, counted: held.counted };
  }

  private next(): Held | null {
    while (this.head < this.items.length) {
      const held = this.items[this.head] as Held;
      if (!held.dropped) return held;
      this.head++;
    }
    this.items = [];
    this.head = 0;
    return null;
  }

  /**
   * A frame leaves the lane: taken by `shift`, or dropped. Its bytes go at once, and the entries of
   * frames gone are cleared out once they outnumber those held: a lane that drops on and on (a
   * paused reader, or one entity updated thousands of times behind an older event) holds its share
   * and no more.
   */
  private forget(held: Held): void {
    held.dropped = true;
    this.bytes -= held.length;
    held.parts = GONE;
    this.frames--;
    if (held.key !== null && this.latest.get(held.key) === held) this.latest.delete(held.key);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: when the entries are compacted is memory only (those of frames gone are skipped either way).
    if (this.items.length - this.head > 2 * this.frames + 64) {
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: the entries before head are all of frames gone, and keeping those is memory only.
      this.items = this.items.filter((item, i) => i >= this.head && !item.dropped);
      this.head = 0;
    }
  }

  private drop(held: Held, reason: DropReason): void {
    this.forget(held);
    // A position dropped is not an event lost: a later one says where the stream stands.
    if (!held.counted || held.id === null) return;
    this.join({ count: 1, fromId: held.id, toId: held.id });
    this.onDrop(this.policy, reason, 1);
  }

  /**
   * Events its subscription dropped before they reached the lane (while a `since` replay was read),
   * reported with the lane's own drops, before its next event. Counted by whoever dropped them.
   */
  addGap(dropped: Gap): void {
    this.join(dropped);
  }

  private join(dropped: Gap): void {
    this.behind = true;
    const gap = this.gap;
    if (!gap) {
      // Only the figures: a report handed on from a replay (`EventsDropped`) carries its kind and
      // policy too, which `extensions.dropped` does not.
      this.gap = { count: dropped.count, fromId: dropped.fromId, toId: dropped.toId };
      return;
    }
    gap.count += dropped.count;
    if (compareEventIds(dropped.fromId, gap.fromId) < 0) gap.fromId = dropped.fromId;
    if (compareEventIds(dropped.toId, gap.toId) > 0) gap.toId = dropped.toId;
  }

  /**
   * The frames to write for `frame` (the lane's next): the gap first, as a frame of its own or in
   * the frame's result; then the frame. A gap waits for the lane's next event.
   */
  framesFor(frame: Buffer, counted: boolean): Buffer[] {
    const gap = this.gap;
    if (!gap) return [frame];
    const dropped: EventsDropped = { kind: 'dropped', ...gap, reason: this.policy };
    if (this.marker) {
      this.gap = null;
      return [this.marker(dropped), frame];
    }
    if (!counted) return [frame];
    this.gap = null;
    return [withDropped(frame, this.suffixLength, gap)];
  }

  /** Drops everything (the subscription ended). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.latest.clear();
    this.bytes = 0;
    this.frames = 0;
    this.gap = null;
    this.behind = false;
  }
}

/** An `events` result with `extensions.dropped` added (its payload is a JSON object before the suffix). */
function withDropped(frame: Buffer, suffixLength: number, gap: Gap): Buffer {
  const end = frame.length - suffixLength - 1;
  const extensions = Buffer.from(`,"extensions":{"dropped":${JSON.stringify(gap)}}}`);
  return Buffer.concat([frame.subarray(0, end), extensions, frame.subarray(end + 1)]);
}
