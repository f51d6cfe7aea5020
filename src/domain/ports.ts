/**
 * The small async interfaces an engine implements. The domain owns them; the memory engine and the
 * Redis engine plug in behind them, and one contract suite (test/engines/contract.ts) runs against
 * every engine.
 */
import type { EventDraft, StoredEvent } from './events/event-types.js';
import type { Agent, Alert, Coordination, Election, Lease, Proposal, Task } from './model.js';

/** What a store holds, by kind. */
export interface DocMap {
  agent: Agent;
  task: Task;
  election: Election;
  proposal: Proposal;
  alert: Alert;
  coordination: Coordination;
  lease: Lease;
}
export type Kind = keyof DocMap;

/**
 * The fields an engine indexes, per kind: `list` and `count` may filter on these and only these.
 * Values are compared as strings; a null field is not indexed.
 */
export const INDEXES = {
  agent: ['status', 'type'],
  task: ['status', 'assigneeId'],
  election: [],
  proposal: ['status'],
  alert: [],
  coordination: [],
  lease: ['state'],
} as const satisfies { [K in Kind]: readonly (keyof DocMap[K] & string)[] };
export type IndexField<K extends Kind> = (typeof INDEXES)[K][number];
export type Where<K extends Kind> = Partial<Record<IndexField<K>, string>>;

/**
 * Ordered indexes: per kind, a score computed from each record (null: the record is not in the
 * index). `Store.listDue` reads a kind's indexed records in score order, up to a bound. Leases are
 * indexed at their deadline while HELD, so that a sweep reads only what is due.
 */
export const SCORES: { [K in Kind]?: (doc: DocMap[K]) => number | null } = {
  lease: (lease) => (lease.state === 'HELD' ? Date.parse(lease.expiresAt) : null),
};

/** The record's score in its kind's ordered index: null when it is not in it, undefined when the kind has none. */
export function scoreOf<K extends Kind>(kind: K, doc: DocMap[K]): number | null | undefined {
  const score = SCORES[kind] as ((doc: DocMap[K]) => number | null) | undefined;
  return score ? score(doc) : undefined;
}

/**
 * A set a transaction can guard: every record of a kind (`agent:*`), or those whose indexed field
 * has one value (`agent:status:ACTIVE`). Each set has a version that every commit adding a record to
 * it or removing one from it raises, in the same atomic step; a change to a member that keeps it a
 * member does not. A decision over a set (the ACTIVE agents, an agent's tasks) re-checks at commit
 * that the set's version is still the one read, so a record that joined or left it meanwhile (a
 * phantom) makes the transaction run again.
 */
export function setKey(kind: Kind, field?: string, value?: string): string {
  return field === undefined ? `${kind}:*` : `${kind}:${field}:${value}`;
}

/** The sets a `list` or `count` with this filter reads: one per field given, or the whole kind. */
export function setKeysOf(kind: Kind, where: Record<string, string | undefined> = {}): string[] {
  const keys = Object.entries(where)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => setKey(kind, field, value));
  return keys.length ? keys : [setKey(kind)];
}

/** The sets a record belongs to. */
export function membershipsOf(kind: Kind, doc: object): string[] {
  const keys = [setKey(kind)];
  for (const field of INDEXES[kind] as readonly string[]) {
    const value = (doc as Record<string, unknown>)[field];
    if (value !== null && value !== undefined) keys.push(setKey(kind, field, String(value)));
  }
  return keys;
}

/** A record and the version it was read at. Version 0 never exists: a new record is written at 1. */
export interface Versioned<T> {
  doc: T;
  version: number;
}

export interface ListQuery<K extends Kind> {
  where?: Where<K>;
  /** Exclusive: records whose id sorts after this one. Ids sort in creation order. */
  after?: string | null | undefined;
  limit: number;
}

/** One atomic change: every check must still hold, then every write and every event lands together. */
export interface Commit {
  /** Records read by the transaction and the version read (0: it must still not exist). */
  expect: { kind: Kind; id: string; version: number }[];
  /** Sets (see `setKey`) the transaction listed or counted, and the version read (0: never changed). */
  sets?: { key: string; version: number }[];
  /**
   * Conditions on the engine's own clock (ms since the epoch), checked at commit like the versions:
   * the engine's now must be at or after `notBefore` and before `before`. This is how a lease's
   * expiry is decided by one clock (Redis TIME in the commit script), never by an instance's.
   */
  clock?: { notBefore?: number; before?: number };
  /** Records to write; `version` is the new version (the expected one + 1). */
  put: { kind: Kind; id: string; doc: DocMap[Kind]; version: number }[];
  /** Records to remove (each must also appear in `expect`). */
  del: { kind: Kind; id: string }[];
  /** Events to append to the log and publish, in order, with this timestamp and source. */
  events: EventDraft[];
  timestamp: string;
  source: string | null;
  /**
   * Stored with the change, in the same atomic step, when the request carried an idempotency key:
   * the commit fails with IdempotencyKeyTaken, writing nothing, when the key is already stored.
   */
  idempotency?: IdempotencyWrite;
}

export interface IdempotencyWrite {
  /** The scoped key (caller scope, key and the ordinal of the change within the request). */
  key: string;
  /** A digest of the request, so that a key sent again with another request is recognised. */
  requestHash: string;
  /** The transaction's outcome as JSON; the engine stores the event ids beside it. */
  outcome: string;
  ttlMs: number;
}

