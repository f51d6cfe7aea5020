/**
 * Log reads shared by the subscribers that ask for the same thing at once: a read is sent at the end
 * of the turn in which it was first asked for, and every caller that asks for the same read before
 * then gets its answer. A read that starts after the call answers it as truly as one of its own
 * (the log only grows), so sharing changes no result; what it saves is a reconnect storm's cost,
 * where thousands of subscribers resume from the same cursor and each would read the same pages.
 */
import type { StoredEvent } from '../domain/events/event-types.js';
import type { EventLog, EventRange } from '../domain/ports.js';

export class SharedReads implements EventLog {
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly log: EventLog) {}

  async readAfter(cursor: string, limit: number): Promise<StoredEvent[]> {
    // Each caller gets its own array: a replay consumes its page as it goes.
    const page = await this.shared(`after\u0000${cursor}\u0000${limit}`, () =>
      this.log.readAfter(cursor, limit),
    );
    return page.slice();
  }

  async readRange(range: EventRange): Promise<StoredEvent[]> {
    const key = `range\u0000${range.after}\u0000${range.before}\u0000${range.limit}\u0000${range.newestFirst}`;
    const page = await this.shared(key, () => this.log.readRange(range));
    return page.slice();
  }

  lastId(): Promise<string | null> {
    // Stryker disable next-line StringLiteral: any key no page read uses shares it alike ('' too).
    return this.shared('last', () => this.log.lastId());
  }

  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const waiting = this.pending.get(key);
    if (waiting) return waiting as Promise<T>;
    const answer = new Promise<T>((resolve, reject) =>
      setImmediate(() => {
        // From here on, a new caller waits for a read of its own.
        this.pending.delete(key);
        read().then(resolve, reject);
      }),
    );
    this.pending.set(key, answer);
    return answer;
  }
}
