/**
 * One server under test, in a process of its own so that its CPU and memory can be read from /proc:
 *   tsx bench/server.ts <raw-ws | socket.io | yoga | colony> [redis url]
 * Prints one JSON line `{"url": …}` once listening (on BENCH_PORT, any free port when 0 or unset);
 * SIGUSR2 runs a full GC (for the RSS reading, when started with --expose-gc); SIGHUP starts a new
 * measurement of its event loop (perf_hooks' monitorEventLoopDelay: the longest turn, and the p99);
 * SIGTERM stops it, printing `{"loop": {"maxMs", "p99Ms"}}` for the turns since the last SIGHUP.
 *
 * Every server sends the same event body, { n, t, pad }, to subscribers of the room "bench", and
 * publishes on a POST: the GraphQL servers through their `broadcast` mutation, the two references
 * that are not GraphQL on POST /publish.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { startReference } from './reference-server.js';

const [system, redisUrl] = process.argv.slice(2);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

const PORT = Number(process.env.BENCH_PORT ?? 0);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The limit: one frame built once per event, sent as is to every socket. */
async function rawWs(): Promise<{ url: string; stop(): Promise<void> }> {
  let seq = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      // Shaped like a graphql-ws `next` message of the same size as the GraphQL servers' frames.
      const frame = `{"id":"s","type":"next","payload":{"data":{"events":{"id":"${++seq}","type":"CUSTOM","payload":{"data":${body}}}}}}`;
      for (const client of wss.clients) client.send(frame);
      res.end('{}');
    });
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const url = await listen(server);
  return {
    url,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => server.close(r));
    },
  };
}

async function socketIo(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url !== '/publish') return;
    void readBody(req).then((body) => {
      io.to('bench').emit('event', JSON.parse(body) as unknown);
      res.end('{}');
    });
  });
  const io = new SocketIoServer(server, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => void socket.join('bench'));
  const url = await listen(server);
  return { url, stop: () => io.close().then(() => undefined) };
}

async function colony(): Promise<{ url: string; stop(): Promise<void> }> {
  const config = parseConfig(
    {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      METRICS_INTERVAL_MS: '0',
      // bench/slow-member.ts sets the per-connection bound its runs are measured against.
      ...(process.env.BENCH_MAX_QUEUE_BYTES
        ? { SUBSCRIBER_MAX_QUEUE_BYTES: process.env.BENCH_MAX_QUEUE_BYTES }
        : {}),
      // A restarted server (the reconnect storm) reads the same log as the one before it.
      ...(redisUrl
        ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: process.env.BENCH_KEY_PREFIX ?? `bench${process.pid}` }
        : {}),
    },
    'bench',
  );
  // Logs go to stderr: stdout carries the one line the runner reads (the URL).
  const app = await buildApp(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  const { url } = await app.start();
  return { url, stop: () => app.stop() };
}

async function yoga(): Promise<{ url: string; stop(): Promise<void> }> {
  const ref = await startReference();
  return { url: ref.url.replace(/\/graphql$/, ''), stop: () => ref.stop() };
}

const starters: Record<string, () => Promise<{ url: string; stop(): Promise<void> }>> = {
  'raw-ws': rawWs,
  'socket.io': socketIo,
  yoga,
  colony,
};
const start = starters[system ?? ''];
if (!start) throw new Error(`unknown system ${system}`);
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const running = await start();
process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
process.on('SIGHUP', () => loop.reset());
process.on('SIGTERM', () => {
  loop.disable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.stdout.write(
    `${JSON.stringify({ loop: { maxMs: ms(loop.max), p99Ms: ms(loop.percentile(99)) } })}\n`,
  );
  void running.stop().finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
