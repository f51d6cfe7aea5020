/**
 * One outbound queue per client connection, holding encoded frames and bounded in the bytes really
 * waiting to be sent. A connection past the bound is closed as slow (centrifuge's writer queue;
 * Centrifugo closes at 1 MB the same way).
 */

/** The close code (and reason) for a connection whose client reads slower than events arrive. */
export const SLOW_CONSUMER = { code: 4008, reason: 'Slow consumer: resume with `since`' } as const;

/**
 * Where a connection's frames go, as the transport provides it. For a WebSocket this is the socket
 * itself: `ws` writes each frame at once and keeps what the kernel does not take in its own buffer,
 * which `bufferedBytes` reads, so no second copy of a frame waits anywhere.
 */
export interface FrameSink {
  write(frame: Buffer): void;
  /** Bytes written and not yet handed to the kernel. */
  bufferedBytes(): number;
  /** Calls back once everything buffered has been sent (soon, asynchronously, when nothing is). */
  onDrain(callback: () => void): void;
  /**
   * Whether what is buffered is only held until the end of this turn (a corked socket) rather than
   * refused by the kernel. Absent: never.
   */
  holding?(): boolean;
}

/**
 * Bytes a replay may have written and not yet sent while its socket is only held for the end of the
 * turn: its frames of one turn leave in one system call, and a client that stops reading stops the
 * replay within this much.
 */
export const REPLAY_WINDOW = 64 * 1024;

export interface QueueOptions {
  maxBytes: number;
  /** Called once when the bound is passed; the hub then closes the connection. */
  onOverflow: (queuedBytes: number) => void;
}

export class ConnectionQueue {
  /**
   * Bytes of a `since` replay still in flight: the client asked for all of it at once, so it does
   * not count against the bound, or a client far behind would be closed as slow on every resume.
   */
  private allowance = 0;
  private waitingForDrain = false;
  private overflowed = false;
  constructor(
    private readonly sink: FrameSink,
    /** The hub's figures: each frame written counts as one message delivered. */
    private readonly figures: { messagesDelivered: number },
    private readonly options: QueueOptions,
  ) {}

  /**
   * Appends one live frame; past the bound the connection is reported as slow. `counted`: whether it
   * is a message delivered (an event) or one of the stream's own (a position).
   */
  push(frame: Buffer, counted = true): void {
    if (this.overflowed) return;
    this.sink.write(frame);
    if (counted) this.figures.messagesDelivered++;
    const queued = this.sink.bufferedBytes();
    if (queued > this.options.maxBytes + this.allowance) {
      this.overflowed = true;
      this.options.onOverflow(queued);
    }
  }

  /** Appends frames of a replay, outside the bound until they have been sent. */
  pushReplayed(frame: Buffer): void {
    if (this.overflowed) return;
    this.sink.write(frame);
    this.figures.messagesDelivered++;
    this.allowance += frame.length;
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.sink.onDrain(() => {
      this.waitingForDrain = false;
      this.allowance = 0;
    });
  }

  /**
   * Whether a replay may write its next frame now: nothing is waiting, or only this turn's frames,
   * and fewer than REPLAY_WINDOW bytes of them.
   */
  readyForReplay(): boolean {
    const buffered = this.sink.bufferedBytes();
    return buffered === 0 || (buffered < REPLAY_WINDOW && (this.sink.holding?.() ?? false));
  }

  /** Bytes written and not yet handed to the kernel. */
  bufferedBytes(): number {
    return this.sink.bufferedBytes();
  }

  /** Resolves once everything written has been handed to the kernel. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.sink.onDrain(resolve));
  }

  get closed(): boolean {
    return this.overflowed;
  }
}
