/**
 * Does one slow member change what a group's fan-out costs? N subscribers of one document (one
 * group, `overflow: DROP_OLDEST`) receive E events, once without and once with one more member of
 * the same group whose TCP socket is paused for the whole run (its lane holds its share and drops
 * the rest). The figure is the server process's CPU time (/proc/<pid>/stat) over the publishing
 * phase per delivery to the fast members; the two runs use a fresh server each.
 *   npx tsx bench/slow-member.ts            (BENCH_SMOKE=1: 20 subscribers, 300 events, to see it run)
 * BENCH_SLOW=k pauses k members instead of one, and every run reports the most bytes realtimeStats
 * showed for one connection and the server's RSS before and after publishing (the memory bound with
 * many slow subscribers).
 * Timing conclusions need a quiet machine.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startServer, stopServer } from './processes.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const N = SMOKE ? 20 : 500;
const E = SMOKE ? 300 : 2000;
/** Large enough that E events are far more than the kernel's buffers hold for the paused socket. */
const PAD = 'x'.repeat(8 * 1024);
const TICK_US = 1_000_000 / 100;
/** Paused members in the second run (BENCH_SLOW; 1 by default, the memory run is 1 000). */
const SLOW = Number(process.env.BENCH_SLOW ?? 1);

const DOC =
  'subscription { events(rooms: ["bench"], overflow: DROP_OLDEST) { id payload { ... on CustomEventPayload { data } } } }';
const PUBLISH = 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
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
  socket: WebSocket;
  raw: Socket | null;
}

async function subscribe(wsUrl: string): Promise<Subscriber> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const sub: Subscriber = { received: 0, dropped: 0, socket, raw: null };
  socket.once('upgrade', (res: IncomingMessage) => (sub.raw = res.socket));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
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
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: DOC } }));
  return sub;
}

interface RunResult {
  usPerDelivery: number;
  fastDropped: number;
  /** The most bytes the server held for one connection (realtimeStats.connectionQueues), sampled. */
  largestQueueBytes: number;
  rssMbBefore: number;
  rssMbAfter: number;
}

async function run(slowMembers: number): Promise<RunResult> {
  const server = await startServer('colony', null);
  const pid = server.child.pid!;
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
  const post = (query: string, variables: object) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    }).then((r) => r.json());
  try {
    const fast: Subscriber[] = [];
    for (let i = 0; i < N; i++) fast.push(await subscribe(wsUrl));
    const slow: Subscriber[] = [];
    for (let i = 0; i < slowMembers; i++) slow.push(await subscribe(wsUrl));
    // Subscribed once a probe event reaches every member.
    await post(PUBLISH, { data: { probe: true } });
    while ([...fast, ...slow].some((s) => s.received < 1))
      await new Promise((resolve) => setTimeout(resolve, 10));
    for (const s of slow) s.raw?.pause();
    const rssMbBefore = rssMb(pid);
    let largestQueueBytes = 0;
    const before = cpuTicks(pid);
    for (let n = 0; n < E; n += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, E - n) }, (_, k) =>
          post(PUBLISH, { data: { n: n + k, pad: PAD } }),
        ),
      );
      if (n % 100 === 0) {
        const stats = (await post('{ realtimeStats { connectionQueues { queuedBytes } } }', {})) as {
          data?: { realtimeStats: { connectionQueues: { queuedBytes: number }[] } };
        };
        const deepest = stats.data?.realtimeStats.connectionQueues[0]?.queuedBytes ?? 0;
        largestQueueBytes = Math.max(largestQueueBytes, deepest);
      }
    }
    while (fast.some((s) => s.received < E + 1)) await new Promise((resolve) => setTimeout(resolve, 10));
    const ticks = cpuTicks(pid) - before;
    const rssMbAfter = rssMb(pid);
    for (const s of [...fast, ...slow]) s.socket.terminate();
    return {
      usPerDelivery: (ticks * TICK_US) / (N * E),
      fastDropped: fast.reduce((sum, s) => sum + s.dropped, 0),
      largestQueueBytes,
      rssMbBefore,
      rssMbAfter,
    };
  } finally {
    await stopServer(server);
  }
}

const all = await run(0);
const oneSlow = await run(SLOW);
console.log(
  JSON.stringify(
    {
      subscribers: N,
      events: E,
      withoutSlowMember: all,
      slowMembers: SLOW,
      withSlowMembers: oneSlow,
      ratio: Number((oneSlow.usPerDelivery / all.usPerDelivery).toFixed(2)),
    },
    null,
    2,
  ),
);