/** A stored idempotency key: what the first request with it was, and what it gave. */
export interface IdempotencyRecord {
  requestHash: string;
  outcome: string;
  /** The ids of the events the change published, in order. */
  eventIds: string[];
}

export interface Store {
  get<K extends Kind>(kind: K, id: string): Promise<Versioned<DocMap[K]> | null>;
  /** Records of a kind, oldest first (ids sort in creation order), filtered by indexed fields. */
  list<K extends Kind>(kind: K, query: ListQuery<K>): Promise<Versioned<DocMap[K]>[]>;
  /**
   * Records of a kind that has an ordered index (see SCORES) whose score is at most `upTo`, lowest
   * score first, at most `limit` of them. Empty for a kind without one.
   */
  listDue<K extends Kind>(kind: K, upTo: number, limit: number): Promise<Versioned<DocMap[K]>[]>;
  /** How many records of a kind match the indexed fields. */
  count<K extends Kind>(kind: K, where?: Where<K>): Promise<number>;
  /** The current version of each set (see `setKey`), 0 for a set never changed. */
  setVersions(keys: string[]): Promise<number[]>;
  /**
   * The engine's clock, ms since the epoch: the one clock lease deadlines are set and decided by,
   * whichever instance asks (Redis TIME on the Redis engine; the engine's clock in memory).
   */
  time(): Promise<number>;
  /** The stored outcome of an idempotency key, or null when it is unknown or expired. */
  idempotency(key: string): Promise<IdempotencyRecord | null>;
  /**
   * Applies the commit atomically (across instances, for a shared engine) and returns the events as
   * stored, with their ids. Throws VersionConflict, and changes nothing, when any expectation fails
   * (a record's or a set's version), and IdempotencyKeyTaken when the commit's idempotency key is
   * already stored. Every commit raises the version of each set a record joins or leaves.
   */
  commit(commit: Commit): Promise<StoredEvent[]>;
}

/** The retained history of events, for `since` replay. */
export interface EventLog {
  /**
   * Up to `limit` events stored after the event `cursor`, oldest first. Throws a DomainError when
   * the cursor is malformed (BAD_USER_INPUT) or is not the id of a retained event (CURSOR_EXPIRED):
   * a replay that silently skipped events would be worse than an error.
   */
  readAfter(cursor: string, limit: number): Promise<StoredEvent[]>;
  /** The id of the newest stored event, or null when none is retained. */
  lastId(): Promise<string | null>;
  /**
   * Up to `limit` retained events whose ids lie strictly between `after` and `before` (null: no
   * bound), oldest first, or newest first when `newestFirst`. A bound need not be retained: this
   * reads what is there, for history views (use `readAfter` where a gap must be an error).
   */
  readRange(range: EventRange): Promise<StoredEvent[]>;
}

export interface EventRange {
  after: string | null;
  before: string | null;
  limit: number;
  newestFirst: boolean;
}

/** `'*'` stands for every room. */
export type RoomInterest = string | '*';

/**
 * Live delivery to this process. The bus calls the sink once per published event whose rooms meet
 * the current interest, whichever instance published it, with ids strictly increasing: across
 * rooms too, also after the bus refilled a gap from the log (a subscriber's cursor is one id).
 */
export interface EventBus {
  setSink(sink: (event: StoredEvent) => void): void;
  /**
   * Widens the interest; resolves once events for that room are being received. Interest is not
   * counted: watching a watched room changes nothing, and one unwatch ends it (the realtime room
   * index holds the one count of who wants a room).
   */
  watch(room: RoomInterest): Promise<void>;
  unwatch(room: RoomInterest): Promise<void>;
}

/** This instance's realtime figures, as one instance reports them. */
export interface RealtimeSnapshot {
  activeConnections: number;
  totalConnections: number;
  totalDisconnections: number;
  activeSubscriptions: number;
  rooms: Record<string, number>;
  eventsPublished: number;
  messagesDelivered: number;
  /** Events dropped for subscriptions whose overflow policy drops rather than disconnects. */
  eventsDropped?: number;
}

/** Where instances share their figures so that any one can answer for all of them. */
export interface Presence {
  /** Records this instance's figures; they drop out once `ttlMs` passes without another report. */
  report(instanceId: string, snapshot: RealtimeSnapshot, ttlMs: number): Promise<void>;
  /** The figures of every live instance. */
  all(): Promise<RealtimeSnapshot[]>;
}

/**
 * The answer of a rate limiter: allowed, or how long until the key may try again; with what is left
 * of the key's window and when it starts again, where the store says so.
 */
export type RateDecision = (
  { allowed: true; remaining?: number } | { allowed: false; retryAfterMs: number; remaining?: number }
) & { resetAfterMs?: number };

/** A rate limit per key, shared by every instance of a shared engine. */
export interface RateLimiter {
  /** Takes `points` (default 1) of the key's points for the current window. */
  take(key: string, points?: number): Promise<RateDecision>;
}

export interface HealthReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface Engine {
  readonly name: string;
  readonly store: Store;
  readonly log: EventLog;
  readonly bus: EventBus;
  readonly presence: Presence;
  /** A limiter of `points` per `durationS`-second window per key; `name` keeps limits apart. */
  limiter(name: string, points: number, durationS: number): RateLimiter;
  /** Whether the engine can serve requests now. Never throws. */
  health(): Promise<HealthReport>;
  /** Releases every connection and timer. Idempotent. */
  close(): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
