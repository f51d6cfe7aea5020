/**
 * Two instances on one Redis, both sweeping: every expiry happens exactly once, a renewal racing
 * the sweep lands either before it or is refused after it, a rolling restart within the grace loses
 * no lease, and an instance whose clock is an hour off changes nothing (Redis TIME decides).
 */
import { describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestApp } from '../support/app.js';
import { useRedisApps } from '../support/redis-apps.js';
import { collect, untilSubscribed, type Collected } from '../support/subscriptions.js';
import { agentState, createAgent, until } from './support.js';

const apps = useRedisApps();
let fleet = 0;

// Leases long enough that a busy test machine does not let a live one run out, short enough to be quick.
const LEASE_MS = 1000;
const GRACE_MS = 1500;
const FAST = {
  AGENT_LEASE_MS: String(LEASE_MS),
  AGENT_LEASE_MIN_MS: '100',
  AGENT_LEASE_GRACE_MS: String(GRACE_MS),
  LEASE_SWEEP_MS: '10',
  MUTATION_RATE_PER_S: '100000',
  MUTATION_BURST: '100000',
};

async function pair(env: Record<string, string> = {}, clocks: { b?: { now(): Date } } = {}) {
  const prefix = `lease-cluster-${++fleet}`;
  const a = await apps.onRedis(prefix, { ...FAST, INSTANCE_ID: 'instance-a', ...env });
  const b = await apps.onRedis(prefix, { ...FAST, INSTANCE_ID: 'instance-b', ...env }, { clock: clocks.b });
  return [a, b] as const;
}

interface StatusEvent {
  events: {
    id: string;
    type: string;
    payload: { agent?: { id: string }; task?: { id: string }; reason?: string | null };
  };
}

/** A subscriber on `app` to the status changes and requeues, registered before it returns. */
async function watch(app: TestApp): Promise<Collected<StatusEvent>> {
  const before = await subscriptions(app);
  const seen = collect<StatusEvent>(
    app.ws(),
    `subscription {
      events(rooms: ["agents", "tasks"], types: [AGENT_STATUS_CHANGED, TASK_REQUEUED]) {
        id type payload {
          ... on AgentEventPayload { agent { id } reason }
          ... on TaskEventPayload { task { id } reason }
        }
      }
    }`,
  );
  await untilSubscribed(async () => ({ activeSubscriptions: await subscriptions(app) }), before + 1);
  return seen;
}

async function subscriptions(app: TestApp): Promise<number> {
  const data = await app.ok<{ realtimeStats: { activeSubscriptions: number } }, unknown>(
    '{ realtimeStats { activeSubscriptions } }',
  );
  return data.realtimeStats.activeSubscriptions;
}

const HEARTBEAT =
  'mutation($id: ID!, $ttl: Int) { heartbeat(agentId: $id, ttlMs: $ttl) { status leaseState leaseExpiresAt } }';

type Beat = { heartbeat: { status: string; leaseState: string; leaseExpiresAt: string } };

async function offlineCount(app: TestApp): Promise<number> {
  const data = await app.ok<{ fleet: { agentsByStatus: { status: string; count: number }[] } }, unknown>(
    '{ fleet { agentsByStatus { status count } } }',
  );
  return data.fleet.agentsByStatus.find((s) => s.status === 'OFFLINE')?.count ?? 0;
}

