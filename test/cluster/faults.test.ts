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
  // The setting that keeps "a SIGKILL of Redis loses nothing acknowledged" (see below).
  redis = await startRedis({ appendfsync: 'always' });
});
afterAll(() => redis?.dispose());

let apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
});
let fleet = 0;
async function instance(prefix: string, id: string, env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startApp({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: '500',
    PROPOSAL_SWEEP_MS: '50',
    INSTANCE_ID: id,
    ...env,
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
  /** Acknowledged writes before a SIGKILL of `server`; after it, every one must still be there. */
  async function killAndCheck(server: RedisServer, a: TestApp, beforeKill: () => Promise<void>) {
    const agent = (await a.ok(CreateAgent, { input: { name: 'survivor', type: 't' } })).createAgent;
    const first = (await a.ok(Broadcast, { room: 'k', data: { n: 0 } })).broadcast;
    const acknowledged: string[] = [];
    for (let n = 1; n <= 20; n++)
      acknowledged.push((await a.ok(Broadcast, { room: 'k', data: { n } })).broadcast.id);
    await beforeKill();
    await server.kill();
    await server.restart();
    // Under load the instance may take a while to reconnect, and Redis to load its AOF: retry the
    // read and the next write until they go through, then check what survived.
    const back = await until(
      'a read to succeed',
      () => a.request(GetAgent, { id: agent.id }),
      (r) => !r.errors,
    );
    expect(back.data?.agent?.name).toBe('survivor');
    const last = await until(
      'a write to succeed',
      () => a.request(Broadcast, { room: 'k', data: { n: 21 } }),
      (r) => !r.errors,
    );
    // The log survived too: the first event is still a valid cursor, and the replay holds every
    // acknowledged event after it, then the new one.
    const resumed = collect<Ev>(a.ws(), EVENTS, { rooms: ['k'], since: first.id });
    const replayed = await resumed.waitFor(acknowledged.length + 1);
    expect(replayed.map((e) => e.events.id)).toEqual([...acknowledged, last.data?.broadcast.id]);
  }

  it('keeps every acknowledged write with appendfsync always (SIGKILL of Redis)', async () => {
    // Every write waits for an fsync here: on a busy machine that can take longer than the other
    // tests' 500 ms, and a write refused UNAVAILABLE may still land (not acknowledged, yet logged).
    const a = await instance(`faults-${++fleet}`, 'a', { REDIS_COMMAND_TIMEOUT_MS: '5000' });
    await killAndCheck(redis, a, async () => undefined);
  });

  it('with appendfsync everysec, keeps what Redis has written out of its AOF buffer (SIGKILL of Redis)', async () => {
    // everysec postpones the AOF write itself, for up to 2 s, while a background fsync is running,
    // and answers the client meanwhile: an acknowledged write may still be in Redis' memory only.
    // What it does keep across a SIGKILL is every write that left that buffer (INFO
    // aof_buffer_length 0), which it does at the latest 2 s after the reply.
    const everysec = await startRedis({ appendfsync: 'everysec' });
    try {
      const a = await startApp({
        REDIS_URL: everysec.url,
        REDIS_KEY_PREFIX: `faults-${++fleet}`,
        REDIS_COMMAND_TIMEOUT_MS: '5000',
        INSTANCE_ID: 'a',
      });
      apps.push(a);
      const admin = everysec.client();
      await killAndCheck(everysec, a, async () => {
        await until(
          'the AOF buffer to be written out',
          () => admin.info('persistence'),
          (info) => /aof_buffer_length:0\b/.test(info),
        );
      });
    } finally {
      await Promise.all(apps.splice(0).map((app) => app.stop()));
      await everysec.dispose();
    }
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
