/**
 * The reconnect storm: N subscribers of `eventStream` on Colony (Redis engine, one instance) while
 * events flow at RATE a second; the server restarts (SIGTERM: every socket gets 1001, then a new
 * process on the same port and the same Redis keys); every subscriber reconnects after 0–1 s of
 * jitter (retrying every second while refused) and resumes with `since` its last cursor.
 *   tsx bench/storm.ts            (BENCH_QUICK=1: N = 500; BENCH_STORM_N to choose)
 *
 * Measured: seconds from the new instance's `/ready` until every subscriber is live again (its
 * resume's live position received: everything up to there was replayed), the events published a
 * second meanwhile (against RATE), resumes refused, `/health`'s slowest answer, the new server's
 * longest event-loop turn (monitorEventLoopDelay), and over the whole run every subscriber's events
 * checked for loss, repeats and order. Target (issue 18): N = 10 000 live within 10 s of /ready,
 * publishing unaffected, nothing refused, lost or repeated.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import {
  cpuSeconds,
  freePort,
  startRedis,
  startServer,
  stopServer,
  type RunningServer,
} from './processes.js';
import { openWebSocket, type LightSocket } from './ws-client.js';

const quick = process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_STORM_N ?? (quick ? 500 : 10_000));
const RATE = Number(process.env.BENCH_STORM_RATE ?? 20);
const DEADLINE_S = quick ? 60 : 180;

const DOC =
  'subscription ($since: ID) { eventStream(rooms: ["storm"], since: $since) { ... on Event { id payload { ... on CustomEventPayload { data } } } ... on StreamPosition { cursor live } } }';
const PUBLISH = 'mutation ($data: JSON!) { broadcast(room: "storm", data: $data) { id } }';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Subscriber {
  socket: LightSocket | null;
  cursor: string | null;
  /** Every event's `n`, in arrival order. */
  got: number[];
  /** When the live position of its latest subscription arrived (performance.now()). */
  liveAt: number;
  /** This resume's steps (performance.now()): dropped, the socket open, connection_ack. */
  droppedAt: number;
  openAt: number;
  ackAt: number;
  resumes: number;
  refused: string[];
}

const subscribers: Subscriber[] = Array.from({ length: N }, () => ({
  socket: null,
  cursor: null,
  got: [],
  liveAt: -1,
  droppedAt: -1,
  openAt: -1,
  ackAt: -1,
  resumes: 0,
  refused: [],
}));
let url = '';
let stopping = false;

function onMessage(s: Subscriber, text: string): void {
  if (text.includes('"connection_ack"')) {
    s.ackAt = performance.now();
    s.socket?.send(
      JSON.stringify({ id: 's', type: 'subscribe', payload: { query: DOC, variables: { since: s.cursor } } }),
    );
    return;
  }
  if (text.includes('"ping"')) return s.socket?.send('{"type":"pong"}');
  const message = JSON.parse(text) as {
    type: string;
    payload?: {
      data?: {
        eventStream: {
          id?: string;
          cursor?: string | null;
          live?: boolean;
          payload?: { data: { n: number } };
        };
      };
      errors?: { extensions?: { code?: string } }[];
    } & { extensions?: { code?: string } }[];
  };
  if (message.type === 'error') {
    const payload = message.payload as unknown as { extensions?: { code?: string } }[];
    s.refused.push(payload?.[0]?.extensions?.code ?? 'ERROR');
    return;
  }
  const item = message.payload?.data?.eventStream;
  if (!item) {
    if (message.payload?.errors) s.refused.push(message.payload.errors[0]?.extensions?.code ?? 'ERROR');
    return;
  }
  if (item.id) {
    s.cursor = item.id;
    if (item.payload) s.got.push(item.payload.data.n);
  } else {
    if (item.cursor !== undefined && item.cursor !== null) s.cursor = item.cursor;
    if (item.live) s.liveAt = performance.now();
  }
}

async function connect(s: Subscriber): Promise<void> {
  const socket = await openWebSocket(
    `${url.replace(/^http/, 'ws')}/graphql`,
    'graphql-transport-ws',
    (data) => onMessage(s, data.toString()),
    () => {
      s.socket = null;
      if (stopping) return;
      s.droppedAt = performance.now();
      // Dropped (a restart): back after 0–1 s of jitter.
      setTimeout(() => void reconnect(s), Math.random() * 1000);
    },
  );
  s.socket = socket;
  s.openAt = performance.now();
  socket.send('{"type":"connection_init"}');
}

