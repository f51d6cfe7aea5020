/**
 * Event fan-out, measured from outside, every system in the same run with the same load generator:
 *   npm run bench            (BENCH_QUICK=1: N = 1 000 only; BENCH_SMOKE=1: 100 subscribers, to see it run)
 *
 * Each server runs in a process of its own (bench/server.ts), the load generator in another
 * (bench/load.ts). Systems: the raw `ws` limit (one pre-built frame sent to every socket), Socket.IO 4
 * with a room, a hand-rolled Yoga + graphql-ws + createPubSub server, and Colony's `events` and
 * `eventStream` on the embedded engine and on Redis (a private redis-server on a free port); at
 * N = 1 000 also the Yoga server and Colony over SSE. Each server measures its own event loop
 * during the publishing phase (the longest turn). Then the reconnect storm (bench/storm.ts).
 * Prints tables and writes bench/results/latest.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { LoadPlan, LoadResult } from './load.js';
import { startRedis, startServer, stopServer } from './processes.js';

interface SystemSpec {
  name: string;
  server: string;
  redis?: boolean;
  protocol: LoadPlan['protocol'];
  document: (i: number) => string;
  publish: string | null;
  /** The scenarios it runs in (by label); all when absent. */
  scenarios?: string[];
}

const COLONY_DOC = (alias: string) =>
  `subscription { ${alias}events(rooms: ["bench"]) { id type payload { ... on CustomEventPayload { data } } } }`;
const STREAM_DOC = (alias: string) =>
  `subscription { ${alias}eventStream(rooms: ["bench"]) { ... on Event { id type payload { ... on CustomEventPayload { data } } } ... on StreamPosition { cursor live } } }`;
const COLONY_PUBLISH = 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }';

const SYSTEMS: SystemSpec[] = [
  {
    name: 'raw ws, one pre-built frame (the limit)',
    server: 'raw-ws',
    protocol: 'raw-ws',
    document: () => '',
    publish: null,
  },
  {
    name: 'Socket.IO 4, one room',
    server: 'socket.io',
    protocol: 'socket.io',
    document: () => '',
    publish: null,
  },
  {
    name: 'Yoga + graphql-ws + createPubSub',
    server: 'yoga',
    protocol: 'graphql-ws',
    document: () => 'subscription { events(room: "bench") { id type data } }',
    publish: 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }',
  },
  {
    name: 'Colony (embedded)',
    server: 'colony',
    protocol: 'graphql-ws',
    document: () => COLONY_DOC(''),
    publish: COLONY_PUBLISH,
  },
  {
    name: 'Colony (Redis)',
    server: 'colony',
    redis: true,
    protocol: 'graphql-ws',
    document: () => COLONY_DOC(''),
    publish: COLONY_PUBLISH,
  },
  {
    name: 'Colony eventStream (embedded)',
    server: 'colony',
    protocol: 'graphql-ws',
    document: () => STREAM_DOC(''),
    publish: COLONY_PUBLISH,
  },
  {
    name: 'Colony eventStream (Redis)',
    server: 'colony',
    redis: true,
    protocol: 'graphql-ws',
    document: () => STREAM_DOC(''),
    publish: COLONY_PUBLISH,
  },
  {
    name: 'Yoga + createPubSub, over SSE',
    server: 'yoga',
    protocol: 'sse',
    scenarios: ['N = 1 000'],
    document: () => 'subscription { events(room: "bench") { id type data } }',
    publish: 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }',
  },
  {
    name: 'Colony (embedded), over SSE',
    server: 'colony',
    protocol: 'sse',
    scenarios: ['N = 1 000'],
    document: () => COLONY_DOC(''),
    publish: COLONY_PUBLISH,
  },
  {
    name: 'Colony eventStream (embedded), over SSE',
    server: 'colony',
    protocol: 'sse',
    scenarios: ['N = 1 000'],
    document: () => STREAM_DOC(''),
    publish: COLONY_PUBLISH,
  },
];

interface Scenario {
  label: string;
  subscribers: number;
  events: number;
  /** Distinct selection sets (aliases), assigned round-robin. */
  distinct: number;
  /** Which systems run it (by server name); all when absent. */
  only?: string[];
}

const quick = process.env.BENCH_QUICK === '1';
/**
 * BENCH_ONLY=word,word: only the systems whose name contains one of the words (case-sensitive), and
 * the reconnect storm only when one of them is `storm`; for looking at one change quickly.
 */
const onlyWords = process.env.BENCH_ONLY?.split(',').filter(Boolean) ?? null;
const chosen = (name: string) => !onlyWords || onlyWords.some((word) => name.includes(word));
/** BENCH_SMOKE=1: a few subscribers and events, only to see every part run (no figures to keep). */
const smoke = process.env.BENCH_SMOKE === '1';
const SCENARIOS: Scenario[] = [
  smoke
    ? { label: 'N = 1 000', subscribers: 100, events: 20, distinct: 1 }
    : { label: 'N = 1 000', subscribers: 1000, events: 200, distinct: 1 },
  ...(quick || smoke
    ? []
    : [
        { label: 'N = 10 000', subscribers: 10_000, events: 6, distinct: 1 },
        {
          label: 'N = 10 000, 100 distinct',
          subscribers: 10_000,
          events: 6,
          distinct: 100,
          only: ['colony'],
        },
      ]),
];

function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult)
        : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

interface Row extends LoadResult {
  system: string;
  scenario: string;
  /** The server's longest event-loop turn (ms) while events were published and delivered. */
  loopMaxMs: number;
}

