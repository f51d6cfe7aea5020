/**
 * Safe retries: a mutation sent with an idempotency key is applied once, however many times it is
 * sent, on either engine and either transport; the same key with another request is refused.
 */
import { print, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CreateAgent } from '../api/operations.js';
import { codes, type TestApp } from '../support/app.js';
import { useRedisApps } from '../support/redis-apps.js';

const fleet = useRedisApps();
let fleets = 0;
const app = (engine: string, env: Record<string, string> = {}, prefix = `idem-${++fleets}`) =>
  engine === 'redis' ? fleet.onRedis(prefix, env) : fleet.start(env);

type Created = ExecutionResult<{ createAgent: { id: string; name: string } }>;

/** POSTs createAgent with an idempotency key, in the header or in the body's extensions. */
async function create(a: TestApp, key: string | null, name: string, where: 'header' | 'body' = 'header') {
  const res = await fetch(a.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key && where === 'header' ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify({
      query: print(CreateAgent),
      variables: { input: { name, type: 't' } },
      ...(key && where === 'body' ? { extensions: { idempotencyKey: key } } : {}),
    }),
  });
  return (await res.json()) as Created;
}

async function agentsNamed(a: TestApp, name: string): Promise<number> {
  const { agents } = await a.ok<{ agents: { edges: { node: { name: string } }[] } }, unknown>(
    '{ agents(first: 100) { edges { node { name } } } }',
  );
  return agents.edges.filter((e) => e.node.name === name).length;
}

/** How many events of `type` the fleet's stream holds. */
async function logged(prefix: string, type: string): Promise<number> {
  const entries = await fleet.redis.client().xrange(`{${prefix}}:events`, '-', '+');
  return entries.filter(([, fields]) => JSON.parse(fields[fields.indexOf('e') + 1]!).type === type).length;
}

describe.each(['memory', 'redis'])('idempotency keys on the %s engine', (engine) => {
  it('applies a create once, however often it is sent with the same key, in the header or the body', async () => {
    const a = await app(engine);
    const first = await create(a, 'key-1', 'once');
    const again = await create(a, 'key-1', 'once');
    const inBody = await create(a, 'key-1', 'once', 'body');
    expect(first.errors).toBeUndefined();
    expect(again).toEqual(first);
    expect(inBody).toEqual(first);
    expect(await agentsNamed(a, 'once')).toBe(1);
    // A different key is a different request.
    expect((await create(a, 'key-2', 'once', 'body')).data?.createAgent.id).not.toBe(
      first.data?.createAgent.id,
    );
    expect(await agentsNamed(a, 'once')).toBe(2);
  });

  it('refuses the same key with a different request, changing nothing', async () => {
    const a = await app(engine);
    await create(a, 'key-1', 'first');
    const reused = await create(a, 'key-1', 'second');
    expect(codes(reused)).toEqual(['BAD_USER_INPUT']);
    expect(reused.errors?.[0]?.extensions?.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await agentsNamed(a, 'second')).toBe(0);
    const malformed = await create(a, 'x'.repeat(256), 'third');
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
  });

  it('applies a burst of the same keyed request once, even when the copies race', async () => {
    const a = await app(engine);
    const results = await Promise.all(Array.from({ length: 10 }, () => create(a, 'burst', 'burst')));
    expect(new Set(results.map((r) => r.data?.createAgent.id)).size).toBe(1);
    expect(await agentsNamed(a, 'burst')).toBe(1);
  });

  it('works over WebSocket with extensions.idempotencyKey', async () => {
    const a = await app(engine);
    const client = a.ws();
    const send = () =>
      new Promise<unknown>((resolve, reject) => {
        let result: unknown;
        client.subscribe(
          {
            query: print(CreateAgent),
            variables: { input: { name: 'ws', type: 't' } },
            extensions: { idempotencyKey: 'ws-key' },
          },
          { next: (r) => (result = r), error: reject, complete: () => resolve(result) },
        );
      });
    const first = await send();
    expect(await send()).toEqual(first);
    expect(await agentsNamed(a, 'ws')).toBe(1);
  });

  it('forgets a key after IDEMPOTENCY_TTL_S', async () => {
    const a = await app(engine, { IDEMPOTENCY_TTL_S: '1' });
    const first = await create(a, 'short', 'short');
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const later = await create(a, 'short', 'short');
    expect(later.data?.createAgent.id).not.toBe(first.data?.createAgent.id);
    expect(await agentsNamed(a, 'short')).toBe(2);
  });
});

describe('a retry after an indeterminate failure', () => {
  it('creates one record and one event when the first attempt answered UNAVAILABLE but was applied', async () => {
    const prefix = `idem-${++fleets}`;
    const env = { REDIS_COMMAND_TIMEOUT_MS: '300' };
    const a = await app('redis', env, prefix);
    const b = await app('redis', env, prefix);
    fleet.redis.freeze();
    let refused: Created;
    try {
      refused = await create(a, 'paused', 'paused');
    } finally {
      fleet.redis.thaw();
    }
    // Redis ran the command it had received once it woke up: the request was applied after all.
    expect(codes(refused)).toEqual(['UNAVAILABLE']);
    const deadline = Date.now() + 10_000;
    let retried = await create(b, 'paused', 'paused');
    while (retried.errors && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      retried = await create(b, 'paused', 'paused');
    }
    expect(retried.errors).toBeUndefined();
    expect(await create(a, 'paused', 'paused')).toEqual(retried);
    expect(await agentsNamed(a, 'paused')).toBe(1);
    expect(await logged(prefix, 'AGENT_CREATED')).toBe(1);
  });
});
