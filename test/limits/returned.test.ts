/**
 * The cost of what an operation returns, not of what it spells: `last` counts like `first`, a
 * `null` or absent page as the page served, a JSON field by the bytes it may hold, the lists without
 * paging at the cap their resolvers apply; and whatever the estimate, no result past
 * RESPONSE_MAX_BYTES is built, and no more than a few expensive operations run at once.
 * Each case is issue 19's reproduction at a size that runs in seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { healthWithinOneSecond, send, whileHealthy, type Answer, type Transport } from './transports.js';

const TRANSPORTS: Transport[] = ['POST', 'SSE', 'WS'];
const RESPONSE_MAX_BYTES = 256 * 1024;
const input = { blob: 'i'.repeat(64 * 1024 - 32) };
const metadata = { notes: 'm'.repeat(16 * 1024 - 32) };

const aliases = (n: number, field: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

function refusedBy(answer: Answer, reason: string, setting: string, code = 'BAD_USER_INPUT'): void {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors, JSON.stringify(answer.errors).slice(0, 300)).toHaveLength(1);
  const error = answer.errors?.[0];
  expect(error?.extensions?.reason).toBe(reason);
  expect(error?.extensions?.code).toBe(code);
  expect(error?.message).toContain(setting);
}

let t: TestApp;

async function state() {
  return { lastId: await t.app.engine.log.lastId(), tasks: await t.app.engine.store.count('task') };
}

/** /health within 1 s, a normal client served, and nothing stored or published. */
async function unharmed(before: Awaited<ReturnType<typeof state>>): Promise<void> {
  await healthWithinOneSecond(t.url);
  const normal = await send('POST', t, '{ tasks(first: 2) { edges { node { id title } } } }');
  expect(normal.errors).toBeUndefined();
  expect((normal.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(2);
  expect(await state()).toEqual(before);
}

beforeAll(async () => {
  // The expensive-operation bound is tested on its own below; here it would only add refusals.
  t = await startApp({ RESPONSE_MAX_BYTES: String(RESPONSE_MAX_BYTES), EXPENSIVE_COST: '1000000' });
  // 20 tasks of 64 KiB input: 1.3 MB that a page of them would answer.
  for (let i = 0; i < 20; i++) {
    await t.ok(
      `mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }` as never,
      { input: { title: `t${i}`, input } } as never,
    );
  }
});
afterAll(() => t?.stop());

describe('a cost that counts what is returned', () => {
  it.each(TRANSPORTS)('counts eventLog(last:) like first over %s (item 1)', async (transport) => {
    const before = await state();
    const field =
      'eventLog(last: 100, types: [TASK_CREATED]) { edges { node { payload { ... on TaskEventPayload { task { input } } } } } }';
    // Five at once, as the reproduction sent them, while /health is asked.
    const answers = await whileHealthy(t.url, () =>
      Promise.all(Array.from({ length: 5 }, () => send(transport, t, aliases(30, field)))),
    );
    for (const answer of answers) refusedBy(answer, 'COST_LIMIT', 'GRAPHQL_MAX_COST');
    // A variable `last` costs as the largest page.
    const viaVariable = `query ($n: Int) ${aliases(30, field.replace('last: 100', 'last: $n'))}`;
    refusedBy(await send(transport, t, viaVariable, { n: 100 }), 'COST_LIMIT', 'GRAPHQL_MAX_COST');
    await unharmed(before);
  });

  it.each(TRANSPORTS)('weighs a JSON field by the bytes it may hold over %s (item 3)', async (transport) => {
    const before = await state();
    const answer = await send(transport, t, aliases(12, 'tasks(first: 100) { edges { node { input } } }'));
    refusedBy(answer, 'COST_LIMIT', 'GRAPHQL_MAX_COST');
    // 64 KiB of `input` is 64 points: 12 pages of 100 are 79 200, not 2 400.
    expect((answer.errors?.[0]?.extensions?.found as number) > 12 * 100 * 64).toBe(true);
    await unharmed(before);
  });

  it.each(TRANSPORTS)(
    'counts first: null as the default page it serves over %s (item 4)',
    async (transport) => {
      const before = await state();
      const answer = await send(transport, t, aliases(30, 'tasks(first: null) { edges { node { input } } }'));
      refusedBy(answer, 'COST_LIMIT', 'GRAPHQL_MAX_COST');
      expect(answer.errors?.[0]?.extensions?.found).toBeGreaterThanOrEqual(30 * 20 * 64);
      // And a single such page is what it says: 20 tasks.
      const one = await send(transport, t, '{ tasks(first: null) { edges { node { id } } } }');
      expect((one.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(20);
      await unharmed(before);
    },
  );
});

describe('RESPONSE_MAX_BYTES', () => {
  it.each(TRANSPORTS)('refuses a result past the bound while it is built, over %s', async (transport) => {
    const before = await state();
    // Cheap enough for the cost rule (20 × 66), 1.3 MB of answer; ten at once while /health is asked.
    const answers = await whileHealthy(t.url, () =>
      Promise.all(
        Array.from({ length: 10 }, () =>
          send(transport, t, '{ tasks(first: 20) { edges { node { id input } } } }'),
        ),
      ),
    );
    for (const answer of answers) {
      refusedBy(answer, 'RESPONSE_TOO_LARGE', 'RESPONSE_MAX_BYTES');
      expect(answer.errors?.[0]?.extensions?.limit).toBe(RESPONSE_MAX_BYTES);
    }
    // Below the bound, the same query answers.
    const fits = await send(transport, t, '{ tasks(first: 3) { edges { node { id input } } } }');
    expect(fits.errors).toBeUndefined();
    expect((fits.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(3);
    await unharmed(before);
  });

  it('holds for the event log and its payloads', async () => {
    const before = await state();
    const answer = await send(
      'POST',
      t,
      '{ eventLog(types: [TASK_CREATED], first: 20) { edges { node { payload { ... on TaskEventPayload { task { input } } } } } } }',
    );
    refusedBy(answer, 'RESPONSE_TOO_LARGE', 'RESPONSE_MAX_BYTES');
    await unharmed(before);
  });
});

describe('lists without paging (item 2)', () => {
  let e: TestApp;
  beforeAll(async () => {
    e = await startApp({ RESPONSE_MAX_BYTES: String(RESPONSE_MAX_BYTES) });
    // 120 ACTIVE agents of 16 KiB metadata, two elections among them.
    for (let i = 0; i < 120; i++) {
      await e.ok(
        'mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id } }' as never,
        { input: { name: `a${i}`, type: 'w', capabilities: [], metadata } } as never,
      );
    }
    await e.ok('mutation { triggerElection { id } }' as never);
    await e.ok('mutation { triggerElection { id } }' as never);
  });
  afterAll(() => e?.stop());

  it('keeps at most 100 candidates per election, the leader first', async () => {
    const answer = (await e.ok(
      '{ elections(first: 2) { edges { node { leader { id } candidates { id } } } } }' as never,
    )) as { elections: { edges: { node: { leader: { id: string }; candidates: { id: string }[] } }[] } };
    for (const { node } of answer.elections.edges) {
      expect(node.candidates).toHaveLength(100);
      expect(node.candidates[0]?.id).toBe(node.leader.id);
    }
    // Stored so: the record holds 100 agent copies, not 120.
    const stored = await e.app.engine.store.list('election', { limit: 10 });
    for (const record of stored) expect(record.doc.candidates).toHaveLength(100);
  });

  it.each(TRANSPORTS)('counts candidates at their cap over %s', async (transport) => {
    const lastId = await e.app.engine.log.lastId();
    refusedBy(
      await send(transport, e, '{ elections(first: 100) { edges { node { candidates { id metadata } } } } }'),
      'COST_LIMIT',
      'GRAPHQL_MAX_COST',
    );
    refusedBy(
      await send(
        transport,
        e,
        '{ proposals(first: 100) { edges { node { votes { agent { id metadata } } } } } }',
      ),
      'COST_LIMIT',
      'GRAPHQL_MAX_COST',
    );
    // One election's candidates without metadata is a normal question.
    const one = await send(transport, e, '{ elections(first: 1) { edges { node { candidates { id } } } } }');
    expect(one.errors).toBeUndefined();
    await healthWithinOneSecond(e.url);
    expect(await e.app.engine.log.lastId()).toBe(lastId);
  });
});

describe('expensive operations at once', () => {
  let redis: RedisServer;
  let x: TestApp;
  beforeAll(async () => {
    // On Redis every read is a round trip, so that parallel requests really overlap.
    redis = await startRedis();
    x = await startApp({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'expensive',
      EXPENSIVE_COST: '500',
      EXPENSIVE_MAX_PER_CALLER: '1',
      EXPENSIVE_MAX_TOTAL: '2',
    });
    for (let i = 0; i < 20; i++) {
      await x.ok(
        'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }' as never,
        { input: { title: `t${i}`, input: { small: i } } } as never,
      );
    }
  });
  afterAll(async () => {
    await x?.stop();
    await redis?.dispose();
  });

  it('runs one expensive operation per caller at a time; the rest are RATE_LIMITED and nothing else', async () => {
    const query = '{ tasks(first: 20) { edges { node { id input } } } }';
    let refused = 0;
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => send('POST', x, query)));
      for (const answer of answers) {
        if (answer.errors) {
          expect(answer.errors[0]?.extensions).toMatchObject({
            code: 'RATE_LIMITED',
            reason: 'TOO_MANY_EXPENSIVE',
          });
          refused++;
        } else {
          expect((answer.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(20);
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    await healthWithinOneSecond(x.url);
    // Every slot was given back: one at a time is always served, and cheap ones never wait.
    for (let i = 0; i < 3; i++) expect((await send('POST', x, query)).errors).toBeUndefined();
    const cheap = await Promise.all(
      Array.from({ length: 10 }, () => send('POST', x, '{ tasks(first: 2) { edges { node { id } } } }')),
    );
    for (const answer of cheap) expect(answer.errors).toBeUndefined();
  });
});
