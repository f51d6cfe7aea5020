/**
 * Identity and access through the real transports: HTTP, SSE and graphql-ws, with HS256 tokens and
 * with RS256/ES256 tokens from a real local JWKS server.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import {
  hsToken,
  inSeconds,
  SECRET,
  startJwks,
  unsignedToken,
  type Claims,
  type Jwks,
} from '../support/tokens.js';

let t: TestApp | null = null;
let jwks: Jwks | null = null;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await t?.stop();
  await jwks?.close();
  t = null;
  jwks = null;
});

const app = () => t as TestApp;

async function post(
  query: string,
  token?: string | null,
  variables?: object,
  headers: Record<string, string> = {},
) {
  const res = await fetch(app().graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: GqlError[] };
  return { status: res.status, body, headers: res.headers };
}
interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}
const codeOf = (body: { errors?: GqlError[] }) => body.errors?.[0]?.extensions?.code;

function wsClient(token: string | null): Client {
  const client = createClient({
    url: app().wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  clients.push(client);
  return client;
}

/** Resolves once the server holds `n` live subscriptions (read as an admin). */
async function untilActive(n: number): Promise<void> {
  const token = await hsToken({ sub: 'stats', roles: ['admin'] });
  const stats = async () =>
    (await post('{ realtimeStats { activeSubscriptions } }', token)).body.data?.realtimeStats as {
      activeSubscriptions: number;
    };
  await untilSubscribed(stats, n);
}

/** One operation over a graphql-ws client: its first result. */
function once(client: Client, query: string, variables?: Record<string, unknown>) {
  return new Promise<{ data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] }>(
    (resolve, reject) =>
      client.subscribe({ query, variables }, { next: resolve, error: reject, complete: () => undefined }),
  );
}

/** Opens a raw socket, sends connection_init with `payload`, resolves with the close (or the ack). */
async function initSocket(payload: object | undefined) {
  const socket = new WebSocket(app().wsUrl, 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const acked = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) }));
  const first = await Promise.race([acked.then(() => 'ack' as const), closed]);
  return { socket, first, closed };
}

/** What the engine holds: unchanged by any refused request. */
async function fingerprint() {
  const engine = app().app.engine;
  return { lastEvent: await engine.log.lastId(), agents: await engine.store.count('agent') };
}

const viewer = (c: Claims = {}) => hsToken({ sub: 'vera', roles: ['viewer'], ...c });
const operator = (c: Claims = {}) => hsToken({ sub: 'otto', roles: ['operator'], ...c });
const admin = (c: Claims = {}) => hsToken({ sub: 'ada', roles: ['admin'], ...c });

const CREATE = 'mutation { createAgent(input: { name: "a", type: "t" }) { id } }';
const BROADCAST = 'mutation ($room: String!) { broadcast(room: $room, data: 1) { id } }';

