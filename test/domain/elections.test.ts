import { describe, expect, it } from 'vitest';
import type { Election } from '../../src/domain/model.js';
import { expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

async function coordination(f: Fleet) {
  return (await f.engine.store.get('coordination', 'fleet'))?.doc ?? null;
}

describe('triggering an election', () => {
  it('opens term 1, elects the least loaded then oldest ACTIVE agent, and keeps candidate snapshots', async () => {
    const f = fleet();
    const [old, mid, young, paused] = await withAgents(
      f,
      { name: 'old' },
      { name: 'mid' },
      { name: 'young' },
      { name: 'p' },
    );
    await f.colony.agents.perform(paused!.id, 'PAUSE');
    const task = await f.colony.tasks.create({ title: 't' });
    await f.colony.tasks.assign(task.id, old!.id);
    f.take();
    f.clock.advance(1000);

    const election = await f.colony.elections.trigger('boot');
    expect(election).toMatchObject({
      term: 1,
      reason: 'boot',
      leaderId: mid!.id,
      startedAt: f.clock.now().toISOString(),
      decidedAt: f.clock.now().toISOString(),
    });
    // Candidates in the order of the rule, as they were; the paused agent is not one.
    expect(election.candidates.map((c) => [c.name, c.activeTaskCount])).toEqual([
      ['mid', 0],
      ['young', 0],
      ['old', 1],
    ]);
    expect((await f.colony.elections.leader())?.id).toBe(mid!.id);
    expect(await coordination(f)).toMatchObject({ term: 1, leaderId: mid!.id, electionId: election.id });

    const events = f.take();
    expect(events.map((e) => [e.type, e.rooms])).toEqual([
      ['ELECTION_TRIGGERED', ['coordination']],
      ['LEADER_ELECTED', ['coordination']],
    ]);
    expect(events[0]?.payload).toEqual({
      kind: 'election',
      election: { ...election, leaderId: null, decidedAt: null },
    });
    expect(events[1]?.payload).toEqual({ kind: 'election', election });

    // History keeps the snapshot even when the agents change later.
    await f.colony.agents.update(young!.id, { name: 'renamed' });
    const [stored] = (await f.colony.elections.list({ first: 10 })).items;
    expect(stored?.candidates.map((c) => c.name)).toEqual(['mid', 'young', 'old']);
  });

  it('counts terms up and lists elections oldest first', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    const terms: Election[] = [];
    for (let i = 0; i < 3; i++) terms.push(await f.colony.elections.trigger(`round ${i}`));
    expect(terms.map((e) => e.term)).toEqual([1, 2, 3]);
    const page = await f.colony.elections.list({ first: 2 });
    expect(page.items.map((e) => e.term)).toEqual([1, 2]);
    expect(page.hasNextPage).toBe(true);
    const rest = await f.colony.elections.list({ first: 2, after: terms[1]!.id });
    expect(rest.items.map((e) => e.term)).toEqual([3]);
    expect(rest).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('takes no reason, and refuses one over 500 characters', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    expect((await f.colony.elections.trigger()).reason).toBeNull();
    await expectRefused(f, () => f.colony.elections.trigger('x'.repeat(501)), 'BAD_USER_INPUT');
  });

  it('without an ACTIVE agent is CONFLICT NO_CANDIDATE and consumes no term', async () => {
    const f = fleet();
    const [a] = await withAgents(f, { name: 'a' });
    await f.colony.elections.trigger();
    await f.colony.agents.perform(a!.id, 'STOP');
    f.take();
    await expectRefused(f, () => f.colony.elections.trigger('again'), 'CONFLICT', 'NO_CANDIDATE');
    await f.colony.agents.perform(a!.id, 'START');
    expect((await f.colony.elections.trigger()).term).toBe(2);
  });

  it('before any election there is no leader, and a refused one creates no coordination record', async () => {
    const f = fleet();
    expect(await f.colony.elections.leader()).toBeNull();
    await expectRefused(f, () => f.colony.elections.trigger(), 'CONFLICT', 'NO_CANDIDATE');
    expect(await coordination(f)).toBeNull();
    expect((await f.colony.system.fleet()).term).toBe(0);
  });

  it('two triggers at once get distinct, consecutive terms', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' }, { name: 'b' });
    f.take();
    const elections = await Promise.all([
      f.colony.elections.trigger('one'),
      f.colony.elections.trigger('two'),
      f.colony.elections.trigger('three'),
    ]);
    expect(elections.map((e) => e.term).sort()).toEqual([1, 2, 3]);
    expect((await coordination(f))?.term).toBe(3);
    expect(f.drain()).toEqual(Array(3).fill(['ELECTION_TRIGGERED', 'LEADER_ELECTED']).flat());
  });
});

