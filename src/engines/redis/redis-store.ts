import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { IdempotencyKeyTaken, VersionConflict } from '../../domain/errors.js';
import type { StoredEvent } from '../../domain/events/event-types.js';
import {
  INDEXES,
  SCORES,
  scoreOf,
  type Commit,
  type DocMap,
  type IdempotencyRecord,
  type Kind,
  type ListQuery,
  type Store,
  type Versioned,
  type Where,
} from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import { execAll, orUnavailable } from './redis-errors.js';

const COMMIT_SCRIPT = readFileSync(new URL('./scripts/commit.lua', import.meta.url), 'utf8');

type CommitClient = Redis & {
  colonyCommit(...args: (string | number)[]): Promise<string[] | ['CONFLICT' | 'IDEMPOTENT', string]>;
};

function indexValue(doc: object, field: string): string | false {
  const value = (doc as Record<string, unknown>)[field];
  return value === null || value === undefined ? false : String(value);
}

/** Records in Redis hashes with sorted-set indexes; every change goes through one Lua script. */
export class RedisStore implements Store {
  private readonly client: CommitClient;

  constructor(
    client: Redis,
    private readonly keys: RedisKeys,
    private readonly retention: number,
  ) {
    client.defineCommand('colonyCommit', { numberOfKeys: 5, lua: COMMIT_SCRIPT });
    this.client = client as CommitClient;
  }

  async get<K extends Kind>(kind: K, id: string): Promise<Versioned<DocMap[K]> | null> {
    const [record] = await this.getMany(kind, [id]);
    return record ?? null;
  }

  async list<K extends Kind>(kind: K, query: ListQuery<K>): Promise<Versioned<DocMap[K]>[]> {
    const where = Object.entries(query.where ?? {}).filter(([, v]) => v !== undefined) as [string, string][];
    this.checkFields(kind, where);
    // Walk the narrowest index we have (the first field's), checking the other fields on the records.
    const [first] = where;
    const index = first ? this.keys.fieldIndex(kind, first[0], first[1]) : this.keys.index(kind);
    const out: Versioned<DocMap[K]>[] = [];
    let after = query.after ?? null;
    // Ask for more ids than needed when other fields filter some out, but not unboundedly many.
    const batch = Math.min(Math.max(query.limit, 50), 1000);
    while (out.length < query.limit) {
      const ids = await orUnavailable(() =>
        this.client.zrangebylex(index, after ? `(${after}` : '-', '+', 'LIMIT', 0, batch),
      );
      if (!ids.length) break;
      const records = await this.getMany(kind, ids);
      for (const record of records) {
        if (!record) continue;
        // The first field too: the record may have left that index after ZRANGEBYLEX read it.
        const doc = record.doc as unknown as Record<string, unknown>;
        if (where.every(([field, value]) => doc[field] != null && String(doc[field]) === value))
          out.push(record);
        if (out.length >= query.limit) break;
      }
      if (ids.length < batch) break;
      after = ids.at(-1) ?? null;
    }
    return out;
  }

  /**
   * Records with the versions they were written at. One MULTI, so that no commit lands between the
   * two reads: a record paired with a newer version would let a transaction decide on stale data
   * and still pass the version check.
   */
  private async getMany<K extends Kind>(kind: K, ids: string[]): Promise<(Versioned<DocMap[K]> | null)[]> {
    const [docs, versions] = (await orUnavailable(() =>
      execAll(() =>
        this.client
          .multi()
          .hmget(this.keys.docs(kind), ...ids)
          .hmget(this.keys.versions, ...ids.map((id) => `${kind}:${id}`))
          .exec(),
      ),
    )) as [(string | null)[], (string | null)[]];
    return docs.map((json, i) =>
      json ? { doc: JSON.parse(json) as DocMap[K], version: Number(versions[i] ?? 0) } : null,
    );
  }

