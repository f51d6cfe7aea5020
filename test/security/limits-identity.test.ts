/**
 * Limits that follow an identity, with authentication on, through the real transports: a cost
 * budget per caller, mutations counted one by one, sockets and SSE streams per token subject,
 * renewal passing every limit, authentication before anything else, bounded token lifetimes and
 * errors that always carry a code. Each case is a reproduction from issue 19 at a small size.
 */
import type { GraphQLObjectType } from 'graphql';
import WebSocket from 'ws';
import { buildSchema } from '../../src/schema/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { startRedis } from '../support/redis-server.js';
import { hsToken, inSeconds } from '../support/tokens.js';
import {
  closed,
  healthWithinOneSecond,
  overSocket,
  rawSocket,
  send,
  type Answer,
} from '../limits/transports.js';

interface Reply {
  status: number;
  body: Answer & { extensions?: Record<string, unknown> };
  headers: Headers;
}

async function post(
  t: TestApp,
  query: string,
  token?: string,
  variables?: object,
  accept?: string,
): Promise<Reply> {
  const res = await fetch(t.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(accept ? { accept } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'], headers: res.headers };
}

const admin = (sub = 'ada', exp = inSeconds(300)) => hsToken({ sub, roles: ['admin'], exp });
const viewer = (sub = 'vic') => hsToken({ sub, roles: ['viewer'] });
const createAgents = (n: number) =>
  `mutation { ${Array.from({ length: n }, (_, i) => `c${i}: createAgent(input: { name: "x${i}", type: "t", capabilities: [] }) { id }`).join(' ')} }`;

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
async function app(env: Record<string, string>): Promise<TestApp> {
  const t = await startApp({ JWT_SECRET: 'a-test-secret-that-is-long-enough-for-hs256', ...env });
  cleanup.push(() => t.stop());
  return t;
}

describe('mutations counted one by one (item 6)', () => {
  it('refuses a document of 30 aliased createAgent at a burst of 10, and stores none of it', async () => {
    const t = await app({ MUTATION_RATE_PER_S: '10', MUTATION_BURST: '10' });
    const token = await admin();
    const refused = await post(t, createAgents(30), token);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'MUTATION_RATE',
    });
    expect(await t.app.engine.store.count('agent')).toBe(0);
    expect(await t.app.engine.log.lastId()).toBeNull();
    await healthWithinOneSecond(t.url);
    // Another caller, and queries, are still served.
    const other = await post(t, createAgents(5), await admin('bob'));
    expect(other.body.errors).toBeUndefined();
    expect(await t.app.engine.store.count('agent')).toBe(5);
  });
});

describe('the cost budget per caller', () => {
  let t: TestApp;
  beforeAll(async () => {
    // 3 000 points per 3 000 s: the window does not end during the test.
    t = await app({ COST_RATE_PER_S: '1', COST_BURST: '3000' });
  });

  it('reports what each operation spent and what is left, and refuses past the budget', async () => {
    const token = await viewer('spender');
    // 100 agents with a 16 KiB metadata field each: about 1 900 points.
    const dear = '{ agents(first: 100) { edges { node { id metadata } } } }';
    const first = await post(t, dear, token);
    expect(first.body.errors).toBeUndefined();
    const cost = first.body.extensions?.cost as { requested: number; remaining: number; resetAt: string };
    expect(cost.requested).toBeGreaterThan(1500);
    expect(cost.remaining).toBe(3000 - cost.requested);
    expect(Date.parse(cost.resetAt)).toBeGreaterThan(Date.now());
    // The second one does not fit what is left.
    const second = await post(t, dear, token);
    expect(second.status).toBe(429);
    expect(second.body.data ?? null).toBeNull();
    expect(second.body.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'COST_BUDGET',
    });
    expect(second.body.errors?.[0]?.extensions?.retryAfterMs).toBeGreaterThan(0);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    // Over WebSocket the same caller has the same budget; a subscribe spends too.
    const socket = await rawSocket(t.wsUrl, token);
    const overWs = await overSocket(socket, dear);
    expect(overWs.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'COST_BUDGET' });
    // A subscription asking for 64 KiB payloads costs more than what is left: refused too.
    const subscribe = await overSocket(
      socket,
      'subscription { events { payload { ... on CustomEventPayload { data } } } }',
    );
    expect(subscribe.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'COST_BUDGET' });
    socket.close();
    // Another caller has a budget of its own.
    expect((await post(t, dear, await viewer('saver'))).body.errors).toBeUndefined();
    await healthWithinOneSecond(t.url);
  });

  it('charges a variable page at its value, not at the largest page', async () => {
    const token = await viewer('pager');
    const query = 'query ($n: Int) { agents(first: $n) { edges { node { id } } } }';
    const one = await post(t, query, token, { n: 1 });
    expect((one.body.extensions?.cost as { requested: number }).requested).toBeLessThan(10);
  });
});

