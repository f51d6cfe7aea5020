/**
 * The embedded engine: everything in this process's memory, so `npm start` needs nothing else.
 * A commit is synchronous end to end (check, write, append, publish), which makes it atomic for free.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { flexibleLimiter } from '../rate-limiter.js';
import { expiredCursor, IdempotencyKeyTaken, malformedCursor, VersionConflict } from '../../domain/errors.js';
import { compareEventIds, isEventId, type StoredEvent } from '../../domain/events/event-types.js';
import {
  INDEXES,
  type Clock,
  type Commit,
  type DocMap,
  type Engine,
  type EventBus,
  type EventLog,
  type EventRange,
  type HealthReport,
  type IdempotencyRecord,
  type Kind,
  membershipsOf,
  scoreOf,
  type ListQuery,
  type Presence,
  type RealtimeSnapshot,
  type RoomInterest,
  type Store,
  type Versioned,
  type Where,
} from '../../domain/ports.js';

/** Freezes a value all the way down: stored records are shared, and nobody may change them in place. */
function deepFreeze<T>(value: T): T {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: null and primitives count as frozen, so each part alone ends the recursion
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** First index in the sorted `ids` whose id sorts after `after`. */
function upperBound(ids: string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Collection {
  readonly records = new Map<string, Versioned<DocMap[Kind]>>();
  /** Ids in sort order (= creation order, ids being ULIDs). */
  readonly ids: string[] = [];

  constructor(readonly fields: readonly string[]) {}

  set(id: string, record: Versioned<DocMap[Kind]>): void {
    if (!this.records.has(id)) {
      const at = upperBound(this.ids, id);
      this.ids.splice(at, 0, id);
    }
    this.records.set(id, record);
  }

  remove(id: string): void {
    if (!this.records.delete(id)) return;
    const at = upperBound(this.ids, id) - 1;
    // Stryker disable next-line ConditionalExpression: a record that was deleted is always in ids, at this index
    if (this.ids[at] === id) this.ids.splice(at, 1);
  }

  matches(doc: DocMap[Kind], where: Record<string, string | undefined>): boolean {
    for (const [field, value] of Object.entries(where)) {
      if (value === undefined) continue;
      const actual = (doc as unknown as Record<string, unknown>)[field];
      if (actual === null || actual === undefined || String(actual) !== value) return false;
    }
    return true;
  }
}

export class MemoryStore implements Store {
  private readonly collections = new Map<Kind, Collection>();
  /** Set key → version (see `setKey`); absent is 0. */
  private readonly setVersionMap = new Map<string, number>();
  /** Idempotency keys in the order stored; with one TTL for all, that is also expiry order. */
  private readonly keys = new Map<string, IdempotencyRecord & { expiresAt: number }>();

  constructor(
    private readonly onCommit: (commit: Commit) => StoredEvent[],
    private readonly clock: Clock,
  ) {
    for (const [kind, fields] of Object.entries(INDEXES)) {
      this.collections.set(kind as Kind, new Collection(fields));
    }
  }

  private collection(kind: Kind): Collection {
    const found = this.collections.get(kind);
    if (!found) throw new Error(`unknown kind ${kind}`);
    return found;
  }

  async get<K extends Kind>(kind: K, id: string): Promise<Versioned<DocMap[K]> | null> {
    return (this.collection(kind).records.get(id) as Versioned<DocMap[K]> | undefined) ?? null;
  }

  async list<K extends Kind>(kind: K, query: ListQuery<K>): Promise<Versioned<DocMap[K]>[]> {
    const c = this.collection(kind);
    const where = (query.where ?? {}) as Record<string, string | undefined>;
    this.checkWhere(c, where);
    const out: Versioned<DocMap[K]>[] = [];
    for (let i = query.after ? upperBound(c.ids, query.after) : 0; i < c.ids.length; i++) {
      if (out.length >= query.limit) break;
      const record = c.records.get(c.ids[i] as string) as Versioned<DocMap[K]>;
      if (c.matches(record.doc, where)) out.push(record);
    }
    return out;
  }

  async listDue<K extends Kind>(kind: K, upTo: number, limit: number): Promise<Versioned<DocMap[K]>[]> {
    // In memory a scan is cheap; the index order is the score's, then the id's.
    const due: [number, Versioned<DocMap[K]>][] = [];
    for (const record of this.collection(kind).records.values()) {
      const score = scoreOf(kind, record.doc as DocMap[K]);
      if (score !== null && score !== undefined && score <= upTo)
        due.push([score, record as Versioned<DocMap[K]>]);
    }
    due.sort(
      ([a, ra], [b, rb]) => a - b || ((ra.doc as { id: string }).id < (rb.doc as { id: string }).id ? -1 : 1),
    );
    return due.slice(0, limit).map(([, record]) => record);
  }

  async count<K extends Kind>(kind: K, where?: Where<K>): Promise<number> {
    const c = this.collection(kind);
    const w = (where ?? {}) as Record<string, string | undefined>;
    this.checkWhere(c, w);
    // Stryker disable next-line ConditionalExpression,MethodExpression,ArrowFunction,EqualityOperator,BooleanLiteral: a short cut; counting the matches of no filter gives the same number
    if (Object.values(w).every((v) => v === undefined)) return c.records.size;
    let n = 0;
    for (const record of c.records.values()) if (c.matches(record.doc, w)) n++;
    return n;
  }

  private checkWhere(c: Collection, where: Record<string, string | undefined>): void {
    for (const field of Object.keys(where)) {
      if (!c.fields.includes(field)) throw new Error(`${field} is not an indexed field`);
    }
  }

  async setVersions(keys: string[]): Promise<number[]> {
    return keys.map((key) => this.setVersionMap.get(key) ?? 0);
  }

  async time(): Promise<number> {
    return this.clock.now().getTime();
  }

  async idempotency(key: string): Promise<IdempotencyRecord | null> {
    this.dropExpiredKeys();
    const found = this.keys.get(key);
    return found
      ? { requestHash: found.requestHash, outcome: found.outcome, eventIds: found.eventIds }
      : null;
  }

  private dropExpiredKeys(): void {
    const now = this.clock.now().getTime();
    for (const [key, record] of this.keys) {
      if (record.expiresAt > now) break;
      this.keys.delete(key);
    }
  }

  private bump(keys: Iterable<string>): void {
    for (const key of keys) this.setVersionMap.set(key, (this.setVersionMap.get(key) ?? 0) + 1);
  }

  async commit(commit: Commit): Promise<StoredEvent[]> {
    for (const e of commit.expect) {
      const current = this.collection(e.kind).records.get(e.id)?.version ?? 0;
      if (current !== e.version) throw new VersionConflict(`${e.kind}:${e.id}`);
    }
    for (const s of commit.sets ?? []) {
      if ((this.setVersionMap.get(s.key) ?? 0) !== s.version) throw new VersionConflict(s.key);
    }
    if (commit.clock) {
      const now = this.clock.now().getTime();
      const { notBefore, before } = commit.clock;
      if (notBefore !== undefined && now < notBefore) throw new VersionConflict('clock');
      if (before !== undefined && now >= before) throw new VersionConflict('clock');
    }
    const idempotency = commit.idempotency;
    if (idempotency) {
      this.dropExpiredKeys();
      if (this.keys.has(idempotency.key)) throw new IdempotencyKeyTaken(idempotency.key);
    }
    for (const p of commit.put) {
      const c = this.collection(p.kind);
      const before = c.records.get(p.id);
      // Stryker disable next-line ArrayDeclaration: a new record was in no set; a made-up key names no set anyone reads
      const was = new Set(before ? membershipsOf(p.kind, before.doc) : []);
      const is = new Set(membershipsOf(p.kind, p.doc));
      this.bump([...was].filter((k) => !is.has(k)));
      this.bump([...is].filter((k) => !was.has(k)));
      c.set(p.id, deepFreeze({ doc: structuredClone(p.doc), version: p.version }));
    }
    for (const d of commit.del) {
      const c = this.collection(d.kind);
      const before = c.records.get(d.id);
      if (before) this.bump(membershipsOf(d.kind, before.doc));
      c.remove(d.id);
    }
    const stored = this.onCommit(commit);
    if (idempotency) {
      this.keys.set(idempotency.key, {
        requestHash: idempotency.requestHash,
        outcome: idempotency.outcome,
        eventIds: stored.map((e) => e.id),
        expiresAt: this.clock.now().getTime() + idempotency.ttlMs,
      });
    }
    return stored;
  }
}

export class MemoryEventLog implements EventLog {
  private events: StoredEvent[] = [];
  /** The newest event that retention dropped: a cursor equal to it still replays without a gap. */
  private lastTrimmedId: string | null = null;
  private lastMs = 0;
  private lastSeq = -1;

  constructor(
    private readonly retention: number,
    private readonly clock: Clock,
  ) {}

  append(commit: Commit): StoredEvent[] {
    const stored = commit.events.map((draft) => {
      const ms = Math.max(this.clock.now().getTime(), this.lastMs);
      this.lastSeq = ms === this.lastMs ? this.lastSeq + 1 : 0;
      this.lastMs = ms;
      return deepFreeze({
        ...structuredClone(draft),
        id: `${ms}-${this.lastSeq}`,
        timestamp: commit.timestamp,
        source: commit.source,
      });
    });
    this.events.push(...stored);
    const excess = this.events.length - this.retention;
    // Stryker disable next-line EqualityOperator: with no excess, trimming none changes nothing
    if (excess > 0) {
      this.lastTrimmedId = this.events[excess - 1]?.id ?? this.lastTrimmedId;
      this.events = this.events.slice(excess);
    }
    return stored;
  }

  async readAfter(cursor: string, limit: number): Promise<StoredEvent[]> {
    if (!isEventId(cursor)) {
      throw malformedCursor(cursor);
    }
    let start: number;
    if (cursor === this.lastTrimmedId) start = 0;
    else {
      start = this.indexOf(cursor);
      if (start < 0) {
        throw expiredCursor(cursor);
      }
      start += 1;
    }
    return this.events.slice(start, start + limit);
  }

  async lastId(): Promise<string | null> {
    return this.events.at(-1)?.id ?? null;
  }

  async readRange({ after, before, limit, newestFirst }: EventRange): Promise<StoredEvent[]> {
    const from = after === null ? 0 : this.firstAfter(after);
    const to = before === null ? this.events.length : this.firstAfter(before, true);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a short cut; both slices below are empty when from >= to
    if (from >= to) return [];
    return newestFirst
      ? this.events.slice(Math.max(from, to - limit), to).reverse()
      : this.events.slice(from, Math.min(to, from + limit));
  }

  /** The index of the first event after `id` (or at it, with `inclusive`). */
  private firstAfter(id: string, inclusive = false): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareEventIds((this.events[mid] as StoredEvent).id, id);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(id: string): number {
    let lo = 0;
    let hi = this.events.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareEventIds((this.events[mid] as StoredEvent).id, id);
      if (c === 0) return mid;
      // Stryker disable next-line EqualityOperator: c === 0 has returned above
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

export class MemoryEventBus implements EventBus {
  private sink: ((event: StoredEvent) => void) | null = null;
  /** Watched or not: the room index keeps the count of who wants a room. */
  private readonly interest = new Set<RoomInterest>();

  setSink(sink: (event: StoredEvent) => void): void {
    this.sink = sink;
  }

  async watch(room: RoomInterest): Promise<void> {
    this.interest.add(room);
  }

  async unwatch(room: RoomInterest): Promise<void> {
    this.interest.delete(room);
  }

  publish(events: StoredEvent[]): void {
    if (!this.sink) return;
    for (const event of events) {
      if (this.interest.has('*') || event.rooms.some((room) => this.interest.has(room))) this.sink(event);
    }
  }
}

export class MemoryPresence implements Presence {
  private readonly reports = new Map<string, { snapshot: RealtimeSnapshot; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async report(instanceId: string, snapshot: RealtimeSnapshot, ttlMs: number): Promise<void> {
    this.reports.set(instanceId, { snapshot, expiresAt: this.clock.now().getTime() + ttlMs });
  }

  async all(): Promise<RealtimeSnapshot[]> {
    const now = this.clock.now().getTime();
    const live: RealtimeSnapshot[] = [];
    for (const [id, r] of this.reports) {
      // Gone once the clock reaches the expiry, as on Redis.
      if (r.expiresAt <= now) this.reports.delete(id);
      else live.push(r.snapshot);
    }
    return live;
  }
}

export interface MemoryEngineOptions {
  /** How many events `since` can replay. */
  retention: number;
  clock: Clock;
}

export function createMemoryEngine(options: MemoryEngineOptions): Engine {
  const log = new MemoryEventLog(options.retention, options.clock);
  const bus = new MemoryEventBus();
  const store = new MemoryStore((commit) => {
    const stored = log.append(commit);
    bus.publish(stored);
    return stored;
  }, options.clock);
  const health = async (): Promise<HealthReport> => ({ ready: true, checks: { memory: { ok: true } } });
  return {
    name: 'memory',
    store,
    log,
    bus,
    presence: new MemoryPresence(options.clock),
    limiter: (name, points, durationS) =>
      flexibleLimiter(new RateLimiterMemory({ keyPrefix: name, points, duration: durationS })),
    health,
    close: async () => {},
  };
}
