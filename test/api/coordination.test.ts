import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import {
  AssignTask,
  CastVote,
  CreateAgent,
  CreateTask,
  DeleteAgent,
  GetProposal,
  Leadership,
  PerformAgentAction,
  ProposeConsensus,
  RealtimeStatsQuery,
  TriggerElection,
} from './operations.js';

let t: TestApp;
beforeEach(async () => {
  await t?.stop();
  t = await startApp({ PROPOSAL_SWEEP_MS: '20' });
});
afterAll(() => t.stop());

const published = async () => (await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished;
const agent = async (name: string) =>
  (await t.ok(CreateAgent, { input: { name, type: 'voter' } })).createAgent;

describe('elections', () => {
  it('refuses an election without candidates and consumes no term', async () => {
    const result = await t.request(TriggerElection, { reason: 'boot' });
    expect(codes(result)).toEqual(['CONFLICT']);
    expect(result.errors?.[0]?.extensions?.reason).toBe('NO_CANDIDATE');
    expect((await t.ok(Leadership)).fleet.term).toBe(0);
    await agent('a');
    expect((await t.ok(TriggerElection, {})).triggerElection.term).toBe(1);
  });

  it('elects the ACTIVE agent with the fewest active tasks, then the oldest', async () => {
    const a = await agent('a');
    const b = await agent('b');
    const c = await agent('c');
    await t.ok(PerformAgentAction, { id: c.id, action: 'PAUSE' });
    const first = (await t.ok(TriggerElection, { reason: 'boot' })).triggerElection;
    expect(first).toMatchObject({ term: 1, reason: 'boot', leader: { id: a.id } });
    expect(first.candidates.map((x) => x.id)).toEqual([a.id, b.id]);
    const x = (await t.ok(CreateTask, { input: { title: 'x' } })).createTask;
    await t.ok(AssignTask, { id: x.id, agentId: a.id });
    const second = (await t.ok(TriggerElection, {})).triggerElection;
    expect(second).toMatchObject({ term: 2, leader: { id: b.id } });
    expect((await t.ok(Leadership)).leader?.id).toBe(b.id);
  });

  it('fails over by itself, once, when the leader is paused, stopped or deleted', async () => {
    const a = await agent('a');
    const b = await agent('b');
    const c = await agent('c');
    await t.ok(TriggerElection, {});
    await t.ok(PerformAgentAction, { id: a.id, action: 'PAUSE' });
    let state = await t.ok(Leadership);
    expect(state.leader?.id).toBe(b.id);
    expect(state.fleet.term).toBe(2);
    expect(state.elections.edges.at(-1)?.node?.reason).toBe(`leader a (${a.id}) was paused`);
    await t.ok(PerformAgentAction, { id: b.id, action: 'STOP' });
    await t.ok(DeleteAgent, { id: c.id });
    state = await t.ok(Leadership);
    // b stopped → c elected (term 3); c deleted → nobody ACTIVE: leader cleared, no term consumed.
    expect(state.fleet.term).toBe(3);
    expect(state.leader).toBeNull();
    expect(state.elections.edges.map((e) => e.node?.reason)).toEqual([
      null,
      `leader a (${a.id}) was paused`,
      `leader b (${b.id}) was stopped`,
    ]);
  });

  it('gives racing elections distinct terms, one leader each', async () => {
    await agent('a');
    const results = await Promise.all(Array.from({ length: 4 }, () => t.ok(TriggerElection, {})));
    expect(results.map((r) => r.triggerElection.term).sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('consensus', () => {
  it('approves as soon as approvals reach the threshold', async () => {
    const [a, b, c] = [await agent('a'), await agent('b'), await agent('c')];
    const p = (await t.ok(ProposeConsensus, { input: { topic: 'deploy', value: { v: 2 }, threshold: 0.6 } }))
      .proposeConsensus;
    expect(p).toMatchObject({ status: 'OPEN', threshold: 0.6, approvalRate: 0, value: { v: 2 } });
    expect((await t.ok(CastVote, { proposalId: p.id, agentId: a.id, approve: true })).castVote.status).toBe(
      'OPEN',
    );
    const decided = (await t.ok(CastVote, { proposalId: p.id, agentId: b.id, approve: true })).castVote;
    expect(decided.status).toBe('APPROVED');
    expect(decided.approvalRate).toBeCloseTo(2 / 3);
    expect(codes(await t.request(CastVote, { proposalId: p.id, agentId: c.id, approve: true }))).toEqual([
      'INVALID_TRANSITION',
    ]);
  });

  it('rejects as soon as approval can no longer happen', async () => {
    const [a, b, c] = [await agent('a'), await agent('b'), await agent('c')];
    const p = (await t.ok(ProposeConsensus, { input: { topic: 'x', threshold: 1 } })).proposeConsensus;
    await t.ok(CastVote, { proposalId: p.id, agentId: a.id, approve: true });
    expect((await t.ok(CastVote, { proposalId: p.id, agentId: b.id, approve: false })).castVote.status).toBe(
      'REJECTED',
    );
    void c;
  });

  it('refuses a second vote, a non-voter, and unknown ids', async () => {
    const a = await agent('a');
    const p = (await t.ok(ProposeConsensus, { input: { topic: 'x', threshold: 1 } })).proposeConsensus;
    const late = await agent('late'); // not ACTIVE when proposed: not a voter
    const before = await published();
    const notVoter = await t.request(CastVote, { proposalId: p.id, agentId: late.id, approve: true });
    expect(codes(notVoter)).toEqual(['FORBIDDEN']);
    expect(notVoter.errors?.[0]?.extensions?.reason).toBe('NOT_A_VOTER');
    expect(codes(await t.request(CastVote, { proposalId: 'nope', agentId: a.id, approve: true }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await t.request(CastVote, { proposalId: p.id, agentId: 'nope', approve: true }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(await published()).toBe(before);
    const q = (await t.ok(ProposeConsensus, { input: { topic: 'y', threshold: 1 } })).proposeConsensus;
    const results = await Promise.all([
      t.request(CastVote, { proposalId: q.id, agentId: a.id, approve: false }),
      t.request(CastVote, { proposalId: q.id, agentId: a.id, approve: false }),
    ]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    const loser = results.find((r) => r.errors);
    // The loser sees the winner's vote (CONFLICT) or its decision (INVALID_TRANSITION): never both win.
    expect(['CONFLICT', 'INVALID_TRANSITION']).toContain(codes(loser!)[0]);
  });

  it('refuses a proposal nobody could vote on, and bad limits', async () => {
    const none = await t.request(ProposeConsensus, { input: { topic: 'x' } });
    expect(codes(none)).toEqual(['CONFLICT']);
    expect(none.errors?.[0]?.extensions?.reason).toBe('NO_VOTERS');
    await agent('a');
    for (const input of [
      { topic: '' },
      { topic: 'x', threshold: 0 },
      { topic: 'x', threshold: 1.01 },
      { topic: 'x', ttlSeconds: 0 },
      { topic: 'x', ttlSeconds: 86_401 },
    ]) {
      expect(codes(await t.request(ProposeConsensus, { input }))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('expires an open proposal at expiresAt, by the timer', async () => {
    await agent('a');
    const p = (await t.ok(ProposeConsensus, { input: { topic: 'soon', ttlSeconds: 1 } })).proposeConsensus;
    for (let i = 0; i < 100; i++) {
      const { proposal } = await t.ok(GetProposal, { id: p.id });
      if (proposal?.status === 'EXPIRED') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const state = await t.ok(GetProposal, { id: p.id });
    expect(state.proposal?.status).toBe('EXPIRED');
    expect(state.proposals.edges.map((e) => e.node?.id)).toEqual([p.id]);
  });
});
