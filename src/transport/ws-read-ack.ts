/**
 * Whether a WebSocket's client has read what was written to it: a ping goes out behind everything
 * written before it, and its client answers with a pong once it has read up to it (RFC 6455 §5.5.2;
 * browsers and `ws` answer on their own). The bytes the kernel took prove nothing: on loopback its
 * buffers take megabytes while the client reads nothing.
 */
import type { WebSocket } from 'ws';

const PREFIX = 'colony:read:';

/** `confirmRead` for a socket's FrameSink: calls back once a ping sent now has been answered. */
export function readConfirmer(socket: WebSocket): (callback: () => void) => void {
  let sent = 0;
  let answered = 0;
  let waiting: { ping: number; callback: () => void }[] = [];
  socket.on('pong', (data: Buffer) => {
    const text = data.toString();
    if (!text.startsWith(PREFIX)) return;
    const ping = Number(text.slice(PREFIX.length));
    // Pongs come back in order: one answers every ping before it too.
    if (!Number.isSafeInteger(ping) || ping <= answered || ping > sent) return;
    answered = ping;
    const ready = waiting.filter((w) => w.ping <= answered);
    waiting = waiting.filter((w) => w.ping > answered);
    for (const w of ready) w.callback();
  });
  socket.once('close', () => (waiting = []));
  return (callback) => {
    // A socket that is closing takes nothing more: what waits for it goes with the connection.
    if (socket.readyState !== socket.OPEN) return;
    sent++;
    waiting.push({ ping: sent, callback });
    socket.ping(`${PREFIX}${sent}`);
  };
}
