/**
 * A deploy as operators run it: two instances on one Redis behind nginx (deploy/nginx.conf), under
 * steady traffic and with subscribers on both transports, restarted one after the other with SIGTERM.
 * No request may fail, and every subscriber that resumes with `since` gets every acknowledged event
 * exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { probe, startNginx, type Nginx } from './nginx.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ROOM = 'deploy';
const DRAIN_MS = 500;

interface Instance {
  id: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

let redis: RedisServer;
let nginx: Nginx | null = null;
const instances: Instance[] = [];

function launch(id: string, port: number): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `rolling-${process.pid}`,
      INSTANCE_ID: id,
      EVENT_RETENTION: '100000',
      METRICS_INTERVAL_MS: '0',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { id, port, child, exited, output: () => output };
}

async function untilReady(instance: Instance): Promise<void> {
  // Generous: on a loaded machine tsx takes many seconds to start the app.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (instance.child.exitCode !== null) break;
    if ((await probe(`http://127.0.0.1:${instance.port}/ready`)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${instance.id} never became ready:\n${instance.output()}`);
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const instance of instances) instance.child.kill('SIGKILL');
  await nginx?.stop();
  await redis?.dispose();
});

/** What went wrong, as the client saw it: each entry fails the test. */
const failures: string[] = [];

async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  method: 'GET' | 'POST' = 'POST',
): Promise<Record<string, unknown> | null> {
  const label = `${method} ${query.slice(0, 40)}`;
  try {
    const target =
      method === 'GET'
        ? `${url}/graphql?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`
        : `${url}/graphql`;
    const res = await fetch(target, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      ...(method === 'POST' ? { body: JSON.stringify({ query, variables }) } : {}),
    });
    const text = await res.text();
    if (res.status !== 200) {
      failures.push(`${label}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return null;
    }
    const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors?.length) {
      failures.push(`${label}: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return null;
    }
    return body.data ?? null;
  } catch (error) {
    failures.push(`${label}: ${String((error as Error).cause ?? error)}`);
    return null;
  }
}

const BROADCAST = `mutation ($room: String!, $data: JSON!) { broadcast(room: $room, data: $data) { id source } }`;
const EVENTS = `subscription ($rooms: [String!], $since: ID) { events(rooms: $rooms, since: $since) { id } }`;

interface Subscriber {
  name: string;
  ids: string[];
  /** How each stream ended before the test stopped it: a WebSocket close code, or 'sse-end'. */
  ends: (number | string)[];
  stop(): void;
}

/** A graphql-ws subscriber that resubscribes with `since` = the last id whenever its socket closes. */
function wsSubscriber(name: string, url: string, from: string): Subscriber {
  const ids: string[] = [];
  const ends: (number | string)[] = [];
  let stopped = false;
  let dispose = () => undefined as unknown;
  const session = () => {
    if (stopped) return;
    const since = ids.at(-1) ?? from;
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
    });
    dispose = () => client.dispose();
    let opened = false;
    client.on('opened', () => (opened = true));
    client.subscribe<{ events: { id: string } }>(
      { query: EVENTS, variables: { rooms: [ROOM], since } },
      {
        next: (result) => {
          if (result.errors?.length) failures.push(`${name}: ${JSON.stringify(result.errors)}`);
          else if (result.data) ids.push(result.data.events.id);
        },
        error: (error) => {
          const code = (error as { code?: unknown }).code;
          const why = typeof code === 'number' ? code : ((error as { message?: string }).message ?? 'error');
          if (stopped) return;
          if (!opened) failures.push(`${name}: could not connect (${why})`);
          else if (code !== 1001) failures.push(`${name}: socket closed with ${why}`);
          ends.push(why);
          void client.dispose();
          setTimeout(session, 10);
        },
        complete: () => {
          if (stopped) return;
          failures.push(`${name}: the server completed the subscription`);
        },
      },
    );
  };
  session();
  return {
    name,
    ids,
    ends,
    stop() {
      stopped = true;
      void dispose();
    },
  };
}

/** An SSE subscriber (graphql-sse's distinct-connections protocol, as Yoga serves it), same resume rule. */
function sseSubscriber(name: string, url: string, from: string): Subscriber {
  const ids: string[] = [];
  const ends: (number | string)[] = [];
  let stopped = false;
  let abort = new AbortController();
  const session = async () => {
    while (!stopped) {
      abort = new AbortController();
      try {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ query: EVENTS, variables: { rooms: [ROOM], since: ids.at(-1) ?? from } }),
          signal: abort.signal,
        });
        if (res.status !== 200 || !res.body) {
          failures.push(`${name}: HTTP ${res.status} ${await res.text()}`);
          continue;
        }
        let buffer = '';
        let completed = false;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(message)?.[1];
            const data = /^data: (.*)$/m.exec(message)?.[1];
            if (event === 'complete') completed = true;
            if (event !== 'next' || !data) continue;
            const result = JSON.parse(data) as { data?: { events: { id: string } }; errors?: unknown };
            if (result.errors) failures.push(`${name}: ${JSON.stringify(result.errors)}`);
            else if (result.data) ids.push(result.data.events.id);
          }
        }
        if (!stopped) {
          if (!completed) failures.push(`${name}: the stream broke off without completing`);
          ends.push('sse-end');
        }
      } catch (error) {
        if (!stopped) failures.push(`${name}: ${String((error as Error).cause ?? error)}`);
      }
    }
  };
  void session();
  return {
    name,
    ids,
    ends,
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}

