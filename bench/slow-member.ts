/**
 * What slow subscribers cost a group and the server, under each overflow policy. FAST members of one
 * group (one document: `events(rooms: ["bench"], overflow: <policy>)`) receive E events, once alone
 * and once beside SLOW members of the same group whose TCP sockets are paused for the whole run
 * (1 000 by default). Each run has a fresh server with SUBSCRIBER_MAX_QUEUE_BYTES = BOUND, so the
 * server may hold at most SLOW × BOUND for the slow members (plus a frame each on its way).
 *
 * Per run: the server's CPU time (/proc/<pid>/stat) over the publishing phase per delivery to a fast
 * member; what the fast members lost (dropped or closed); the slow members closed (4008, DISCONNECT);
 * the most bytes realtimeStats showed held for all connections and for one; the server's RSS before
 * publishing and at its peak, and what its JavaScript retains (heap used plus external Buffers, after a
 * full GC) before publishing and at the end, against SLOW × BOUND.
 *   npm run bench:slow                 (BENCH_SMOKE=1: 10 fast, 50 slow, 100 events, to see it run)
 * BENCH_FAST, BENCH_SLOW, BENCH_EVENTS, BENCH_BOUND, BENCH_POLICIES=DROP_OLDEST,… change the run.
 * Timing conclusions need a quiet machine.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startServer, stopServer } from './processes.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FAST = num('BENCH_FAST', SMOKE ? 10 : 100);
const SLOW = num('BENCH_SLOW', SMOKE ? 50 : 1000);
const E = num('BENCH_EVENTS', SMOKE ? 100 : 2500);
const BOUND = num('BENCH_BOUND', 64 * 1024);
const POLICIES = (process.env.BENCH_POLICIES ?? 'DISCONNECT,DROP_OLDEST,COALESCE').split(',');
/**
 * 2 KiB events: E = 2 500 of them (5 MB to each member) are far more than the bound and than what
 * the kernel takes for a paused socket, so the server holds the bound for each paused member.
 */
const PAD = 'x'.repeat(2 * 1024);
const TICK_US = 1_000_000 / 100;
const PUBLISH = 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }';

const doc = (policy: string) =>
  `subscription { events(rooms: ["bench"], overflow: ${policy}) { id payload { ... on CustomEventPayload { data } } } }`;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The kernel's TCP buffers, machine-wide, in MB (4 KiB pages, /proc/net/sockstat). */
function tcpMemMb(): number {
  const pages = Number(/TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? 0);
  return Math.round((pages * 4096) / (1024 * 1024));
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

interface Subscriber {
  /** Events received, plus those reported dropped (a fast member that fell behind for a moment). */
  received: number;
  dropped: number;
  closed: number | null;
  socket: WebSocket;
  raw: Socket | null;
}

async function subscribe(wsUrl: string, policy: string): Promise<Subscriber> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const sub: Subscriber = { received: 0, dropped: 0, closed: null, socket, raw: null };
  socket.once('upgrade', (res: IncomingMessage) => (sub.raw = res.socket));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  socket.once('close', (code) => (sub.closed = code));
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.on('message', (data) => {
    const text = String(data);
    if (text.includes('"connection_ack"')) acked();
    else if (text.includes('"type":"next"')) {
      sub.received++;
      const dropped = /"dropped":\{"count":(\d+)/.exec(text);
      if (dropped) {
        sub.received += Number(dropped[1]);
        sub.dropped += Number(dropped[1]);
      }
    }
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await ack;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: doc(policy) } }));
  return sub;
}

interface RunResult {
  policy: string;
  slow: number;
  usPerFastDelivery: number;
  /** Events the fast members did not get: dropped (reported), or missing when one was closed. */
  fastLost: number;
  fastClosed: number;
  slowClosed: number;
  /** The most events a paused member took while paused (what its kernel buffers held and ws parsed). */
  slowReceived: number;
  /** The most bytes realtimeStats showed held for all connections, and for one. */
  heldTotalBytes: number;
  heldLargestBytes: number;
  rssMbBefore: number;
  rssMbPeak: number;
  /**
   * What the server's JavaScript holds (V8 heap used plus Buffers outside it), before publishing and
   * after it with the paused members still connected, each once a full GC has run: what is retained,
   * where RSS also counts garbage not yet collected and memory the allocator keeps.
   */
  retainedMbBefore: number;
  retainedMbAfter: number;
  /** The kernel's TCP buffers, machine-wide (other processes' included), before and at the peak. */
  tcpMbBefore: number;
  tcpMbPeak: number;
}

async function held(
  post: (q: string, v: object) => Promise<unknown>,
): Promise<{ total: number; largest: number }> {
  const stats = (await post('{ realtimeStats { connectionQueues { queuedBytes } } }', {})) as {
    data?: { realtimeStats: { connectionQueues: { queuedBytes: number }[] } };
  };
  const queues = stats.data?.realtimeStats.connectionQueues ?? [];
  return { total: queues.reduce((sum, q) => sum + q.queuedBytes, 0), largest: queues[0]?.queuedBytes ?? 0 };
}

