/**
 * A randomized checker: random operations fired concurrently at two instances on one Redis, with a
 * Redis pause in the middle and some requests sent twice with an idempotency key; then every
 * guarantee the README states is checked against the event log and both instances' final state:
 * serial decisions (voters, assignment, elections, state machines, loads), a log that matches the
 * stored records, each subscriber's ids strictly increasing and complete, and a keyed request
 * applied once. Short in `npm test`; COLONY_CHECKER_OPS=2000 (and COLONY_CHECKER_SEED) for longer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareEventIds } from '../../src/domain/events/event-types.js';
import type { Agent, Proposal, Task } from '../../src/domain/model.js';
import { startApp, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { RealtimeStatsQuery } from '../api/operations.js';
import { checkFinalState, checkHistory } from '../engines/history.js';
import { readLog } from './log.js';

const OPS = Number(process.env.COLONY_CHECKER_OPS ?? 150);
const SEED = Number(process.env.COLONY_CHECKER_SEED ?? Date.now() % 1_000_000);
const WORKERS = 6;

/** mulberry32: a small seeded generator, so that a failing run can be repeated. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let redis: RedisServer;
const apps: TestApp[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await redis?.dispose();
});

const EVENTS = `subscription ($rooms: [String!]) { events(rooms: $rooms) { id rooms } }`;
interface Ev {
  events: { id: string; rooms: string[] };
}

interface Result {
  data?: Record<string, { id: string } | null> | null;
  errors?: readonly { extensions?: Record<string, unknown> }[];
}

describe('the randomized two-instance checker', () => {
  it(
    `holds every stated guarantee after ${OPS} random operations and a Redis pause (seed ${SEED})`,
    async () => {
      const rand = random(SEED);
      const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(rand() * list.length)];
      const prefix = 'checker';
      const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '400' };
      const a = await startApp({ ...env, INSTANCE_ID: 'a', PROPOSAL_SWEEP_MS: '100' });
      apps.push(a);
      const b = await startApp({ ...env, INSTANCE_ID: 'b', PROPOSAL_SWEEP_MS: '100' });
      apps.push(b);
      const subscribers = [
        { c: collect<Ev>(a.ws(), EVENTS, {}), rooms: null },
        { c: collect<Ev>(b.ws(), EVENTS, {}), rooms: null },
        {
          c: collect<Ev>(b.ws(), EVENTS, { rooms: ['agents', 'coordination', 'c1'] }),
          rooms: ['agents', 'coordination', 'c1'],
        },
      ];
      await untilSubscribed(async () => (await a.ok(RealtimeStatsQuery)).realtimeStats, 1);
      await untilSubscribed(async () => (await b.ok(RealtimeStatsQuery)).realtimeStats, 2);

      const agents: string[] = [];
      const tasks: string[] = [];
      const proposals: string[] = [];
      const auto = new Set<string>();
      const keyed: { name: string; results: Result[] }[] = [];
      const internal: string[] = [];
      let n = 0;

      const send = async (query: string, variables: Record<string, unknown> = {}, key?: string) => {
        const app = rand() < 0.5 ? a : b;
        const res = await fetch(app.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        const result = (await res.json()) as Result;
        for (const e of result.errors ?? [])
          if (
            ![
              'BAD_USER_INPUT',
              'NOT_FOUND',
              'INVALID_TRANSITION',
              'CONFLICT',
              'FORBIDDEN',
              'UNAVAILABLE',
            ].includes(String(e.extensions?.code))
          )
            internal.push(`${query}: ${JSON.stringify(e)}`);
        return result;
      };
      const idOf = (r: Result) => Object.values(r.data ?? {})[0]?.id;

      const operations: (() => Promise<unknown>)[] = [
        async () => {
          const name = `agent-${++n}`;
          const caps = rand() < 0.5 ? '["x"]' : '[]';
          const query = `mutation { createAgent(input: { name: "${name}", type: "t", capabilities: ${caps} }) { id } }`;
          if (rand() < 0.3) {
            // Sent twice with one key (the copy possibly on the other instance): applied once.
            const key = `k-${SEED}-${n}`;
            const results = await Promise.all([send(query, {}, key), send(query, {}, key)]);
            keyed.push({ name, results });
            for (const r of results) if (idOf(r)) agents.push(idOf(r)!);
          } else {
            const id = idOf(await send(query));
            if (id) agents.push(id);
          }
        },
        async () =>
          send('mutation ($id: ID!, $a: AgentAction!) { performAgentAction(id: $id, action: $a) { id } }', {
            id: pick(agents) ?? 'none',
            a: pick(['PAUSE', 'RESUME', 'STOP', 'START', 'PAUSE', 'RESUME']),
          }),
        async () => {
          if (rand() < 0.1)
            await send('mutation ($id: ID!) { deleteAgent(id: $id) { id } }', { id: pick(agents) ?? 'none' });
        },
        async () => {
          const caps = rand() < 0.3 ? '["x"]' : '[]';
          const id = idOf(
            await send(
              `mutation { createTask(input: { title: "t", requiredCapabilities: ${caps} }) { id } }`,
            ),
          );
          if (id) {
            tasks.push(id);
            if (rand() < 0.6) auto.add(id);
          }
        },
        async () => {
          const id = pick(tasks) ?? 'none';
          if (auto.has(id)) await send('mutation ($id: ID!) { assignTask(id: $id) { id } }', { id });
          else
            await send('mutation ($id: ID!, $a: ID) { assignTask(id: $id, agentId: $a) { id } }', {
              id,
              a: pick(agents) ?? 'none',
            });
        },
        async () => send('mutation ($id: ID!) { startTask(id: $id) { id } }', { id: pick(tasks) ?? 'none' }),
        async () =>
          send(
            `mutation ($id: ID!) { ${pick(['completeTask(id: $id)', 'failTask(id: $id, error: "e")', 'cancelTask(id: $id)'])} { id } }`,
            {
              id: pick(tasks) ?? 'none',
            },
          ),
        async () => {
          const id = idOf(
            await send('mutation { proposeConsensus(input: { topic: "t", ttlSeconds: 1 }) { id } }'),
          );
          if (id) proposals.push(id);
        },
        async () =>
          send(
            'mutation ($p: ID!, $a: ID!, $v: Boolean!) { castVote(proposalId: $p, agentId: $a, approve: $v) { id } }',
            {
              p: pick(proposals) ?? 'none',
              a: pick(agents) ?? 'none',
              v: rand() < 0.6,
            },
          ),
        async () => send('mutation { triggerElection(reason: "checker") { id } }'),
        async () =>
          send('mutation ($r: String!) { broadcast(room: $r, data: 1) { id } }', { r: pick(['c1', 'c2']) }),
      ];

      let done = 0;
      const worker = async () => {
        while (done < OPS) {
          done++;
          await pick(operations)!();
        }
      };
      const pause = (async () => {
        while (done < OPS / 2) await new Promise((resolve) => setTimeout(resolve, 20));
        redis.freeze();
        await new Promise((resolve) => setTimeout(resolve, 800));
        redis.thaw();
      })();
      await Promise.all([...Array.from({ length: WORKERS }, worker), pause]);

      // Quiesce: every proposal expired or decided (the sweepers would change them while we read),
      // then a marker in a room every subscriber watches, and wait for each to have it.
      for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
        const open = await a.ok<{ proposals: { edges: unknown[] } }, unknown>(
          '{ proposals(status: OPEN, first: 1) { edges { cursor } } }',
        );
        if (!open.proposals.edges.length) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const marker = await a.ok<{ broadcast: { id: string } }, unknown>(
        'mutation { broadcast(room: "c1", data: "end") { id } }',
      );
      const log = await readLog(redis, prefix);
      const violations: string[] = [...internal];
      const { violations: history, state } = checkHistory(log, { autoAssigned: auto });
      violations.push(...history);

      for (const [i, { c, rooms }] of subscribers.entries()) {
        const deadline = Date.now() + 20_000;
        while (!c.items.some((e) => e.events.id === marker.broadcast.id) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const ids = c.items.map((e) => e.events.id);
        ids.forEach((id, j) => {
          if (j > 0 && compareEventIds(ids[j - 1]!, id) >= 0)
            violations.push(`subscriber ${i}: ${id} after ${ids[j - 1]}`);
        });
        const expected = log
          .filter((e) => !rooms || e.rooms.some((r) => rooms.includes(r)))
          .map((e) => e.id)
          .filter(
            (id) =>
              ids[0] && compareEventIds(id, ids[0]) >= 0 && compareEventIds(id, marker.broadcast.id) <= 0,
          );
        if (JSON.stringify(ids) !== JSON.stringify(expected))
          violations.push(`subscriber ${i}: got ${ids.length} events, the log has ${expected.length} for it`);
      }

      for (const app of [a, b]) {
        const all = async <T>(field: string, selection: string): Promise<T[]> => {
          const out: T[] = [];
          let after: string | null = null;
          for (;;) {
            const page: Record<
              string,
              { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string } }
            > = await app.ok(
              // 40 a page: a proposal's `votes` are priced at their cap of 100 (GRAPHQL_MAX_COST).
              `query ($after: String) { ${field}(first: 40, after: $after) { edges { node { ${selection} } } pageInfo { hasNextPage endCursor } } }`,
              {
                after,
              },
            );
            const conn = page[field]!;
            out.push(...conn.edges.map((e) => e.node));
            if (!conn.pageInfo.hasNextPage) return out;
            after = conn.pageInfo.endCursor;
          }
        };
        const final = {
          agents: await all<Agent>('agents', 'id status activeTaskCount'),
          tasks: (
            await all<Task & { assignee: { id: string } | null }>('tasks', 'id status assignee { id }')
          ).map((t) => ({
            ...t,
            assigneeId: t.assignee?.id ?? null,
          })),
          proposals: await all<Proposal>('proposals', 'id status votes { approve }'),
        };
        violations.push(...checkFinalState(state, final, app === a ? 'instance a' : 'instance b'));
        const fleet = await app.ok<{ fleet: { term: number; leader: { id: string } | null } }, unknown>(
          '{ fleet { term leader { id } } }',
        );
        if (fleet.fleet.term !== state.term)
          violations.push(`term ${fleet.fleet.term}, the log says ${state.term}`);
        if (fleet.fleet.leader && fleet.fleet.leader.id !== state.leaderId)
          violations.push(`leader ${fleet.fleet.leader.id}, the log says ${state.leaderId}`);
      }

      for (const { name, results } of keyed) {
        const created = log.filter(
          (e) => e.type === 'AGENT_CREATED' && (e.payload as { agent: Agent }).agent.name === name,
        );
        if (created.length > 1)
          violations.push(`${name}: a keyed create was applied ${created.length} times`);
        const ids = new Set(results.map(idOf).filter(Boolean));
        if (ids.size > 1) violations.push(`${name}: the two answers to one key differ`);
      }

      expect(violations, `seed ${SEED}`).toEqual([]);
      expect(log.length).toBeGreaterThan(OPS / 4);
    },
    60_000 + OPS * 100,
  );
});
