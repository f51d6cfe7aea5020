/**
 * What one document may cost, on every transport: tokens (counted while parsing), depth (through
 * named fragments too), aliases, directives and a cost in which a list is paid once per item its
 * `first` asks for. Every refusal comes before execution, names its limit, and leaves the server
 * answering and unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { CreateAgent } from '../api/operations.js';
import { healthWithinOneSecond, rawSocket, overSocket, send, TRANSPORTS, type Answer } from './transports.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
  // A fleet worth stealing: 100 agents with 4 KB of metadata each (the issue's 417 MB answer).
  const metadata = { notes: 'm'.repeat(4000) };
  for (let i = 0; i < 100; i++) {
    await t.ok(CreateAgent, { input: { name: `a${i}`, type: 'worker', capabilities: ['x'], metadata } });
  }
});
afterAll(() => t?.stop());

/** Refused before execution: no data at all, and the first error is the limit's. */
function refusedBy(answer: Answer, reason: string, setting: string): void {
  expect(answer.data ?? null).toBeNull();
  const error = answer.errors?.find((e) => e.extensions?.reason === reason);
  expect(error, JSON.stringify(answer.errors).slice(0, 500)).toBeDefined();
  expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error?.message).toContain(setting);
}

/** /health answers within 1 s, a normal client still works, and nothing was stored or published. */
async function unharmed(before: { lastId: string | null; agents: number }): Promise<void> {
  await healthWithinOneSecond(t.url);
  const normal = (await t.ok('{ agents(first: 1) { edges { node { id } } } }' as never)) as {
    agents: { edges: unknown[] };
  };
  expect(normal.agents.edges).toHaveLength(1);
  expect(await t.app.engine.log.lastId()).toBe(before.lastId);
  expect(await t.app.engine.store.count('agent')).toBe(before.agents);
}

async function state() {
  return { lastId: await t.app.engine.log.lastId(), agents: await t.app.engine.store.count('agent') };
}

