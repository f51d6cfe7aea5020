/**
 * Optimistic transactions over a Store. A service reads what it needs through a Tx, decides, stages
 * writes and events, and the runner commits them in one atomic step that re-checks every version the
 * transaction read: each record's, and each set's it listed or counted (so a record that joined or
 * left the ACTIVE agents meanwhile counts as a change too). When another request (or instance)
 * changed one of them first, the whole function runs again on fresh data, so the rules are always
 * applied to the state they change: of two racing requests exactly one wins and the other sees the
 * outcome (INVALID_TRANSITION, CONFLICT, ...). A refusal is checked the same way before it is
 * answered: "no agent is ACTIVE" holds for the state at that moment, not for a stale read.
 */
import { createHash } from 'node:crypto';
import { badInput, conflict, DomainError, IdempotencyKeyTaken, VersionConflict } from './errors.js';
import type { EventDraft, StoredEvent } from './events/event-types.js';
import {
  setKeysOf,
  type Clock,
  type Commit,
  type DocMap,
  type Kind,
  type ListQuery,
  type Store,
  type Versioned,
  type Where,
} from './ports.js';

const key = (kind: Kind, id: string) => `${kind}:${id}`;

export class Tx {
  private readonly reads = new Map<string, { kind: Kind; id: string; version: number }>();
  private readonly sets = new Map<string, number>();
  private readonly writes = new Map<string, { kind: Kind; id: string; doc: DocMap[Kind] | null }>();
  /** The engine's now, read once per run, and the clock conditions the decisions took on it. */
  private engineNow: number | null = null;
  private notBefore: number | undefined;
  private before: number | undefined;
  readonly events: EventDraft[] = [];

  constructor(private readonly store: Store) {}

  /** Reads a record (as this transaction staged it, if it did) and guards its version. */
  async get<K extends Kind>(kind: K, id: string): Promise<DocMap[K] | null> {
    const k = key(kind, id);
    const staged = this.writes.get(k);
    if (staged) return staged.doc as DocMap[K] | null;
    const found = await this.store.get(kind, id);
    if (!this.reads.has(k)) this.reads.set(k, { kind, id, version: found?.version ?? 0 });
    return found?.doc ?? null;
  }

  /**
   * Lists records and guards the set's membership: the commit fails if a record joined or left it
   * meanwhile. The listed records' own versions are not guarded; call `guard` on each one whose
   * fields (a load, the capabilities) the decision weighs.
   */
  async list<K extends Kind>(kind: K, query: ListQuery<K>): Promise<Versioned<DocMap[K]>[]> {
    await this.guardSets(kind, query.where);
    return this.store.list(kind, query);
  }

  /** Counts records and guards the set's membership, as `list` does. */
  async count<K extends Kind>(kind: K, where?: Where<K>): Promise<number> {
    await this.guardSets(kind, where);
    return this.store.count(kind, where);
  }

  /**
   * The set's version is read before its members: a change that lands in between raises the version
   * too, so at worst the transaction runs again for nothing, and it never decides on a list newer
   * than the version it checks.
   */
  private async guardSets(kind: Kind, where: object | undefined): Promise<void> {
    const keys = setKeysOf(kind, where as Record<string, string | undefined>).filter(
      (k) => !this.sets.has(k),
    );
    // Stryker disable next-line ConditionalExpression: a short cut; reading no versions changes nothing
    if (!keys.length) return;
    const versions = await this.store.setVersions(keys);
    keys.forEach((k, i) => this.sets.set(k, versions[i] ?? 0));
  }

  /** The engine's clock (see `Store.time`), read once per run of the transaction. */
  async time(): Promise<number> {
    this.engineNow ??= await this.store.time();
    return this.engineNow;
  }

  /**
   * Whether a deadline on the engine's clock is still ahead, with the answer guarded at commit: the
   * commit fails (and the transaction runs again) unless the engine's now, when it lands, is still
   * before it (true) or still at or past it (false). So a lease is expired or renewed by one clock,
   * the engine's, never by comparing two instances' clocks.
   */
  async isBefore(deadlineMs: number): Promise<boolean> {
    const ahead = (await this.time()) < deadlineMs;
    if (ahead) this.before = Math.min(this.before ?? Infinity, deadlineMs);
    else this.notBefore = Math.max(this.notBefore ?? -Infinity, deadlineMs);
    return ahead;
  }

