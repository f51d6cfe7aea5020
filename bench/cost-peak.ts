/**
 * Peak memory under the most expensive queries the default limits allow:
 *   npm run bench:cost        (BENCH_QUICK=1: fewer rounds)
 *
 * A Colony with the default limits (and authentication on, so that each client is an identity of its
 * own) runs in a child process of its own; the fleet is filled with 100 tasks of 64 KiB `input` and
 * 100 agents of 16 KiB `metadata`. Then 10 clients, each with its own token, send the dearest query
 * that passes GRAPHQL_MAX_COST and fits RESPONSE_MAX_BYTES (both pages with their JSON fields, about
 * 4 MB of answer), all at once, round after round, while /health is polled. The child's peak RSS
 * (VmHWM) is compared with a stated bound: its RSS at rest plus EXPENSIVE_MAX_TOTAL results of
 * RESPONSE_MAX_BYTES, four times over (source records, the result tree, its JSON, the socket buffer).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';

const SECRET = 'a-benchmark-secret-that-is-long-enough-for-hs256';
const CLIENTS = 10;
const ROUNDS = process.env.BENCH_QUICK === '1' ? 3 : 20;
const MiB = 1024 * 1024;

/**
 * The largest answer the defaults allow: 50 tasks with `input` and 50 agents with `metadata`, 4.0 MB
 * under RESPONSE_MAX_BYTES (4 MiB); a dearer estimate would only meet that bound sooner.
 */
const DEAREST = `{
  tasks(first: 50) { edges { node { id input } } }
  agents(first: 48) { edges { node { id metadata } } }
}`;

async function serve(): Promise<void> {
  const config = parseConfig(
    { PORT: '0', HOST: '127.0.0.1', METRICS_INTERVAL_MS: '0', JWT_SECRET: SECRET, LOG_LEVEL: 'warn' },
    'bench-cost',
  );
  const app = await buildApp(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  const { url } = await app.start();
  // The one line the runner reads, then the limits it runs under.
  process.stdout.write(`${JSON.stringify({ url, limits: config.limits })}\n`);
  process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
}

const token = (sub: string) =>
  new SignJWT({ roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 })
    .setSubject(sub)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

/** The child's RSS now and at its peak, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

async function run(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cost-peak.ts', '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', resolve),
  );
  const { url, limits } = JSON.parse(first) as {
    url: string;
    limits: { maxCost: number; responseMaxBytes: number; expensiveMaxTotal: number };
  };
  const graphql = `${url}/graphql`;
  try {
    const seeder = await token('seeder');
    const post = async (auth: string, query: string, variables?: object) => {
      const res = await fetch(graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, text: await res.text() };
    };
    const input = { blob: 'i'.repeat(64 * 1024 - 32) };
    const metadata = { notes: 'm'.repeat(16 * 1024 - 32) };
    for (let i = 0; i < 100; i++) {
      await post(seeder, 'mutation ($i: CreateTaskInput!) { createTask(input: $i) { id } }', {
        i: { title: `t${i}`, input },
      });
      await post(seeder, 'mutation ($i: CreateAgentInput!) { createAgent(input: $i) { id } }', {
        i: { name: `a${i}`, type: 'w', capabilities: [], metadata },
      });
    }
    const probe = await post(seeder, DEAREST);
    const cost = (JSON.parse(probe.text) as { extensions?: { cost?: { requested?: number } } }).extensions
      ?.cost?.requested;
    if (probe.status !== 200 || probe.text.includes('"errors"'))
      throw new Error(`the query is refused: ${probe.text.slice(0, 300)}`);
    // At rest, after the fleet is in and one answer has been built.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rest = memoryOf(child.pid!);

    const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => token(`client-${i}`)));
    // /health is polled from a process of its own: this one is busy reading 40 MB of answers.
    const poller = spawn(
      process.execPath,
      [
        '-e',
        `let max = 0, on = true;
         process.stdin.on('end', () => { on = false; });
         process.stdin.resume();
         (async () => {
           while (on) {
             const t = performance.now();
             await fetch(${JSON.stringify(`${url}/health`)});
             max = Math.max(max, performance.now() - t);
             await new Promise((r) => setTimeout(r, 20));
           }
           process.stdout.write(String(max));
         })();`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let polled = '';
    poller.stdout!.on('data', (chunk) => (polled += String(chunk)));
    const pollerDone = new Promise((resolve) => poller.once('exit', resolve));
    const outcomes = new Map<string, number>();
    let bytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(tokens.map((t) => post(t, DEAREST)));
      for (const answer of answers) {
        bytes = Math.max(bytes, answer.text.length);
        const reason = /"reason":"([A-Z_]+)"/.exec(answer.text)?.[1];
        const key = answer.text.includes('"errors"') ? (reason ?? 'error') : 'answered';
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }
    poller.stdin!.end();
    await pollerDone;
    const healthMax = Number(polled);
    const after = memoryOf(child.pid!);
    const bound = rest.rss + limits.expensiveMaxTotal * limits.responseMaxBytes * 4;
    const row = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value}`);
    console.log(
      `\n${CLIENTS} clients × ${ROUNDS} rounds of the dearest allowed query (cost ${cost} of ${limits.maxCost})\n`,
    );
    row(
      'answer size (largest)',
      `${(bytes / MiB).toFixed(1)} MiB (RESPONSE_MAX_BYTES ${limits.responseMaxBytes / MiB} MiB)`,
    );
    row('outcomes', [...outcomes].map(([k, v]) => `${k} ${v}`).join(', '));
    row('RSS at rest', `${(rest.rss / MiB).toFixed(0)} MiB`);
    row('peak RSS under load', `${(after.peak / MiB).toFixed(0)} MiB`);
    row('stated bound (rest + total × bytes × 4)', `${(bound / MiB).toFixed(0)} MiB`);
    row('/health, slowest answer during the load', `${healthMax.toFixed(0)} ms`);
    row('within the bound', after.peak <= bound ? 'yes' : 'NO');
    if (after.peak > bound) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv.includes('--serve')) await serve();
else await run();
