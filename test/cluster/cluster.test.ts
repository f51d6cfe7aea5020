/**
 * Two Colony instances on one private redis-server, as behind a load balancer: they must act as
 * one server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import {
  AssignTask,
  Broadcast,
  CastVote,
  CreateAgent,
  CreateTask,
  GetAgent,
  Leadership,
  PerformAgentAction,
  ProposeConsensus,
  RealtimeStatsQuery,
  StartTask,
  TriggerElection,
} from '../api/operations.js';

const EVENTS = `subscription ($rooms: [String!], $since: ID) {
  events(rooms: $rooms, since: $since) { id type source payload { ... on CustomEventPayload { data } } }
}`;
interface Ev {
  events: { id: string; type: string; source: string; payload: { data?: unknown } };
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.dispose());

let fleet = 0;
let apps: TestApp[] = [];
/** Two instances of one fleet (a key prefix of its own per test). */
async function pair(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const prefix = `cluster-${++fleet}`;
  const common = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '500', ...env };
  const a = await startApp({ ...common, INSTANCE_ID: 'instance-a' });
  const b = await startApp({ ...common, INSTANCE_ID: 'instance-b' });
  apps.push(a, b);
  return [a, b];
}
afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
});

const stats = (t: TestApp) => async () => (await t.ok(RealtimeStatsQuery)).realtimeStats;
const localSubs = (t: TestApp) => async () => ({
  activeSubscriptions: t.app.engine.name === 'redis' ? (await stats(t)()).activeSubscriptions : 0,
});
const say = (t: TestApp, room: string, n: number) => t.ok(Broadcast, { room, data: { n } });
const numbers = (items: Ev[]) => items.map((e) => (e.events.payload.data as { n: number }).n);

