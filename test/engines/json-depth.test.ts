/**
 * One JSON rule on both engines: at most 32 levels of nesting in every JSON input, refused with
 * BAD_USER_INPUT before anything is written; every accepted value goes through the Redis scripts
 * and back, and the records that hold one can still change and go away.
 */
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/** `{"a":{"a":…1}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.dispose());

let fleets = 0;
const engines: [string, () => Record<string, string>][] = [
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: `json-${++fleets}` })],
];

describe.each(engines)('JSON inputs on the %s engine', (_, env) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(env());
  });
  afterAll(() => app?.stop());

  /** The id of a marker event: what lies between two markers in the log was written in between. */
  const marker = async () =>
    (
      await app.ok<{ broadcast: { id: string } }, unknown>(
        'mutation { broadcast(room: "marker", data: 0) { id } }',
      )
    ).broadcast.id;

  /** Each JSON input, called with `value`. */
  const inputs: [string, (value: unknown) => Promise<ExecutionResult<unknown>>][] = [
    [
      'agent metadata (create)',
      (value) =>
        app.request(
          'mutation ($m: JSON) { createAgent(input: { name: "a", type: "t", metadata: $m }) { id } }',
          {
            m: value,
          },
        ),
    ],
    [
      'task input',
      (value) =>
        app.request('mutation ($v: JSON) { createTask(input: { title: "t", input: $v }) { id } }', {
          v: value,
        }),
    ],
    [
      'proposal value',
      (value) =>
        app.request('mutation ($v: JSON) { proposeConsensus(input: { topic: "t", value: $v }) { id } }', {
          v: value,
        }),
    ],
    [
      'alert details',
      (value) =>
        app.request('mutation ($v: JSON) { raiseAlert(level: INFO, message: "m", details: $v) { id } }', {
          v: value,
        }),
    ],
    [
      'broadcast data',
      (value) => app.request('mutation ($v: JSON!) { broadcast(room: "r", data: $v) { id } }', { v: value }),
    ],
  ];

  it.each(inputs)(
    'refuses %s nested 33 levels (and 2000) with BAD_USER_INPUT, writing nothing',
    async (_, call) => {
      // An ACTIVE agent, so that a proposal would not be refused for another reason.
      await app.ok('mutation { createAgent(input: { name: "voter", type: "t" }) { id } }');
      const before = await marker();
      for (const levels of [33, 2000]) {
        const result = await call(nested(levels));
        expect(codes(result)).toEqual(['BAD_USER_INPUT']);
        expect(JSON.stringify(result.errors)).toContain('at most 32 levels deep');
      }
      const after = await marker();
      expect((await app.app.engine.log.readAfter(before, 10)).map((e) => e.id)).toEqual([after]);
    },
  );

  it.each(inputs)('accepts %s nested 32 levels', async (_, call) => {
    await app.ok('mutation { createAgent(input: { name: "voter", type: "t" }) { id } }');
    const result = await call(nested(32));
    expect(result.errors).toBeUndefined();
  });

  it('keeps a 32-deep agent and task changeable through every step, and deletable', async () => {
    const deep = nested(32);
    const { createAgent: agent } = await app.ok<{ createAgent: { id: string; metadata: unknown } }, unknown>(
      'mutation ($m: JSON) { createAgent(input: { name: "deep", type: "t", metadata: $m }) { id metadata } }',
      { m: deep },
    );
    expect(agent.metadata).toEqual(deep);
    const updated = await app.ok<{ updateAgent: { metadata: unknown } }, unknown>(
      'mutation ($id: ID!, $m: JSON) { updateAgent(id: $id, input: { metadata: $m, name: "deeper" }) { metadata } }',
      { id: agent.id, m: nested(31) },
    );
    expect(updated.updateAgent.metadata).toEqual(nested(31));
    const { createTask: task } = await app.ok<{ createTask: { id: string } }, unknown>(
      'mutation ($v: JSON) { createTask(input: { title: "deep", input: $v }) { id } }',
      { v: deep },
    );
    await app.ok('mutation ($id: ID!, $a: ID) { assignTask(id: $id, agentId: $a) { id } }', {
      id: task.id,
      a: agent.id,
    });
    await app.ok('mutation ($id: ID!) { startTask(id: $id) { id } }', { id: task.id });
    const done = await app.ok<{ completeTask: { result: unknown; input: unknown } }, unknown>(
      'mutation ($id: ID!, $r: JSON) { completeTask(id: $id, result: $r) { result input } }',
      { id: task.id, r: deep },
    );
    expect(done.completeTask).toEqual({ result: deep, input: deep });
    await app.ok('mutation ($id: ID!) { performAgentAction(id: $id, action: PAUSE) { id } }', {
      id: agent.id,
    });
    await app.ok('mutation ($id: ID!) { deleteAgent(id: $id) { id } }', { id: agent.id });
    const gone = await app.ok<{ agent: unknown }, unknown>('query ($id: ID!) { agent(id: $id) { id } }', {
      id: agent.id,
    });
    expect(gone.agent).toBeNull();
  });

  it('refuses a GraphQL literal nested 2000 deep with BAD_USER_INPUT, on HTTP and WebSocket', async () => {
    const literal = '{a:'.repeat(2000) + '1' + '}'.repeat(2000);
    const query = `mutation { createAgent(input: { name: "x", type: "t", metadata: ${literal} }) { id } }`;
    const http = await app.request(query);
    expect(codes(http)).toEqual(['BAD_USER_INPUT']);
    const ws = await new Promise<unknown[]>((resolve) => {
      app.ws().subscribe(
        { query },
        {
          next: () => resolve(['unexpected data']),
          error: (errors) =>
            resolve((errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)),
          complete: () => undefined,
        },
      );
    });
    expect(ws).toEqual(['BAD_USER_INPUT']);
    // A literal of 32 levels is fine.
    const ok = await app.request(
      `mutation { createAgent(input: { name: "x", type: "t", metadata: ${'{a:'.repeat(32)}1${'}'.repeat(32)} }) { id } }`,
    );
    expect(ok.errors).toBeUndefined();
  });
});
