/**
 * Browsers: cross-site forms cannot run anything and a GET runs queries only (src/transport/csrf.ts), and
 * ALLOWED_ORIGINS holds for HTTP, SSE and the WebSocket upgrade alike, with credentials only for the
 * origins it lists. Plus the label values of the metrics: none chosen by a client.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { RealtimeStatsQuery } from '../api/operations.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { healthWithinOneSecond } from './transports.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

const createAgent = 'mutation { createAgent(input: { name: "forged", type: "t", capabilities: [] }) { id } }';

async function agents(app: TestApp): Promise<number> {
  return app.app.engine.store.count('agent');
}

describe('cross-site request forgery', () => {
  it('runs no mutation from a form-urlencoded, multipart or text/plain POST, nor from a GET', async () => {
    t = await startApp();
    const foreign = { origin: 'https://evil.example' };
    const form = new URLSearchParams({ query: createAgent });
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: createAgent }));
    multipart.set('map', '{}');
    const attempts = [
      fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { ...foreign, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }),
      fetch(t.graphqlUrl, { method: 'POST', headers: foreign, body: multipart }),
      fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { ...foreign, 'content-type': 'text/plain' },
        body: JSON.stringify({ query: createAgent }),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      const body = (await res.json()) as { errors: { message: string; extensions: object }[] };
      expect(body.errors[0]?.message).toMatch(/CSRF/);
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'CSRF' });
    }
    // A mutation over GET is refused before it runs (GraphQL over HTTP), header or not.
    for (const headers of [foreign, { ...foreign, 'x-graphql-yoga-csrf': '1' }]) {
      const get = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent(createAgent)}`, { headers });
      expect(get.status).toBe(405);
    }
    expect(await agents(t)).toBe(0);
    expect((await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished).toBe(0);
    // A JSON POST (preflighted by browsers) and a GET query, with or without the header, work.
    await t.ok(createAgent as never);
    for (const headers of [{}, { 'x-graphql-yoga-csrf': '1' }] as Record<string, string>[]) {
      const get = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ fleet { term } }')}`, {
        headers,
      });
      expect(await get.json()).toMatchObject({ data: { fleet: { term: 0 } } });
    }
    await healthWithinOneSecond(t.url);
  });
});

describe('ALLOWED_ORIGINS', () => {
  const allowed = 'https://app.example';

  it('refuses other origins on HTTP, SSE and WebSocket alike, and gives credentials to listed ones only', async () => {
    t = await startApp({ ALLOWED_ORIGINS: `${allowed}, https://other.example` });
    const post = (origin: string, accept = 'application/json') =>
      fetch(t!.graphqlUrl, {
        method: 'POST',
        headers: { origin, accept, 'content-type': 'application/json' },
        body: JSON.stringify({ query: createAgent }),
      });
    const foreign = await post('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await post('https://evil.example', 'text/event-stream')).status).toBe(403);
    const preflight = await fetch(t.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const upgrade = new WebSocket(t.wsUrl, 'graphql-transport-ws', { origin: 'https://evil.example' });
    upgrade.on('error', () => undefined);
    const refused = await new Promise<number>((resolve) =>
      upgrade.once('unexpected-response', (_, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(401);
    upgrade.terminate();
    expect(await agents(t)).toBe(0);

    const listed = await post(allowed);
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(await agents(t)).toBe(1);
    // Clients that send no Origin (curl, servers) are not browsers: no CORS to apply.
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('without a list, lets any origin call, never with credentials', async () => {
    t = await startApp();
    const res = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { origin: 'https://anywhere.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ fleet { term } }' }),
    });
    expect(res.status).toBe(200);
    expect(['*', 'https://anywhere.example']).toContain(res.headers.get('access-control-allow-origin'));
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('metric labels', () => {
  it('keep no query string and no room name a client invented', async () => {
    t = await startApp();
    const app = t;
    const invented = Array.from({ length: 20 }, (_, i) => `invented-${i}`);
    const subs = [
      collect(app.ws(), `subscription { events(rooms: ${JSON.stringify(invented)}) { id } }`),
      collect(
        app.ws(),
        'subscription { events(rooms: ["agents", "agent:a1", "agent:a2", "user:u1", "task:t1"]) { id } }',
      ),
    ];
    await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, 2);
    for (let i = 0; i < 5; i++) {
      await fetch(`${app.graphqlUrl}?query=${encodeURIComponent(`{ fleet { term } } # ${i}`)}&x=${i}`, {
        headers: { 'x-graphql-yoga-csrf': '1' },
      });
    }
    await app.request(`query SomeName${Date.now()} { fleet { term } }`);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    const rooms = metrics.split('\n').filter((l) => l.startsWith('colony_realtime_room_subscribers{'));
    expect(rooms.sort()).toEqual(
      [
        'colony_realtime_room_subscribers{room="agent:*"} 2',
        'colony_realtime_room_subscribers{room="agents"} 1',
        'colony_realtime_room_subscribers{room="other"} 20',
        'colony_realtime_room_subscribers{room="task:*"} 1',
        'colony_realtime_room_subscribers{room="user:*"} 1',
      ].sort(),
    );
    expect(metrics).not.toContain('invented');
    expect(metrics).not.toContain('query=');
    expect(metrics).not.toContain('SomeName');
    expect(metrics).toMatch(/graphql_yoga_http_duration_seconds_count\{[^}]*url="\/graphql"[^}]*\} \d+/);
    for (const sub of subs) sub.unsubscribe();
  });
});
