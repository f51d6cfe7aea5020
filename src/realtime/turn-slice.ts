/**
 * A slice of one turn of the event loop: the first look at it in a turn starts it, and once `ms`
 * have gone by the work that checks it goes on in a later turn. Fan-outs and replays share one
 * (subscription-group.ts `TurnBudget`); the WebSocket transport's inbound messages have their own
 * (transport/inbound-turns.ts).
 */

/**
 * Waiters woken per turn (see `later`): the first to run takes the slice, the others find it spent
 * and wait again in their place, so a few are enough and thousands of waiters cost nothing per turn.
 */
export const WOKEN_PER_TURN = 16;

/** A slice's length while connections are arriving (see `Arrivals`). */
export const ARRIVING_SLICE_MS = 0.5;
/** How long after a connection was accepted others are taken to be waiting. */
export const ARRIVAL_WINDOW_MS = 100;

/**
 * Whether connections are arriving. Node accepts at most one connection per turn of the event loop
 * (`bench/accept-per-turn.ts`: with 8 ms turns a plain server accepts under a hundred a second), so
 * while they arrive every slice is
 * short: after a restart, ten thousand clients come back at once, and with slices of a few
 * milliseconds most of them would wait in the listen queue, then in the kernel's retries, for a
 * minute or more.
 */
export class Arrivals {
  private until = 0;

  /** A connection was accepted: others may be waiting in the listen queue. */
  arrived(): void {
    this.until = performance.now() + ARRIVAL_WINDOW_MS;
  }

  arriving(now = performance.now()): boolean {
    return now < this.until;
  }
}

interface Waiter {
  rank: number;
  resolve: () => void;
}

export class TurnSlice {
  private began = -1;
  /** This slice's length (see `spent`). */
  private limit: number;
  /** The next slice is for work woken from the queue. */
  private woken = false;
  /** Work waiting for a later turn's slice, lowest rank first (see `later`). */
  private readonly waiting: Waiter[] = [];
  private wakeScheduled = false;
  private ranks = 0;

  constructor(
    private readonly ms: number,
    /** While connections arrive, slices are ARRIVING_SLICE_MS long. */
    private readonly arrivals: Arrivals | null = null,
  ) {
    this.limit = ms;
  }

  /** Whether this turn's slice is used up (the first call of a turn starts it). */
  spent(): boolean {
    const now = performance.now();
    if (this.began < 0) {
      this.began = now;
      // Work woken from the queue has a whole slice even while connections arrive: it is what waits
      // longest, and each replay it holds back buffers every live event meanwhile.
      this.limit =
        this.woken || !this.arrivals?.arriving(now) ? this.ms : Math.min(this.ms, ARRIVING_SLICE_MS);
      this.woken = false;
      setImmediate(() => (this.began = -1));
      return false;
    }
    return now - this.began >= this.limit;
  }

  /** A rank for `later`, after every rank handed out before. */
  nextRank(): number {
    return this.ranks++;
  }

  /**
   * Resolves in a later turn, lowest `rank` first, WOKEN_PER_TURN a turn: for work that found the
   * slice spent. The oldest work (the lowest rank) takes each turn's slice until it is done, rather
   * than every waiter taking a little in turn: with thousands of `since` replays and events still
   * arriving, replays that share the time equally each go slower than the events arrive, and none
   * ever catches up. Each waiting on a turn of its own (a `setImmediate` each) would also wake
   * every waiter every turn, and waking them would be most of the turn.
   */
  later(rank: number): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiting;
      // Binary search for the first waiter ranked after it (equal ranks keep their order).
      let lo = 0;
      let hi = waiting.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((waiting[mid] as Waiter).rank <= rank) lo = mid + 1;
        else hi = mid;
      }
      waiting.splice(lo, 0, { rank, resolve });
      this.scheduleWake();
    });
  }

  /** Callers waiting for a later turn. */
  get waiters(): number {
    return this.waiting.length;
  }

  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(this.wake);
  }

  private readonly wake = (): void => {
    this.wakeScheduled = false;
    // The woken work has a slice of its own: the turn's may have been spent before this ran (a
    // fan-out in the poll phase), and then nothing that waits would ever run.
    this.began = -1;
    this.woken = true;
    for (const waiter of this.waiting.splice(0, WOKEN_PER_TURN)) waiter.resolve();
    if (this.waiting.length > 0) this.scheduleWake();
  };
}
