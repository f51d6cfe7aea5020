/** The whole event log of a fleet, read straight from its stream. */
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import { entryToEvent } from '../../src/engines/redis/redis-event-log.js';
import type { RedisServer } from '../support/redis-server.js';

export async function readLog(server: RedisServer, prefix: string): Promise<StoredEvent[]> {
  const entries = await server.client().xrange(`{${prefix}}:events`, '-', '+');
  return entries.map((entry) => entryToEvent(entry as [string, string[]]));
}