describe('two instances sweeping one fleet', { timeout: 120_000 }, () => {
  it('take 200 agents for dead exactly once each, with renewals racing the sweep either before it or refused after it', async () => {
    const [a, b] = await pair();
    const both = [a, b];
    const n = 200;
    const ids: string[] = [];
    for (let i = 0; i < n; i += 50) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => createAgent(both[j % 2]!, `agent-${i + j}`)),
        )),
      );
    }
    // A quarter of them hold a RUNNING task when they die.
    const tasks = new Map<string, string>();
    await Promise.all(
      ids.slice(0, n / 4).map(async (agentId, i) => {
        const app = both[i % 2]!;
        const t = await app.ok<{ createTask: { id: string } }, unknown>(
          'mutation { createTask(input: { title: "t" }) { id } }',
        );
        await app.ok('mutation($id: ID!, $a: ID) { assignTask(id: $id, agentId: $a) { id } }', {
          id: t.createTask.id,
          a: agentId,
        });
        await app.ok('mutation($id: ID!) { startTask(id: $id, attempt: 1) { id } }', { id: t.createTask.id });
        tasks.set(t.createTask.id, agentId);
      }),
    );
    const seen = [await watch(a), await watch(b)];
    const violations: string[] = [];
    const outcomes = { before: 0, after: 0 };
    const rounds = 3;

    for (let round = 0; round < rounds; round++) {
      // Every agent holds a 1 s lease: the first round by heartbeat, the next by START.
      const leases = await Promise.all(
        ids.map(async (id, i) => {
          const app = both[i % 2]!;
          if (round === 0)
            return (await app.ok<Beat, unknown>(HEARTBEAT, { id, ttl: 1000 })).heartbeat.leaseExpiresAt;
          await app.ok('mutation($id: ID!) { performAgentAction(id: $id, action: START) { id } }', { id });
          return (await agentState(app, id))!.leaseExpiresAt!;
        }),
      );
      // Aim each agent's renewals at its deadline, from 600 ms before to 100 ms after it (a busy
      // instance answers late), so that some land before the sweep and some after; each fired twice
      // at once, through both instances.
      const aimAt = (i: number) => Date.parse(leases[i]!) - 600 + ((i * 37) % 701);
      const renewed = new Map<string, string>();
      await Promise.all(
        ids.flatMap((id, i) =>
          both.map(async (app) => {
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, aimAt(i) - Date.now())));
            const result = await app.request<Beat, unknown>(HEARTBEAT, { id });
            const error = result.errors?.[0]?.extensions;
            if (!error) {
              outcomes.before++;
              const beat = result.data!.heartbeat;
              if (beat.status !== 'ACTIVE') violations.push(`${id}: renewed while ${beat.status}`);
              const latest = renewed.get(id);
              if (!latest || latest < beat.leaseExpiresAt) renewed.set(id, beat.leaseExpiresAt);
            } else if (
              error.code === 'CONFLICT' &&
              ['LEASE_EXPIRED', 'AGENT_OFFLINE'].includes(String(error.reason))
            ) {
              outcomes.after++;
            } else violations.push(`${id}: renewal failed with ${JSON.stringify(error)}`);
          }),
        ),
      );
      // Nobody renews any more: every agent is taken for dead, once.
      await until(
        () => offlineCount(a),
        (count) => count === n,
        30_000,
      );
      // Each round's expiries, the requeues of round 1, and the STARTs of the rounds after it.
      const expiries = n * (round + 1);
      const streams = await Promise.all(seen.map((s) => s.waitFor(expiries + tasks.size + n * round)));
      for (const stream of streams) {
        const perAgent = new Map<string, number>();
        /** When each agent was last taken for dead: its event id's ms, on Redis's clock (XADD). */
        const expiredAt = new Map<string, number>();
        for (const e of stream) {
          if (e.events.type !== 'AGENT_STATUS_CHANGED' || e.events.payload.reason !== 'LEASE_EXPIRED')
            continue;
          perAgent.set(e.events.payload.agent!.id, (perAgent.get(e.events.payload.agent!.id) ?? 0) + 1);
          expiredAt.set(e.events.payload.agent!.id, Number(e.events.id.split('-')[0]));
        }
        // A renewal that landed is never overtaken by the expiry: on the one clock, the agent was
        // taken for dead only once the renewed deadline had passed.
        for (const [id, latest] of renewed) {
          if ((expiredAt.get(id) ?? 0) < Date.parse(latest))
            violations.push(`${id}: taken for dead at ${expiredAt.get(id)}, renewed until ${latest}`);
        }
        for (const id of ids)
          if (perAgent.get(id) !== round + 1)
            violations.push(`${id} expired ${perAgent.get(id) ?? 0} times by round ${round + 1}`);
        const requeued = stream
          .filter((e) => e.events.type === 'TASK_REQUEUED')
          .map((e) => e.events.payload.task!.id);
        if (requeued.length !== tasks.size || new Set(requeued).size !== tasks.size)
          violations.push(`requeues: ${requeued.length}`);
      }
      expect(streams[0]!.map((e) => e.events.id)).toEqual(streams[1]!.map((e) => e.events.id));
      // The lease ended at or after the last renewal that landed, and the agent is OFFLINE.
      const finals = await Promise.all(ids.map((id, i) => agentState(both[i % 2]!, id)));
      finals.forEach((state, i) => {
        const id = ids[i]!;
        if (state?.status !== 'OFFLINE' || state.leaseState !== 'EXPIRED')
          violations.push(`${id}: ${JSON.stringify(state)}`);
        const latest = renewed.get(id);
        if (latest && state!.leaseExpiresAt! < latest)
          violations.push(`${id}: expired at ${state!.leaseExpiresAt}, renewed to ${latest}`);
      });
    }
    for (const s of seen) {
      const expired = s.items.filter((e) => e.events.payload.reason === 'LEASE_EXPIRED');
      expect(expired.filter((e) => e.events.type === 'AGENT_STATUS_CHANGED')).toHaveLength(n * rounds);
      // Nothing else was published: the STARTs of rounds 2 and 3 and the requeues of round 1.
      expect(s.items).toHaveLength(n * rounds + tasks.size + n * (rounds - 1));
    }
    expect(violations).toEqual([]);
    // Both kinds of outcome are allowed; together they are every renewal fired.
    expect(outcomes.before + outcomes.after).toBe(n * 2 * rounds);
  });

  it('keep a lease across a rolling restart of the instance holding its connection, reconnecting within the grace', async () => {
    const [a, b] = await pair();
    const agentId = await createAgent(a, 'steady');
    const seen = await watch(b);
    let aUp = true;
    const client: Client = createClient({
      url: () => (aUp ? a.wsUrl : b.wsUrl),
      webSocketImpl: WebSocket,
      lazy: false,
      connectionParams: { agentId },
      retryAttempts: Infinity,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 20)),
    });
    try {
      const holders = async () =>
        (
          await b.ok<
            {
              presence: {
                agent: { id: string };
                lastSeenAt: string;
                connections: { instanceId: string }[];
              }[];
            },
            unknown
          >('{ presence { agent { id } lastSeenAt connections { instanceId } } }')
        ).presence.find((p) => p.agent.id === agentId);
      await until(holders, (p) => p?.connections[0]?.instanceId === 'instance-a');
      aUp = false;
      const stoppedAt = Date.now();
      await a.stop();
      // Held from instance b now, and renewed well past when it would have run out without it.
      const after = await until(
        holders,
        (p) =>
          p?.connections.length === 1 &&
          p.connections[0]!.instanceId === 'instance-b' &&
          Date.parse(p.lastSeenAt) > stoppedAt + GRACE_MS + LEASE_MS,
      );
      expect(after).toBeDefined();
      expect(await agentState(b, agentId)).toMatchObject({ status: 'ACTIVE', leaseState: 'HELD' });
      expect(seen.items).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('decide expiry by Redis TIME, whatever an instance clock says (one an hour ahead)', async () => {
    const skewed = { now: () => new Date(Date.now() + 3_600_000) };
    const [a, b] = await pair({}, { b: skewed });
    const agentId = await createAgent(b, 'skewed');
    const seen = await watch(a);
    // Renewed through both instances for three lease periods: never taken for dead.
    const started = Date.now();
    let beats = 0;
    while (Date.now() - started < 3 * LEASE_MS) {
      const beat = await [a, b][beats++ % 2]!.ok<Beat, unknown>(HEARTBEAT, { id: agentId, ttl: LEASE_MS });
      // The deadline is on Redis's clock, not on the skewed instance's.
      expect(Math.abs(Date.parse(beat.heartbeat.leaseExpiresAt) - (Date.now() + LEASE_MS))).toBeLessThan(
        5_000,
      );
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 10));
    }
    expect(seen.items).toEqual([]);
    // Then it stops: taken for dead once, though one sweeper thinks an hour has passed already.
    await until(
      () => agentState(a, agentId),
      (s) => s?.status === 'OFFLINE',
    );
    const [expiry] = await seen.waitFor(1);
    expect(expiry!.events.payload.reason).toBe('LEASE_EXPIRED');
    expect(seen.items).toHaveLength(1);
  });
});

describe('presence while Redis is away', () => {
  it('closes a connection naming an agent with 1013 (try again later), and holds the lease once Redis is back', async () => {
    const [a] = await pair();
    const agentId = await createAgent(a, 'patient');
    const connect = () => {
      const socket = new WebSocket(a.wsUrl, 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      const acked = new Promise<boolean>((resolve) => {
        socket.once('message', () => resolve(true));
        socket.once('close', () => resolve(false));
      });
      socket.once('open', () =>
        socket.send(JSON.stringify({ type: 'connection_init', payload: { agentId } })),
      );
      return { socket, closed, acked };
    };
    await apps.redis.stop();
    try {
      const refused = connect();
      expect(await refused.closed).toBe(1013);
    } finally {
      await apps.redis.restart();
    }
    const held = await until(
      async () => {
        const c = connect();
        if (await c.acked) return c;
        await c.closed;
        return null;
      },
      (c) => c !== null,
    );
    await until(
      () => agentState(a, agentId),
      (s) => s?.leaseState === 'HELD',
    );
    held!.socket.close();
  });
});
