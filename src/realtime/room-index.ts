/**
 * The room/type index: which delivery targets want an event, found by room, each once.
 *
 * It also owns the bus interest, as centrifuge's hub does for its broker: the first target in a room
 * asks the bus to watch it, the last one out asks it to stop, so the engine's bus sees one watch per
 * room and instance however many subscribers share it.
 */
import type { EventType, StoredEvent } from '../domain/events/event-types.js';
import type { EventBus } from '../domain/ports.js';

/** The key of the bucket for targets that want every room (the bus's all-rooms interest). */
export const ALL_ROOMS = '*';

/** Something the index routes events to: a group of subscriptions, or a single stream. */
export interface RoutedTarget {
  /** Null: every room (the access check then runs per event). */
  readonly rooms: readonly string[] | null;
  readonly types: ReadonlySet<EventType> | null;
  /** Subscriptions it stands for, for the per-room figures. */
  readonly size: number;
  /** The type filter and, for an all-rooms target, the read rights; run once per target and event. */
  wants(event: StoredEvent): boolean;
  deliver(event: StoredEvent): void;
}

interface Bucket<T> {
  targets: Set<T>;
  /** Settles once the bus receives this room's events. */
  ready: Promise<void>;
}

export interface IndexLogger {
  warn(obj: object, msg: string): void;
}

export class RoomIndex<T extends RoutedTarget> {
  private readonly buckets = new Map<string, Bucket<T>>();
  /** Reused for every event: routing allocates nothing per event but this set's entries. */
  private readonly scratch = new Set<T>();

  constructor(
    private readonly bus: Pick<EventBus, 'watch' | 'unwatch'>,
    private readonly logger: IndexLogger,
  ) {}

  /** Adds a target to its rooms; resolves once every one of them is watched. */
  add(target: T): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const room of target.rooms ?? [ALL_ROOMS]) {
      let bucket = this.buckets.get(room);
      if (!bucket) {
        bucket = { targets: new Set(), ready: this.bus.watch(room) };
        // Failures reach the caller through `ready`; this keeps a later one from going unhandled.
        bucket.ready.catch(() => undefined);
        this.buckets.set(room, bucket);
      }
      bucket.targets.add(target);
      waits.push(bucket.ready);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Removes a target; a room left empty is no longer watched. Idempotent. */
  remove(target: T): void {
    for (const room of target.rooms ?? [ALL_ROOMS]) {
      const bucket = this.buckets.get(room);
      if (!bucket?.targets.delete(target) || bucket.targets.size > 0) continue;
      this.buckets.delete(room);
      this.bus.unwatch(room).catch((error: unknown) => {
        this.logger.warn({ err: error, room }, 'could not stop watching a room');
      });
    }
  }

  /** Hands the event to every target that wants it, each once however many of its rooms match. */
  route(event: StoredEvent): void {
    const all = this.buckets.get(ALL_ROOMS);
    // The common case, one room and no all-rooms target, needs no de-duplication.
    // Stryker disable next-line BlockStatement: a short cut; the general path below routes the same
    if (!all && event.rooms.length === 1) {
      const bucket = this.buckets.get(event.rooms[0] as string);
      if (bucket) for (const target of bucket.targets) if (target.wants(event)) target.deliver(event);
      return;
    }
    const targets = this.scratch;
    if (all) for (const target of all.targets) targets.add(target);
    for (const room of event.rooms) {
      const bucket = this.buckets.get(room);
      if (bucket) for (const target of bucket.targets) targets.add(target);
    }
    try {
      for (const target of targets) if (target.wants(event)) target.deliver(event);
    } finally {
      targets.clear();
    }
  }

  /** Subscriptions per named room (the all-rooms bucket is not a room). */
  roomCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [room, bucket] of this.buckets) {
      if (room === ALL_ROOMS) continue;
      let n = 0;
      for (const target of bucket.targets) n += target.size;
      counts[room] = n;
    }
    return counts;
  }

  /** Every target, once. */
  targets(): Set<T> {
    const all = new Set<T>();
    for (const bucket of this.buckets.values()) for (const target of bucket.targets) all.add(target);
    return all;
  }
}