describe('two instances on one Redis', () => {
  it('share every record: what one writes, the other reads', async () => {
    const [a, b] = await pair();
    const agent = (await a.ok(CreateAgent, { input: { name: 'shared', type: 't' } })).createAgent;
    expect((await b.ok(GetAgent, { id: agent.id })).agent).toEqual(agent);
    await b.ok(PerformAgentAction, { id: agent.id, action: 'PAUSE' });
    expect((await a.ok(GetAgent, { id: agent.id })).agent?.status).toBe('PAUSED');
  });

  it("deliver an event published on one to the other's subscribers, exactly once", async () => {
    const [a, b] = await pair();
    const onB = collect<Ev>(b.ws(), EVENTS, { rooms: ['x', 'y'] });
    const onA = collect<Ev>(a.ws(), EVENTS, {});
    await untilSubscribed(localSubs(b), 2);
    await say(a, 'x', 1);
    await a.ok(Broadcast, { room: 'y', data: { n: 2 } });
    await say(b, 'x', 3);
    expect(numbers(await onB.waitFor(3))).toEqual([1, 2, 3]);
    expect(numbers(await onA.waitFor(3))).toEqual([1, 2, 3]);
    await say(a, 'x', 4);
    expect(numbers(await onB.waitFor(4))).toEqual([1, 2, 3, 4]);
    expect(onB.items.map((e) => e.events.source)).toEqual([
      'instance-a',
      'instance-a',
      'instance-b',
      'instance-a',
    ]);
  });

  it('add up their figures in realtimeStats', async () => {
    const [a, b] = await pair();
    collect<Ev>(a.ws(), EVENTS, { rooms: ['r'] });
    collect<Ev>(b.ws(), EVENTS, { rooms: ['r'] });
    await untilSubscribed(stats(a), 2);
    const figures = await stats(b)();
    expect(figures.activeConnections).toBe(2);
    expect(figures.rooms).toContainEqual({ room: 'r', subscribers: 2 });
  });

  it('let exactly one of two racing requests win, with no stray event', async () => {
    const [a, b] = await pair();
    const watcher = collect<Ev>(a.ws(), EVENTS, { rooms: ['tasks', 'coordination'] });
    await untilSubscribed(stats(a), 1);
    const x = (await a.ok(CreateAgent, { input: { name: 'x', type: 't' } })).createAgent;
    const y = (await b.ok(CreateAgent, { input: { name: 'y', type: 't' } })).createAgent;
    const task = (await a.ok(CreateTask, { input: { title: 'contested' } })).createTask;

    const assigns = await Promise.all([
      a.request(AssignTask, { id: task.id, agentId: x.id }),
      b.request(AssignTask, { id: task.id, agentId: y.id }),
    ]);
    expect(assigns.filter((r) => !r.errors)).toHaveLength(1);
    expect(assigns.flatMap(codes)).toEqual(['INVALID_TRANSITION']);

    const starts = await Promise.all([
      a.request(StartTask, { id: task.id }),
      b.request(StartTask, { id: task.id }),
    ]);
    expect(starts.filter((r) => !r.errors)).toHaveLength(1);
    expect(starts.flatMap(codes)).toEqual(['INVALID_TRANSITION']);

    const proposal = (await a.ok(ProposeConsensus, { input: { topic: 'p', threshold: 1 } })).proposeConsensus;
    const votes = await Promise.all([
      a.request(CastVote, { proposalId: proposal.id, agentId: x.id, approve: true }),
      b.request(CastVote, { proposalId: proposal.id, agentId: x.id, approve: true }),
    ]);
    expect(votes.filter((r) => !r.errors)).toHaveLength(1);
    expect(votes.flatMap(codes)).toEqual(['CONFLICT']);

    const elections = await Promise.all([a.ok(TriggerElection, {}), b.ok(TriggerElection, {})]);
    expect(elections.map((e) => e.triggerElection.term).sort()).toEqual([1, 2]);
    const leadership = await b.ok(Leadership);
    expect(leadership.fleet.term).toBe(2);
    expect(leadership.elections.edges.map((e) => e.node?.leader?.id)).toHaveLength(2);

    // TASK_CREATED, one ASSIGNED, one STARTED, PROPOSED, one VOTED, 2 × (TRIGGERED + ELECTED).
    const seen = await watcher.waitFor(9);
    expect(seen.map((e) => e.events.type)).toEqual([
      'TASK_CREATED',
      'TASK_ASSIGNED',
      'TASK_STARTED',
      'CONSENSUS_PROPOSED',
      'CONSENSUS_VOTED',
      'ELECTION_TRIGGERED',
      'LEADER_ELECTED',
      'ELECTION_TRIGGERED',
      'LEADER_ELECTED',
    ]);
    await say(a, 'tasks', 0);
    await watcher.waitFor(10);
    expect(watcher.items).toHaveLength(10);
  });

  it('resume on the other instance with since: exactly the missed events, in order', async () => {
    const [a, b] = await pair();
    const first = collect<Ev>(a.ws(), EVENTS, { rooms: ['resume'] });
    await untilSubscribed(stats(a), 1);
    for (let i = 1; i <= 3; i++) await say(a, 'resume', i);
    const seen = await first.waitFor(3);
    first.unsubscribe(); // the client loses instance A
    for (let i = 4; i <= 8; i++) await say(i % 2 ? a : b, 'resume', i);
    const resumed = collect<Ev>(b.ws(), EVENTS, { rooms: ['resume'], since: seen.at(-1)!.events.id });
    expect(numbers(await resumed.waitFor(5))).toEqual([4, 5, 6, 7, 8]);
    await say(a, 'resume', 9);
    expect(numbers(await resumed.waitFor(6))).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('resume with since while the other instance keeps publishing: no gap, no repeat', async () => {
    const [a, b] = await pair();
    const first = (await say(a, 'seam', 0)).broadcast;
    for (let i = 1; i <= 20; i++) await say(a, 'seam', i);
    let n = 21;
    let publishing = true;
    const writer = (async () => {
      while (publishing) await say(a, 'seam', n++);
    })();
    const resumed = collect<Ev>(b.ws(), EVENTS, { rooms: ['seam'], since: first.id });
    await resumed.waitFor(40);
    publishing = false;
    await writer;
    const total = n - 1;
    expect(numbers(await resumed.waitFor(total))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('lose nothing when Redis cuts the pub/sub connection', async () => {
    const [a, b] = await pair();
    const onB = collect<Ev>(b.ws(), EVENTS, { rooms: ['cut'] });
    await untilSubscribed(stats(b), 1);
    await say(a, 'cut', 1);
    await onB.waitFor(1);
    const admin = redis.client();
    await admin.client('KILL', 'TYPE', 'pubsub');
    for (let i = 2; i <= 10; i++) await say(a, 'cut', i);
    expect(numbers(await onB.waitFor(10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('refuse a since older than what is retained', async () => {
    const [a, b] = await pair({ EVENT_RETENTION: '5' });
    const old = (await say(a, 'r', 0)).broadcast;
    for (let i = 1; i <= 10; i++) await say(a, 'r', i);
    const sub = collect<Ev>(b.ws(), EVENTS, { since: old.id });
    await sub.ended;
    expect(sub.items).toEqual([]);
    expect(JSON.stringify(sub.errors)).toContain('CURSOR_EXPIRED');
  });
});
