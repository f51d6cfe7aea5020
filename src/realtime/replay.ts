/**
 * A `since` replay, read from the event log one page at a time as the subscriber consumes it: a
 * replay holds at most one page in memory however far back `since` is, and one whose client stops
 * reading stops reading the log too (a replay is a cost the client chooses). The seam with the live stream stays
 * in the hub (live first, buffered; then this replay; then the buffered events after `lastId`).
 *
 * Also the per-connection bound on replays in flight: a replay holds a slot from `open` until its
 * last page is drained or its stream ends.
 */
import { rateLimited } from '../domain/errors.js';
import { compareEventIds, type StoredEvent } from '../domain/events/event-types.js';
import type { EventLog } from '../domain/ports.js';

/** Events per log read of an `events` replay: what one such replay may hold at once (each event at most 64 KB). */
export const REPLAY_PAGE = 100;
/**
 * Events per log read of everything else that reads history: an `eventStream` replay or catch-up, an
 * `eventLog` page, a cursor's look back for the newest readable event.
 */
export const HISTORY_PAGE = 500;

export class LogReplay {
  private page: StoredEvent[] = [];
  private cursor: string | null;
  private readableCursor: string | null = null;
  private exhausted = false;
  private released = false;
  /** Where the replay stops (exclusive), when its subscription dropped live events from there on. */
  private limit: string | null = null;
  /** The newest id taken off the current page, and the cursor before that page was read. */
  private passed: string | null = null;
  private before: string | null = null;

  private constructor(
    private readonly log: EventLog,
    since: string | null,
    private readonly wanted: (event: StoredEvent) => boolean,
    private readonly pageSize: number,
    private readonly onRelease: () => void,
    /**
     * Where the live side took over, when the caller knows it (undefined: read until a page comes
     * back short): a page that reaches it is the last, so a replay that ends on a page boundary
     * costs no read that finds nothing.
     */
    private readonly upTo: string | null | undefined,
    private readonly readable: (event: StoredEvent) => boolean,
  ) {
    this.cursor = since;
  }

  /**
   * Reads the first page, so that a malformed or expired cursor is refused before anything is sent.
   * `release` (a slot from ReplaySlots.take) is called once, when the replay is over or fails.
   */
  static async open(options: {
    log: EventLog;
    /** Null: from the start of the log (a catch-up on a log that was empty). */
    since: string | null;
    wanted: (event: StoredEvent) => boolean;
    release: () => void;
    pageSize?: number;
    upTo?: string | null;
    /** What its reader may read (`lastReadable` follows it); everything by default. */
    readable?: (event: StoredEvent) => boolean;
  }): Promise<LogReplay> {
    const replay = new LogReplay(
      options.log,
      options.since,
      options.wanted,
      options.pageSize ?? REPLAY_PAGE,
      options.release,
      options.upTo,
      options.readable ?? (() => true),
    );
    try {
      await replay.read();
    } catch (error) {
      replay.release();
      throw error;
    }
    return replay;
  }

  /** The newest log id read so far (`since` before any): live events up to it were replayed. */
  get lastId(): string | null {
    return this.cursor;
  }

  /** The newest event handed out or passed over so far that its reader may read. */
  get lastReadable(): string | null {
    return this.readableCursor;
  }

  /** Whether it ends short of the log's end (or of `upTo`), at a `stopBefore`. */
  get cut(): boolean {
    return this.limit !== null;
  }

  /**
   * Ends the replay before `id` (exclusive): its subscription dropped live events from there on
   * (overflow.ts), and the events before them are all the replay still has to send. Nothing at or
   * after `id` is handed out, and `lastId` stays below it.
   */
  stopBefore(id: string): void {
    // Stryker disable next-line EqualityOperator: stopping again where it stops changes nothing
    if (this.limit !== null && compareEventIds(id, this.limit) >= 0) return;
    this.limit = id;
    this.clip();
  }

  private clip(): void {
    const limit = this.limit;
    if (limit === null) return;
    const at = this.page.findIndex((event) => compareEventIds(event.id, limit) >= 0);
    if (at >= 0) {
      this.page.length = at;
      // Stryker disable next-line BooleanLiteral: set below too: the cursor, the page's newest id, is past the limit
      this.exhausted = true;
    }
    if (this.cursor !== null && compareEventIds(this.cursor, limit) >= 0) {
      this.cursor = this.page.at(-1)?.id ?? this.passed ?? this.before;
      this.exhausted = true;
    }
  }

  /** The next wanted event, or null once the log holds nothing newer (the replay is over). */
  async next(): Promise<StoredEvent | null> {
    for (;;) {
      const event = this.page.shift();
      if (event) {
        this.passed = event.id;
        if (this.readable(event)) this.readableCursor = event.id;
        if (this.wanted(event)) return event;
        continue;
      }
      if (this.exhausted || this.released) {
        this.release();
        return null;
      }
      await this.read();
    }
  }

  /** Gives the slot back (the replay is over or its stream ended). Idempotent. */
  release(): void {
    this.page = [];
    if (this.released) return;
    this.released = true;
    this.onRelease();
  }

  private async read(): Promise<void> {
    const page =
      this.cursor === null
        ? await this.log.readRange({ after: null, before: null, limit: this.pageSize, newestFirst: false })
        : await this.log.readAfter(this.cursor, this.pageSize);
    if (this.released) return;
    this.page = page;
    this.before = this.cursor;
    this.passed = null;
    const last = page.at(-1);
    if (last) this.cursor = last.id;
    if (page.length < this.pageSize || this.reachedLive()) this.exhausted = true;
    this.clip();
  }

  private reachedLive(): boolean {
    if (this.upTo === undefined) return false;
    return this.upTo === null || (this.cursor !== null && compareEventIds(this.cursor, this.upTo) >= 0);
  }
}

/** How many replays one connection may have in flight. */
export class ReplaySlots {
  private used = 0;

  constructor(
    private readonly max: number,
    private readonly onChange: (delta: 1 | -1 | 0) => void = () => {},
  ) {}

  /** Takes a slot, or throws RATE_LIMITED; returns how to give it back (idempotent). */
  take(): () => void {
    if (this.used >= this.max) {
      this.onChange(0);
      throw rateLimited(
        `This connection already has ${this.max} \`since\` replays in flight (WS_MAX_REPLAYS): ` +
          'read them to the end, or wait for one to finish, before asking for another.',
        { reason: 'TOO_MANY_REPLAYS', limit: this.max },
      );
    }
    this.used++;
    this.onChange(1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.used--;
      this.onChange(-1);
    };
  }
}
