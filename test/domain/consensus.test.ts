import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../src/domain/model.js';
import { expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

/** `n` ACTIVE agents and one PAUSED one, and a proposal among the ACTIVE ones. */
async function ballot(f: Fleet, n: number, input: { threshold?: number; ttlSeconds?: number } = {}) {
  const voters = await withAgents(f, ...Array.from({ length: n }, (_, i) => ({ name: `v${i}` })));
  const [outsider] = await withAgents(f, { name: 'outsider' });
  await f.colony.agents.perform(outsider!.id, 'PAUSE');
  const proposal = await f.colony.consensus.propose({ topic: 'deploy', value: { v: 2 }, ...input });
  f.take();
  return { voters, outsider: outsider!, proposal };
}

describe('proposing', () => {
  it('takes the ACTIVE agents as voters, threshold 0.5 and 60 s by default', async () => {
    const f = fleet();
    const [a, b, paused] = await withAgents(f, { name: 'a' }, { name: 'b' }, { name: 'p' });
    await f.colony.agents.perform(paused!.id, 'PAUSE');
    f.take();
    const proposal = await f.colony.consensus.propose({ topic: 'deploy' });
    expect(proposal).toMatchObject({
      topic: 'deploy',
      value: null,
      status: 'OPEN',
      threshold: 0.5,
      voterIds: [a!.id, b!.id],
      votes: [],
      createdAt: f.clock.now().toISOString(),
      expiresAt: new Date(f.clock.now().getTime() + 60_000).toISOString(),
      decidedAt: null,
    });
    expect(await f.colony.consensus.get(proposal.id)).toEqual(proposal);
    expect(f.take()).toMatchObject([
      {
        type: 'CONSENSUS_PROPOSED',
        rooms: ['coordination'],
        payload: { kind: 'proposal', proposal, vote: null },
      },
    ]);
  });

  it('is CONFLICT NO_VOTERS without an ACTIVE agent', async () => {
    const f = fleet();
    const [a] = await withAgents(f, { name: 'a' });
    await f.colony.agents.perform(a!.id, 'STOP');
    await expectRefused(f, () => f.colony.consensus.propose({ topic: 't' }), 'CONFLICT', 'NO_VOTERS');
  });

  it.each([
    ['an empty topic', { topic: '' }],
    ['a topic over 200 characters', { topic: 'x'.repeat(201) }],
    ['a value over 16 KiB', { topic: 't', value: 'x'.repeat(16 * 1024) }],
    ['threshold 0', { topic: 't', threshold: 0 }],
    ['threshold 1.01', { topic: 't', threshold: 1.01 }],
    ['threshold NaN', { topic: 't', threshold: Number.NaN }],
    ['threshold -0.5', { topic: 't', threshold: -0.5 }],
    ['threshold Infinity', { topic: 't', threshold: Number.POSITIVE_INFINITY }],
    ['ttl 0', { topic: 't', ttlSeconds: 0 }],
    ['ttl over a day', { topic: 't', ttlSeconds: 86_401 }],
    ['a fractional ttl', { topic: 't', ttlSeconds: 1.5 }],
  ])('refuses %s', async (_, input) => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    await expectRefused(f, () => f.colony.consensus.propose(input), 'BAD_USER_INPUT');
  });

  it('accepts threshold 1 and a ttl of a day', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    const p = await f.colony.consensus.propose({ topic: 't', threshold: 1, ttlSeconds: 86_400 });
    expect(p.expiresAt).toBe(new Date(f.clock.now().getTime() + 86_400_000).toISOString());
  });
});

