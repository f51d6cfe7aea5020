/**
 * The load generator, in its own process: connects N subscribers to one server, publishes E events,
 * and measures from outside. Prints one JSON line with the figures.
 *   tsx bench/load.ts '<json of LoadPlan>'
 *
 * Latency is from just before the publishing POST to each receipt, both in this process. CPU is the
 * server process's user + system time (/proc/<pid>/stat) over the publishing phase, divided by the
 * deliveries; RSS per connection is the growth of its VmRSS from before connecting to after every
 * subscription is live (both after a full GC in the server).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { io as ioClient, type Socket } from 'socket.io-client';
import { openWebSocket } from './ws-client.js';

export interface LoadPlan {
  protocol: 'graphql-ws' | 'raw-ws' | 'socket.io' | 'sse';
  /** The server's base URL (http://host:port). */
  url: string;
  serverPid: number;
  subscribers: number;
  events: number;
  /** Publishing requests in flight at once. */
  concurrency: number;
  /** GraphQL subscription documents, assigned round-robin (one: all alike; 100: the distinct case). */
  documents: string[];
  /** The mutation that publishes (GraphQL servers); otherwise POST /publish. */
  publish: string | null;
  /** Bytes of padding in each event, so frames are about the size of a real event. */
  pad: number;
}

export interface LoadResult {
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  cpuUsPerDelivery: number;
  rssKbPerConnection: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  frameBytes: number;
  seconds: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
const TICK_US = 1_000_000 / 100; // CLK_TCK is 100 on Linux

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settledRss(): Promise<number> {
  process.kill(plan.serverPid, 'SIGUSR2');
  await sleep(500);
  process.kill(plan.serverPid, 'SIGUSR2');
  await sleep(500);
  return rssKb(plan.serverPid);
}

// Per subscriber: which events arrived (to count duplicates and loss) and the last id (order).
const E = plan.events;
const seen = new Uint8Array(plan.subscribers * E);
const latencies = new Float64Array(plan.subscribers * E);
let latencyCount = 0;
let delivered = 0;
let duplicates = 0;
let outOfOrder = 0;
let warmups = 0;
let frameBytes = 0;
let lastReceipt = 0;
const warmed = new Uint8Array(plan.subscribers);

interface EventBody {
  n: number;
  t: number;
}

/** Server-assigned ids ("<ms>-<n>" or a counter) as one number, to check the order subscribers see. */
/**
 * An id's two parts (`<ms>-<seq>`), compared as a pair: folded into one number (ms × 1e5 + seq) they
 * exceed 2^53, and events of the same millisecond would compare equal.
 */
function orderKey(id: string | undefined): [number, number] {
  if (!id) return [NaN, NaN];
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
const lastMs = new Float64Array(plan.subscribers).fill(-Infinity);
const lastSeq = new Float64Array(plan.subscribers).fill(-Infinity);

/**
 * Order is the server's: with several publishers in flight, events may be committed in another order
 * than their `n`, so the check is on the id the server gave each (Socket.IO gives none).
 */
function receive(i: number, body: EventBody, id?: string): void {
  const now = performance.now();
  if (body.n < 0) {
    if (!warmed[i]) {
      warmed[i] = 1;
      warmups++;
    }
    return;
  }
  lastReceipt = now;
  const slot = i * E + body.n;
  if (seen[slot]) {
    duplicates++;
    return;
  }
  seen[slot] = 1;
  delivered++;
  const [ms, seq] = orderKey(id);
  const prevMs = lastMs[i] as number;
  if (ms < prevMs || (ms === prevMs && seq <= (lastSeq[i] as number))) outOfOrder++;
  if (ms === ms) {
    lastMs[i] = ms;
    lastSeq[i] = seq;
  }
  latencies[latencyCount++] = now - body.t;
}

/** The event body and id inside a graphql-ws `next` message, whatever the alias or shape. */
function fromNext(text: string): { body: EventBody; id: string | undefined } | null {
  const message = JSON.parse(text) as { type: string; payload?: Result };
  if (message.type !== 'next') return null;
  return fromResult(message.payload);
}

type Result = { data?: Record<string, { id?: string; data?: EventBody; payload?: { data: EventBody } }> };

function fromResult(result: Result | undefined): { body: EventBody; id: string | undefined } | null {
  const field = Object.values(result?.data ?? {})[0];
  const body = field?.payload?.data ?? field?.data;
  return body ? { body, id: field?.id } : null;
}

const sockets: { close(): void }[] = [];

async function connectGraphqlWs(i: number, document: string): Promise<void> {
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  const ws = await openWebSocket(
    `${plan.url.replace(/^http/, 'ws')}/graphql`,
    'graphql-transport-ws',
    (data) => {
      const text = data.toString();
      if (text.includes('"connection_ack"')) return acked();
      if (text.includes('"ping"')) return ws.send('{"type":"pong"}');
      const got = fromNext(text);
      if (got) {
        if (got.body.n === 0 && i === 0) frameBytes = data.length;
        receive(i, got.body, got.id);
      }
    },
  );
  sockets.push(ws);
  ws.send('{"type":"connection_init"}');
  await ack;
  ws.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: document } }));
}