  /** Makes the commit fail if this listed record changed before it lands. */
  guard<K extends Kind>(kind: K, record: Versioned<DocMap[K]> & { doc: { id: string } }): DocMap[K] {
    const k = key(kind, record.doc.id);
    if (!this.reads.has(k)) this.reads.set(k, { kind, id: record.doc.id, version: record.version });
    return (this.writes.get(k)?.doc as DocMap[K] | undefined) ?? record.doc;
  }

  /** Stages a new record; the commit fails if one with that id appeared meanwhile. */
  create<K extends Kind>(kind: K, doc: DocMap[K] & { id: string }): void {
    const k = key(kind, doc.id);
    if (!this.reads.has(k)) this.reads.set(k, { kind, id: doc.id, version: 0 });
    this.writes.set(k, { kind, id: doc.id, doc });
  }

  /** Stages a new version of a record this transaction read (through get or guard). */
  put<K extends Kind>(kind: K, doc: DocMap[K] & { id: string }): void {
    const k = key(kind, doc.id);
    if (!this.reads.has(k)) throw new Error(`put of ${k} that the transaction did not read`);
    this.writes.set(k, { kind, id: doc.id, doc });
  }

  delete(kind: Kind, id: string): void {
    const k = key(kind, id);
    if (!this.reads.has(k)) throw new Error(`delete of ${k} that the transaction did not read`);
    this.writes.set(k, { kind, id, doc: null });
  }

  emit(event: EventDraft): void {
    this.events.push(event);
  }

  toCommit(timestamp: string, source: string | null): Commit {
    const commit: Commit = {
      expect: [...this.reads.values()],
      sets: [...this.sets].map(([key, version]) => ({ key, version })),
      put: [],
      del: [],
      events: this.events,
      timestamp,
      source,
    };
    if (this.notBefore !== undefined || this.before !== undefined) {
      commit.clock = {
        ...(this.notBefore !== undefined ? { notBefore: this.notBefore } : {}),
        ...(this.before !== undefined ? { before: this.before } : {}),
      };
    }
    for (const [k, w] of this.writes) {
      const version = this.reads.get(k)?.version ?? 0;
      if (w.doc === null) commit.del.push({ kind: w.kind, id: w.id });
      else commit.put.push({ kind: w.kind, id: w.id, doc: w.doc, version: version + 1 });
    }
    return commit;
  }

  /** A commit that only re-checks what was read: for a refusal, which writes nothing. */
  toCheck(timestamp: string): Commit {
    return { ...this.toCommit(timestamp, null), put: [], del: [], events: [] };
  }

  get isEmpty(): boolean {
    return this.writes.size === 0 && this.events.length === 0;
  }

  /** Whether the transaction read anything a commit could re-check. */
  get hasReads(): boolean {
    return (
      this.reads.size > 0 || this.sets.size > 0 || this.notBefore !== undefined || this.before !== undefined
    );
  }
}

/**
 * The idempotency key a request carried. `scope` keeps callers apart (the caller's identity, or
 * `anonymous`); `requestHash` is a digest of the request, so that the same key sent with a
 * different request is refused rather than answered with another request's outcome.
 */
export interface IdempotencyContext {
  key: string;
  scope: string;
  requestHash: string;
}

/** Idempotency keys: 1–255 visible ASCII characters, as the HTTP draft's examples and Stripe's. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** A digest of a GraphQL request (its document, operation name and variables). */
export function requestHash(
  query: string,
  operationName: string | null | undefined,
  variables: unknown,
): string {
  return createHash('sha256')
    .update(JSON.stringify([query, operationName ?? null, variables ?? null]))
    .digest('base64url');
}

export interface TransactionRunnerOptions {
  store: Store;
  clock: Clock;
  /** Written on every event as its `source`: which instance made the change. */
  source: string | null;
  /** How many times a transaction runs before contention becomes a CONFLICT for the client. */
  maxAttempts?: number;
  /** How long an idempotency key and its outcome are kept (default one day). */
  idempotencyTtlMs?: number;
}

export interface TxResult<T> {
  value: T;
  events: StoredEvent[];
}

interface StoredOutcome {
  value: unknown;
  /** The events as committed, without their ids (stored beside them by the engine). */
  events: Omit<StoredEvent, 'id'>[];
}

