/**
 * Decisions over a set, raced from two instances on one Redis: a proposal's voters while agents are
 * created and paused elsewhere, and auto-assignment while the candidates and their loads change.
 * Every trial fires its requests at once; afterwards the whole event log must read as a serial
 * history (test/engines/history.ts), with zero violations.
 */
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { useRedisApps } from '../support/redis-apps.js';
import { checkHistory } from '../engines/history.js';
import { readLog } from './log.js';

const TRIALS = Number(process.env.COLONY_RACE_TRIALS ?? 30);

const fleet = useRedisApps();
let fleets = 0;
async function pair() {
  const prefix = `races-${++fleets}`;
  const start = (id: string) => fleet.onRedis(prefix, { INSTANCE_ID: id });
  return { prefix, a: await start('a'), b: await start('b') };
}

type Gql = <R = Record<string, { id: string }>>(
  query: string,
  variables?: Record<string, unknown>,
) => Promise<R>;
const gql =
  (app: TestApp): Gql =>
  async (query, variables) => {
    const r = await app.request<never, unknown>(query, variables);
    if (r.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
      throw new Error(`internal error: ${JSON.stringify(r.errors)}`);
    return (r.data ?? {}) as never;
  };

const CREATE = 'mutation ($n: String!) { createAgent(input: { name: $n, type: "t" }) { id } }';
const ACT = 'mutation ($id: ID!, $a: AgentAction!) { performAgentAction(id: $id, action: $a) { id } }';

describe('a proposal raced with changes to who is ACTIVE, from two instances', () => {
  it(`lists exactly the agents ACTIVE at its place in the log (${TRIALS} trials)`, async () => {
    const { prefix, a, b } = await pair();
    const onA = gql(a);
    const onB = gql(b);
    const active: string[] = [];
    for (let i = 0; i < 3; i++) active.push((await onA(CREATE, { n: `seed-${i}` })).createAgent!.id);
    const paused: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const toPause = active.shift()!;
      const toResume = paused.shift();
      const [, created] = await Promise.all([
        onA('mutation { proposeConsensus(input: { topic: "t" }) { id } }'),
        onB(CREATE, { n: `t${trial}` }),
        onB(ACT, { id: toPause, a: 'PAUSE' }),
        toResume ? onB(ACT, { id: toResume, a: 'RESUME' }) : null,
      ]);
      paused.push(toPause);
      if (toResume) active.push(toResume);
      active.push(created.createAgent!.id);
    }
    const { violations } = checkHistory(await readLog(fleet.redis, prefix));
    expect(violations).toEqual([]);
  });
});

describe('auto-assignment raced with changes to the candidates, from two instances', () => {
  it(`picks the least-loaded ACTIVE agent at its place in the log (${TRIALS} trials)`, async () => {
    const { prefix, a, b } = await pair();
    const onA = gql(a);
    const onB = gql(b);
    const agents: string[] = [];
    for (let i = 0; i < 3; i++) agents.push((await onA(CREATE, { n: `seed-${i}` })).createAgent!.id);
    const auto = new Set<string>();
    const running: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const tasks: string[] = [];
      for (let i = 0; i < 2; i++) {
        const id = (await onA('mutation { createTask(input: { title: "t" }) { id } }')).createTask!.id;
        tasks.push(id);
        auto.add(id);
      }
      const victim = agents[trial % agents.length]!;
      const done = running.shift();
      const results = await Promise.all([
        ...tasks.map((id) => onA('mutation ($id: ID!) { assignTask(id: $id) { id assigneeId } }', { id })),
        onB(CREATE, { n: `t${trial}` }),
        onB(ACT, { id: victim, a: trial % 2 ? 'RESUME' : 'PAUSE' }),
        done ? onB('mutation ($id: ID!) { completeTask(id: $id) { id } }', { id: done }) : null,
      ]);
      agents.push((results[2] as { createAgent: { id: string } }).createAgent.id);
      // Start what was assigned, so that loads differ and a completion can lower one next time.
      for (const id of tasks) {
        const started = await onA<{ startTask?: { id: string } }>(
          'mutation ($id: ID!) { startTask(id: $id) { id } }',
          {
            id,
          },
        );
        if (started.startTask) running.push(id);
      }
    }
    const { violations } = checkHistory(await readLog(fleet.redis, prefix), { autoAssigned: auto });
    expect(violations).toEqual([]);
  });
});