describe('tokens over HTTP (HS256)', () => {
  it('refuses a missing, malformed, forged, expired or unsigned token with 401, and changes nothing', async () => {
    t = await startApp({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_S: '0' });
    // One allowed change first, so that "nothing changed" is measured against a non-empty log.
    expect((await post(CREATE, await operator())).status).toBe(200);
    const before = await fingerprint();
    const attempts: [string, Record<string, string>][] = [
      ['missing', {}],
      ['not bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
      ['not a JWT', { authorization: 'Bearer not-a-jwt' }],
      [
        'forged',
        {
          authorization: `Bearer ${await hsToken({ sub: 'x', roles: ['admin'] }, 'another-secret-that-is-long-enough-too!!')}`,
        },
      ],
      [
        'expired',
        { authorization: `Bearer ${await hsToken({ sub: 'x', roles: ['admin'], exp: inSeconds(-60) })}` },
      ],
      ['alg none', { authorization: `Bearer ${unsignedToken({ sub: 'x', roles: ['admin'] })}` }],
      [
        'no exp',
        { authorization: `Bearer ${await hsToken({ sub: 'x', roles: ['admin'], exp: undefined })}` },
      ],
      ['no sub', { authorization: `Bearer ${await hsToken({ roles: ['admin'] })}` }],
    ];
    for (const [name, headers] of attempts) {
      const res = await post(CREATE, null, undefined, headers);
      expect(res.status, name).toBe(401);
      expect(codeOf(res.body), name).toBe('UNAUTHENTICATED');
      expect(res.body.data ?? null, name).toBeNull();
      expect(res.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('keeps /health, /ready and /metrics open', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    for (const path of ['/health', '/ready', '/metrics']) {
      expect((await fetch(`${app().url}${path}`)).status, path).toBe(200);
    }
  });

  it('checks issuer and audience when configured', async () => {
    t = await startApp({ JWT_SECRET: SECRET, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'colony' });
    const good = await viewer({ iss: 'https://id.example', aud: 'colony' });
    expect((await post('{ leader { id } }', good)).status).toBe(200);
    for (const claims of [
      { iss: 'https://evil.example', aud: 'colony' },
      { iss: 'https://id.example', aud: 'other' },
      {},
    ]) {
      const res = await post('{ leader { id } }', await viewer(claims));
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(codeOf(res.body)).toBe('UNAUTHENTICATED');
    }
  });
});

describe('tokens from an identity provider (JWKS)', () => {
  it('accepts RS256 and ES256 keys of the key set, and refuses HS256 signed with the public key', async () => {
    jwks = await startJwks();
    t = await startApp({ JWT_JWKS_URL: jwks.url });
    for (const token of [
      await jwks.rs({ sub: 'r', roles: ['viewer'] }),
      await jwks.es({ sub: 'e', roles: ['viewer'] }),
    ]) {
      const res = await post('{ leader { id } }', token);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    }
    for (const token of [
      await jwks.confused({ sub: 'x', roles: ['admin'] }),
      unsignedToken({ sub: 'x', roles: ['admin'] }),
      await hsToken({ sub: 'x', roles: ['admin'] }),
    ]) {
      const res = await post('{ leader { id } }', token);
      expect(res.status).toBe(401);
      expect(codeOf(res.body)).toBe('UNAUTHENTICATED');
    }
    // The key set is cached, not fetched per request.
    expect(jwks.fetches()).toBeLessThanOrEqual(2);
  });

  it('refuses HS256 signed with the public key even when a shared secret is also configured', async () => {
    jwks = await startJwks();
    t = await startApp({ JWT_JWKS_URL: jwks.url, JWT_SECRET: SECRET });
    expect(
      (await post('{ leader { id } }', await jwks.confused({ sub: 'x', roles: ['admin'] }))).status,
    ).toBe(401);
    expect((await post('{ leader { id } }', await hsToken({ sub: 'x', roles: ['viewer'] }))).status).toBe(
      200,
    );
  });
});

describe('roles', () => {
  it('lets each role do its own and refuses the rest with FORBIDDEN naming the missing role', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const noRole = await hsToken({ sub: 'nobody' });
    const [v, o, a] = [await viewer(), await operator(), await admin()];
    const read = '{ agents(first: 1) { edges { node { id } } } leader { id } }';
    const stats = '{ realtimeStats { activeConnections } }';
    const matrix: [string, string | null, object | undefined, boolean, string?][] = [
      // token, query, variables, allowed, role named in the refusal
      [noRole, read, undefined, false, 'viewer'],
      [v, read, undefined, true],
      [v, CREATE, undefined, false, 'operator'],
      [v, 'mutation { triggerElection { term } }', undefined, false, 'operator'],
      [v, 'mutation { raiseAlert(level: INFO, message: "m") { id } }', undefined, false, 'operator'],
      // The role actually required, not the Mutation type's operator first.
      [v, BROADCAST, { room: 'x' }, false, 'admin'],
      [o, read, undefined, true],
      [o, CREATE, undefined, true],
      [o, BROADCAST, { room: 'x' }, false, 'admin'],
      [o, stats, undefined, false, 'admin'],
      [a, CREATE, undefined, true],
      [a, BROADCAST, { room: 'x' }, true],
      [a, stats, undefined, true],
    ].map(([token, query, variables, allowed, role]) => [
      token as string,
      query as string,
      variables as object | undefined,
      allowed as boolean,
      role as string | undefined,
    ]);
    for (const [token, query, variables, allowed, role] of matrix) {
      const before = await fingerprint();
      const res = await post(query as string, token, variables);
      const label = `${query} as ${JSON.stringify(role ?? 'allowed')}`;
      if (allowed) {
        expect(res.body.errors, label).toBeUndefined();
      } else {
        expect(codeOf(res.body), label).toBe('FORBIDDEN');
        expect(res.body.errors?.[0]?.message, label).toContain(`${role} role`);
        expect(await fingerprint(), label).toEqual(before);
      }
    }
  });

  it('applies the same roles over WebSocket', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const client = wsClient(await viewer());
    const result = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>(
      (resolve, reject) =>
        client.subscribe({ query: CREATE }, { next: resolve, error: reject, complete: () => undefined }),
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await app().app.engine.store.count('agent')).toBe(0);
  });
});

describe('WebSocket identity', () => {
  it('closes a socket with 4403 when connection_init has no valid token', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    for (const payload of [
      undefined,
      {},
      { authorization: 'Bearer nope' },
      { token: await hsToken({ sub: 'x', roles: ['viewer'], exp: inSeconds(-60) }) },
      { authorization: `Bearer ${unsignedToken({ sub: 'x', roles: ['admin'] })}` },
    ]) {
      const { first } = await initSocket(payload);
      expect(first, JSON.stringify(payload)).toMatchObject({ code: 4403 });
    }
    const ok = await initSocket({ token: await viewer() });
    expect(ok.first).toBe('ack');
    ok.socket.close();
  });

  it('closes an open socket with 4403 when its token expires', async () => {
    t = await startApp({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_S: '0' });
    const { first, closed, socket } = await initSocket({
      authorization: `Bearer ${await viewer({ exp: inSeconds(2) })}`,
    });
    expect(first).toBe('ack');
    socket.send(
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { events { id } }' } }),
    );
    const started = Date.now();
    expect(await closed).toMatchObject({ code: 4403 });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('rooms', () => {
  async function subscribeError(token: string, rooms: string[] | null) {
    const client = wsClient(token);
    const sub = collect(client, 'subscription ($rooms: [String!]) { events(rooms: $rooms) { id rooms } }', {
      rooms,
    });
    return sub;
  }

  it('refuses rooms the token does not grant, before anything is sent (a replay included)', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const [marker] = [
      (await post(BROADCAST, await admin(), { room: 'secret' })).body.data?.broadcast as { id: string },
    ];
    const token = await viewer();
    for (const rooms of [['secret'], ['agents', 'secret'], ['user:someone-else'], ['project:x']]) {
      const client = wsClient(token);
      const sub = collect(
        client,
        'subscription ($rooms: [String!], $since: ID) { events(rooms: $rooms, since: $since) { id } }',
        {
          rooms,
          since: marker?.id,
        },
      );
      await sub.ended;
      expect(sub.items, JSON.stringify(rooms)).toEqual([]);
      expect(JSON.stringify(sub.errors), JSON.stringify(rooms)).toContain('FORBIDDEN');
    }
  });

  it('grants rooms exactly and by prefix, and each user its own room', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const token = await viewer({ rooms: ['secret', 'project:*'] });
    const sub = await subscribeError(token, ['secret', 'project:apollo', 'user:vera', 'agents']);
    await untilActive(1);
    const a = await admin();
    for (const room of ['secret', 'project:apollo', 'user:vera', 'projectx', 'user:ada', 'secret2']) {
      await post(BROADCAST, a, { room });
    }
    await post(BROADCAST, a, { room: 'secret' });
    const got = await sub.waitFor(4);
    expect(got.map((d) => (d.events as { rooms: string[] }).rooms[0])).toEqual([
      'secret',
      'project:apollo',
      'user:vera',
      'secret',
    ]);
    expect(sub.errors).toEqual([]);
  });

  it('gives `events` without rooms only the rooms the caller may read', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const sub = collect(wsClient(await viewer()), 'subscription { events { rooms type } }');
    const a = await admin();
    await untilActive(1);
    await post(BROADCAST, a, { room: 'secret' });
    await post(BROADCAST, a, { room: 'user:ada' });
    await post(BROADCAST, a, { room: 'system' });
    const [first] = await sub.waitFor(1);
    expect(first?.events).toEqual({ rooms: ['system'], type: 'CUSTOM' });
    // An admin's stream without rooms sees them all.
    const all = collect(wsClient(a), 'subscription { events(since: null) { rooms } }');
    await untilActive(2);
    await post(BROADCAST, a, { room: 'secret' });
    expect((await all.waitFor(1))[0]?.events).toEqual({ rooms: ['secret'] });
  });

  it('applies the same room rules to SSE, with 401 for a missing token', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const sse = (token: string | null, query: string) =>
      fetch(app().graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query }),
      });
    const none = await sse(null, 'subscription { events { id } }');
    expect(none.status).toBe(401);
    const denied = await sse(await viewer(), 'subscription { events(rooms: ["secret"]) { id } }');
    const text = await denied.text();
    expect(text).toContain('FORBIDDEN');
  });
});

