/**
 * Event fan-out, measured from outside, every system in the same run with the same load generator:
 *   npm run bench            (BENCH_QUICK=1: N = 1 000 only)
 *
 * Each server runs in a process of its own (bench/server.ts), the load generator in another
 * (bench/load.ts). Systems: the raw `ws` limit (one pre-built frame sent to every socket), Socket.IO 4
 * with a room, a hand-rolled Yoga + graphql-ws + createPubSub server, and Colony on the embedded
 * engine and on Redis (a private redis-server on a free port); at N = 1 000 also the Yoga server and
 * Colony over SSE. Prints a table and writes bench/results/latest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadPlan, LoadResult } from './load.js';

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
const SCENARIOS: Scenario[] = [
  { label: 'N = 1 000', subscribers: 1000, events: 200, distinct: 1 },
  ...(quick
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  // Ready when it answers a PING.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write('PING\r\n'));
      c.once('data', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500).unref();
    },
  };
}

function startServer(
  spec: SystemSpec,
  redisUrl: string | null,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/server.ts', spec.server, ...(redisUrl ? [redisUrl] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ child, url: (JSON.parse(line) as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`${spec.server} exited with ${code}`)));
  });
}

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
}

const rows: Row[] = [];
const redis = await startRedis();
const begun = Date.now();
try {
  for (const scenario of SCENARIOS) {
    for (const spec of SYSTEMS) {
      if (scenario.only && !scenario.only.includes(spec.server)) continue;
      if (spec.scenarios && !spec.scenarios.includes(scenario.label)) continue;
      const { child, url } = await startServer(spec, spec.redis ? redis.url : null);
      try {
        const documents =
          scenario.distinct === 1
            ? [spec.document(0)]
            : Array.from({ length: scenario.distinct }, (_, i) => COLONY_DOC(`e${i}: `));
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
        rows.push({ system: spec.name, scenario: scenario.label, ...result });
        process.stderr.write(`${scenario.label} · ${spec.name}: ${JSON.stringify(result)}\n`);
      } catch (error) {
        process.stderr.write(`${scenario.label} · ${spec.name}: failed: ${String(error)}\n`);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
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
  '| scenario | system | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | RSS/conn KB | lost | dup | out of order | frame B |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.scenario} | ${r.system} | ${k(r.deliveriesPerSec)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.cpuUsPerDelivery)} | ${f(r.rssKbPerConnection)} | ${r.lost} | ${r.duplicates} | ${r.outOfOrder} | ${r.frameBytes} |`,
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
  '\nLatency: from just before the publishing POST to receipt, both in the load generator (loopback).',
);
