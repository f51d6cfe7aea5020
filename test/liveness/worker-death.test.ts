/**
 * An agent process dies (SIGKILL) while its connection holds its lease: its work goes back to the
 * queue, it is taken OFFLINE, a leader is replaced, every subscriber sees it once and in order, and
 * the dead worker's late reports are refused. On both engines.
 */
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { useRedisApps } from '../support/redis-apps.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import {
  agentState,
  ALL_EVENTS,
  createAgent,
  SHORT_LEASES,
  startWorker,
  taskState,
  until,
  type SeenEvent,
} from './support.js';

const apps = useRedisApps();
let fleet = 0;
const engines: [string, () => Promise<TestApp>][] = [
  ['memory', () => apps.start(SHORT_LEASES)],
  ['redis', () => apps.onRedis(`death-${++fleet}`, SHORT_LEASES)],
];

/** `n` subscribers to every event, registered (besides `others` subscriptions already open). */
async function subscribers(app: TestApp, n: number, others = 0) {
  const list = Array.from({ length: n }, () => collect<SeenEvent>(app.ws(), ALL_EVENTS));
  await untilSubscribed(
    async () =>
      (
        await app.ok<{ realtimeStats: { activeSubscriptions: number } }, unknown>(
          '{ realtimeStats { activeSubscriptions } }',
        )
      ).realtimeStats,
    n + others,
  );
  return list;
}

async function presenceOf(app: TestApp) {
  const data = await app.ok<{ presence: { agent: { id: string }; connections: unknown[] }[] }, unknown>(
    '{ presence { agent { id } connections { instanceId connectionId } } }',
  );
  return data.presence;
}

describe.each(engines)('a worker killed on the %s engine', (_, start) => {
  it('gets its RUNNING task requeued and reassigned, goes OFFLINE (LEASE_EXPIRED), and every subscriber sees it once, in order', async () => {
    const app = await start();
    const dead = await createAgent(app, 'dead');
    const spare = await createAgent(app, 'spare');
    // The spare is live by heartbeat, with a long lease.
    await app.ok('mutation($id: ID!) { heartbeat(agentId: $id, ttlMs: 60000) { id } }', { id: spare });
    const seen = await subscribers(app, 2);

    const worker = startWorker(app.wsUrl, dead, { WORK_STEP_MS: '600000' });
    try {
      await worker.line(/^ready$/);
      await until(
        () => presenceOf(app),
        (p) => p.some((a) => a.agent.id === dead && a.connections.length === 1),
      );
      const created = await app.ok<{ createTask: { id: string } }, unknown>(
        'mutation { createTask(input: { title: "long job" }) { id } }',
      );
      const task = created.createTask.id;
      await app.ok('mutation($id: ID!, $agent: ID) { assignTask(id: $id, agentId: $agent) { id } }', {
        id: task,
        agent: dead,
      });
      await worker.line(new RegExp(`^started ${task} 1$`));
      expect(await taskState(app, task)).toMatchObject({ status: 'RUNNING', attempt: 1 });

      worker.kill();
      await until(
        () => taskState(app, task),
        (t) => t.status === 'PENDING',
      );
      const gone = await agentState(app, dead);
      expect(gone).toMatchObject({ status: 'OFFLINE', activeTaskCount: 0, leaseState: 'EXPIRED' });

      // Reassigned to the live agent: a new attempt.
      const again = await app.ok<{ assignTask: { attempt: number; assignee: { id: string } } }, unknown>(
        'mutation($id: ID!) { assignTask(id: $id) { attempt assignee { id } } }',
        { id: task },
      );
      expect(again.assignTask).toEqual({ attempt: 2, assignee: { id: spare } });

      // The dead worker's late completion is fenced off and changes nothing.
      const stale = await app.request(
        'mutation($id: ID!) { completeTask(id: $id, result: { late: true }, attempt: 1) { id } }',
        { id: task },
      );
      expect(stale.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'LEASE_LOST',
        attempt: 2,
      });
      expect(await taskState(app, task)).toMatchObject({
        status: 'ASSIGNED',
        attempt: 2,
        assignee: { id: spare },
      });

      const expected = [
        ['TASK_CREATED', null],
        ['TASK_ASSIGNED', null],
        ['TASK_STARTED', null],
        ['AGENT_STATUS_CHANGED', 'LEASE_EXPIRED'],
        ['TASK_REQUEUED', 'LEASE_EXPIRED'],
        ['TASK_ASSIGNED', null],
      ];
      const streams = await Promise.all(seen.map((s) => s.waitFor(expected.length)));
      for (const stream of streams) {
        expect(stream.map((e) => [e.events.type, e.events.payload.reason ?? null])).toEqual(expected);
        expect(new Set(stream.map((e) => e.events.id)).size).toBe(expected.length);
      }
      // Both saw the same events, and nothing more (no second expiry).
      expect(streams[0]!.map((e) => e.events.id)).toEqual(streams[1]!.map((e) => e.events.id));
      const changed = streams[0]![3]!.events.payload;
      expect(changed).toMatchObject({ agent: { id: dead, status: 'OFFLINE' }, previousStatus: 'ACTIVE' });
      expect(streams[0]![4]!.events.payload).toMatchObject({
        previousTaskStatus: 'RUNNING',
        task: { id: task },
      });
      for (const s of seen) expect(s.items).toHaveLength(expected.length);
    } finally {
      worker.kill();
    }
  });

  it('as the leader, is replaced by a new election: one LEADER_ELECTED per term', async () => {
    const app = await start();
    const dead = await createAgent(app, 'leader');
    const spare = await createAgent(app, 'spare');
    await app.ok('mutation($id: ID!) { heartbeat(agentId: $id, ttlMs: 60000) { id } }', { id: spare });
    const worker = startWorker(app.wsUrl, dead);
    try {
      await worker.line(/^ready$/);
      await until(
        () => presenceOf(app),
        (p) => p.some((a) => a.agent.id === dead),
      );
      const seen = await subscribers(app, 2, 1); // the worker's own subscription counts too
      const elected = await app.ok<{ triggerElection: { term: number; leader: { id: string } } }, unknown>(
        'mutation { triggerElection(reason: "boot") { term leader { id } } }',
      );
      expect(elected.triggerElection.leader.id).toBe(dead);

      worker.kill();
      const expected = [
        'ELECTION_TRIGGERED',
        'LEADER_ELECTED',
        'AGENT_STATUS_CHANGED',
        'ELECTION_TRIGGERED',
        'LEADER_ELECTED',
      ];
      for (const stream of await Promise.all(seen.map((s) => s.waitFor(expected.length)))) {
        expect(stream.map((e) => e.events.type)).toEqual(expected);
        const leaders = stream
          .filter((e) => e.events.type === 'LEADER_ELECTED')
          .map((e) => e.events.payload.election);
        expect(leaders).toEqual([
          { term: elected.triggerElection.term, leader: { id: dead } },
          { term: elected.triggerElection.term + 1, leader: { id: spare } },
        ]);
      }
      const leader = await app.ok<{ leader: { id: string } | null }, unknown>('{ leader { id } }');
      expect(leader.leader?.id).toBe(spare);
    } finally {
      worker.kill();
    }
  });
});
