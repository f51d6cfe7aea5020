/**
 * Mutations per caller: a window of MUTATION_BURST, refilled over MUTATION_BURST / MUTATION_RATE_PER_S
 * seconds, held in the engine, so that on Redis two instances share one limit. Over it: RATE_LIMITED
 * with a retry-after hint (and HTTP 429 with Retry-After), and nothing stored or published.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { CreateAgent, RealtimeStatsQuery } from '../api/operations.js';
import { healthWithinOneSecond, overSocket, rawSocket } from './transports.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function app(env: Record<string, string>): Promise<TestApp> {
  const t = await startApp(env);
  cleanup.push(() => t.stop());
  return t;
}

const create = (t: TestApp, i: number) =>
  fetch(t.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'mutation ($name: String!) { createAgent(input: { name: $name, type: "t", capabilities: [] }) { id } }',
      variables: { name: `a${i}` },
    }),
  });

const limited = { MUTATION_RATE_PER_S: '1', MUTATION_BURST: '5' };

describe('the mutation rate limit', () => {
  it('lets a burst through and refuses the rest with RATE_LIMITED and a retry-after hint', async () => {
    const t = await app(limited);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => create(t, i)));
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    const retryAfter = Number(refused[0]?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    const body = (await refused[0]?.json()) as {
      data?: unknown;
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(body.errors[0]?.extensions.retryAfterMs).toBeGreaterThan(0);
    expect(body.errors[0]?.extensions).not.toHaveProperty('http');
    expect(body.errors[0]?.message).toContain('MUTATION_RATE_PER_S');
    // Nothing of the refused ones was stored or published.
    expect(await t.app.engine.store.count('agent')).toBe(5);
    expect((await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished).toBe(5);

    // The same caller over WebSocket is the same caller; queries are not limited.
    const socket = await rawSocket(t.wsUrl);
    const overWs = await overSocket(
      socket,
      'mutation { createAgent(input: { name: "ws", type: "t", capabilities: [] }) { id } }',
    );
    expect(overWs.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(overWs.errors?.[0]?.extensions).not.toHaveProperty('http');
    expect(await overSocket(socket, '{ agents { edges { node { id } } } }')).not.toHaveProperty('errors');
    socket.close();
    await healthWithinOneSecond(t.url);
    expect(await t.app.engine.store.count('agent')).toBe(5);
    expect((await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished).toBe(5);
  });

  it('lets mutations through again once the window has passed', async () => {
    const t = await app({ MUTATION_RATE_PER_S: '2', MUTATION_BURST: '2' });
    const first = await Promise.all([0, 1, 2].map((i) => create(t, i)));
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    const wait = Number(first.find((r) => r.status === 429)?.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
    expect((await create(t, 3)).status).toBe(200);
  });

  it('is one limit for the whole cluster on Redis', async () => {
    const redis: RedisServer = await startRedis();
    cleanup.push(() => redis.dispose());
    const fleet = { ...limited, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'limits-cluster' };
    const a = await app({ ...fleet, INSTANCE_ID: 'a' });
    const b = await app({ ...fleet, INSTANCE_ID: 'b' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => create(i % 2 ? a : b, i)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(15);
    expect(await a.app.engine.store.count('agent')).toBe(5);
  });

  it('never limits at the defaults what the test suites and benchmarks send', async () => {
    const t = await app({});
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.ok(CreateAgent, {
          input: { name: `n${i}`, type: 't', capabilities: [] },
        }),
      ),
    );
    expect(answers).toHaveLength(200);
  });
});