describe('the cost budget on Redis', () => {
  it('is one budget for the whole cluster', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    const fleet = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'cost-cluster',
      COST_RATE_PER_S: '1',
      COST_BURST: '250',
    };
    const a = await app({ ...fleet, INSTANCE_ID: 'a' });
    const b = await app({ ...fleet, INSTANCE_ID: 'b' });
    const token = await viewer('roamer');
    // 100 points each (20 agents × 5): two fit in 250, the third does not, whichever instance it reaches.
    const query = '{ agents(first: 20) { edges { node { id name } } } }';
    const costs: number[] = [];
    for (const t of [a, b]) {
      const reply = await post(t, query, token);
      expect(reply.body.errors).toBeUndefined();
      costs.push((reply.body.extensions?.cost as { remaining: number }).remaining);
    }
    expect(costs[1], JSON.stringify(costs)).toBeLessThan(costs[0]!);
    const third = await post(a, query, token);
    expect(third.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'COST_BUDGET' });
  });
});

describe('sockets and streams per identity (item 7)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await app({ WS_MAX_CONNECTIONS_PER_SUB: '3', SSE_MAX_STREAMS_PER_SUB: '2' });
  });

  it('closes a socket past WS_MAX_CONNECTIONS_PER_SUB with 4429; the others live', async () => {
    const token = await viewer('many');
    const open = await Promise.all([1, 2, 3].map(() => rawSocket(t.wsUrl, token)));
    const extra = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => extra.once('open', resolve));
    const closing = closed(extra);
    extra.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    const { code, reason } = await closing;
    expect(code).toBe(4429);
    expect(reason).toContain('WS_MAX_CONNECTIONS_PER_SUB');
    for (const socket of open) {
      expect(await overSocket(socket, '{ session { sub } }')).toMatchObject({
        data: { session: { sub: 'many' } },
      });
    }
    // Another subject is not affected; a closed socket frees its place.
    (await rawSocket(t.wsUrl, await viewer('other'))).close();
    const gone = closed(open[0]!);
    open[0]!.close();
    await gone;
    let again: WebSocket | null = null;
    for (let i = 0; i < 50 && !again; i++) again = await rawSocket(t.wsUrl, token).catch(() => null);
    expect(again).not.toBeNull();
    for (const socket of [...open, again!]) socket.close();
    await healthWithinOneSecond(t.url);
  });

  it('refuses an SSE stream past SSE_MAX_STREAMS_PER_SUB with 429; the others live', async () => {
    const token = await viewer('streamer');
    const controllers = [new AbortController(), new AbortController()];
    const streams = await Promise.all(
      controllers.map((c) =>
        fetch(t.graphqlUrl, {
          method: 'POST',
          signal: c.signal,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ query: 'subscription { events(rooms: ["agents"]) { id } }' }),
        }),
      ),
    );
    for (const s of streams) expect(s.status).toBe(200);
    const third = await send('SSE', t, 'subscription { events(rooms: ["agents"]) { id } }', undefined, token);
    expect(third.data ?? null).toBeNull();
    expect(third.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'TOO_MANY_STREAMS' });
    // The two open streams still deliver.
    await post(
      t,
      'mutation { createAgent(input: { name: "n", type: "t", capabilities: [] }) { id } }',
      await admin(),
    );
    for (const s of streams) {
      const reader = s.body!.getReader();
      let text = '';
      while (!text.includes('event: next')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"events":{"id":');
    }
    for (const c of controllers) c.abort();
    await healthWithinOneSecond(t.url);
  });
});