async function reconnect(s: Subscriber): Promise<void> {
  s.resumes++;
  s.liveAt = -1;
  for (;;) {
    if (stopping) return;
    try {
      await connect(s);
      return;
    } catch {
      await sleep(1000);
    }
  }
}

function post(path: string, body: string | null): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      {
        method: body === null ? 'GET' : 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', connection: 'close' },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', () => resolve(0));
    req.end(body ?? undefined);
  });
}

/**
 * The publisher, as a backend service publishes: its own thread (so the subscribers' event loop
 * does not delay it), RATE events a second (n = 0, 1, …), one at a time, over one keep-alive HTTP
 * connection that it opens again when the server restarts. Posts back each acknowledged `n`, when
 * (epoch ms), and the request's latency.
 */
const PUBLISHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { request, Agent } = require('node:http');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const { url, rate, query } = workerData;
let running = true;
parentPort.on('message', () => (running = false));
const now = () => performance.timeOrigin + performance.now();
const post = (body) =>
  new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', () => resolve(0));
    req.end(body);
  });
(async () => {
  const interval = 1000 / rate;
  let next = now();
  let n = 0;
  while (running) {
    const began = now();
    const status = await post(JSON.stringify({ query, variables: { data: { n } } }));
    if (status === 200) parentPort.postMessage({ n: n++, at: now(), ms: now() - began });
    next += interval;
    const wait = next - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else next = now();
  }
  agent.destroy();
  parentPort.postMessage('stopped');
})();
`;

function startPublisher() {
  const published: { n: number; at: number; ms: number }[] = [];
  const worker = new Worker(PUBLISHER, {
    eval: true,
    workerData: { url: `${url}/graphql`, rate: RATE, query: PUBLISH },
  });
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  worker.on('message', (m: { n: number; at: number; ms: number } | 'stopped') => {
    if (m === 'stopped') return stopped();
    // In this thread's clock.
    published.push({ ...m, at: m.at - performance.timeOrigin });
  });
  return {
    published,
    stop: async () => {
      worker.postMessage('stop');
      await done;
      await worker.terminate();
    },
  };
}

const redis = await startRedis();
const port = await freePort();
const env = { BENCH_KEY_PREFIX: `storm${process.pid}` };
let server: RunningServer = await startServer('colony', redis.url, { port, env });
url = server.url;
try {
  for (let start = 0; start < N; start += 250) {
    await Promise.all(subscribers.slice(start, start + 250).map((s) => connect(s)));
  }
  while (subscribers.some((s) => s.liveAt < 0)) await sleep(50);
  const publisher = startPublisher();
  await sleep(2000);

  // The restart.
  await stopServer(server);
  server = await startServer('colony', redis.url, { port, env });
  while ((await post('/ready', null)) !== 200) await sleep(20);
  const readyAt = performance.now();
  const cpuAtReady = cpuSeconds(server.child.pid!);
  const clientsAtReady = process.cpuUsage();
  process.kill(server.child.pid!, 'SIGHUP');
  const publishedAtReady = publisher.published.length;
  let slowestHealth = 0;
  // Progress on stderr, for a run that does not finish.
  const progress = setInterval(() => {
    const liveNow = subscribers.filter((s) => s.liveAt >= 0).length;
    const open = subscribers.filter((s) => s.socket).length;
    process.stderr.write(
      `storm: ${((performance.now() - readyAt) / 1000).toFixed(0)} s after /ready: ${liveNow} live, ${open} open, ${publisher.published.length} published\n`,
    );
  }, 5000);
  const healthProbe = (async () => {
    while (subscribers.some((s) => s.liveAt < 0) && performance.now() - readyAt < DEADLINE_S * 1000) {
      const began = performance.now();
      await post('/health', null);
      slowestHealth = Math.max(slowestHealth, performance.now() - began);
      await sleep(100);
    }
  })();
  await healthProbe;
  clearInterval(progress);
  const allLiveAt = performance.now();
  const stormCpu = cpuSeconds(server.child.pid!) - cpuAtReady;
  const clientsUsage = process.cpuUsage(clientsAtReady);
  const clientsCpu = (clientsUsage.user + clientsUsage.system) / 1e6;
  const live = subscribers.filter((s) => s.liveAt >= 0);
  const inStorm = publisher.published.filter((p) => p.at >= readyAt && p.at <= allLiveAt);
  const publishedInStorm = inStorm.length;
  const publishMs = inStorm.map((p) => p.ms).sort((a, b) => a - b);
  const stormSeconds = (allLiveAt - readyAt) / 1000;
  await sleep(2000);
  await publisher.stop();
  // Until every subscriber has every acknowledged event, or nothing arrives for 5 s.
  const total = publisher.published.length;
  for (let quiet = 0; quiet < 50 && subscribers.some((s) => s.got.length < total);) {
    const before = subscribers.reduce((n, s) => n + s.got.length, 0);
    await sleep(100);
    quiet = subscribers.reduce((n, s) => n + s.got.length, 0) === before ? quiet + 1 : 0;
  }
  stopping = true;
  const loop = await stopServer(server);
  let lost = 0;
  /** Which events were lost (by `n`), for a run that loses any. */
  const lostNs = new Set<number>();
  let repeated = 0;
  let disorder = 0;
  for (const s of subscribers) {
    const seen = new Set<number>();
    let last = -1;
    for (const n of s.got) {
      if (seen.has(n)) repeated++;
      else if (n < last) disorder++;
      seen.add(n);
      last = Math.max(last, n);
    }
    for (const p of publisher.published)
      if (!seen.has(p.n)) {
        lost++;
        lostNs.add(p.n);
      }
  }
  if (lostNs.size) {
    const ns = [...lostNs].sort((a, b) => a - b);
    const at = (n: number) => publisher.published.find((p) => p.n === n)?.at ?? Number.NaN;
    console.log(
      `\nLost: ${ns.length} distinct events (n ${ns[0]}–${ns.at(-1)}), acknowledged ${((at(ns[0] as number) - readyAt) / 1000).toFixed(1)} to ${((at(ns.at(-1) as number) - readyAt) / 1000).toFixed(1)} s after /ready (all live at ${((allLiveAt - readyAt) / 1000).toFixed(1)} s); ${publisher.published.length} published.`,
    );
  }
  const toLive = live.map((s) => (s.liveAt - readyAt) / 1000).sort((a, b) => a - b);
  const refused = subscribers.flatMap((s) => s.refused);
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
  console.log(`\nReconnect storm: Colony (Redis), eventStream, ${RATE} events/s, restart by SIGTERM\n`);
  console.log(
    '| subscribers | live again | s from /ready to all live (target ≤ 10) | p50 s | events/s published meanwhile (of ' +
      `${RATE}) | resumes refused | slowest /health ms | longest turn ms | server CPU s meanwhile | lost | repeated | out of order |`,
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${N} | ${live.length} | ${live.length === N ? f(stormSeconds) : `> ${DEADLINE_S}`} | ${f(toLive[Math.floor(toLive.length / 2)])} | ${f(publishedInStorm / Math.max(stormSeconds, 1e-3))} | ${refused.length}${refused.length ? ` (${[...new Set(refused)].join(', ')})` : ''} | ${f(slowestHealth, 0)} | ${f(loop?.maxMs)} | ${f(stormCpu)} | ${lost} | ${repeated} | ${disorder} |`,
  );
  // Where the resumes waited: from /ready (or the drop, if later) to the socket open (jitter, then
  // the accept queue), to connection_ack (the init), to the live position (its subscription and replay).
  const phase = (from: (s: Subscriber) => number, to: (s: Subscriber) => number) => {
    const spans = live.map((s) => (to(s) - from(s)) / 1000).sort((a, b) => a - b);
    return `p50 ${f(spans[Math.floor(spans.length / 2)], 2)} s, p90 ${f(spans[Math.floor(spans.length * 0.9)], 2)} s, max ${f(spans.at(-1), 2)} s`;
  };
  console.log(
    `\nEach resume: /ready → open ${phase(
      (s) => Math.max(s.droppedAt, readyAt, Math.min(s.openAt, readyAt)),
      (s) => s.openAt,
    )}; open → ack ${phase(
      (s) => s.openAt,
      (s) => s.ackAt,
    )}; ack → live ${phase(
      (s) => s.ackAt,
      (s) => s.liveAt,
    )}.`,
  );
  console.log(
    `\n${publisher.published.length} events published (${publishedAtReady} before /ready), ${subscribers.reduce((n, s) => n + s.resumes, 0)} resumes; the clients' process used ${f(clientsCpu)} CPU s meanwhile; a publish during the storm took p50 ${f(publishMs[Math.floor(publishMs.length / 2)], 0)} ms, max ${f(publishMs.at(-1), 0)} ms.`,
  );
} finally {
  stopping = true;
  for (const s of subscribers) s.socket?.close();
  await stopServer(server).catch(() => undefined);
  redis.stop();
}
process.exit(0);
