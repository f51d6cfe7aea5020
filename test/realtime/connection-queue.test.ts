/**
 * A connection's outbound queue, over a sink that stands in for a WebSocket: what the kernel has not
 * taken yet stays buffered until the test lets it drain.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionQueue, REPLAY_WINDOW, type FrameSink } from '../../src/realtime/connection-queue.js';
import { Lane, type DropReason, type OverflowPolicy } from '../../src/realtime/overflow.js';

/** A socket whose peer reads only when told to. */
class SlowSocket implements FrameSink {
  readonly frames: string[] = [];
  /** Bytes the peer has not read. */
  buffered = 0;
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
  /** Says it drained, and takes nothing (a socket that is closing). */
  drainNothing(): void {
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

  it('past the bound, hands what a corked socket holds to the kernel and counts only what it refuses', () => {
    const q = queueOf(10);
    let held = true;
    let reads = true;
    let released = 0;
    Object.assign(q.socket, {
      holding: () => held,
      release: () => {
        released++;
        held = false;
        if (reads) q.socket.buffered = 0;
      },
    });
    // Three times the bound in one turn to a client that reads at once: it stays.
    for (let i = 0; i < 5; i++) {
      held = true;
      q.queue.push(bytes(6));
    }
    expect(released).toBe(2);
    expect(q.overflows).toEqual([]);
    expect(q.socket.frames).toHaveLength(5);
    // Within the bound, nothing is released early.
    held = true;
    q.queue.push(bytes(4));
    expect(released).toBe(2);
    // A client that reads nothing: reported once, with what the kernel refused.
    reads = false;
    q.queue.push(bytes(6));
    expect(released).toBe(3);
    expect(q.overflows).toEqual([16]);
    expect(q.queue.closed).toBe(true);
  });

  it('keeps a connection whose kernel refused exactly its bound of what a corked socket held', () => {
    const q = queueOf(10);
    Object.assign(q.socket, {
      holding: () => true,
      // The kernel takes all but ten bytes.
      release: () => (q.socket.buffered = 10),
    });
    q.queue.push(bytes(12));
    expect(q.overflows).toEqual([]);
    expect(q.queue.closed).toBe(false);
  });

  it('does not release a socket that holds nothing for the end of the turn', () => {
    const q = queueOf(10);
    let released = 0;
    Object.assign(q.socket, { holding: () => false, release: () => released++ });
    q.queue.push(bytes(11));
    expect(released).toBe(0);
    expect(q.overflows).toEqual([11]);
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
  it('waits for the drain after each write on a socket that never holds frames for the turn', () => {
    const q = queueOf(1 << 20);
    expect(q.queue.readyForReplay()).toBe(true);
    q.queue.pushReplayed(bytes(1));
    expect(q.queue.readyForReplay()).toBe(false);
    q.socket.drain();
    expect(q.queue.readyForReplay()).toBe(true);
  });

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

/**
 * A socket whose peer reads only when told to, and says when it has read everything written before
 * a given moment (a WebSocket's ping answered by its pong) only when the test answers.
 */
class ConfirmingSocket extends SlowSocket {
  private confirming: (() => void)[] = [];
  confirmRead(callback: () => void): void {
    this.confirming.push(callback);
  }
  get confirmWaiters(): number {
    return this.confirming.length;
  }
  /** The peer answers every ping sent so far. */
  confirm(): void {
    for (const callback of this.confirming.splice(0)) callback();
  }
}

/** Frames of `size` bytes, named, so that what was written can be told apart. */
const named = (name: string, size = 50) => Buffer.from(name.padEnd(size, '.'));
const names = (frames: string[]) => frames.map((f) => f.replace(/\.+$/, ''));

/**
 * A queue of `maxBytes` (a quarter of it, at most LOW_WATER, is the socket's low-water mark) with a
 * lane per policy given; each lane frames its gaps as `gap <count> <from>..<to>`.
 */
function lanesOf(maxBytes: number, policies: Exclude<OverflowPolicy, 'DISCONNECT'>[], confirming = true) {
  const socket = confirming ? new ConfirmingSocket() : new SlowSocket();
  const figures = { messagesDelivered: 0 };
  const overflows: number[] = [];
  const drops: [OverflowPolicy, DropReason, number][] = [];
  const queue = new ConnectionQueue(socket, figures, { maxBytes, onOverflow: (b) => overflows.push(b) });
  const lanes = policies.map((policy) => {
    const lane = new Lane(
      policy,
      0,
      (d) => Buffer.from(`gap ${d.count} ${d.fromId}..${d.toId}`),
      (...drop) => drops.push(drop),
    );
    queue.addLane(lane);
    return lane;
  });
  /** One event's frame for a lane, its id its name. */
  const event = (lane: Lane, id: string, key: string | null = null) =>
    queue.pushHeld(lane, named(id), true, id, key);
  return { socket, figures, overflows, drops, queue, lanes, event };
}

describe('lanes on a connection queue', () => {
  it('write at once below the low-water mark, hold past it, and write what they hold in order as the socket drains', () => {
    // 400 bytes: a low-water mark of 100, one lane's share 300.
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    q.event(lane, '1');
    q.event(lane, '2');
    expect(names(q.socket.frames)).toEqual(['1', '2']);
    q.event(lane, '3');
    q.event(lane, '4');
    expect(names(q.socket.frames)).toEqual(['1', '2']);
    expect(q.queue.held()).toEqual({ frames: 2, bytes: 100 });
    expect(q.queue.bufferedBytes()).toBe(200);
    // One look for the drain, however many frames wait.
    expect(q.socket.drainWaiters).toBe(1);
    expect(q.figures.messagesDelivered).toBe(2);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4']);
    expect(q.queue.held()).toEqual({ frames: 0, bytes: 0 });
    expect(q.figures.messagesDelivered).toBe(4);
    expect(q.drops).toEqual([]);
    // Nothing is left to write: it does not look for the next drain.
    expect(q.socket.drainWaiters).toBe(0);
  });

  it('write only up to the low-water mark on a drain, and look for the next one for the rest', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3', '4', '5', '6']) q.event(lane, id);
    expect(q.queue.held().frames).toBe(4);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4']);
    expect(q.queue.held().frames).toBe(2);
    expect(q.socket.drainWaiters).toBe(1);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('write what a lane holds before its next frame once the socket has room again', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3']) q.event(lane, id);
    // The peer read, but the queue has not heard of it yet: the next frame finds room.
    q.socket.buffered = 0;
    q.event(lane, '4');
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4']);
    expect(q.queue.held().frames).toBe(0);
  });

  it('write what a lane holds only while the socket is below the low-water mark, not at it', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3', '4', '5']) q.event(lane, id);
    // The peer read everything; the queue hears of it with the next frame, which waits behind what
    // the lane holds: two of them fill the socket to its mark exactly.
    q.socket.buffered = 0;
    q.event(lane, '6');
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4']);
    expect(q.queue.held().frames).toBe(2);
  });

  it('hold the next frame when writing what a lane held brings the socket to its low-water mark exactly', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3']) q.event(lane, id);
    q.socket.buffered = 50;
    q.event(lane, '4');
    expect(names(q.socket.frames)).toEqual(['1', '2', '3']);
    expect(q.queue.held().frames).toBe(1);
  });

  it('stop a drain’s round of lanes as soon as the socket is at its low-water mark', () => {
    // Three lanes of 100 bytes each past a low-water mark of 100.
    const q = lanesOf(400, ['DROP_OLDEST', 'DROP_OLDEST', 'DROP_OLDEST']);
    const [a, b, c] = q.lanes as [Lane, Lane, Lane];
    q.queue.push(named('live', 100));
    q.event(a, 'a1');
    q.event(b, 'b1');
    q.event(c, 'c1');
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['live', 'a1', 'b1']);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['live', 'a1', 'b1', 'c1']);
  });

  it('have a low-water mark of 64 KiB on a large bound', () => {
    const q = lanesOf(1 << 20, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    q.queue.pushHeld(lane, bytes(64 * 1024 - 1), true, '1', null);
    q.queue.pushHeld(lane, bytes(1), true, '2', null);
    expect(q.socket.frames).toHaveLength(2);
    q.queue.pushHeld(lane, bytes(1), true, '3', null);
    expect(q.socket.frames).toHaveLength(2);
    expect(q.queue.held().frames).toBe(1);
  });

  it('drop the oldest past a lane’s share, and write nothing more until the client has read what came before', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (let i = 1; i <= 9; i++) q.event(lane, String(i));
    // Two written, six held (300 bytes, its share): the third was dropped.
    expect(q.queue.held()).toEqual({ frames: 6, bytes: 300 });
    expect(q.drops).toEqual([['DROP_OLDEST', 'overflow', 1]]);
    expect(lane.behind).toBe(true);
    expect((q.socket as ConfirmingSocket).confirmWaiters).toBe(1);
    // The kernel took everything, the client has not said it read it: still nothing.
    q.socket.drain();
    q.event(lane, '10');
    expect(names(q.socket.frames)).toEqual(['1', '2']);
    expect((q.socket as ConfirmingSocket).confirmWaiters).toBe(1);
    (q.socket as ConfirmingSocket).confirm();
    // The gap first, then what it holds, up to the low-water mark; the rest as the socket drains.
    expect(names(q.socket.frames)).toEqual(['1', '2', 'gap 2 3..4', '5', '6']);
    expect(lane.behind).toBe(false);
    q.socket.drain();
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', 'gap 2 3..4', '5', '6', '7', '8', '9', '10']);
    expect(q.figures.messagesDelivered).toBe(8);
  });

  it('wait for the socket to drain instead when it cannot say what the client read', () => {
    const q = lanesOf(400, ['DROP_OLDEST'], false);
    const [lane] = q.lanes as [Lane];
    for (let i = 1; i <= 9; i++) q.event(lane, String(i));
    expect(lane.behind).toBe(true);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', 'gap 1 3..3', '4', '5']);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', 'gap 1 3..3', '4', '5', '6', '7']);
  });

  it('share the bytes past the low-water mark equally, trimming a lane as another is added', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [first] = q.lanes as [Lane];
    for (let i = 1; i <= 8; i++) q.event(first, String(i));
    expect(q.queue.held().bytes).toBe(300);
    expect(first.behind).toBe(false);
    const second = new Lane('DROP_OLDEST', 0, null, () => undefined);
    q.queue.addLane(second);
    expect(q.queue.share()).toBe(150);
    // Trimmed to its new share at once: the three oldest it held are dropped, and it is behind.
    expect(q.queue.held()).toEqual({ frames: 3, bytes: 150 });
    expect(q.drops).toEqual([
      ['DROP_OLDEST', 'overflow', 1],
      ['DROP_OLDEST', 'overflow', 1],
      ['DROP_OLDEST', 'overflow', 1],
    ]);
    expect(first.behind).toBe(true);
    expect((q.socket as ConfirmingSocket).confirmWaiters).toBe(1);
    q.queue.removeLane(second);
    expect(q.queue.share()).toBe(300);
  });

  it('write one frame of each lane in turn as the socket drains, passing over a lane that is behind', () => {
    const q = lanesOf(1000, ['DROP_OLDEST', 'DROP_OLDEST', 'COALESCE']);
    const [a, b, c] = q.lanes as [Lane, Lane, Lane];
    // 250 bytes of low-water mark: five frames go out at once.
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) q.event(a, id);
    for (const id of ['a6', 'a7']) q.event(a, id);
    for (const id of ['b1', 'b2']) q.event(b, id);
    q.queue.addGap(c, { count: 1, fromId: 'c0', toId: 'c0' });
    for (const id of ['c1', 'c2']) q.event(c, id);
    q.socket.drain();
    expect(names(q.socket.frames).slice(5)).toEqual(['a6', 'b1', 'a7', 'b2']);
    expect(c.behind).toBe(true);
    (q.socket as ConfirmingSocket).confirm();
    // Its gap and first frame take the socket past the low-water mark: the rest on the next drain.
    expect(names(q.socket.frames).slice(9)).toEqual(['gap 1 c0..c0', 'c1']);
    q.socket.drain();
    expect(names(q.socket.frames).slice(11)).toEqual(['c2']);
  });

  it('do not look for another drain when a drain let nothing be written', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3']) q.event(lane, id);
    expect(q.socket.drainWaiters).toBe(1);
    // A socket that is closing: it says it drained and takes nothing.
    const stuck = q.socket;
    q.socket.drain();
    stuck.buffered = 1000;
    expect(q.socket.drainWaiters).toBe(0);
    expect(q.queue.held().frames).toBe(0);
    q.event(lane, '4');
    q.event(lane, '5');
    expect(q.socket.drainWaiters).toBe(1);
    q.socket.drain();
    stuck.buffered = 1000;
    q.socket.drain();
    expect(q.socket.drainWaiters).toBe(0);
  });

  it('count what lanes hold against the bound of the live frames written beside them', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3', '4', '5']) q.event(lane, id);
    // 100 bytes in the socket, 150 held: 150 more is the bound, exactly.
    q.queue.push(named('live', 150));
    expect(q.overflows).toEqual([]);
    q.queue.push(named('m', 1));
    expect(q.overflows).toEqual([401]);
    // Closed: lanes take nothing more, and a drain writes nothing.
    q.event(lane, '6');
    q.queue.addGap(lane, { count: 1, fromId: '0', toId: '0' });
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', 'live', 'm']);
  });

  it('take nothing for a lane removed, which holds nothing after', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3', '4']) q.event(lane, id);
    q.queue.removeLane(lane);
    expect(lane.empty).toBe(true);
    expect(q.queue.held()).toEqual({ frames: 0, bytes: 0 });
    q.event(lane, '5');
    q.queue.addGap(lane, { count: 1, fromId: '0', toId: '0' });
    expect(lane.empty).toBe(true);
    expect(lane.behind).toBe(false);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2']);
  });

  it('report a gap from before a lane’s frames once its client has read what came before, then its next event', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    q.queue.addGap(lane, { count: 3, fromId: '1', toId: '3' });
    expect(lane.behind).toBe(true);
    q.event(lane, '4');
    expect(q.socket.frames).toEqual([]);
    // A second gap while the first waits asks the client once.
    q.queue.addGap(lane, { count: 1, fromId: '0', toId: '0' });
    expect((q.socket as ConfirmingSocket).confirmWaiters).toBe(1);
    (q.socket as ConfirmingSocket).confirm();
    expect(names(q.socket.frames)).toEqual(['gap 4 0..3', '4']);
    // Nothing is left in the lane: no look for a drain.
    expect(q.socket.drainWaiters).toBe(0);
  });

  it('let a replay write only once its lane is empty', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    expect(q.queue.readyForReplay(lane)).toBe(true);
    for (const id of ['1', '2', '3']) q.event(lane, id);
    expect(q.queue.readyForReplay(lane)).toBe(false);
    q.socket.drain();
    q.socket.drain();
    expect(q.queue.readyForReplay(lane)).toBe(true);
  });

  it('count a position written from a lane as no delivery', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    q.queue.pushHeld(lane, named('position'), false, null, null);
    q.event(lane, '1');
    for (const id of ['p2', 'p3']) q.queue.pushHeld(lane, named(id), false, null, null);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['position', '1', 'p2', 'p3']);
    expect(q.figures.messagesDelivered).toBe(1);
  });

  it('do not let a replay write while its lane holds frames, even with the socket empty', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3']) q.event(lane, id);
    q.socket.buffered = 0;
    expect(q.queue.readyForReplay(lane)).toBe(false);
    expect(q.queue.readyForReplay()).toBe(true);
  });

  it('write nothing a lane held once its queue was closed while its client was asked to confirm', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (let i = 1; i <= 9; i++) q.event(lane, String(i));
    expect(lane.behind).toBe(true);
    q.queue.push(named('live', 400));
    expect(q.queue.closed).toBe(true);
    (q.socket as ConfirmingSocket).confirm();
    expect(names(q.socket.frames)).toEqual(['1', '2', 'live']);
  });

  it('do not look for another drain when the socket takes nothing, while frames still wait', () => {
    const q = lanesOf(400, ['DROP_OLDEST']);
    const [lane] = q.lanes as [Lane];
    for (const id of ['1', '2', '3', '4']) q.event(lane, id);
    expect(q.socket.drainWaiters).toBe(1);
    q.socket.drainNothing();
    expect(q.queue.held().frames).toBe(2);
    expect(q.socket.drainWaiters).toBe(0);
    // The next frame looks again.
    q.event(lane, '5');
    expect(q.socket.drainWaiters).toBe(1);
    q.socket.drain();
    expect(names(q.socket.frames)).toEqual(['1', '2', '3', '4']);
  });
});
