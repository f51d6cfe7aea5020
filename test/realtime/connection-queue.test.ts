/**
 * A connection's outbound queue, over a sink that stands in for a WebSocket: what the kernel has not
 * taken yet stays buffered until the test lets it drain.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionQueue, REPLAY_WINDOW, type FrameSink } from '../../src/realtime/connection-queue.js';

/** A socket whose peer reads only when told to. */
class SlowSocket implements FrameSink {
  readonly frames: string[] = [];
  private buffered = 0;
  private waiting: (() => void)[] = [];
  write(frame: Buffer): void {
    this.frames.push(frame.toString());
    this.buffered += frame.length;
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  onDrain(callback: () => void): void {
    this.waiting.push(callback);
  }
  get drainWaiters(): number {
    return this.waiting.length;
  }
  /** The peer reads everything. */
  drain(): void {
    this.buffered = 0;
    for (const callback of this.waiting.splice(0)) callback();
  }
}

function queueOf(maxBytes: number) {
  const socket = new SlowSocket();
  const figures = { messagesDelivered: 0 };
  const overflows: number[] = [];
  const queue = new ConnectionQueue(socket, figures, {
    maxBytes,
    onOverflow: (bytes) => overflows.push(bytes),
  });
  return { socket, figures, overflows, queue };
}

const bytes = (n: number, fill = 'x') => Buffer.from(fill.repeat(n));

describe('a connection queue', () => {
  it('writes each frame at once and counts it delivered', () => {
    const q = queueOf(100);
    q.queue.push(bytes(3, 'a'));
    q.queue.push(bytes(2, 'b'));
    expect(q.socket.frames).toEqual(['aaa', 'bb']);
    expect(q.figures.messagesDelivered).toBe(2);
    expect(q.queue.bufferedBytes()).toBe(5);
    expect(q.queue.closed).toBe(false);
  });

  it('holds exactly its bound, and reports the connection once past it, with the bytes waiting', () => {
    const q = queueOf(10);
    q.queue.push(bytes(6));
    q.queue.push(bytes(4));
    expect(q.overflows).toEqual([]);
    expect(q.queue.closed).toBe(false);
    q.queue.push(bytes(1));
    expect(q.overflows).toEqual([11]);
    expect(q.queue.closed).toBe(true);
    // Nothing more is written, counted or reported once it is closed.
    q.queue.push(bytes(1));
    q.queue.pushReplayed(bytes(1));
    expect(q.socket.frames).toHaveLength(3);
    expect(q.figures.messagesDelivered).toBe(3);
    expect(q.overflows).toEqual([11]);
  });

  it('measures what is still buffered, not what was ever written', () => {
    const q = queueOf(10);
    q.queue.push(bytes(8));
    q.socket.drain();
    q.queue.push(bytes(8));
    expect(q.queue.closed).toBe(false);
  });

  it('lets a replay past the bound until it has been sent', () => {
    const q = queueOf(10);
    q.queue.pushReplayed(bytes(50));
    q.queue.pushReplayed(bytes(50));
    expect(q.figures.messagesDelivered).toBe(2);
    // One wait for the drain, however many replayed frames it covers.
    expect(q.socket.drainWaiters).toBe(1);
    // A live frame behind the replay counts against the bound plus the replay.
    q.queue.push(bytes(10));
    expect(q.queue.closed).toBe(false);
    q.queue.push(bytes(1));
    expect(q.overflows).toEqual([111]);
  });

  it('stops allowing a replay once it has been sent', () => {
    const q = queueOf(10);
    q.queue.pushReplayed(bytes(50));
    q.socket.drain();
    expect(q.socket.drainWaiters).toBe(0);
    q.queue.push(bytes(11));
    expect(q.overflows).toEqual([11]);
  });

  it('waits for the drain again for the next replay', () => {
    const q = queueOf(10);
    q.queue.pushReplayed(bytes(5));
    q.socket.drain();
    q.queue.pushReplayed(bytes(50));
    expect(q.socket.drainWaiters).toBe(1);
    q.queue.push(bytes(10));
    expect(q.queue.closed).toBe(false);
  });

  it('resolves drained once the socket has sent everything', async () => {
    const q = queueOf(10);
    q.queue.push(bytes(5));
    let drained = false;
    const done = q.queue.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    q.socket.drain();
    await done;
    expect(drained).toBe(true);
  });
});

describe('a replay on a connection queue', () => {
  it('goes on while its frames are only held for the end of the turn, up to the window', () => {
    const q = queueOf(1 << 20);
    let held = true;
    Object.assign(q.socket, { holding: () => held });
    expect(q.queue.readyForReplay()).toBe(true);
    q.queue.pushReplayed(bytes(REPLAY_WINDOW - 1));
    expect(q.queue.readyForReplay()).toBe(true);
    q.queue.pushReplayed(bytes(1));
    expect(q.queue.readyForReplay()).toBe(false);
    // The kernel took nothing at the end of the turn: the replay waits for the drain.
    held = false;
    q.socket.drain();
    q.queue.pushReplayed(bytes(1));
    expect(q.queue.readyForReplay()).toBe(false);
    q.socket.drain();
    expect(q.queue.readyForReplay()).toBe(true);
  });
});
