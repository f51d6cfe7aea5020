/**
 * Write coalescing: the frames written to a socket during one turn of the event loop leave in one
 * system call, at the end of that turn. A group writes one frame to each of its sockets per event;
 * when several events arrive in one turn (a busy server, a burst, a Redis pipeline), each socket
 * would otherwise cost one `writev` per event. The socket is corked on its first write of the turn
 * and uncorked once every event of the turn has been written (Centrifugo batches its writes, and
 * uWebSockets corks, for the same reason). Corked bytes count in `bufferedAmount`, so the
 * connection's byte bound still sees them.
 */
import type { Writable } from 'node:stream';

export class WriteBatch {
  private held = new Set<Writable>();
  private scheduled = false;

  /** Corks `stream` until the end of this turn (once per turn, whatever the number of writes). */
  hold(stream: Writable): void {
    if (this.held.has(stream)) return;
    stream.cork();
    this.held.add(stream);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Sends what `stream` holds now, before the turn ends (a connection past its byte bound, whose
   * client may well have read everything: the kernel's answer tells). Its next write corks it again.
   */
  release(stream: Writable): void {
    if (!this.held.delete(stream)) return;
    stream.uncork();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const held = this.held;
    this.held = new Set();
    for (const stream of held) stream.uncork();
  };
}
