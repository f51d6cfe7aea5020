/**
 * One outbound queue per client connection, holding encoded frames and bounded in the bytes really
 * waiting to be sent. A connection past the bound is closed as slow (centrifuge's writer queue;
 * Centrifugo closes at 1 MB the same way).
 */

import { joinFrame, type FrameParts, type Gap, type Lane } from './overflow.js';

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
  /** Hands what it holds for the end of the turn to the kernel now (see `holding`). */
  release?(): void;
  /**
   * Calls back once the client has read everything written before the call (a WebSocket: a ping
   * answered by its pong). Absent: once everything written has been handed to the kernel, which is
   * all a transport without a way back can tell.
   */
  confirmRead?(callback: () => void): void;
}

/**
 * Bytes a replay may have written and not yet sent while its socket is only held for the end of the
 * turn: its frames of one turn leave in one system call, and a client that stops reading stops the
 * replay within this much.
 */
export const REPLAY_WINDOW = 64 * 1024;

/**
 * Bytes the socket may hold before the frames of a subscription that drops rather than closes wait
 * in its lane instead (and at most a quarter of the bound): they are written again as it drains.
 */
export const LOW_WATER = 64 * 1024;

export interface QueueOptions {
  maxBytes: number;
  /** Called once when the bound is passed; the hub then closes the connection. */
  onOverflow(queuedBytes: number): void;
}

