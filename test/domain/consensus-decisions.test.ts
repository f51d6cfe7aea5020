/** What a vote records about the decision, and what a late vote is told. */
import { describe, expect, it } from 'vitest';
import { expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

async function ballot(f: Fleet, n: number, input: { threshold?: number; ttlSeconds?: number } = {}) {
  const voters = await withAgents(f, ...Array.from({ length: n }, (_, i) => ({ name: `v${i}` })));
  const proposal = await f.colony.consensus.propose({ topic: 'deploy', ...input });
  f.take();
  return { voters, proposal };
}

describe('a vote that decides nothing', () => {
  it('leaves the proposal OPEN with no decidedAt, in the answer, the store and the event', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 3, { threshold: 1 });
    f.clock.advance(1_000);
    const voted = await f.colony.consensus.vote(proposal.id, voters[0]!.id, true);
    expect(voted).toMatchObject({ status: 'OPEN', decidedAt: null });
    expect(await f.colony.consensus.get(proposal.id)).toEqual(voted);
    expect(f.take()).toMatchObject([
      { type: 'CONSENSUS_VOTED', payload: { proposal: { status: 'OPEN', decidedAt: null } } },
    ]);
  });
});

describe('a vote that decides', () => {
  it.each([
    ['APPROVED', true],
    ['REJECTED', false],
  ] as const)('stamps decidedAt with the time of the %s vote', async (status, approve) => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 1);
    f.clock.advance(2_500);
    const decided = await f.colony.consensus.vote(proposal.id, voters[0]!.id, approve);
    expect(decided).toMatchObject({ status, decidedAt: f.clock.now().toISOString() });
    expect(decided.decidedAt).not.toBe(proposal.createdAt);
  });
});

describe('a late vote', () => {
  it('on an expired proposal is INVALID_TRANSITION with status EXPIRED', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2, { ttlSeconds: 10 });
    f.clock.advance(10_000);
    const error = await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
      'INVALID_TRANSITION',
    );
    expect(error.details).toEqual({ status: 'EXPIRED' });
    expect(error.message).toContain('EXPIRED');
  });

  it('one millisecond before expiry is still taken', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2, { ttlSeconds: 10 });
    f.clock.advance(9_999);
    expect((await f.colony.consensus.vote(proposal.id, voters[0]!.id, true)).votes).toHaveLength(1);
  });

  it.each([
    ['APPROVED', true],
    ['REJECTED', false],
  ] as const)('on a proposal already %s names that status', async (status, approve) => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2, { threshold: 0.5 });
    // One approval of two reaches 0.5; one rejection of two leaves it reachable, so reject twice.
    await f.colony.consensus.vote(proposal.id, voters[0]!.id, approve);
    if (!approve) await f.colony.consensus.vote(proposal.id, voters[1]!.id, approve);
    expect((await f.colony.consensus.get(proposal.id))?.status).toBe(status);
    const late = await f.colony.agents.create({ name: 'late', type: 't' });
    f.take();
    const error = await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, approve ? voters[1]!.id : late.id, true),
      'INVALID_TRANSITION',
    );
    expect(error.details).toEqual({ status });
  });

  it('on a proposal swept to EXPIRED names EXPIRED', async () => {
    const f = fleet();
    const { voters, proposal } = await ballot(f, 2, { ttlSeconds: 1 });
    f.clock.advance(1_000);
    expect(await f.colony.consensus.expireDue()).toBe(1);
    const error = await expectRefused(
      f,
      () => f.colony.consensus.vote(proposal.id, voters[0]!.id, true),
      'INVALID_TRANSITION',
    );
    expect(error.details).toEqual({ status: 'EXPIRED' });
  });
});