describe('renewal passes every limit (item 5)', () => {
  it('renews a socket at WS_MAX_SUBSCRIPTIONS whose mutation and cost budgets are spent', async () => {
    const t = await app({
      JWT_CLOCK_TOLERANCE_S: '0',
      WS_MAX_SUBSCRIPTIONS: '3',
      MUTATION_RATE_PER_S: '1',
      MUTATION_BURST: '1',
      COST_RATE_PER_S: '1',
      COST_BURST: '50',
    });
    // A token that expires in 2 s: without a renewal the socket is closed with 4403 then.
    const oldExp = inSeconds(2);
    const socket = await rawSocket(t.wsUrl, await admin('renewer', oldExp));
    // Fill the socket with subscriptions (a stream's first item says it is registered): the cap is reached.
    const positions: string[] = [];
    const registered = new Promise<void>((resolve) =>
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { id: string; type: string };
        if (message.type === 'next' && message.id.startsWith('s') && !positions.includes(message.id)) {
          positions.push(message.id);
          if (positions.length === 3) resolve();
        }
      }),
    );
    for (let i = 0; i < 3; i++) {
      socket.send(
        JSON.stringify({
          id: `s${i}`,
          type: 'subscribe',
          payload: { query: 'subscription { eventStream { __typename ... on Event { id } } }' },
        }),
      );
    }
    await registered;
    const capped = await overSocket(socket, 'subscription { events { id } }');
    expect(capped.errors?.[0]?.extensions?.reason).toBe('TOO_MANY_SUBSCRIPTIONS');
    // Spend the caller's mutation budget, then its cost budget (on another socket: this one is full).
    const spender = await rawSocket(t.wsUrl, await admin('renewer', oldExp));
    const created = await overSocket(spender, createAgents(1));
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    expect((await overSocket(spender, createAgents(1))).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(
      (await overSocket(spender, '{ agents(first: 50) { edges { node { id } } } }')).errors?.[0]?.extensions,
    ).toMatchObject({ reason: 'COST_BUDGET' });
    spender.close();
    // 30 renewals in a row: the first ones pass, the rest meet renewal's own small rate, nothing else.
    const renew = 'mutation ($t: String!) { renewSession(token: $t) { sub expiresAt } }';
    const fresh = await admin('renewer', inSeconds(600));
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i++) answers.push(await overSocket(socket, renew, { t: fresh }));
    const renewed = answers.filter((a) => !a.errors);
    expect(renewed.length).toBeGreaterThanOrEqual(5);
    expect(renewed[0]).toMatchObject({ data: { renewSession: { sub: 'renewer' } } });
    for (const a of answers.filter((x) => x.errors)) {
      expect(a.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'RENEWAL_RATE' });
    }
    // Past the old exp the socket is open and its subscriptions deliver.
    const events: string[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { id: string; type: string; payload: { data: unknown } };
      if (message.type === 'next' && JSON.stringify(message.payload).includes('"Event"'))
        events.push(message.id);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, oldExp * 1000 - Date.now()) + 500));
    expect(socket.readyState).toBe(WebSocket.OPEN);
    await post(t, 'mutation { broadcast(room: "agents", data: 1) { id } }', await admin('other-admin'));
    while (events.length < 3) await new Promise((resolve) => socket.once('message', resolve));
    expect(events.sort()).toEqual(['s0', 's1', 's2']);
    socket.close();
    await healthWithinOneSecond(t.url);
  });
});

