import type { Redis } from 'ioredis';
import { expiredCursor, malformedCursor } from '../../domain/errors.js';
import { isEventId, type StoredEvent } from '../../domain/events/event-types.js';
import type { EventLog, EventRange } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import { execAll, orUnavailable } from './redis-errors.js';

type Entry = [id: string, fields: string[]];

/** A stream entry as the event it stores. */
export function entryToEvent([id, fields]: Entry): StoredEvent {
  const body = fields[fields.indexOf('e') + 1] as string;
  return { ...(JSON.parse(body) as StoredEvent), id };
}

/** The retained events, in the stream every commit appends to. */
export class RedisEventLog implements EventLog {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async readAfter(cursor: string, limit: number): Promise<StoredEvent[]> {
    if (!isEventId(cursor)) {
      throw malformedCursor(cursor);
    }
    // The cursor must itself be retained: otherwise events after it may be gone (trimmed, or the
    // log was lost and restarted), and a silent partial replay would be worse than an error. One
    // MULTI, so that no trim lands between finding the cursor and reading what follows it.
    const [found, entries, newestTrimmed] = (await orUnavailable(() =>
      execAll(() =>
        this.client
          .multi()
          .xrange(this.keys.events, cursor, cursor)
          .xrange(this.keys.events, `(${cursor}`, '+', 'COUNT', limit)
          .get(this.keys.trimmed)
          .exec(),
      ),
    )) as [Entry[], Entry[], string | null];
    // The newest event retention removed still works as a cursor: everything after it is retained,
    // so a client that saw exactly that event resumes without a gap (as with the memory log).
    if (!found.length && newestTrimmed !== cursor) {
      throw expiredCursor(cursor);
    }
    return entries.map(entryToEvent);
  }

  async lastId(): Promise<string | null> {
    const [last] = await orUnavailable(() => this.client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1));
    return last ? last[0] : null;
  }

  async readRange({ after, before, limit, newestFirst }: EventRange): Promise<StoredEvent[]> {
    const low = after === null ? '-' : `(${after}`;
    const high = before === null ? '+' : `(${before}`;
    const entries = (await orUnavailable(() =>
      newestFirst
        ? this.client.xrevrange(this.keys.events, high, low, 'COUNT', limit)
        : this.client.xrange(this.keys.events, low, high, 'COUNT', limit),
    )) as Entry[];
    return entries.map(entryToEvent);
  }

  /** Events after `afterId` (exclusive) up to `untilId` (exclusive unless `inclusive`), for filling a gap. */
  async range(
    afterId: string,
    untilId: string | null,
    limit: number,
    inclusive = false,
  ): Promise<StoredEvent[]> {
    const entries = (await this.client.xrange(
      this.keys.events,
      afterId === '0-0' ? '-' : `(${afterId}`,
      untilId ? `${inclusive ? '' : '('}${untilId}` : '+',
      'COUNT',
      limit,
    )) as Entry[];
    return entries.map(entryToEvent);
  }
}
