/**
 * The one timer that gives every idle `eventStream` its heartbeat: it looks at every heartbeating
 * subscription a quarter of the shortest heartbeat apart, and a subscription sends its position once
 * it has been idle for a whole heartbeat (subscription.ts `beat`).
 */
import type { Subscription } from './subscription.js';

export class Heartbeats {
  private readonly beats = new Set<Subscription>();
  private timer: { timer: NodeJS.Timeout; everyMs: number } | null = null;

  add(stream: Subscription, heartbeatMs: number): void {
    this.beats.add(stream);
    const everyMs = Math.max(1, Math.floor(heartbeatMs / 4));
    if (this.timer && this.timer.everyMs <= everyMs) return;
    if (this.timer) clearInterval(this.timer.timer);
    const timer = setInterval(() => {
      for (const beating of this.beats) void beating.beat();
    }, everyMs);
    timer.unref();
    this.timer = { timer, everyMs };
  }

  remove(stream: Subscription): void {
    if (this.beats.delete(stream) && this.beats.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer.timer);
    this.timer = null;
  }
}