describe('authentication before anything else (item 8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await app({ NODE_ENV: 'production' });
  });

  it.each([
    ['a misspelt field', '{ agentz { id } }'],
    ['a field that does not exist', '{ agents { edges { node { passwordHash } } } }'],
    ['a real field', '{ agents { edges { node { id } } } }'],
    ['a syntax error', '{ agents { '],
  ])('answers 401 to %s without a token, telling nothing of the schema', async (_, query) => {
    for (const token of [undefined, 'not-a-jwt']) {
      const reply = await post(t, query, token);
      expect(reply.status).toBe(401);
      expect(reply.body.errors).toHaveLength(1);
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(reply.body)).not.toMatch(/agentz|passwordHash|Cannot query|Did you mean|Syntax/);
    }
    // An invalid JSON body too: nothing is read before the token.
    const res = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(res.status).toBe(401);
  });

  it('closes a socket without a token with 4403 before reading any operation', async () => {
    for (const token of [undefined, 'not-a-jwt']) {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const frames: string[] = [];
      socket.on('message', (data) => frames.push(String(data)));
      const closing = closed(socket);
      socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { token } : {} }));
      expect((await closing).code).toBe(4403);
      expect(frames).toEqual([]);
    }
    // An operation sent before the server acknowledged the token is not read either (graphql-ws: 4401).
    const eager = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => eager.once('open', resolve));
    const frames: string[] = [];
    eager.on('message', (data) => frames.push(String(data)));
    const closing = closed(eager);
    eager.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    eager.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ agentz { id } }' } }));
    expect([4401, 4403]).toContain((await closing).code);
    expect(frames).toEqual([]);
  });
});

describe('smaller holes (item 10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await app({ NODE_ENV: 'production', TOKEN_MAX_LIFETIME_S: '3600' });
  });

  it('refuses a token whose exp is past TOKEN_MAX_LIFETIME_S, on HTTP and WebSocket', async () => {
    for (const exp of [1e15, inSeconds(7200)]) {
      const token = await hsToken({ sub: 'long', roles: ['viewer'], exp });
      const reply = await post(t, '{ session { expiresAt } }', token);
      expect(reply.status).toBe(401);
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(reply.body.errors?.[0]?.message).toContain('TOKEN_MAX_LIFETIME_S');
      await expect(rawSocket(t.wsUrl, token)).rejects.toThrow(/closed 4403/);
    }
    const fine = await post(
      t,
      '{ session { expiresAt } }',
      await hsToken({ sub: 'ok', exp: inSeconds(3000) }),
    );
    expect(fine.body.errors).toBeUndefined();
  });

  it('answers an invalid JSON body in production with a code and without originalError', async () => {
    const res = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await viewer()}` },
      body: '{"query": ',
    });
    const body = (await res.json()) as Answer;
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const error of body.errors ?? []) {
      expect(error.extensions?.code).toBe('BAD_REQUEST');
      expect(error.extensions).not.toHaveProperty('originalError');
    }
  });

  it('gives an Int out of range, and every other validation error, an extensions.code', async () => {
    const token = await admin();
    const cases = [
      'mutation { createTask(input: { title: "x", priority: 1e400 }) { id } }',
      'mutation { createTask(input: { title: "x", priority: 99999999999 }) { id } }',
      '{ agents(first: "ten") { edges { node { id } } } }',
      '{ agentz { id } }',
    ];
    for (const query of cases) {
      const reply = await post(t, query, token);
      expect(reply.body.errors?.length, query).toBeGreaterThan(0);
      for (const error of reply.body.errors ?? []) expect(error.extensions?.code, query).toBeDefined();
    }
    // As variables: `1e400` in JSON is Infinity, refused while the variables are coerced.
    for (const raw of ['{"p": 1e400}', '{"p": 99999999999}', '{"p": "high"}']) {
      const res = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: `{"query": "mutation ($p: Int) { createTask(input: { title: \\"x\\", priority: $p }) { id } }", "variables": ${raw}}`,
      });
      const body = (await res.json()) as Answer;
      expect(body.errors?.length, raw).toBeGreaterThan(0);
      for (const error of body.errors ?? [])
        expect(error.extensions?.code, `${raw}: ${error.message}`).toBeDefined();
    }
    expect(await t.app.engine.store.count('task')).toBe(0);
  });

  it("reads every room with rooms: ['*'], as documented", async () => {
    const token = await hsToken({ sub: 'star', roles: ['viewer'], rooms: ['*'] });
    const reply = await post(
      t,
      '{ eventLog(rooms: ["team:secret"], last: 1) { edges { node { id } } } }',
      token,
    );
    expect(reply.body.errors).toBeUndefined();
    const described = await post(t, '{ session { rooms } }', token);
    expect(described.body.data).toMatchObject({ session: { rooms: ['*'] } });
    const session = buildSchema().getType('Session') as GraphQLObjectType;
    expect(session.getFields().rooms?.description).toContain('`*` alone for every room');
  });
});
