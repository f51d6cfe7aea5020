/**
 * Streams that say where they stand, and the retained history as pages. Built on the hub's public
 * `open` and the engine's event log, so the hub itself needs nothing new.
 *
 * A positioned stream yields events and `StreamPosition`s. A position's cursor is a promise: resume
 * with `since: cursor` and every matching event after it arrives, none before it again. One comes
 * right after the live side is registered, one when a `since` replay ends, and one on each idle
 * heartbeat, so a client always holds a cursor, even on a stream that nothing ever matches.
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { badInput, forbidden, malformedCursor } from '../domain/errors.js';
import {
  compareEventIds,
  isEventId,
  type EventType,
  type StoredEvent,
} from '../domain/events/event-types.js';
import { isRoomName } from '../domain/events/rooms.js';
import type { EventLog } from '../domain/ports.js';
import type { EventStreamRequest, RealtimeApi } from './realtime-api.js';

/** Where a stream stands: resuming with `since: cursor` misses nothing and repeats nothing. */
export interface StreamPosition {
  readonly kind: 'position';
  /** Null only while the log has never held an event. */
  readonly cursor: string | null;
  /** False while a `since` replay is still to come; true once live events flow. */
  readonly live: boolean;
}

export type StreamItem = StoredEvent | StreamPosition;

export function isStreamPosition(item: StreamItem): item is StreamPosition {
  return (item as StreamPosition).kind === 'position';
}

const REPLAY_PAGE = 500;
/** Events one history request may read to fill a filtered page, so a rare filter cannot scan the log. */
export const HISTORY_SCAN_LIMIT = 5000;

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  // Stryker disable next-line EqualityOperator: equal ids are the same id, whichever is returned
  return compareEventIds(a, b) >= 0 ? a : b;
}

/** The same filter the hub applies: rooms (or, without rooms, what the caller may read), then types. */
function matcher(
  rooms: readonly string[] | null,
  types: readonly EventType[] | null,
  access: ReadAccess,
): (event: StoredEvent) => boolean {
  const roomSet = rooms?.length ? new Set(rooms) : null;
  const typeSet = types?.length ? new Set(types) : null;
  return (event) =>
    (!typeSet || typeSet.has(event.type)) &&
    (roomSet ? event.rooms.some((r) => roomSet.has(r)) : event.rooms.some((r) => access.canRead(r)));
}

class PositionedStream implements AsyncIterableIterator<StreamItem> {
  private readonly ready: StreamItem[] = [];
  private pendingInner: Promise<IteratorResult<StoredEvent>> | null = null;
  private done = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idleSince = Date.now();
  /** The newest log id read one heartbeat ago: every event up to it has been routed by now. */
  private settled: string | null;
  private cursor: string | null;
  /** Live events at or before the client's `since` are not sent again. */
  private readonly floor: string | null;

  constructor(
    private readonly inner: AsyncIterableIterator<StoredEvent>,
    private readonly log: EventLog,
    private readonly heartbeatMs: number,
    /** The part of the log still to page through, up to where the live side took over. */
    private replay: Replay | null,
    start: string | null,
    private readonly wants: (event: StoredEvent) => boolean,
  ) {
    this.settled = start;
    // A `since` replay starts at `since`, not live yet; otherwise the stream is live from `start`, and
    // with a catch-up, live events up to where it ends come from the log.
    const fromSince = replay !== null && !replay.catchUp;
    this.floor = replay === null ? null : replay.catchUp ? replay.upTo : replay.after;
    this.cursor = fromSince ? replay.after : start;
    this.ready.push({ kind: 'position', cursor: this.cursor, live: !fromSince });
    if (heartbeatMs > 0) {
      this.timer = setInterval(() => void this.beat(), Math.max(1, Math.floor(heartbeatMs / 4)));
      this.timer.unref();
    }
  }

  private async beat(): Promise<void> {
    // Only while the client waits and nothing is queued: every routed event has then been sent.
    if (this.done || this.replay || this.ready.length || !this.wake) return;
    if (Date.now() - this.idleSince < this.heartbeatMs) return;
    this.idleSince = Date.now();
    const cursor = later(this.cursor, this.settled);
    try {
      this.settled = await this.log.lastId();
    } catch {
      // The engine being down is reported by /ready; this heartbeat keeps the cursor it had.
    }
    if (this.done) return;
    this.cursor = later(this.cursor, cursor);
    this.push({ kind: 'position', cursor, live: true });
  }

  private push(item: StreamItem): void {
    this.ready.push(item);
    this.wake?.();
  }

  private take(): IteratorResult<StreamItem> {
    const item = this.ready.shift() as StreamItem;
    this.idleSince = Date.now();
    if (!isStreamPosition(item)) this.cursor = later(this.cursor, item.id);
    return { value: item, done: false };
  }