describe('voting', () => {
  it('keeps each vote with the voter as it was, and APPROVES once approvals/voters reach the threshold', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 4);
    const [v0, v1] = voters as [(typeof voters)[0], (typeof voters)[0]];
    const first = await f.colony.consensus.vote(proposal.id, v0.id, true);
    expect(first.status).toBe('OPEN');
    expect(first.votes).toEqual([{ agent: v0, approve: true, at: f.clock.now().toISOString() }]);
    const events = f.take();
    expect(events).toMatchObject([
      {
        type: 'CONSENSUS_VOTED',
        rooms: ['coordination'],
        payload: { proposal: first, vote: first.votes[0] },
      },
    ]);
    f.clock.advance(10);
    const second = await f.colony.consensus.vote(proposal.id, v1.id, true);
    expect(second).toMatchObject({ status: 'APPROVED', decidedAt: f.clock.now().toISOString() });
    expect(f.take()).toMatchObject([
      {
        type: 'CONSENSUS_VOTED',
        payload: { proposal: second, vote: { agent: { id: v1.id }, approve: true } },
      },
      { type: 'CONSENSUS_DECIDED', rooms: ['coordination'], payload: { proposal: second, vote: null } },
    ]);
    expect(await f.colony.consensus.get(proposal.id)).toEqual(second);
  });

  it('REJECTS as soon as the threshold can no longer be reached', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 4, { threshold: 0.75 });
    expect((await f.colony.consensus.vote(proposal.id, voters[0]!.id, false)).status).toBe('OPEN');
    const decided = await f.colony.consensus.vote(proposal.id, voters[1]!.id, false);
    expect(decided.status).toBe('REJECTED');
    expect(f.drain()).toEqual(['CONSENSUS_VOTED', 'CONSENSUS_VOTED', 'CONSENSUS_DECIDED']);
  });

  it('counts approvals against all voters, not votes cast', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 3, { threshold: 0.6 });
    // 1 of 3 is below 0.6 even though every vote cast so far approves.
    expect((await f.colony.consensus.vote(proposal.id, voters[0]!.id, true)).status).toBe('OPEN');
    expect((await f.colony.consensus.vote(proposal.id, voters[1]!.id, true)).status).toBe('APPROVED');
  });

  it('refuses an unknown proposal or agent with NOT_FOUND', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2);
    await expectRefused(f, () => f.colony.consensus.vote('nope', voters[0]!.id, true), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.consensus.vote(proposal.id, 'ghost', true), 'NOT_FOUND');
  });

  it('refuses an agent that was not ACTIVE when proposed: FORBIDDEN NOT_A_VOTER', async () => {
    const f = fleet();
    const { outsider, proposal } = await ballot(f, 2);
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, outsider.id, true),
      'FORBIDDEN',
      'NOT_A_VOTER',
    );
    // Becoming ACTIVE later does not make it a voter, nor does a brand new agent.
    await f.colony.agents.perform(outsider.id, 'RESUME');
    const late = await f.colony.agents.create({ name: 'late', type: 't' });
    f.take();
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, outsider.id, true),
      'FORBIDDEN',
      'NOT_A_VOTER',
    );
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, late.id, true),
      'FORBIDDEN',
      'NOT_A_VOTER',
    );
  });

  it('refuses a second vote by the same voter: CONFLICT ALREADY_VOTED', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 3);
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, false);
    f.take();
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
      'CONFLICT',
      'ALREADY_VOTED',
    );
  });

  it('refuses any vote on a decided proposal with INVALID_TRANSITION', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2);
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, true);
    f.take();
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, voters[1]!.id, true),
      'INVALID_TRANSITION',
    );
  });

  it('takes one of the same vote fired twice at once', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 3, { threshold: 1 });
    const results = await Promise.allSettled([
      f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
      f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'ALREADY_VOTED' },
    });
    expect((await f.colony.consensus.get(proposal.id))?.votes).toHaveLength(1);
    expect(f.drain()).toEqual(['CONSENSUS_VOTED']);
  });

  it('decides once when the deciding votes race', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 4, { threshold: 0.5 });
    await Promise.all(
      voters.map((v) => f.colony.consensus.vote(proposal.id, v.id, true).catch((e: unknown) => e)),
    );
    const after = (await f.colony.consensus.get(proposal.id)) as Proposal;
    expect(after.status).toBe('APPROVED');
    expect(after.votes).toHaveLength(2);
    expect(f.drain()).toEqual(['CONSENSUS_VOTED', 'CONSENSUS_VOTED', 'CONSENSUS_DECIDED']);
  });
});