  async listDue<K extends Kind>(kind: K, upTo: number, limit: number): Promise<Versioned<DocMap[K]>[]> {
    const ids = await orUnavailable(() =>
      this.client.zrangebyscore(this.keys.due(kind), '-inf', upTo, 'LIMIT', 0, limit),
    );
    if (!ids.length) return [];
    return (await this.getMany(kind, ids)).filter((r): r is Versioned<DocMap[K]> => r !== null);
  }

  async setVersions(keys: string[]): Promise<number[]> {
    if (!keys.length) return [];
    const versions = await orUnavailable(() => this.client.hmget(this.keys.setVersions, ...keys));
    return versions.map((v) => Number(v ?? 0));
  }

  /** Redis TIME: the one clock every instance of the fleet shares. */
  async time(): Promise<number> {
    const [seconds, micros] = await orUnavailable(() => this.client.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async idempotency(key: string): Promise<IdempotencyRecord | null> {
    const [requestHash, outcome, ids] = await orUnavailable(() =>
      this.client.hmget(this.keys.idempotency(key), 'hash', 'outcome', 'ids'),
    );
    if (requestHash == null || outcome == null) return null;
    return { requestHash, outcome, eventIds: ids ? ids.split(',') : [] };
  }

  async count<K extends Kind>(kind: K, where?: Where<K>): Promise<number> {
    const fields = Object.entries(where ?? {}).filter(([, v]) => v !== undefined) as [string, string][];
    this.checkFields(kind, fields);
    if (fields.length === 0) return orUnavailable(() => this.client.zcard(this.keys.index(kind)));
    if (fields.length === 1) {
      const [[field, value]] = fields as [[string, string]];
      return orUnavailable(() => this.client.zcard(this.keys.fieldIndex(kind, field, value)));
    }
    return (await this.list(kind, { where: where as Where<K>, limit: Number.MAX_SAFE_INTEGER })).length;
  }

  private checkFields(kind: Kind, fields: [string, string][]): void {
    const allowed = INDEXES[kind] as readonly string[];
    for (const [field] of fields)
      if (!allowed.includes(field)) throw new Error(`${field} is not an indexed field`);
  }

  async commit(commit: Commit): Promise<StoredEvent[]> {
    const idem = commit.idempotency;
    const change = {
      expect: commit.expect.map((e) => [`${e.kind}:${e.id}`, e.version]),
      sets: (commit.sets ?? []).map((s) => [s.key, s.version]),
      // false: no bound (cjson has no undefined).
      clock: [commit.clock?.notBefore ?? false, commit.clock?.before ?? false],
      idem: idem ? [idem.key, idem.requestHash, idem.outcome, idem.ttlMs] : false,
      put: commit.put.map((p) => {
        const fields = INDEXES[p.kind] as readonly string[];
        // The ordered index: 'n' for a kind without one, false to leave it, a number to be in it.
        const score = scoreOf(p.kind, p.doc);
        return [
          p.kind,
          p.id,
          JSON.stringify(p.doc),
          p.version,
          fields,
          fields.map((f) => indexValue(p.doc, f)),
          score === undefined ? 'n' : (score ?? false),
        ];
      }),
      del: commit.del.map((d) => [d.kind, d.id, INDEXES[d.kind], d.kind in SCORES]),
      events: commit.events.map((e) => {
        const body = { ...e, timestamp: commit.timestamp, source: commit.source };
        return [JSON.stringify(body), e.rooms];
      }),
    };
    // cjson turns an empty Lua table into {}; every list here is sent as an array, possibly empty.
    const result = await orUnavailable(() =>
      this.client.colonyCommit(
        this.keys.versions,
        this.keys.events,
        this.keys.seq,
        this.keys.channelSeq,
        this.keys.setVersions,
        this.keys.tag,
        JSON.stringify(change),
        this.retention,
      ),
    );
    if (result[0] === 'CONFLICT') throw new VersionConflict(String(result[1]));
    if (result[0] === 'IDEMPOTENT') throw new IdempotencyKeyTaken(String(result[1]));
    return commit.events.map((e, i) => ({
      ...structuredClone(e),
      id: result[i] as string,
      timestamp: commit.timestamp,
      source: commit.source,
    }));
  }
}