export class TransactionRunner {
  private readonly maxAttempts: number;
  /** How many changes this request has run so far: the n-th change of a retried request is keyed n. */
  private keyedRuns = 0;

  constructor(
    private readonly options: TransactionRunnerOptions,
    private readonly idempotency: IdempotencyContext | null = null,
  ) {
    this.maxAttempts = options.maxAttempts ?? 12;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** A runner for one request that carried an idempotency key (see `IdempotencyContext`). */
  withIdempotency(idempotency: IdempotencyContext): TransactionRunner {
    return new TransactionRunner(this.options, idempotency);
  }

  /**
   * Runs `fn` and commits what it staged. `fn` may run more than once, so it must do nothing but
   * read through the Tx and stage; a DomainError it throws aborts with nothing written, once the
   * reads it was based on are found unchanged (else it runs again on fresh data).
   *
   * With an idempotency key, the key and the outcome are stored in the same commit as the change:
   * a request that comes again with the key gets that outcome back, and nothing is changed or
   * published again. A refusal is not stored: the request may be sent again and runs again.
   */
  async run<T>(fn: (tx: Tx) => Promise<T>): Promise<TxResult<T>> {
    const key = this.idempotency ? this.scopedKey(this.idempotency, ++this.keyedRuns) : null;
    if (key) {
      const replay = await this.replay<T>(key);
      if (replay) return replay;
    }
    for (let attempt = 1; ; attempt++) {
      const tx = new Tx(this.options.store);
      let value: T;
      try {
        value = await fn(tx);
      } catch (error) {
        if (!(error instanceof DomainError) || !tx.hasReads) throw error;
        // A refusal is an answer about the state it read: make sure that state still holds.
        if (await this.commitOrRetry(tx.toCheck(this.options.clock.now().toISOString()), attempt))
          throw error;
        continue;
      }
      if (tx.isEmpty) return { value, events: [] };
      const commit = tx.toCommit(this.options.clock.now().toISOString(), this.options.source);
      if (key && this.idempotency) {
        const outcome: StoredOutcome = {
          value,
          events: commit.events.map((e) => ({ ...e, timestamp: commit.timestamp, source: commit.source })),
        };
        commit.idempotency = {
          key,
          requestHash: this.idempotency.requestHash,
          outcome: JSON.stringify(outcome),
          ttlMs: this.options.idempotencyTtlMs ?? 86_400_000,
        };
      }
      try {
        const events = await this.commitOrRetry(commit, attempt);
        if (events) return { value, events };
      } catch (error) {
        if (!(error instanceof IdempotencyKeyTaken) || !key) throw error;
        // The same request, sent again while the first was still running, committed first.
        const replay = await this.replay<T>(key);
        if (replay) return replay;
      }
    }
  }

  /** The commit's events, or null when a version changed and the transaction must run again. */
  private async commitOrRetry(commit: Commit, attempt: number): Promise<StoredEvent[] | null> {
    try {
      return await this.options.store.commit(commit);
    } catch (error) {
      if (!(error instanceof VersionConflict)) throw error;
      if (attempt >= this.maxAttempts) {
        throw conflict('The record changed too often while this request ran; retry it.', {
          reason: 'CONTENTION',
        });
      }
      // Spread the retries of racing requests so that they do not collide again in lockstep.
      // Stryker disable next-line ArithmeticOperator,MethodExpression: how long a retry waits is timing, not an outcome
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 6)));
      return null;
    }
  }

  private scopedKey(idempotency: IdempotencyContext, ordinal: number): string {
    return `${idempotency.scope}:${ordinal}:${idempotency.key}`;
  }

  /** The stored outcome of the key, if the first request with it committed. */
  private async replay<T>(key: string): Promise<TxResult<T> | null> {
    const stored = await this.options.store.idempotency(key);
    if (!stored) return null;
    if (stored.requestHash !== this.idempotency?.requestHash) {
      throw badInput(
        'This Idempotency-Key was already used for a different request. Use a new key for a new request; ' +
          'send the same key only to retry exactly the same request.',
        { reason: 'IDEMPOTENCY_KEY_REUSED' },
      );
    }
    const outcome = JSON.parse(stored.outcome) as StoredOutcome;
    return {
      value: outcome.value as T,
      events: outcome.events.map((e, i) => ({ ...e, id: stored.eventIds[i] ?? '' }) as StoredEvent),
    };
  }
}
