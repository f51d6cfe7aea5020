/** What happens when Redis, or an instance, goes away. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { Broadcast, CreateAgent, GetAgent, GetProposal, RealtimeStatsQuery } from '../api/operations.js';

const EVENTS = `subscription ($rooms: [String!], $since: ID) {
  events(rooms: $rooms, since: $since) {
    id type
    payload {
      ... on CustomEventPayload { data }
      ... on HealthEventPayload { ready }
      ... on ProposalEventPayload { proposal { id status } }
    }
  }
}`;
interface Ev {
  events: {
    id: string;
    type: string;
    payload: { data?: { n: number }; ready?: boolean; proposal?: { id: string; status: string } };
  };
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.dispose());

let apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
});
let fleet = 0;
async function instance(prefix: string, id: string): Promise<TestApp> {
  const app = await startApp({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: '500',
    PROPOSAL_SWEEP_MS: '50',
    INSTANCE_ID: id,
  });
  apps.push(app);
  return app;
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('when Redis goes away and comes back', () => {
  it('fails fast with UNAVAILABLE, answers 503, keeps subscriptions, then resumes without losing what was acknowledged', async () => {
    const prefix = `faults-${++fleet}`;
    const a = await instance(prefix, 'a');
    const b = await instance(prefix, 'b');
    const stream = collect<Ev>(b.ws(), EVENTS, { rooms: ['f'] });
    const system = collect<Ev>(b.ws(), EVENTS, { rooms: ['system'] });
    await untilSubscribed(async () => (await b.ok(RealtimeStatsQuery)).realtimeStats, 2);
    const agent = (await a.ok(CreateAgent, { input: { name: 'durable', type: 't' } })).createAgent;
    for (let n = 1; n <= 3; n++) await a.ok(Broadcast, { room: 'f', data: { n } });
    await stream.waitFor(3);

    await redis.stop();
    const refused = await a.request(Broadcast, { room: 'f', data: { n: -1 } });
    expect(codes(refused)).toEqual(['UNAVAILABLE']);
    await until(
      '/ready to answer 503',
      () => fetch(`${a.url}/ready`),
      (r) => r.status === 503,
    );
    expect(await (await fetch(`${a.url}/ready`)).json()).toMatchObject({
      ready: false,
      checks: { redis: { ok: false } },
    });
    expect((await fetch(`${a.url}/health`)).status).toBe(200);

    await redis.restart();
    await until(
      '/ready to answer 200',
      () => fetch(`${a.url}/ready`),
      (r) => r.status === 200,
    );
    await until(
      '/ready on b',
      () => fetch(`${b.url}/ready`),
      (r) => r.status === 200,
    );
    const acknowledged = [1, 2, 3];
    for (let n = 4; n <= 6; n++) {
      const result = await until(
        'a write to succeed',
        () => a.request(Broadcast, { room: 'f', data: { n } }),
        (r) => !r.errors,
      );
      expect(result.errors).toBeUndefined();
      acknowledged.push(n);
    }
    const got = await stream.waitFor(6);
    expect(got.map((e) => e.events.payload.data?.n)).toEqual(acknowledged);
    // A clean shutdown of Redis lost nothing that was written before it.
    expect((await b.ok(GetAgent, { id: agent.id })).agent?.name).toBe('durable');
    // The subscription stayed open throughout, and HEALTH_CHANGED told the system room.
    expect(stream.errors).toEqual([]);
    const health = await system.waitFor(1);
    expect(health.every((e) => e.events.type === 'HEALTH_CHANGED')).toBe(true);
    expect(health.at(-1)?.events.payload.ready).toBe(true);
  });
});

describe('when Redis itself is killed', () => {
  it('keeps every acknowledged write with appendonly everysec (SIGKILL of Redis alone, not of the OS)', async () => {
    const prefix = `faults-${++fleet}`;
    const a = await instance(prefix, 'a');
    const agent = (await a.ok(CreateAgent, { input: { name: 'survivor', type: 't' } })).createAgent;
    const event = (await a.ok(Broadcast, { room: 'k', data: { n: 1 } })).broadcast;
    await redis.kill();
    await redis.restart();
    const back = await until(
      'a read to succeed',
      () => a.request(GetAgent, { id: agent.id }),
      (r) => !r.errors,
    );
    expect(back.data?.agent?.name).toBe('survivor');
    // The log survived too: the event is still a valid cursor, and replay goes on from it.
    const last = (await a.ok(Broadcast, { room: 'k', data: { n: 2 } })).broadcast;
    const resumed = collect<Ev>(a.ws(), EVENTS, { rooms: ['k'], since: event.id });
    expect((await resumed.waitFor(1))[0]?.events.id).toBe(last.id);
  });
});

describe('when an instance is killed', () => {
  it('still expires its open proposal, exactly once', async () => {
    const prefix = `faults-${++fleet}`;
    const port = await freePort();
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: prefix,
        INSTANCE_ID: 'doomed',
        LOG_LEVEL: 'silent',
        METRICS_INTERVAL_MS: '0',
        // It must not be the one that expires the proposal: it is gone by then.
        PROPOSAL_SWEEP_MS: '600000',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const url = `http://127.0.0.1:${port}/graphql`;
      const post = async (query: string, variables: Record<string, unknown> = {}) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as { data?: Record<string, { id: string }>; errors?: unknown[] };
      };
      await until(
        'the child instance to listen',
        () => post('{ fleet { term } }').catch(() => null),
        (r) => Boolean(r?.data),
      );
      await post('mutation { createAgent(input: { name: "v", type: "t" }) { id } }');
      const proposal = (
        await post('mutation { proposeConsensus(input: { topic: "orphan", ttlSeconds: 1 }) { id } }')
      ).data!.proposeConsensus!;

      const b = await instance(prefix, 'b');
      const c = await instance(prefix, 'c');
      const first = (await b.ok(Broadcast, { room: 'marker', data: { n: 0 } })).broadcast;
      child.kill('SIGKILL');
      await exited;

      await until(
        'the proposal to expire',
        () => c.ok(GetProposal, { id: proposal.id }),
        (r) => r.proposal?.status === 'EXPIRED',
      );
      const last = (await b.ok(Broadcast, { room: 'marker', data: { n: 1 } })).broadcast;
      // Replay everything between the two markers: one decision, however many instances swept.
      const replay = collect<Ev>(c.ws(), EVENTS, { rooms: ['coordination', 'marker'], since: first.id });
      const events = await until(
        'the replay to reach the marker',
        async () => replay.items,
        (items) => items.some((e) => e.events.id === last.id),
      );
      const decided = events.filter(
        (e) => e.events.type === 'CONSENSUS_DECIDED' && e.events.payload.proposal?.id === proposal.id,
      );
      expect(decided.map((e) => e.events.payload.proposal?.status)).toEqual(['EXPIRED']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
