/**
 * A minimal WebSocket client for the load generator (RFC 6455, client side, no extensions): the
 * opening handshake, masked text frames out, and unmasked frames in, parsed in one loop per TCP read.
 *
 * Why not `ws`: with N sockets each receiving every event, the generator's per-message cost decides
 * how many deliveries per second it can take in at all; `ws`'s receiver (a Writable stream that
 * emits per frame) cost about as much per message as the servers under test, so the generator, not
 * the server, set the pace. This client does the least a correct client must, the same for every
 * system but Socket.IO (which needs its own client).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface LightSocket {
  send(text: string): void;
  close(): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A client frame: FIN, the opcode, the mask bit, the length, the mask, the masked payload. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return frame;
}

/**
 * Opens a WebSocket to `url` (ws://host:port/path) and calls `onText` with each text message's bytes
 * (a view into the read buffer: copy what you keep), and `onClose` with the close code (1006 when
 * an open connection dropped without one). Rejects if the server does not switch protocols.
 */
export function openWebSocket(
  url: string,
  protocol: string | null,
  onText: (message: Buffer) => void,
  onClose?: (code: number) => void,
): Promise<LightSocket> {
  const { hostname, port, pathname } = new URL(url);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let handshake: Buffer | null = Buffer.alloc(0);
    let pending: Buffer | null = null;
    let fragments: Buffer[] | null = null;
    let closeCode = 1006;
    const light: LightSocket = {
      send: (text) => void socket.write(clientFrame(0x1, Buffer.from(text))),
      close: () => {
        socket.end(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
        socket.destroySoon();
      },
    };

    const frames = (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      for (;;) {
        if (buf.length - at < 2) break;
        const b0 = buf[at] as number;
        let length = (buf[at + 1] as number) & 0x7f;
        let header = 2;
        if (length === 126) {
          if (buf.length - at < 4) break;
          length = buf.readUInt16BE(at + 2);
          header = 4;
        } else if (length === 127) {
          if (buf.length - at < 10) break;
          length = Number(buf.readBigUInt64BE(at + 2));
          header = 10;
        }
        if (buf.length - at < header + length) break;
        const payload = buf.subarray(at + header, at + header + length);
        at += header + length;
        const fin = (b0 & 0x80) !== 0;
        const opcode = b0 & 0x0f;
        if (opcode === 0x1 || opcode === 0x0) {
          if (opcode === 0x1 && fin) onText(payload);
          else {
            fragments = [...(fragments ?? []), Buffer.from(payload)];
            if (fin) {
              onText(Buffer.concat(fragments));
              fragments = null;
            }
          }
        } else if (opcode === 0x9) socket.write(clientFrame(0xa, payload));
        else if (opcode === 0x8) {
          if (closeCode === 1006 && payload.length >= 2) closeCode = payload.readUInt16BE(0);
          socket.end();
        }
      }
      pending = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
    };

    socket.on('connect', () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
          '\r\n',
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (!handshake) return frames(chunk);
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = handshake.subarray(0, end).toString('latin1');
      const rest = handshake.subarray(end + 4);
      handshake = null;
      if (!/^HTTP\/1\.1 101 /.test(head) || !head.toLowerCase().includes(accept.toLowerCase())) {
        socket.destroy();
        reject(new Error(`no WebSocket upgrade: ${head.split('\r\n')[0]}`));
        return;
      }
      resolve(light);
      if (rest.length) frames(rest);
    });
    socket.on('error', reject);
    // Only for a socket that opened: a failed open rejects instead.
    socket.once('close', () => {
      if (handshake === null) onClose?.(closeCode);
    });
  });
}
