/**
 * Client messages handled per turn of the event loop, at most INBOUND_SLICE_MS of them: past it, a
 * message waits for a later turn (and so does every later message of its socket, so that each
 * socket's messages keep their order).
 *
 * Node hands a turn every socket that became readable at once: after a restart, thousands of
 * `connection_init` and `subscribe` messages arrive together, each costing a few hundred µs to
 * handle, and a turn that handles all of them holds the event loop for a second or more. Meanwhile
 * nothing is accepted (the listen queue overflows and clients wait for the kernel's retries), no
 * event is fanned out and no health check is answered. Handled a slice per turn, they interleave
 * with all of that, and the sockets' frames are still read at once (only their handling waits).
 */

import { TurnSlice, type Arrivals } from '../realtime/turn-slice.js';

/** The work of client messages in one turn of the event loop before the rest waits for a later one. */
export const INBOUND_SLICE_MS = 4;

/** A socket whose messages may wait (its own queue, in order). */
export interface InboundClient {
  /** Its messages waiting for a later turn, oldest first; null when none waits. */
  waiting: unknown[] | null;
  /** Handles one of its messages. */
  handle(message: unknown): void;
}

export class InboundTurns {
  private readonly slice: TurnSlice;
  /** Sockets with messages waiting, in the order they began to wait. */
  private readonly queue: InboundClient[] = [];
  private scheduled = false;

  /** `arrivals`: while connections arrive, slices are short (turn-slice.ts). */
  constructor(arrivals: Arrivals | null = null) {
    this.slice = new TurnSlice(INBOUND_SLICE_MS, arrivals);
  }

  /** Handles `message` of `client` now if this turn has time left and none of its own waits; later otherwise. */
  take(client: InboundClient, message: unknown): void {
    if (client.waiting === null && !this.slice.spent()) return client.handle(message);
    if (client.waiting === null) {
      client.waiting = [];
      this.queue.push(client);
    }
    client.waiting.push(message);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  /** One message of each waiting socket in turn, until the slice is used up. */
  private readonly pump = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.slice.spent()) {
      const client = this.queue.shift() as InboundClient;
      // A socket that closed meanwhile dropped what waited (its `waiting` is null).
      const waiting = client.waiting;
      if (!waiting?.length) {
        client.waiting = null;
        continue;
      }
      const message = waiting.shift();
      if (waiting.length) this.queue.push(client);
      else client.waiting = null;
      client.handle(message);
    }
    if (this.queue.length > 0) this.schedule();
  };
}