/** V8's heap used plus external memory (Buffers), in MB, after a full GC (SIGUSR2), read from /metrics. */
async function retainedMb(url: string, pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return Math.round(
    (read('nodejs_heap_size_used_bytes') + read('nodejs_external_memory_bytes')) / (1024 * 1024),
  );
}

async function run(policy: string, slowMembers: number): Promise<RunResult> {
  const server = await startServer('colony', null, {
    env: { BENCH_MAX_QUEUE_BYTES: String(BOUND) },
  });
  const pid = server.child.pid!;
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
  const post = (query: string, variables: object) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    }).then((r) => r.json());
  const all: Subscriber[] = [];
  try {
    const fast: Subscriber[] = [];
    for (let i = 0; i < FAST; i++) fast.push(await subscribe(wsUrl, policy));
    const slow: Subscriber[] = [];
    for (let i = 0; i < slowMembers; i++) slow.push(await subscribe(wsUrl, policy));
    all.push(...fast, ...slow);
    // Subscribed once a probe event reaches every member.
    await post(PUBLISH, { data: { probe: true } });
    while (all.some((s) => s.received < 1)) await new Promise((resolve) => setTimeout(resolve, 10));
    // ws's own pause: its TCP socket stops reading, and ws does not resume it as its parser drains.
    for (const s of slow) s.socket.pause();
    const slowBefore = slow.map((s) => s.received);
    const retainedMbBefore = await retainedMb(server.url, pid);
    const rssMbBefore = rssMb(pid);
    let rssMbPeak = rssMbBefore;
    const tcpMbBefore = tcpMemMb();
    let tcpMbPeak = tcpMbBefore;
    const before = cpuTicks(pid);
    for (let n = 0; n < E; n += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, E - n) }, (_, k) =>
          post(PUBLISH, { data: { n: n + k, pad: PAD } }),
        ),
      );
      if (n % 50 === 0) {
        rssMbPeak = Math.max(rssMbPeak, rssMb(pid));
        tcpMbPeak = Math.max(tcpMbPeak, tcpMemMb());
      }
    }
    // Every fast member has everything (or was closed); its CPU is the publishing phase's.
    const deadline = Date.now() + 120_000;
    while (fast.some((s) => s.closed === null && s.received < E + 1) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const ticks = cpuTicks(pid) - before;
    rssMbPeak = Math.max(rssMbPeak, rssMb(pid));
    // What stays held for the paused members once the publishing is over (read outside the CPU window).
    const heldNow = await held(post);
    const retainedMbAfter = await retainedMb(server.url, pid);
    // Closed as slow (DISCONNECT): a paused member never reads its close frame, so ask the server.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const closedAsSlow = Number(
      /colony_slow_consumers_closed_total\{transport="ws"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    return {
      policy,
      slow: slowMembers,
      usPerFastDelivery: (ticks * TICK_US) / (FAST * E),
      fastLost: fast.reduce((sum, s) => sum + s.dropped + Math.max(0, E + 1 - s.received), 0),
      fastClosed: fast.filter((s) => s.closed !== null).length,
      slowClosed: closedAsSlow,
      slowReceived: Math.max(0, ...slow.map((s, i) => s.received - slowBefore[i]!)),
      heldTotalBytes: heldNow.total,
      heldLargestBytes: heldNow.largest,
      rssMbBefore,
      rssMbPeak,
      retainedMbBefore,
      retainedMbAfter,
      tcpMbBefore,
      tcpMbPeak,
    };
  } finally {
    for (const s of all) s.socket.terminate();
    await stopServer(server);
  }
}

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
const results: RunResult[] = [];
for (const policy of POLICIES) {
  results.push(await run(policy, 0));
  results.push(await run(policy, SLOW));
}

const boundMb = mb(SLOW * BOUND);
console.log(
  `${FAST} fast members, ${E} events of 2 KiB, SUBSCRIBER_MAX_QUEUE_BYTES ${BOUND} B (${SLOW} slow × bound = ${boundMb} MB)\n`,
);
console.log(
  '| policy | slow members | µs CPU per fast delivery | vs. no slow | fast lost | slow closed | taken by a paused one | held, all connections | held, largest | RSS before → peak | heap + external after GC, before → after | kernel TCP before → peak |',
);
console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const r of results) {
  const alone = results.find((x) => x.policy === r.policy && x.slow === 0)!;
  console.log(
    `| ${r.policy} | ${r.slow} | ${r.usPerFastDelivery.toFixed(1)} | ${(r.usPerFastDelivery / alone.usPerFastDelivery).toFixed(2)}× | ${r.fastLost}${r.fastClosed ? ` (${r.fastClosed} closed)` : ''} | ${r.slowClosed} | ${r.slowReceived} | ${mb(r.heldTotalBytes)} MB | ${r.heldLargestBytes} B | ${r.rssMbBefore} → ${r.rssMbPeak} MB | ${r.retainedMbBefore} → ${r.retainedMbAfter} MB | ${r.tcpMbBefore} → ${r.tcpMbPeak} MB |`,
  );
}
console.log(`\n${JSON.stringify({ fast: FAST, slow: SLOW, events: E, bound: BOUND, results })}`);