export class ConnectionQueue {
  /** The lanes of its subscriptions that drop rather than close (overflow.ts). */
  private readonly lanes = new Set<Lane>();
  private flushing = false;
  private readonly lowWater: number;
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
  ) {
    this.lowWater = Math.min(LOW_WATER, Math.floor(options.maxBytes / 4));
  }

  /**
   * A lane for a subscription that drops rather than closes: the connection's bytes past the socket's
   * low-water mark are shared equally between its lanes, so one lane's backlog cannot take another's.
   */
  addLane(lane: Lane): void {
    this.lanes.add(lane);
    for (const other of this.lanes) {
      other.trim(this.share());
      if (other.behind) this.untilRead(other);
    }
  }

  removeLane(lane: Lane): void {
    this.lanes.delete(lane);
    lane.clear();
  }

  /** The bytes each lane may hold. */
  share(): number {
    return Math.floor((this.options.maxBytes - this.lowWater) / Math.max(1, this.lanes.size));
  }

  /** Frames held in lanes, and their bytes. */
  held(): { frames: number; bytes: number } {
    let frames = 0;
    let bytes = 0;
    for (const lane of this.lanes) {
      frames += lane.frames;
      bytes += lane.bytes;
    }
    return { frames, bytes };
  }

  /**
   * Appends one frame of a lane's subscription: written at once while the socket is below its
   * low-water mark and nothing of the lane waits, held in the lane otherwise (dropping what its
   * policy drops), and written as the socket drains.
   */
  pushHeld(lane: Lane, frame: FrameParts, counted: boolean, id: string | null, key: string | null): void {
    if (this.overflowed || !this.lanes.has(lane)) return;
    if (!lane.behind && this.sink.bufferedBytes() < this.lowWater) {
      // What it holds goes first, now that the socket has room: not at the next look for a drain,
      // which would let the lane fill (and drop) meanwhile.
      this.writeHeld(lane);
      if (lane.empty && this.sink.bufferedBytes() < this.lowWater) {
        this.writeLane(lane, joinFrame(frame), counted);
        return;
      }
    }
    lane.hold(frame, counted, id, key);
    lane.trim(this.share());
    if (lane.behind) this.untilRead(lane);
    else this.flushSoon();
  }

  /**
   * Events its subscription dropped before they reached its lane (a `since` replay's live events):
   * reported before its next event, once its client has read what was written before.
   */
  addGap(lane: Lane, gap: Gap): void {
    if (this.overflowed || !this.lanes.has(lane)) return;
    lane.addGap(gap);
    this.untilRead(lane);
  }

  /**
   * A lane that dropped writes again only once its client has read everything written before: every
   * drop meanwhile joins the same gap, so one backlog is one report, placed where it began.
   */
  private untilRead(lane: Lane): void {
    if (lane.confirming) return;
    lane.confirming = true;
    const read = () => {
      lane.confirming = false;
      lane.behind = false;
      // Stryker disable next-line ConditionalExpression: a lane removed was cleared and takes nothing more, so writing what it holds would write nothing.
      if (!this.lanes.has(lane) || this.overflowed) return;
      // At once: an event that arrived before a later flush would find the lane full, drop, and
      // put it behind again without its having written anything.
      this.writeHeld(lane);
      if (!lane.empty) this.flushSoon();
    };
    if (this.sink.confirmRead) this.sink.confirmRead(read);
    else this.sink.onDrain(read);
  }

  /** Writes what a lane holds, oldest first, while the socket is below its low-water mark. */
  private writeHeld(lane: Lane): void {
    while (this.sink.bufferedBytes() < this.lowWater) {
      const held = lane.shift();
      if (!held) return;
      this.writeLane(lane, held.frame, held.counted);
    }
  }

  private writeLane(lane: Lane, frame: Buffer, counted: boolean): void {
    for (const out of lane.framesFor(frame, counted)) this.sink.write(out);
    if (counted) this.figures.messagesDelivered++;
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.sink.onDrain(() => this.flush());
  }

  /** One frame of each lane in turn, until the socket is at its low-water mark again. */
  private flush(): void {
    this.flushing = false;
    if (this.overflowed) return;
    let wrote = true;
    let any = false;
    // Stryker disable next-line EqualityOperator: each step of a round checks the mark first, so a round that starts at it writes nothing either way.
    while (wrote && this.sink.bufferedBytes() < this.lowWater) {
      wrote = false;
      for (const lane of this.lanes) {
        if (this.sink.bufferedBytes() >= this.lowWater) break;
        if (lane.behind) continue;
        const held = lane.shift();
        if (!held) continue;
        this.writeLane(lane, held.frame, held.counted);
        wrote = any = true;
      }
    }
    // A sink that says it drained but takes nothing (a socket closing) is not asked again until the
    // next frame: otherwise this would run every turn until the connection is released.
    if (!any) return;
    for (const lane of this.lanes) if (!lane.empty && !lane.behind) return this.flushSoon();
  }

  /**
   * Appends one live frame; past the bound the connection is reported as slow. `counted`: whether it
   * is a message delivered (an event) or one of the stream's own (a position).
   */
  push(frame: Buffer, counted = true): void {
    if (this.overflowed) return;
    this.sink.write(frame);
    if (counted) this.figures.messagesDelivered++;
    let queued = this.bufferedBytes();
    if (queued <= this.options.maxBytes + this.allowance) return;
    // What a corked socket holds says nothing yet of how its client reads (one busy turn can write
    // a member that reads at once several passes): handed to the kernel now, only what it refuses counts.
    if (this.sink.holding?.() && this.sink.release) {
      this.sink.release();
      queued = this.bufferedBytes();
      if (queued <= this.options.maxBytes + this.allowance) return;
    }
    this.overflowed = true;
    this.options.onOverflow(queued);
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
   * and fewer than REPLAY_WINDOW bytes of them, and nothing of the stream's lane.
   */
  readyForReplay(lane?: Lane): boolean {
    // What its lane holds (its first position) goes first.
    if (lane && !lane.empty) return false;
    const buffered = this.sink.bufferedBytes();
    return buffered === 0 || (buffered < REPLAY_WINDOW && (this.sink.holding?.() ?? false));
  }

  /** Bytes written and not yet handed to the kernel, and those its lanes hold. */
  bufferedBytes(): number {
    return this.sink.bufferedBytes() + (this.lanes.size ? this.held().bytes : 0);
  }

  /** Resolves once everything written has been handed to the kernel. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.sink.onDrain(resolve));
  }

  get closed(): boolean {
    return this.overflowed;
  }
}