const rows: Row[] = [];
const redis = await startRedis();
const begun = Date.now();
try {
  for (const scenario of SCENARIOS) {
    for (const spec of SYSTEMS) {
      if (scenario.only && !scenario.only.includes(spec.server)) continue;
      if (spec.scenarios && !spec.scenarios.includes(scenario.label)) continue;
      if (!chosen(spec.name)) continue;
      const server = await startServer(spec.server, spec.redis ? redis.url : null);
      const { child, url } = server;
      let stopped = false;
      try {
        const stream = spec.name.includes('eventStream');
        const documents =
          scenario.distinct === 1
            ? [spec.document(0)]
            : Array.from({ length: scenario.distinct }, (_, i) =>
                stream ? STREAM_DOC(`e${i}: `) : COLONY_DOC(`e${i}: `),
              );
        const result = await runLoad({
          protocol: spec.protocol,
          url,
          serverPid: child.pid!,
          subscribers: scenario.subscribers,
          events: scenario.events,
          concurrency: 4,
          documents,
          publish: spec.publish,
          pad: 40,
        });
        stopped = true;
        const loop = await stopServer(server);
        const row = { system: spec.name, scenario: scenario.label, ...result, loopMaxMs: loop?.maxMs ?? NaN };
        rows.push(row);
        process.stderr.write(`${scenario.label} · ${spec.name}: ${JSON.stringify(row)}\n`);
      } catch (error) {
        process.stderr.write(`${scenario.label} · ${spec.name}: failed: ${String(error)}\n`);
      } finally {
        if (!stopped) await stopServer(server);
      }
    }
  }
} finally {
  redis.stop();
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const k = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : '–');
console.log(
  `\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${((Date.now() - begun) / 1000).toFixed(0)} s\n`,
);
console.log(
  '| scenario | system | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | RSS/conn KB | longest turn ms | lost | dup | out of order | frame B |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.scenario} | ${r.system} | ${k(r.deliveriesPerSec)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.cpuUsPerDelivery)} | ${f(r.rssKbPerConnection)} | ${f(r.loopMaxMs)} | ${r.lost} | ${r.duplicates} | ${r.outOfOrder} | ${r.frameBytes} |`,
  );
}

// The targets, as ratios against the references of the same scenario.
const find = (scenario: string, system: string) =>
  rows.find((r) => r.scenario === scenario && r.system === system);
console.log(
  '\n| scenario | Colony CPU ÷ raw ws (≤ 2) | Redis CPU ÷ embedded (≤ 1.5) | deliveries/s ÷ Yoga (≥ 3) | p99 ÷ raw ws (≤ 2) |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const scenario of SCENARIOS) {
  const raw = find(scenario.label, SYSTEMS[0]!.name);
  const yoga = find(scenario.label, SYSTEMS[2]!.name);
  const embedded = find(scenario.label, 'Colony (embedded)');
  const onRedis = find(scenario.label, 'Colony (Redis)');
  if (!embedded) continue;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? f(a / b, 2) : '–');
  console.log(
    `| ${scenario.label} | ${ratio(embedded.cpuUsPerDelivery, raw?.cpuUsPerDelivery)} | ${ratio(onRedis?.cpuUsPerDelivery, embedded.cpuUsPerDelivery)} | ${ratio(embedded.deliveriesPerSec, yoga?.deliveriesPerSec)} | ${ratio(embedded.p99, raw?.p99)} |`,
  );
}
console.log(
  '\n| scenario | eventStream CPU ÷ events, embedded (≤ 1.2) | same, Redis (≤ 1.2) | events CPU ÷ raw ws (≤ 1.4 at 1 000, ≤ 1.6 at 10 000) | eventStream CPU ÷ raw ws | SSE eventStream ÷ SSE events |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const scenario of SCENARIOS) {
  const at = (system: string) => find(scenario.label, system)?.cpuUsPerDelivery;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? f(a / b, 2) : '–');
  const raw = at(SYSTEMS[0]!.name);
  console.log(
    `| ${scenario.label} | ${ratio(at('Colony eventStream (embedded)'), at('Colony (embedded)'))} | ${ratio(at('Colony eventStream (Redis)'), at('Colony (Redis)'))} | ${ratio(at('Colony (embedded)'), raw)} | ${ratio(at('Colony eventStream (embedded)'), raw)} | ${ratio(at('Colony eventStream (embedded), over SSE'), at('Colony (embedded), over SSE'))} |`,
  );
}
const sseYoga = find('N = 1 000', 'Yoga + createPubSub, over SSE');
const sseColony = find('N = 1 000', 'Colony (embedded), over SSE');
if (sseYoga && sseColony) {
  console.log(
    `\nSSE, N = 1 000: Colony ÷ Yoga deliveries/s ${f(sseColony.deliveriesPerSec / sseYoga.deliveriesPerSec, 2)}, CPU per delivery ${f(sseColony.cpuUsPerDelivery / sseYoga.cpuUsPerDelivery, 2)}`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/latest.json',
  JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, node: process.version, rows }, null, 2),
);
console.log(
  "\nLatency: from just before the publishing POST to receipt, both in the load generator (loopback). Longest turn: the server's own monitorEventLoopDelay over the publishing phase.",
);

// The reconnect storm, in a process of its own (it runs its clients and its publisher itself).
if (chosen('storm')) {
  const storm = spawn(process.execPath, ['--import', 'tsx', 'bench/storm.ts'], {
    stdio: 'inherit',
    env: { ...process.env, ...(smoke ? { BENCH_STORM_N: '100' } : {}) },
  });
  await new Promise((resolve) => storm.once('exit', resolve));
}
