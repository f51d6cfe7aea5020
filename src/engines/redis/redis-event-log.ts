import type { Redis } from 'ioredis';
import { expiredCursor, malformedCursor } from '../../domain/errors.js';
import { isEventId, type StoredEvent } from '../../domain/events/event-types.js';
import type { EventLog } from '../../domain/ports.js';
import type { RedisKeys } from './keys.js';
import { orUnavailable } from './redis-errors.js';

type Entry = [id: string, fields: string[]];

/** A stream entry as the event it stores. */
export function entryToEvent([id, fields]: Entry): StoredEvent {
  const body = fields[fields.indexOf('e') + 1] as string;
  return { ...(JSON.parse(body) as Omit<StoredEvent, 'id'>), id };
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
    // log was lost and restarted), and a silent partial replay would be worse than an error.
    const [found, entries] = await orUnavailable(async () => {
      const pipeline = this.client.pipeline();
      pipeline.xrange(this.keys.events, cursor, cursor);
      pipeline.xrange(this.keys.events, `(${cursor}`, '+', 'COUNT', limit);
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
      return results.map(([, value]) => value as Entry[]) as [Entry[], Entry[]];
    });
    if (!found.length && !(await this.isNewestTrimmed(cursor))) {
      throw expiredCursor(cursor);
    }
    return entries.map(entryToEvent);
  }

  /**
   * Whether `cursor` is the newest event retention removed: everything after it is still there, so
   * a client that saw exactly that event can still resume without a gap (as with the memory log).
   */
  private async isNewestTrimmed(cursor: string): Promise<boolean> {
    return (await orUnavailable(() => this.client.get(this.keys.trimmed))) === cursor;
  }

  async lastId(): Promise<string | null> {
    const [last] = await orUnavailable(() => this.client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1));
    return last ? last[0] : null;
  }

  /** Events after `afterId` (exclusive) up to `untilId` (exclusive), for filling a gap. */
  async range(afterId: string, untilId: string | null, limit: number): Promise<StoredEvent[]> {
    const entries = (await this.client.xrange(
      this.keys.events,
      afterId === '0-0' ? '-' : `(${afterId}`,
      untilId ? `(${untilId}` : '+',
      'COUNT',
      limit,
    )) as Entry[];
    return entries.map(entryToEvent);
  }
}
