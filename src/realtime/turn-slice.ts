/**
 * A slice of one turn of the event loop: the first look at it in a turn starts it, and once `ms`
 * have gone by the work that checks it goes on in a later turn. Fan-outs and replays share one
 * (subscription-group.ts `TurnBudget`); the WebSocket transport's inbound messages have their own
 * (transport/inbound-turns.ts).
 */
export class TurnSlice {
  private began = -1;

  constructor(private readonly ms: number) {}

  /** Whether this turn's slice is used up (the first call of a turn starts it). */
  spent(): boolean {
    const now = performance.now();
    if (this.began < 0) {
      this.began = now;
      setImmediate(() => (this.began = -1));
      return false;
    }
    return now - this.began >= this.ms;
  }
}