const aliases = (n: number, field: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

/** `__type` nests as deep as we like, so depth can be tested on a valid document. */
const ofTypes = (n: number) => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`;

describe('the cost of one document', () => {
  it('refuses 1000 aliases of agents(first: 100) at parse, on every transport that can carry it', async () => {
    const before = await state();
    const query = aliases(1000, 'agents(first: 100) { edges { node { id name metadata } } }');
    // A GET this long is refused by the HTTP server itself (431): the URL has a size limit.
    for (const transport of TRANSPORTS.filter((x) => x !== 'GET')) {
      refusedBy(await send(transport, t, query), 'MAX_TOKENS', 'GRAPHQL_MAX_TOKENS');
    }
    await unharmed(before);
  });

  it.each(TRANSPORTS)('refuses too many aliases over %s', async (transport) => {
    const before = await state();
    refusedBy(await send(transport, t, aliases(31, 'fleet { term }')), 'MAX_ALIASES', 'GRAPHQL_MAX_ALIASES');
    await unharmed(before);
  });

  it.each(TRANSPORTS)(
    'refuses 30 aliases of agents(first: 100) with their nodes by cost over %s',
    async (transport) => {
      const before = await state();
      const nodes = '{ edges { node { id name metadata createdAt } } pageInfo { hasNextPage } }';
      refusedBy(
        await send(transport, t, aliases(30, `agents(first: 100) ${nodes}`)),
        'COST_LIMIT',
        'GRAPHQL_MAX_COST',
      );
      // `first` as a variable costs as the largest page: it cannot be used to slip under the limit.
      const viaVariable = `query ($n: Int) ${aliases(30, `agents(first: $n) ${nodes}`)}`;
      refusedBy(await send(transport, t, viaVariable, { n: 100 }), 'COST_LIMIT', 'GRAPHQL_MAX_COST');
      // Nested lists multiply: one alias of 100 proposals × their votes' agents is already too much.
      const nested = `{ proposals(first: 100) { edges { node { votes { agent { id name metadata type status } } } } } }`;
      refusedBy(await send(transport, t, nested), 'COST_LIMIT', 'GRAPHQL_MAX_COST');
      await unharmed(before);
    },
  );

  it('answers a page of 100 agents with their fields, and a few such pages together', async () => {
    const nodes = '{ edges { node { id name metadata createdAt } } pageInfo { hasNextPage } }';
    for (const transport of TRANSPORTS) {
      const answer = await send(transport, t, aliases(4, `agents(first: 100) ${nodes}`));
      expect(answer.errors).toBeUndefined();
      expect((answer.data as { a3: { edges: unknown[] } }).a3.edges).toHaveLength(100);
    }
  });

  it.each(TRANSPORTS)('counts depth through named fragments over %s', async (transport) => {
    const before = await state();
    // __type(1) fields(2) type(3), eight ofType (4–11), name(12): over the limit of 10.
    const deep = `query { ...T } fragment T on Query { __type(name: "Agent") { ...F } }
      fragment F on __Type { fields { type { ...O } } } fragment O on __Type { ${ofTypes(8)} }`;
    refusedBy(await send(transport, t, deep), 'MAX_DEPTH', 'GRAPHQL_MAX_DEPTH');
    // The same written inline, and the same with two levels fewer (10) is answered.
    refusedBy(
      await send(transport, t, `{ __type(name: "Agent") { fields { type { ${ofTypes(8)} } } } }`),
      'MAX_DEPTH',
      'GRAPHQL_MAX_DEPTH',
    );
    const fits = `query { ...T } fragment T on Query { __type(name: "Agent") { ...F } }
      fragment F on __Type { fields { type { ...O } } } fragment O on __Type { ${ofTypes(6)} }`;
    const answer = await send(transport, t, fits);
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data).toHaveProperty('__type.fields');
    await unharmed(before);
  });

  it.each(TRANSPORTS)('refuses more than 50 directives over %s', async (transport) => {
    const before = await state();
    const query = `{ fleet { term ${'@include(if: true) '.repeat(51)} } }`;
    refusedBy(await send(transport, t, query), 'MAX_DIRECTIVES', 'GRAPHQL_MAX_DIRECTIVES');
    await unharmed(before);
  });

  it('refuses a 300 000-token document cheaply, at parse', async () => {
    const before = await state();
    const query = `{ ${'__typename '.repeat(300_000)} }`;
    for (const transport of ['POST', 'SSE'] as const) {
      const started = performance.now();
      refusedBy(await send(transport, t, query), 'MAX_TOKENS', 'GRAPHQL_MAX_TOKENS');
      // Parsing stops at token 2001: far less than reading 300 000 tokens, let alone running them.
      expect(performance.now() - started).toBeLessThan(1000);
    }
    // Over WebSocket it is larger than a frame may be (WS_MAX_PAYLOAD_BYTES): the socket is closed.
    await unharmed(before);
  });

  it('refuses a mutation document over a limit without running any of it', async () => {
    const before = await state();
    const create = (i: number) =>
      `c${i}: createAgent(input: { name: "x${i}", type: "t", capabilities: [] }) { id }`;
    for (const transport of ['POST', 'WS'] as const) {
      const query = `mutation { ${Array.from({ length: 31 }, (_, i) => create(i)).join(' ')} }`;
      refusedBy(await send(transport, t, query), 'MAX_ALIASES', 'GRAPHQL_MAX_ALIASES');
    }
    await unharmed(before);
  });

  it('keeps a socket open after refusing one of its operations', async () => {
    const socket = await rawSocket(t.wsUrl);
    refusedBy(await overSocket(socket, aliases(31, 'fleet { term }')), 'MAX_ALIASES', 'GRAPHQL_MAX_ALIASES');
    expect(await overSocket(socket, '{ fleet { term } }')).toMatchObject({ data: { fleet: { term: 0 } } });
    socket.close();
  });
});

describe('documents too deep to parse or validate', () => {
  let deep: TestApp;
  beforeAll(async () => {
    // With the token limit out of the way, only the nesting itself is left to refuse.
    deep = await startApp({ GRAPHQL_MAX_TOKENS: '10000000' });
  });
  afterAll(() => deep?.stop());

  it.each(['POST', 'WS'] as const)(
    'answers BAD_USER_INPUT, never INTERNAL_SERVER_ERROR, over %s',
    async (transport) => {
      const selections = `{ ${'agents { edges { node { '.repeat(5000)}id${' } } }'.repeat(5000)} }`;
      const lists = `{ agents(status: ${'['.repeat(5000)}ACTIVE${']'.repeat(5000)}) { edges { node { id } } } }`;
      for (const query of [selections, lists]) {
        const answer = await send(transport, deep, query);
        expect(answer.data ?? null).toBeNull();
        const codes = answer.errors?.map((e) => e.extensions?.code);
        expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
        expect(codes?.[0]).toBe('BAD_USER_INPUT');
      }
      await healthWithinOneSecond(deep.url);
      expect(await deep.ok('{ fleet { term } }' as never)).toEqual({ fleet: { term: 0 } });
    },
  );
});
