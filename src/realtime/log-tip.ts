/**
 * What positions read of the log's end: the newest id (read once a turn for every subscribe that
 * asks), and the newest event a reader may read (for a stream's first cursor and its heartbeats).
 * A cursor never points past the newest event its reader may read, so it reveals nothing of rooms
 * the reader lacks.
 */
import { READ_ALL, type ReadAccess } from '../domain/access/read-access.js';
import { compareEventIds } from '../domain/events/event-types.js';
import type { EventLog } from '../domain/ports.js';
import { HISTORY_PAGE } from './replay.js';

/** How long a heartbeat's reading of the log's end serves other streams of the same rights. */
const TIP_TTL_MS = 100;
/** Events a heartbeat looks back through for one its reader may read. */
const TIP_SCAN = 100;
/**
 * Events a new stream looks back through for the newest its reader may read (its first cursor): a
 * bound on what one subscribe may read, past which its first position has no cursor.
 */
export const START_SCAN = 1000;

/**
 * The newest event `access` may read at or before `upTo` (the newest when undefined), among the
 * `scan` newest; null when none of them is readable.
 */
export async function newestReadable(
  log: EventLog,
  access: ReadAccess,
  upTo: string | null | undefined,
  scan: number,
): Promise<string | null> {
  if (access.key === READ_ALL.key) return upTo === undefined ? log.lastId() : upTo;
  if (upTo === null) return null;
  let before: string | null = null;
  let scanned = 0;
  while (scanned < scan) {
    const limit = Math.min(HISTORY_PAGE, scan - scanned);
    const page = await log.readRange({ after: null, before, limit, newestFirst: true });
    for (const event of page) {
      // The bound is inclusive: `upTo` itself may be the answer.
      if (upTo !== undefined && compareEventIds(event.id, upTo) > 0) continue;
      if (event.rooms.some((room) => access.canRead(room))) return event.id;
    }
    if (page.length < limit) return null;
    before = page.at(-1)!.id;
    scanned += page.length;
  }
  return null;
}

export class LogTip {
  /** Heartbeat cursors per reader's rights, read at most once per TIP_TTL_MS (see `tip`). */
  private readonly tips = new Map<string, { at: number; id: Promise<string | null> }>();

  constructor(private readonly log: EventLog) {}

  /**
   * The log's newest id. `log` is the hub's shared reads (shared-reads.ts): read once for every
   * caller that asks before the read starts, so a storm of subscribes costs the engine one read a
   * turn instead of two per subscribe.
   */
  lastIdSoon(): Promise<string | null> {
    return this.log.lastId();
  }

  /** A new stream's first cursor: the newest event its reader may read at or before `start`. */
  startCursor(access: ReadAccess, start: string | null): Promise<string | null> {
    return newestReadable(this.log, access, start, START_SCAN);
  }

  /**
   * The newest event `access` may read among the newest of the log, for heartbeats: read once per
   * reader's rights and TIP_TTL_MS whatever the number of streams beating meanwhile.
   */
  tip(access: ReadAccess): Promise<string | null> {
    const now = Date.now();
    const cached = this.tips.get(access.key);
    if (cached && now - cached.at < TIP_TTL_MS) return cached.id;
    const id = newestReadable(this.log, access, undefined, TIP_SCAN);
    this.tips.set(access.key, { at: now, id });
    // A failed read is not kept: the next heartbeat reads again.
    id.catch(() => this.tips.delete(access.key));
    if (this.tips.size > 1000) this.tips.clear();
    return id;
  }
}
