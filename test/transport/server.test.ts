import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

/** Opens a raw graphql-transport-ws socket and acknowledges it. */
async function rawSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve();
    }),
  );
  return socket;
}

const closed = (socket: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );

describe('the HTTP surface', () => {
  it('listens with a deep accept queue, as LISTEN_BACKLOG says (the kernel caps it at somaxconn)', async () => {
    // A listening socket's Send-Q in `ss` is its accept queue's depth.
    const depth = (port: string) =>
      Number(
        execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' })
          .trim()
          .split(/\s+/)[2],
      );
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    t = await startApp();
    expect(depth(new URL(t.url).port)).toBe(Math.min(4096, somaxconn));
    await t.stop();
    t = await startApp({ LISTEN_BACKLOG: '1234' });
    expect(depth(new URL(t.url).port)).toBe(Math.min(1234, somaxconn));
  });

  it('answers /health and /ready', async () => {
    t = await startApp();
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { memory: { ok: true } } });
  });

  it('exports operation and realtime figures on /metrics', async () => {
    t = await startApp();
    await t.ok(Broadcast, { room: 'm', data: 1 });
    const body = await (await fetch(`${t.url}/metrics`)).text();
    expect(body).toMatch(/^colony_events_published_total 1$/m);
    expect(body).toContain('colony_realtime_active_connections');
    expect(body).toContain('colony_slow_consumers_closed_total');
    expect(body).toContain('graphql_yoga_http_duration');
    expect(body).toContain('process_cpu_seconds_total');
  });

  it('serves GraphiQL from Colony itself: no CDN, subscriptions over WebSocket', async () => {
    t = await startApp();
    const res = await fetch(t.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<title>Colony</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
    expect(html).toContain('"subscriptionsProtocol":"WS"');
  });

  it('answers GET queries per GraphQL over HTTP (with the CSRF header)', async () => {
    t = await startApp();
    const res = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ fleet { term } }')}`, {
      headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { fleet: { term: 0 } } });
    const mutation = await fetch(
      `${t.graphqlUrl}?query=${encodeURIComponent('mutation { triggerElection { id } }')}`,
      {
        headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
      },
    );
    expect(mutation.status).toBe(405);
  });

  it('masks unexpected errors but passes deliberate ones', async () => {
    t = await startApp();
    const result = await t.request('{ agent(id: "x") { id } nope }');
    expect(result.errors?.[0]?.message).toContain('nope');
  });
});

describe('the WebSocket surface', () => {
  it('refuses a frame larger than WS_MAX_PAYLOAD_BYTES by closing with 1009', async () => {
    t = await startApp({ WS_MAX_PAYLOAD_BYTES: '2048' });
    // A client's fault goes to the log, not to stderr behind the logger's back.
    const stderr = vi.spyOn(console, 'error');
    const socket = await rawSocket(t.wsUrl);
    const done = closed(socket);
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: `{ fleet { term } } #${'x'.repeat(4096)}` },
      }),
    );
    expect((await done).code).toBe(1009);
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
  });

  it('refuses an upgrade from an Origin that is not allowed', async () => {
    t = await startApp({ ALLOWED_ORIGINS: 'https://dash.example' });
    const bad = new WebSocket(t.wsUrl, 'graphql-transport-ws', { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) =>
      bad.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    const good = new WebSocket(t.wsUrl, 'graphql-transport-ws', { origin: 'https://dash.example' });
    await new Promise((resolve, reject) => {
      good.once('open', resolve);
      good.once('error', reject);
    });
    good.close();
  });

  it.each([
    [
      'events',
      'subscription { events(rooms: ["flood"]) { id payload { ... on CustomEventPayload { data } } } }',
    ],
    // Iterated by graphql-ws itself (it interleaves positions), not delivered by a group.
    [
      'eventStream',
      'subscription { eventStream(rooms: ["flood"]) { ... on Event { id payload { ... on CustomEventPayload { data } } } } }',
    ],
  ])('closes a consumer of %s that does not read, and counts it', async (_name, query) => {
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: '4096' });
    const app = t;
    const socket = await rawSocket(t.wsUrl);
    const done = closed(socket);
    // Several operations on one socket share its queue: each event is written once per operation.
    const operations = 10;
    for (let id = 1; id <= operations; id++) {
      socket.send(
        JSON.stringify({
          id: String(id),
          type: 'subscribe',
          payload: { query },
        }),
      );
    }
    await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, operations);
    // Stop reading: the kernel buffers fill, then the bytes wait in the server's queue until the bound.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const blob = 'x'.repeat(60 * 1024);
    // The client cannot see the close frame while it is paused: watch the server's count instead.
    const slowClosed = async () =>
      /colony_slow_consumers_closed_total\{transport="ws"\} 1/.test(
        await (await fetch(`${app.url}/metrics`)).text(),
      );
    // In batches, so that the buffers fill quickly even on a busy machine.
    for (let i = 0; i < 2000 && !(await slowClosed()); i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, k) => app.ok(Broadcast, { room: 'flood', data: { i: i + k, blob } })),
      );
    }
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await done).toMatchObject({ code: 4008 });
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/colony_slow_consumers_closed_total\{transport="ws"\} 1/);
    // Others are unaffected: a new subscriber still receives.
    const sub = collect(app.ws(), 'subscription { events(rooms: ["after"]) { id } }');
    await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, 1);
    await app.ok(Broadcast, { room: 'after', data: 1 });
    await sub.waitFor(1);
  });
});

describe('shutdown', () => {
  it('closes WebSockets with 1001, ends SSE streams and stops listening', async () => {
    const app = await startApp();
    const socket = await rawSocket(app.wsUrl);
    const wsClosed = closed(socket);
    socket.send(
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { events { id } }' } }),
    );
    const sse = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { events(rooms: ["s"]) { id } }' }),
    });
    await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, 2);
    const reading = (async () => {
      const reader = sse.body!.getReader();
      for (;;) if ((await reader.read()).done) return 'ended';
    })();
    await app.stop();
    expect((await wsClosed).code).toBe(1001);
    expect(await reading).toBe('ended');
    await expect(fetch(`${app.url}/health`)).rejects.toThrow();
    await app.stop(); // idempotent
  });
});

describe('resuming far behind', () => {
  it('replays more than the byte budget without closing the client as slow', async () => {
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: '4096' });
    const app = t;
    const first = (await app.ok(Broadcast, { room: 'behind', data: { n: 0 } })).broadcast;
    for (let n = 1; n <= 100; n++)
      await app.ok(Broadcast, { room: 'behind', data: { n, pad: 'x'.repeat(200) } });
    const sub = collect<{ events: { id: string } }>(
      app.ws(),
      'subscription ($since: ID) { events(rooms: ["behind"], since: $since) { id } }',
      { since: first.id },
    );
    expect(await sub.waitFor(100)).toHaveLength(100);
    expect(sub.errors).toEqual([]);
  });
});
