/**
 * Every key and channel of the Redis engine. All share the hash tag `{<prefix>}`: a change and its
 * log entry are written by one script and the log is one stream, so everything a script touches
 * must live in one slot. On Redis Cluster that is then configuration, not a redesign; separate
 * fleets (prefixes) spread over slots.
 */
import type { Kind } from '../../domain/ports.js';

export function redisKeys(prefix: string) {
  const tag = `{${prefix}}`;
  return {
    tag,
    /** HASH kind:id → version. */
    versions: `${tag}:ver`,
    /** HASH id → record JSON, per kind. */
    docs: (kind: Kind) => `${tag}:doc:${kind}`,
    /** ZSET (all scores 0, so ordered by id = creation order) of every id of a kind. */
    index: (kind: Kind) => `${tag}:idx:${kind}`,
    /** ZSET of the ids of a kind with an ordered index (SCORES), scored as it says. */
    due: (kind: Kind) => `${tag}:due:${kind}`,
    /** ZSET of the ids whose `field` equals `value`. */
    fieldIndex: (kind: Kind, field: string, value: string) => `${tag}:idx:${kind}:${field}:${value}`,
    /** HASH set key (`agent:status:ACTIVE`, `task:*`) → version: raised when a record joins or leaves. */
    setVersions: `${tag}:setver`,
    /** HASH (hash, outcome, ids) per idempotency key, expiring after IDEMPOTENCY_TTL_S. */
    idempotency: (scopedKey: string) => `${tag}:idem:${scopedKey}`,
    /** STREAM of events: entry id = event id, fields seq and e (the event JSON). */
    events: `${tag}:events`,
    /** STRING: the id of the newest event retention removed from the stream. */
    trimmed: `${tag}:trimmed`,
    /** Our own gap-free sequence over all events. */
    seq: `${tag}:seq`,
    /** HASH channel → how many messages were published on it: gaps show per channel. */
    channelSeq: `${tag}:chanseq`,
    /** HASH instance → its realtime figures; ZSET instance → when they expire. */
    presence: `${tag}:presence`,
    presenceExpiry: `${tag}:presence:exp`,
    roomChannel: (room: string) => `${tag}:room:${room}`,
    allChannel: `${tag}:all`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