async function connectRaw(i: number): Promise<void> {
  const ws = await openWebSocket(`${plan.url.replace(/^http/, 'ws')}/graphql`, null, (data) => {
    const got = fromNext(data.toString());
    if (got) {
      if (got.body.n === 0 && i === 0) frameBytes = data.length;
      receive(i, got.body, got.id);
    }
  });
  sockets.push(ws);
}

/** An SSE subscription (POST, `Accept: text/event-stream`), read with Node's HTTP client. */
function connectSse(i: number, document: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${plan.url}/graphql`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    });
    sockets.push({ close: () => req.destroy() });
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      resolve();
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = pending + chunk;
        let at = 0;
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', at)) {
          const frame = text.slice(at, end);
          at = end + 2;
          if (!frame.startsWith('event: next\ndata: ')) continue;
          const data = frame.slice('event: next\ndata: '.length);
          const got = fromResult(JSON.parse(data) as Result);
          if (got) {
            if (got.body.n === 0 && i === 0) frameBytes = Buffer.byteLength(frame) + 2;
            receive(i, got.body, got.id);
          }
        }
        pending = text.slice(at);
      });
    });
    req.end(JSON.stringify({ query: document }));
  });
}

function connectSocketIo(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = ioClient(plan.url, { transports: ['websocket'], reconnection: false });
    sockets.push({ close: () => socket.close() });
    socket.on('connect_error', reject);
    socket.on('connect', () => resolve());
    socket.on('event', (body: EventBody) => receive(i, body));
  });
}

/**
 * One POST on a connection of its own: a kept-alive connection that the server closes as idle just
 * as the next request goes out fails with ECONNRESET, and a publish must not be retried blindly.
 */
function post(path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${plan.url}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        res.resume();
        res.once('end', () => resolve());
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

function publish(n: number): Promise<void> {
  const body = { n, t: performance.now(), pad: 'x'.repeat(plan.pad) };
  return plan.publish
    ? post('/graphql', JSON.stringify({ query: plan.publish, variables: { data: body } }))
    : post('/publish', JSON.stringify(body));
}

const baseline = await settledRss();
// Connect in waves, so that the server's accept queue is never the subject.
const WAVE = 250;
for (let start = 0; start < plan.subscribers; start += WAVE) {
  const wave: Promise<void>[] = [];
  for (let i = start; i < Math.min(plan.subscribers, start + WAVE); i++) {
    if (plan.protocol === 'graphql-ws')
      wave.push(connectGraphqlWs(i, plan.documents[i % plan.documents.length] as string));
    else if (plan.protocol === 'raw-ws') wave.push(connectRaw(i));
    else if (plan.protocol === 'sse')
      wave.push(connectSse(i, plan.documents[i % plan.documents.length] as string));
    else wave.push(connectSocketIo(i));
  }
  await Promise.all(wave);
}
// Warm-up events until every subscriber has one: every subscription is then live, whatever the server.
for (let k = 0; warmups < plan.subscribers; k++) {
  if (k > 150) throw new Error(`only ${warmups}/${plan.subscribers} subscribers ever received an event`);
  await publish(-1);
  await sleep(200);
}
const loaded = await settledRss();

// The server measures its event loop from here (bench/server.ts), and reports it as it stops.
process.kill(plan.serverPid, 'SIGHUP');
const cpuBefore = cpuTicks(plan.serverPid);
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: plan.concurrency }, async () => {
    while (next < E) await publish(next++);
  }),
);
const expected = plan.subscribers * E;
// Until everything arrived, or nothing more arrives for 5 s.
for (let quiet = 0; delivered < expected && quiet < 50;) {
  const before = delivered;
  await sleep(100);
  quiet = delivered === before ? quiet + 1 : 0;
}
const cpuAfter = cpuTicks(plan.serverPid);
const seconds = (lastReceipt - started) / 1000;
const sorted = latencies.subarray(0, latencyCount).sort();
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const result: LoadResult = {
  deliveriesPerSec: delivered / seconds,
  p50: pct(50),
  p99: pct(99),
  cpuUsPerDelivery: ((cpuAfter - cpuBefore) * TICK_US) / Math.max(1, delivered),
  rssKbPerConnection: (loaded - baseline) / plan.subscribers,
  expected,
  delivered,
  lost: expected - delivered,
  duplicates,
  outOfOrder,
  frameBytes,
  seconds,
};
for (const s of sockets) s.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
