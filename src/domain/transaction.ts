/**
 * Optimistic transactions over a Store. A service reads what it needs through a Tx, decides, stages
 * writes and events, and the runner commits them in one atomic step that re-checks every version the
 * transaction read. When another request (or instance) changed one of them first, the whole function
 * runs again on fresh data, so the rules are always applied to the state they change: of two racing
 * requests exactly one wins and the other sees the outcome (INVALID_TRANSITION, CONFLICT, ...).
 */
import { conflict, VersionConflict } from './errors.js';
import type { EventDraft, StoredEvent } from './events/event-types.js';
import type { Clock, Commit, DocMap, Kind, ListQuery, Store, Versioned, Where } from './ports.js';

const key = (kind: Kind, id: string) => `${kind}:${id}`;

export class Tx {
  private readonly reads = new Map<string, { kind: Kind; id: string; version: number }>();
  private readonly writes = new Map<string, { kind: Kind; id: string; doc: DocMap[Kind] | null }>();
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

  /** Lists records without guarding them; call `guard` on any the decision depends on. */
  list<K extends Kind>(kind: K, query: ListQuery<K>): Promise<Versioned<DocMap[K]>[]> {
    return this.store.list(kind, query);
  }

  count<K extends Kind>(kind: K, where?: Where<K>): Promise<number> {
    return this.store.count(kind, where);
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
      put: [],
      del: [],
      events: this.events,
      timestamp,
      source,
    };
    for (const [k, w] of this.writes) {
      const version = this.reads.get(k)?.version ?? 0;
      if (w.doc === null) commit.del.push({ kind: w.kind, id: w.id });
      else commit.put.push({ kind: w.kind, id: w.id, doc: w.doc, version: version + 1 });
    }
    return commit;
  }

  get isEmpty(): boolean {
    return this.writes.size === 0 && this.events.length === 0;
  }
}

export interface TransactionRunnerOptions {
  store: Store;
  clock: Clock;
  /** Written on every event as its `source`: which instance made the change. */
  source: string | null;
  /** How many times a transaction runs before contention becomes a CONFLICT for the client. */
  maxAttempts?: number;
}

export interface TxResult<T> {
  value: T;
  events: StoredEvent[];
}

export class TransactionRunner {
  private readonly maxAttempts: number;

  constructor(private readonly options: TransactionRunnerOptions) {
    this.maxAttempts = options.maxAttempts ?? 12;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /**
   * Runs `fn` and commits what it staged. `fn` may run more than once, so it must do nothing but
   * read through the Tx and stage; a DomainError it throws aborts with nothing written.
   */
  async run<T>(fn: (tx: Tx) => Promise<T>): Promise<TxResult<T>> {
    for (let attempt = 1; ; attempt++) {
      const tx = new Tx(this.options.store);
      const value = await fn(tx);
      if (tx.isEmpty) return { value, events: [] };
      try {
        const events = await this.options.store.commit(
          tx.toCommit(this.options.clock.now().toISOString(), this.options.source),
        );
        return { value, events };
      } catch (error) {
        if (!(error instanceof VersionConflict)) throw error;
        if (attempt >= this.maxAttempts) {
          throw conflict('The record changed too often while this request ran; retry it.', {
            reason: 'CONTENTION',
          });
        }
        // Spread the retries of racing requests so that they do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