  async next(): Promise<IteratorResult<StreamItem>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      if (this.ready.length) return this.take();
      if (this.replay) {
        await this.replayPage();
        continue;
      }
      this.pendingInner ??= this.inner.next();
      const woken = new Promise<'wake'>((resolve) => (this.wake = () => resolve('wake')));
      const result = await Promise.race([this.pendingInner, woken]);
      this.wake = null;
      if (result === 'wake') continue;
      this.pendingInner = null;
      if (result.done) {
        this.end();
        return { value: undefined, done: true };
      }
      // A `since` newer than the live side's start: the client has these already.
      if (this.floor !== null && compareEventIds(result.value.id, this.floor) <= 0) continue;
      this.ready.push(result.value);
    }
  }

  /** One page of the replay, read only as the client consumes it. */
  private async replayPage(): Promise<void> {
    const replay = this.replay as Replay;
    const page = replay.first.length
      ? replay.first
      : replay.after === null
        ? await this.log.readRange({ after: null, before: null, limit: REPLAY_PAGE, newestFirst: false })
        : await this.log.readAfter(replay.after, REPLAY_PAGE);
    replay.first = [];
    let reachedLive = page.length < REPLAY_PAGE;
    for (const event of page) {
      // The live side started at `upTo`: what follows it comes from there.
      if (replay.upTo === null || compareEventIds(event.id, replay.upTo) > 0) {
        reachedLive = true;
        break;
      }
      if (this.wants(event)) this.ready.push(event);
      replay.after = event.id;
    }
    // Whatever was skipped by the filter still moves the cursor: nothing up to here is left to send.
    this.cursor = later(this.cursor, replay.after);
    if (reachedLive || replay.after === replay.upTo) {
      this.replay = null;
      // A catch-up said it was live at the start already; the events it sent moved the cursor on.
      if (!replay.catchUp)
        this.ready.push({ kind: 'position', cursor: later(replay.upTo, replay.after), live: true });
    }
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.ready.length = 0;
    this.wake?.();
    void this.inner.return?.();
  }

  return(): Promise<IteratorResult<StreamItem>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<StreamItem>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StreamItem> {
    return this;
  }
}

/**
 * Log events a stream sends before its live side's: after `since` (announced by a position that is
 * not live yet, and one that is once it is done), or a catch-up over what was committed while the
 * live side registered (the stream is live from its first position: these are new events).
 */
interface Replay {
  /** The last event sent or skipped; null: from the start of the log. */
  after: string | null;
  /** Where the live side took over: events after it come from there. */
  upTo: string | null;
  /** The page read already (to check `since` before anything was sent). */
  first: StoredEvent[];
  catchUp: boolean;
}

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
    async open(request) {
      // `start` is the newest id before the live side registers: the stream's first cursor. With
      // `since`, the hub replays from `start` to its registration (holding one of the connection's
      // replay slots), and the replay up to `start` is paged here as the client reads it, followed
      // by the position that says live events begin. Without, what was committed while the live side
      // registered is caught up from the log (below).
      const start = await log.lastId();
      // Exclusive: positions are interleaved here, so the hub must not deliver this stream by itself.
      // An empty log at `start` with a `since` that exists means the log grew meanwhile: the hub
      // then replays everything after `since` itself.
      const inner = await realtime.open({
        ...request,
        since: request.since === null ? null : (start ?? request.since),
        exclusive: true,
      });
      const wants = matcher(request.rooms, request.types, request.access);
      try {
        if (request.since === null) {
          // What was committed between reading `start` and registering may have missed the live side
          // (a pub/sub message published before the room was subscribed): the log has it. Later
          // heartbeats move the cursor past it, so it must be sent, not left to a resume.
          const registered = await log.lastId();
          const catchUp: Replay | null =
            registered === start || registered === null
              ? null
              : { after: start, upTo: registered, first: [], catchUp: true };
          return new PositionedStream(inner, log, heartbeatMs, catchUp, start, wants);
        }
        // Validates `since` (BAD_USER_INPUT, CURSOR_EXPIRED) before anything is sent.
        const first = await log.readAfter(request.since, REPLAY_PAGE);
        return new PositionedStream(
          inner,
          log,
          heartbeatMs,
          { after: request.since, upTo: start, first, catchUp: false },
          start,
          wants,
        );
      } catch (error) {
        await inner.return?.();
        throw error;
      }
    },

    async history(request) {
      const rooms = request.rooms?.length ? [...new Set(request.rooms)] : null;
      const bad = (rooms ?? []).filter((room) => !isRoomName(room));
      if (bad.length) throw badInput(`Not a room name: ${bad.map((r) => JSON.stringify(r)).join(', ')}.`);
      const denied = (rooms ?? []).filter((room) => !request.access.canRead(room));
      if (denied.length) {
        throw forbidden(`You may not read ${denied.map((r) => JSON.stringify(r)).join(', ')}.`, {
          reason: 'ROOM_NOT_GRANTED',
          rooms: denied,
        });
      }
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
      const wants = matcher(rooms, request.types, request.access);
      const events: StoredEvent[] = [];
      let after = request.after;
      let before = request.before;
      let scanned = 0;
      let more = true;
      let edge: string | null = null;
      while (events.length < size && more && scanned < HISTORY_SCAN_LIMIT) {
        const limit = Math.min(REPLAY_PAGE, HISTORY_SCAN_LIMIT - scanned);
        // Reading forward from a cursor must not skip trimmed events silently: readAfter refuses
        // a cursor that is no longer retained (CURSOR_EXPIRED), as a `since` replay does.
        const raw =
          !backward && after !== null
            ? await log.readAfter(after, limit)
            : await log.readRange({ after, before, limit, newestFirst: backward });
        const page = raw.filter((e) => backward || before === null || compareEventIds(e.id, before) < 0);
        more = raw.length === limit && page.length === raw.length;
        for (const event of page) {
          scanned++;
          edge = event.id;
          if (backward) before = event.id;
          else after = event.id;
          if (wants(event)) events.push(event);
          if (events.length === size) {
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