describe('renewSession', () => {
  const SUBSCRIBE_ALL = 'subscription { events(rooms: ["system"]) { id } }';

  it('keeps every subscription going across a renewal, past the old expiry, with no event lost', async () => {
    t = await startApp({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_S: '0' });
    const closedWith: number[] = [];
    const client = createClient({
      url: app().wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams: { authorization: `Bearer ${await viewer({ exp: inSeconds(2) })}` },
      on: { closed: (e) => closedWith.push((e as { code: number }).code) },
    });
    clients.push(client);
    const sub = collect(client, SUBSCRIBE_ALL);
    const a = await admin();
    await untilActive(1);
    const sent: string[] = [];
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++)
        sent.push(((await post(BROADCAST, a, { room: 'system' })).body.data?.broadcast as { id: string }).id);
    };
    await publish(5);
    const fresh = await viewer({ exp: inSeconds(120) });
    const renewed = await once(
      client,
      'mutation ($t: String!) { renewSession(token: $t) { sub expiresAt } }',
      {
        t: fresh,
      },
    );
    expect(renewed.errors).toBeUndefined();
    expect(renewed.data).toMatchObject({ renewSession: { sub: 'vera' } });
    await publish(5);
    // Past the first token's expiry: the socket stays open and events keep coming.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await publish(5);
    const got = await sub.waitFor(15);
    expect(got.map((d) => (d.events as { id: string }).id)).toEqual(sent);
    expect(closedWith).toEqual([]);
  });

  it('refuses a token for another subject, and an invalid one, changing nothing', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const client = wsClient(await viewer());
    const renew = async (token: string) =>
      new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve, reject) =>
        client.subscribe(
          { query: 'mutation ($t: String!) { renewSession(token: $t) { sub } }', variables: { t: token } },
          { next: resolve, error: reject, complete: () => undefined },
        ),
      );
    expect(
      (await renew(await hsToken({ sub: 'mallory', roles: ['admin'] }))).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    expect((await renew('garbage')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Still the viewer it was: no admin rights were picked up.
    const stats = await renew(await viewer()).then(
      () =>
        new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve, reject) =>
          client.subscribe(
            { query: '{ realtimeStats { activeConnections } }' },
            { next: resolve, error: reject, complete: () => undefined },
          ),
        ),
    );
    expect(stats.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('ends a subscription whose room the new token no longer grants with FORBIDDEN, others go on', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const client = wsClient(await viewer({ rooms: ['secret'] }));
    const secret = collect(client, 'subscription { events(rooms: ["secret"]) { id } }');
    const system = collect(client, SUBSCRIBE_ALL);
    const a = await admin();
    await untilActive(2);
    const narrower = await viewer();
    expect(
      (await once(client, 'mutation ($t: String!) { renewSession(token: $t) { sub } }', { t: narrower }))
        .errors,
    ).toBeUndefined();
    await secret.ended;
    expect(JSON.stringify(secret.errors)).toContain('FORBIDDEN');
    await post(BROADCAST, a, { room: 'system' });
    expect(await system.waitFor(1)).toHaveLength(1);
  });
});
