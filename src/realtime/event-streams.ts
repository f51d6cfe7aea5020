/**
 * What the schema layer reads events through besides `events`: `eventStream` (subscriptions that say
 * where they stand, opened by the hub like any other with the configured heartbeat, see
 * subscription.ts) and `eventLog`, the retained history as pages, read from the engine's event log
 * under the same room rules, in pages of HISTORY_PAGE.
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { badInput, malformedCursor } from '../domain/errors.js';
import {
  compareEventIds,
  isEventId,
  type EventType,
  type StoredEvent,
} from '../domain/events/event-types.js';
import { checkRooms, wanted } from './room-check.js';
import type { EventLog } from '../domain/ports.js';
import type { EventStreamRequest, RealtimeApi } from './realtime-api.js';
import type { StreamItem } from './subscription.js';
import { HISTORY_PAGE } from './replay.js';

export { isStreamPosition, type StreamItem, type StreamPosition } from './subscription.js';

/** Events one history request may read to fill a filtered page, so a rare filter cannot scan the log. */
export const HISTORY_SCAN_LIMIT = 5000;
/**
 * Events the caller may not read that one history request passes over at most (as many as the log
 * retains by default), besides the HISTORY_SCAN_LIMIT it may read.
 */
export const HISTORY_UNREADABLE_LIMIT = 10_000;

export interface EventStreamsOptions {
  realtime: RealtimeApi;
  log: EventLog;
  /** How long a stream may stay silent before it sends its position again; 0: never. */
  heartbeatMs: number;
}

export interface HistoryRequest {
  rooms: readonly string[] | null;
  types: readonly EventType[] | null;
  access: ReadAccess;
  first: number | null;
  after: string | null;
  last: number | null;
  before: string | null;
}

export interface HistoryPage {
  events: StoredEvent[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Where a reader continues: the last event read, which a filter may have left out of `events`. */
  startCursor: string | null;
  endCursor: string | null;
}

export interface EventStreams {
  /**
   * Opens a stream of events and positions; rejects (bad room, forbidden room, malformed or expired
   * `since`) before anything is sent.
   */
  open(request: EventStreamRequest): Promise<AsyncIterableIterator<StreamItem>>;
  /** A page of the retained history, under the same room rules as a stream. */
  history(request: HistoryRequest): Promise<HistoryPage>;
}

export function createEventStreams({ realtime, log, heartbeatMs }: EventStreamsOptions): EventStreams {
  return {
    open(request) {
      return realtime.openPositioned(request, heartbeatMs);
    },

    async history(request) {
      const rooms = checkRooms(request.rooms, request.access);
      for (const cursor of [request.after, request.before]) {
        if (cursor !== null && !isEventId(cursor)) throw malformedCursor(cursor);
      }
      if (request.first !== null && request.last !== null) {
        throw badInput('Give `first` or `last`, not both.');
      }
      const backward = request.last !== null;
      const size = (backward ? request.last : request.first) ?? 20;
      if (!Number.isInteger(size) || size < 1 || size > 100) {
        throw badInput(`${backward ? 'last' : 'first'} must be between 1 and 100.`);
      }
      const types = request.types?.length ? new Set(request.types) : null;
      const wants = (event: StoredEvent) => wanted(event, rooms, types, request.access);
      const events: StoredEvent[] = [];
      let after = request.after;
      let before = request.before;
      let scanned = 0;
      let skipped = 0;
      let more = true;
      // The last event read that the caller may read: a cursor never points past it, so a page
      // reveals nothing of rooms its reader lacks (item 9 of issue 19).
      let edge: string | null = null;
      const readable = (event: StoredEvent) => event.rooms.some((room) => request.access.canRead(room));
      while (
        events.length < size &&
        more &&
        scanned < HISTORY_SCAN_LIMIT &&
        skipped < HISTORY_UNREADABLE_LIMIT
      ) {
        const limit = Math.min(HISTORY_PAGE, HISTORY_SCAN_LIMIT - scanned);
        // Reading forward from a cursor must not skip trimmed events silently: readAfter refuses
        // a cursor that is no longer retained (CURSOR_EXPIRED), as a `since` replay does.
        const raw =
          !backward && after !== null
            ? await log.readAfter(after, limit)
            : await log.readRange({ after, before, limit, newestFirst: backward });
        const page = raw.filter((e) => backward || before === null || compareEventIds(e.id, before) < 0);
        more = raw.length === limit && page.length === raw.length;
        for (const event of page) {
          if (backward) before = event.id;
          else after = event.id;
          // What the caller may not read does not count against the scan: a reader whose rooms are
          // quiet must still get past a busy room of others (up to HISTORY_UNREADABLE_LIMIT).
          if (!readable(event)) {
            if (++skipped < HISTORY_UNREADABLE_LIMIT) continue;
            more = true;
            break;
          }
          scanned++;
          edge = event.id;
          if (wants(event)) events.push(event);
          if (events.length === size || scanned === HISTORY_SCAN_LIMIT) {
            more = true;
            break;
          }
        }
      }
      if (backward) events.reverse();
      // Is there anything further on in the reading direction? One more read answers it exactly.
      if (more && events.length === size) {
        const probe = backward
          ? await log.readRange({ after: request.after, before, limit: 1, newestFirst: true })
          : await log.readRange({ after, before: request.before, limit: 1, newestFirst: false });
        more = probe.length > 0;
      }
      const further = more;
      const startCursor = backward ? (edge ?? request.before) : (events[0]?.id ?? request.after);
      const endCursor = backward ? (events.at(-1)?.id ?? request.before) : (edge ?? request.after);
      return {
        events,
        hasNextPage: backward ? request.before !== null : further,
        hasPreviousPage: backward ? further : request.after !== null,
        startCursor,
        endCursor,
      };
    },
  };
}