describe('leader failover', () => {
  it.each([
    ['PAUSE', 'was paused'],
    ['STOP', 'was stopped'],
  ] as const)('runs exactly one election when the leader gets %s', async (action, why) => {
    const f = fleet();
    const [leader, next] = await withAgents(f, { name: 'boss' }, { name: 'next' });
    await f.colony.elections.trigger();
    f.take();
    await f.colony.agents.perform(leader!.id, action);
    const events = f.take();
    expect(events.map((e) => e.type)).toEqual([
      'AGENT_ACTION',
      'AGENT_STATUS_CHANGED',
      'ELECTION_TRIGGERED',
      'LEADER_ELECTED',
    ]);
    expect(events.at(-1)?.payload).toMatchObject({
      election: { term: 2, leaderId: next!.id, reason: `leader boss (${leader!.id}) ${why}` },
    });
    expect((await f.colony.elections.leader())?.id).toBe(next!.id);
    expect((await f.colony.elections.list({ first: 10 })).items).toHaveLength(2);
  });

  it('runs exactly one election when the leader is deleted', async () => {
    const f = fleet();
    const [leader, next] = await withAgents(f, { name: 'boss' }, { name: 'next' });
    await f.colony.elections.trigger();
    f.take();
    await f.colony.agents.delete(leader!.id);
    expect(f.drain()).toEqual(['AGENT_DELETED', 'ELECTION_TRIGGERED', 'LEADER_ELECTED']);
    const election = (await f.colony.elections.list({ first: 10 })).items.at(-1);
    expect(election).toMatchObject({
      term: 2,
      leaderId: next!.id,
      reason: `leader boss (${leader!.id}) was deleted`,
    });
    expect(election?.candidates.map((c) => c.id)).toEqual([next!.id]);
  });

  it('elects by the same rule, counting the leaving leader’s requeued work out', async () => {
    const f = fleet();
    const [leader, busy, idle] = await withAgents(f, { name: 'boss' }, { name: 'busy' }, { name: 'idle' });
    const task = await f.colony.tasks.create({ title: 't' });
    await f.colony.tasks.assign(task.id, busy!.id);
    await f.colony.elections.trigger();
    expect((await f.colony.elections.leader())?.id).toBe(leader!.id);
    await f.colony.agents.perform(leader!.id, 'PAUSE');
    expect((await f.colony.elections.leader())?.id).toBe(idle!.id);
  });

  it('clears the leader without an election or a term when nobody is left', async () => {
    const f = fleet();
    const [only] = await withAgents(f, { name: 'only' });
    await f.colony.elections.trigger();
    f.take();
    await f.colony.agents.perform(only!.id, 'PAUSE');
    expect(f.drain()).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
    expect(await coordination(f)).toMatchObject({ term: 1, leaderId: null });
    expect(await f.colony.elections.leader()).toBeNull();
    expect((await f.colony.system.fleet()).term).toBe(1);
    await f.colony.agents.perform(only!.id, 'RESUME');
    expect((await f.colony.elections.trigger()).term).toBe(2);
  });

  it('does nothing when an agent other than the leader leaves, or the leader is STOPped while PAUSED', async () => {
    const f = fleet();
    const [leader, other] = await withAgents(f, { name: 'boss' }, { name: 'other' });
    await f.colony.elections.trigger();
    f.take();
    await f.colony.agents.perform(other!.id, 'PAUSE');
    await f.colony.agents.delete(other!.id);
    expect(f.drain()).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED', 'AGENT_DELETED']);
    expect((await f.colony.elections.leader())?.id).toBe(leader!.id);
    // The leader pauses (nobody to succeed it), then stops: no second attempt.
    await f.colony.agents.perform(leader!.id, 'PAUSE');
    await f.colony.agents.perform(leader!.id, 'STOP');
    expect(f.drain()).toEqual([
      'AGENT_ACTION',
      'AGENT_STATUS_CHANGED',
      'AGENT_ACTION',
      'AGENT_STATUS_CHANGED',
    ]);
  });

  it('runs once when the leader is paused twice at once', async () => {
    const f = fleet();
    const [leader] = await withAgents(f, { name: 'boss' }, { name: 'b' }, { name: 'c' });
    await f.colony.elections.trigger();
    f.take();
    const results = await Promise.allSettled([
      f.colony.agents.perform(leader!.id, 'PAUSE'),
      f.colony.agents.perform(leader!.id, 'PAUSE'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(f.drain().filter((t) => t === 'LEADER_ELECTED')).toHaveLength(1);
    expect((await coordination(f))?.term).toBe(2);
  });

  it('never leaves a non-ACTIVE leader when the leader and its successor leave at once', async () => {
    const f = fleet();
    const [leader, successor] = await withAgents(f, { name: 'boss' }, { name: 'successor' });
    await f.colony.elections.trigger();
    await Promise.all([
      f.colony.agents.perform(leader!.id, 'PAUSE'),
      f.colony.agents.perform(successor!.id, 'STOP'),
    ]);
    expect(await coordination(f)).toMatchObject({ leaderId: null });
  });

  it('a trigger racing the leader’s PAUSE never elects a PAUSED agent', async () => {
    const f = fleet();
    const [leader] = await withAgents(f, { name: 'boss' });
    await f.colony.elections.trigger();
    const results = await Promise.allSettled([
      f.colony.elections.trigger('race'),
      f.colony.agents.perform(leader!.id, 'PAUSE'),
    ]);
    expect(results[1].status).toBe('fulfilled');
    expect(await coordination(f)).toMatchObject({ leaderId: null });
  });
});
