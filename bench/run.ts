/**
 * Event fan-out: N graphql-ws subscribers on one room, M events published over HTTP; the time from
 * publishing to each subscriber's receipt, and the throughput. Colony (embedded engine) and the
 * reference Yoga server run in this same process, one after the other, with the same client code.
 * Loopback only; every loop is bounded.   npm run bench
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { startReference } from './reference-server.js';

interface Target {
  name: string;
  url: string;
  subscription: string;
  publish: string;
  stop(): Promise<void>;
}

async function colony(): Promise<Target> {
  const config = parseConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_INTERVAL_MS: '0',
      SUBSCRIBER_MAX_QUEUE_BYTES: String(64 * 1024 * 1024),
    },
    'bench',
  );
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
  const { url } = await app.start();
  return {
    name: 'Colony (embedded)',
    url: `${url}/graphql`,
    subscription:
      'subscription { events(rooms: ["bench"]) { id type payload { ... on CustomEventPayload { data } } } }',
    publish: 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }',
    stop: () => app.stop(),
  };
}

async function reference(): Promise<Target> {
  const ref = await startReference();
  return {
    name: 'Yoga + createPubSub',
    url: ref.url,
    subscription: 'subscription { events(room: "bench") { id type data } }',
    publish: 'mutation ($data: JSON!) { broadcast(room: "bench", data: $data) { id } }',
    stop: () => ref.stop(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function scenario(target: Target, subscribers: number, events: number, concurrency: number) {
  const clients: Client[] = [];
  const latencies: number[] = [];
  let received = 0;
  let ready = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const expected = subscribers * events;
  for (let i = 0; i < subscribers; i++) {
    const client = createClient({
      url: target.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ events: { data?: { t: number }; payload?: { data: { t: number } } } }>(
      { query: target.subscription },
      {
        next: (result) => {
          const data = result.data?.events.payload?.data ?? result.data?.events.data;
          if (data) latencies.push(performance.now() - data.t);
          if (++received === expected) resolveAll();
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    client.on('connected', () => ready++);
  }
  // Wait for every socket to connect, then give the subscribe messages a moment to register.
  for (let i = 0; i < 200 && ready < subscribers; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200));
  received = 0;
  latencies.length = 0;

  const post = (data: unknown) =>
    fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: target.publish, variables: { data } }),
    }).then((r) => r.json());
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) {
        next++;
        await post({ t: performance.now() });
      }
    }),
  );
  const published = performance.now() - started;
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  const elapsed = performance.now() - started;
  await Promise.all(clients.map((c) => c.dispose()));
  latencies.sort((a, b) => a - b);
  return {
    publishedPerSec: (events / published) * 1000,
    deliveredPerSec: (received / elapsed) * 1000,
    delivered: `${received}/${expected}`,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

const scenarios = [
  { subscribers: 50, events: 400, concurrency: 4 },
  { subscribers: 500, events: 100, concurrency: 4 },
];

const rows: string[] = [];
for (const s of scenarios) {
  for (const make of [reference, colony]) {
    const target = await make();
    try {
      const r = await scenario(target, s.subscribers, s.events, s.concurrency);
      rows.push(
        `| ${target.name} | ${s.subscribers} × ${s.events} | ${r.publishedPerSec.toFixed(0)} | ${r.deliveredPerSec.toFixed(0)} | ${r.delivered} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} |`,
      );
    } finally {
      await target.stop();
    }
  }
}
console.log(
  '\n| server | subscribers × events | published/s | delivered/s | delivered | p50 ms | p95 ms | p99 ms |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(
  '\nLatency: from just before the publishing POST to receipt by each subscriber (same process, loopback).',
);