describe('a rolling restart behind nginx', () => {
  it('fails no request and loses no event', { timeout: 400_000 }, async () => {
    const started = Date.now();
    const ports = [await freePort(), await freePort()];
    instances.push(...ports.map((port, i) => launch(`colony-${i + 1}`, port)));
    await Promise.all(instances.map(untilReady));
    nginx = await startNginx(ports);
    const url = nginx.url;

    // Subscribers replay from a marker, so none misses what is published while it connects.
    const marker = await graphql(url, BROADCAST, { room: ROOM, data: { marker: true } });
    const from = (marker?.broadcast as { id: string }).id;
    const subscribers = [
      ...[1, 2, 3, 4].map((n) => wsSubscriber(`ws-${n}`, url, from)),
      ...[1, 2].map((n) => sseSubscriber(`sse-${n}`, url, from)),
    ];

    // Steady traffic: mutations (each acknowledged event is remembered), POST and GET queries.
    const acknowledged: { id: string; source: string }[] = [];
    const counts = { mutations: 0, queries: 0 };
    let traffic = true;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    const mutate = async (loop: number) => {
      for (let n = 0; traffic; n++) {
        counts.mutations++;
        const data = await graphql(url, BROADCAST, { room: ROOM, data: { loop, n } });
        if (data) acknowledged.push(data.broadcast as { id: string; source: string });
        await pause();
      }
    };
    const query = async (method: 'GET' | 'POST') => {
      while (traffic) {
        counts.queries++;
        await graphql(url, '{ agents(first: 5) { edges { node { id } } } }', {}, method);
        await pause();
      }
    };
    const loops = [mutate(1), mutate(2), mutate(3), query('POST'), query('GET')];

    // Let traffic settle, then restart each instance in turn: SIGTERM, wait for the exit, start a
    // new process on the same port, wait until it is ready.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const restarts: {
      id: string;
      exitMs: number;
      readyMs: number;
      servingMs: number;
      code: number | null;
    }[] = [];
    const untilServing = async (instance: Instance) => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (acknowledged.slice(-40).some((a) => a.source === instance.id)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`nginx never routed to ${instance.id}`);
    };
    for (let i = 0; i < instances.length; i++) {
      const old = instances[i]!;
      const signalled = Date.now();
      old.child.kill('SIGTERM');
      const code = await old.exited;
      const exitMs = Date.now() - signalled;
      const fresh = launch(`${old.id}-new`, old.port);
      instances[i] = fresh;
      const spawned = Date.now();
      await untilReady(fresh);
      const readyMs = Date.now() - spawned;
      // As an operator must: the next instance goes only once nginx routes to this one again.
      await untilServing(fresh);
      restarts.push({ id: old.id, exitMs, readyMs, servingMs: Date.now() - spawned, code });
    }

    // At the end every new instance is ready and serves traffic through nginx.
    const readiness = await Promise.all(instances.map((i) => probe(`http://127.0.0.1:${i.port}/ready`)));
    const recent = new Set(acknowledged.slice(-100).map((a) => a.source));
    traffic = false;
    await Promise.all(loops);

    // Every subscriber catches up with every acknowledged event.
    const expected = acknowledged.map((a) => a.id);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && subscribers.some((s) => new Set(s.ids).size < new Set(expected).size)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const s of subscribers) s.stop();

    const upstreamErrors = (nginx.errorLog().match(/\[error\]/g) ?? []).length;
    process.stdout.write(
      [
        `rolling restart: ${((Date.now() - started) / 1000).toFixed(1)} s, ${counts.mutations + counts.queries} requests ` +
          `(${counts.mutations} mutations, ${counts.queries} queries), ${failures.length} failed, ` +
          `${acknowledged.length} events acknowledged, ${upstreamErrors} upstream errors nginx retried`,
        ...restarts.map(
          (r) =>
            `  ${r.id}: SIGTERM → exit ${r.code} in ${r.exitMs} ms; replacement ready in ${r.readyMs} ms, ` +
            `routed to by nginx after ${r.servingMs} ms`,
        ),
        ...subscribers.map(
          (s) =>
            `  ${s.name}: ${s.ids.length} events, ${new Set(s.ids).size} distinct, ${s.ends.length} resumes (${[...new Set(s.ends)].join(', ')})`,
        ),
      ].join('\n') + '\n',
    );

    if (failures.length) {
      const unusual = nginx
        .accessLog()
        .split('\n')
        .filter((line) => line && !/ (200|101) /.test(line));
      process.stdout.write(
        `requests nginx did not answer with 200 or 101:\n${unusual.join('\n')}\n${nginx.errorLog()}\n`,
      );
    }
    expect(failures).toEqual([]);
    expect(restarts.map((r) => r.code)).toEqual([0, 0]);
    expect(readiness).toEqual([200, 200]);
    expect([...recent].sort()).toEqual(instances.map((i) => i.id).sort());
    expect(acknowledged.length).toBeGreaterThan(100);
    for (const s of subscribers) {
      // Exactly once: nothing missing, nothing twice, nothing that was not acknowledged.
      expect({ name: s.name, ids: [...s.ids].sort() }).toEqual({ name: s.name, ids: [...expected].sort() });
      // Each one was cut off by a restart at least once and resumed.
      expect(s.ends.length, s.name).toBeGreaterThan(0);
    }
  });
});