describe('expiry', () => {
  it('refuses a vote once expiresAt has come, even before any sweep', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2, { ttlSeconds: 10 });
    f.clock.advance(9_999);
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, false);
    f.clock.advance(1);
    f.take();
    await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, voters[1]!.id, true),
      'INVALID_TRANSITION',
    );
  });

  it('expireDue expires only what is due, publishes CONSENSUS_DECIDED, and returns how many', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    const soon = await f.colony.consensus.propose({ topic: 'soon', ttlSeconds: 5 });
    const later = await f.colony.consensus.propose({ topic: 'later', ttlSeconds: 50 });
    f.take();
    expect(await f.colony.consensus.expireDue()).toBe(0);
    f.clock.advance(5_000);
    expect(await f.colony.consensus.expireDue()).toBe(1);
    expect(await f.colony.consensus.get(soon.id)).toMatchObject({
      status: 'EXPIRED',
      decidedAt: f.clock.now().toISOString(),
    });
    expect((await f.colony.consensus.get(later.id))?.status).toBe('OPEN');
    expect(f.take()).toMatchObject([
      {
        type: 'CONSENSUS_DECIDED',
        rooms: ['coordination'],
        payload: { proposal: { id: soon.id, status: 'EXPIRED' } },
      },
    ]);
    expect(await f.colony.consensus.expireDue()).toBe(0);
    expect(f.events).toHaveLength(0);
  });

  it('leaves decided proposals alone', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 1, { ttlSeconds: 1 });
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, true);
    f.clock.advance(5_000);
    expect(await f.colony.consensus.expireDue()).toBe(0);
    expect((await f.colony.consensus.get(proposal.id))?.status).toBe('APPROVED');
  });

  it('two sweeps at once expire each proposal exactly once', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    for (let i = 0; i < 3; i++) await f.colony.consensus.propose({ topic: `p${i}`, ttlSeconds: 1 });
    f.clock.advance(1_000);
    f.take();
    const counts = await Promise.all([f.colony.consensus.expireDue(), f.colony.consensus.expireDue()]);
    expect(counts[0] + counts[1]).toBe(3);
    expect(f.drain()).toEqual(['CONSENSUS_DECIDED', 'CONSENSUS_DECIDED', 'CONSENSUS_DECIDED']);
  });

  it('a late vote racing two sweeps: the vote is refused, the proposal expires once', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 1, { ttlSeconds: 1 });
    f.clock.advance(1_000);
    const [vote, ...sweeps] = await Promise.allSettled([
      f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
      f.colony.consensus.expireDue(),
      f.colony.consensus.expireDue(),
    ]);
    expect(vote).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_TRANSITION' } });
    expect(sweeps.map((r) => (r.status === 'fulfilled' ? r.value : r.reason)).sort()).toEqual([0, 1]);
    expect(f.drain()).toEqual(['CONSENSUS_DECIDED']);
    expect((await f.colony.consensus.get(proposal.id))?.status).toBe('EXPIRED');
  });
});

describe('listing proposals', () => {
  it('filters by status, oldest first', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 1);
    const open = await f.colony.consensus.propose({ topic: 'still open' });
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, true);
    expect((await f.colony.consensus.list({ status: 'OPEN' }, { first: 10 })).items.map((p) => p.id)).toEqual(
      [open.id],
    );
    expect((await f.colony.consensus.list({}, { first: 10 })).items.map((p) => p.id)).toEqual([
      proposal.id,
      open.id,
    ]);
    expect((await f.colony.consensus.list({}, { first: 1 })).hasNextPage).toBe(true);
  });
});
