import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_SETTINGS } from '../../src/domain/liveness/lease-service.js';
import { errorOf, expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

const lease = async (f: Fleet, id: string) => (await f.engine.store.get('lease', id))?.doc ?? null;

/** An agent holding a 1 s lease, and the clock past its deadline when `expire` is called. */
async function leased(f: Fleet, name: string) {
  const [agent] = await withAgents(f, { name });
  await f.colony.liveness.heartbeat(agent!.id, 1000);
  return agent!;
}

describe('a lease', () => {
  it('begins with the first heartbeat and is renewed by the next, on the engine clock', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    expect(await lease(f, agent!.id)).toBeNull();
    const start = f.clock.now().getTime();
    await f.colony.liveness.heartbeat(agent!.id, 2000);
    expect(await lease(f, agent!.id)).toMatchObject({
      state: 'HELD',
      ttlMs: 2000,
      expiresAt: new Date(start + 2000).toISOString(),
      lastSeenAt: new Date(start).toISOString(),
      holders: [],
    });
    f.clock.advance(1500);
    // Without a TTL the renewal keeps the one the agent asked for.
    await f.colony.liveness.heartbeat(agent!.id);
    expect((await lease(f, agent!.id))?.expiresAt).toBe(new Date(start + 3500).toISOString());
    // A heartbeat publishes nothing: it is not news for subscribers.
    expect(f.drain()).toEqual(['AGENT_CREATED']);
  });

  it('refuses a TTL out of bounds, an unknown agent and an OFFLINE one, changing nothing', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    await expectRefused(f, () => f.colony.liveness.heartbeat(agent!.id, 10), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.liveness.heartbeat(agent!.id, 1.5e6), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.liveness.heartbeat('nobody'), 'NOT_FOUND');
    await f.colony.agents.perform(agent!.id, 'STOP');
    await expectRefused(f, () => f.colony.liveness.heartbeat(agent!.id), 'CONFLICT', 'AGENT_OFFLINE');
  });

  it('is over at its deadline: a renewal then is refused even before any sweep ran', async () => {
    const f = fleet();
    const agent = await leased(f, 'a');
    f.clock.advance(999);
    await f.colony.liveness.heartbeat(agent.id);
    f.clock.advance(1000);
    const error = await expectRefused(
      f,
      () => f.colony.liveness.heartbeat(agent.id),
      'CONFLICT',
      'LEASE_EXPIRED',
    );
    expect(error.message).toMatch(/ran out/);
  });

  it('is never swept while it holds, and an agent that never held one never expires', async () => {
    const f = fleet();
    const agent = await leased(f, 'a');
    await withAgents(f, { name: 'no lease' }); // advances the clock by 1 ms
    f.clock.advance(998);
    expect(await f.colony.liveness.expireDue()).toBe(0);
    f.clock.advance(3600_000);
    f.take();
    expect(await f.colony.liveness.expireDue()).toBe(1);
    const agents = await f.colony.agents.list({}, { first: 10 });
    expect(agents.items.map((a) => [a.name, a.status])).toEqual([
      ['a', 'OFFLINE'],
      ['no lease', 'ACTIVE'],
    ]);
    expect((await lease(f, agent.id))?.state).toBe('EXPIRED');
  });
});

describe('presence', () => {
  it('lists the live agents oldest first, a page at a time, leaving out a lease past its deadline', async () => {
    const f = fleet();
    const agents = await withAgents(f, ...Array.from({ length: 250 }, (_, i) => ({ name: `a${i}` })));
    // The first holds a short lease that will have run out; the rest hold long ones.
    await f.colony.liveness.heartbeat(agents[0]!.id, 1000);
    for (const agent of agents.slice(1)) await f.colony.liveness.heartbeat(agent.id, 60_000);
    f.clock.advance(1000);
    const ids = agents.slice(1).map((a) => a.id);
    const first = await f.colony.liveness.presence({ first: 100 });
    expect(first.map((p) => p.agent.id)).toEqual(ids.slice(0, 100));
    const rest = [];
    for (let after = first.at(-1)!.agent.id; ;) {
      const page = await f.colony.liveness.presence({ first: 100, after });
      rest.push(...page.map((p) => p.agent.id));
      if (page.length < 100) break;
      after = page.at(-1)!.agent.id;
    }
    expect(rest).toEqual(ids.slice(100));
    expect(await f.colony.liveness.countLive()).toBe(249);
    const refused = await errorOf(f.colony.liveness.presence({ first: 101 }));
    expect(refused.code).toBe('BAD_USER_INPUT');
  });
});

describe('an expiry', () => {
  it('makes the agent OFFLINE, requeues its work, elects a leader and drops its vote, in one commit, in that order', async () => {
    const f = fleet();
    const dead = await leased(f, 'dead');
    const [other, third] = await withAgents(f, { name: 'other' }, { name: 'third' });
    await f.colony.elections.trigger('boot');
    expect((await f.colony.elections.leader())?.id).toBe(dead.id);
    const proposal = await f.colony.consensus.propose({ topic: 'go', threshold: 0.5 });
    await f.colony.consensus.vote(proposal.id, other!.id, true);
    const running = await f.colony.tasks.create({ title: 'running' });
    await f.colony.tasks.assign(running.id, dead.id);
    await f.colony.tasks.start(running.id);
    const assigned = await f.colony.tasks.create({ title: 'assigned' });
    await f.colony.tasks.assign(assigned.id, dead.id);
    f.take();
    f.clock.advance(1000);

    expect(await f.colony.liveness.expireDue()).toBe(1);
    const events = f.take();
    expect(events.map((e) => e.type)).toEqual([
      'AGENT_STATUS_CHANGED',
      'TASK_REQUEUED',
      'TASK_REQUEUED',
      'ELECTION_TRIGGERED',
      'LEADER_ELECTED',
      'CONSENSUS_DECIDED',
    ]);
    // One commit: every event carries the same timestamp and consecutive ids.
    expect(new Set(events.map((e) => e.timestamp)).size).toBe(1);
    const [changed, r1, r2, , elected, decided] = events;
    expect(changed?.payload).toMatchObject({
      agent: { id: dead.id, status: 'OFFLINE', activeTaskCount: 0 },
      previousStatus: 'ACTIVE',
      action: null,
      reason: 'LEASE_EXPIRED',
    });
    for (const requeued of [r1, r2]) {
      expect(requeued?.payload).toMatchObject({
        task: { status: 'PENDING', assigneeId: null },
        reason: 'LEASE_EXPIRED',
      });
    }
    expect(elected?.payload).toMatchObject({ election: { term: 2, leaderId: other!.id } });
    // Voters other (approved) and third: one approval of two voters meets 0.5.
    expect(decided?.payload).toMatchObject({
      proposal: { id: proposal.id, status: 'APPROVED', voterIds: [other!.id, third!.id] },
    });
    // Exactly once: a second sweep finds nothing to do.
    expect(await f.colony.liveness.expireDue()).toBe(0);
    expect(f.take()).toEqual([]);
  });

  it('takes a PAUSED agent too, and keeps a vote it already cast', async () => {
    const f = fleet();
    const [a, b] = await withAgents(f, { name: 'a' }, { name: 'b' });
    const voter = await leased(f, 'voter');
    const proposal = await f.colony.consensus.propose({ topic: 'go', threshold: 1 });
    await f.colony.consensus.vote(proposal.id, voter.id, true);
    await f.colony.agents.perform(voter.id, 'PAUSE');
    f.take();
    f.clock.advance(1000);
    expect(await f.colony.liveness.expireDue()).toBe(1);
    const [changed, ...rest] = f.take();
    expect(changed?.payload).toMatchObject({ previousStatus: 'PAUSED', reason: 'LEASE_EXPIRED' });
    expect(rest).toEqual([]);
    expect((await f.colony.consensus.get(proposal.id))?.voterIds).toEqual([a!.id, b!.id, voter.id]);
  });

  it('expires a proposal whose every voter is gone', async () => {
    const f = fleet();
    const only = await leased(f, 'only');
    const proposal = await f.colony.consensus.propose({ topic: 'go' });
    f.clock.advance(1000);
    await f.colony.liveness.expireDue();
    expect(await f.colony.consensus.get(proposal.id)).toMatchObject({ status: 'EXPIRED', voterIds: [] });
    expect(only.id).toBeTruthy();
  });

  it('leaves no leader when nobody live is left, without consuming a term', async () => {
    const f = fleet();
    const a = await leased(f, 'a');
    const b = await leased(f, 'b');
    await f.colony.elections.trigger('boot');
    f.clock.advance(1000);
    f.take();
    expect(await f.colony.liveness.expireDue()).toBe(2);
    expect(f.drain()).toEqual(['AGENT_STATUS_CHANGED', 'AGENT_STATUS_CHANGED']);
    expect(await f.colony.elections.leader()).toBeNull();
    expect((await f.engine.store.get('coordination', 'fleet'))?.doc.term).toBe(1);
    expect([a.id, b.id]).toHaveLength(2);
  });
});

describe('live agents in decisions', () => {
  it('leaves an agent whose lease ran out (not yet swept) out of assignment, elections and quorums', async () => {
    const f = fleet();
    const stale = await leased(f, 'stale');
    const [live] = await withAgents(f, { name: 'live' });
    f.clock.advance(1000);
    const task = await f.colony.tasks.create({ title: 't' });
    expect((await f.colony.tasks.assign(task.id)).assigneeId).toBe(live!.id);
    expect((await f.colony.elections.trigger('x')).leaderId).toBe(live!.id);
    expect((await f.colony.consensus.propose({ topic: 't' })).voterIds).toEqual([live!.id]);
    const other = await f.colony.tasks.create({ title: 'u' });
    await expectRefused(f, () => f.colony.tasks.assign(other.id, stale.id), 'CONFLICT', 'LEASE_EXPIRED');
  });
});

describe('fencing with Task.attempt', () => {
  it('numbers each assignment and refuses a stale worker with LEASE_LOST, changing nothing', async () => {
    const f = fleet();
    const dead = await leased(f, 'dead');
    const [next] = await withAgents(f, { name: 'next' });
    const task = await f.colony.tasks.create({ title: 't' });
    expect(task.attempt).toBe(0);
    const first = await f.colony.tasks.assign(task.id, dead.id);
    expect(first.attempt).toBe(1);
    await f.colony.tasks.start(task.id, { attempt: 1 });
    await f.colony.tasks.reportProgress(task.id, 0.5, 'half', { attempt: 1 });
    f.clock.advance(1000);
    await f.colony.liveness.expireDue();

    // Requeued, not yet reassigned: the old attempt holds nothing.
    await expectRefused(
      f,
      () => f.colony.tasks.complete(task.id, { done: true }, { attempt: 1 }),
      'CONFLICT',
      'LEASE_LOST',
    );
    const second = await f.colony.tasks.assign(task.id, next!.id);
    expect(second.attempt).toBe(2);
    await f.colony.tasks.start(task.id, { attempt: 2 });
    for (const stale of [
      () => f.colony.tasks.complete(task.id, { done: true }, { attempt: 1 }),
      () => f.colony.tasks.reportProgress(task.id, 0.9, null, { attempt: 1 }),
      () => f.colony.tasks.fail(task.id, 'boom', { attempt: 1 }),
    ]) {
      const error = await expectRefused(f, stale, 'CONFLICT', 'LEASE_LOST');
      expect(error.details).toMatchObject({ attempt: 2, status: 'RUNNING' });
    }
    expect((await f.colony.tasks.complete(task.id, { done: true }, { attempt: 2 })).status).toBe('COMPLETED');
    await expectRefused(f, () => f.colony.tasks.complete(task.id, null, { attempt: 0 }), 'BAD_USER_INPUT');
  });
});

describe("an agent's own report", () => {
  it('is taken for its own tasks only, refused FORBIDDEN for another agent, changing nothing', async () => {
    const f = fleet();
    const [mine, theirs] = await withAgents(f, { name: 'mine' }, { name: 'theirs' });
    const task = await f.colony.tasks.create({ title: 't' });
    await f.colony.tasks.assign(task.id, mine!.id);
    await expectRefused(
      f,
      () => f.colony.tasks.start(task.id, { attempt: 1, agentId: theirs!.id }),
      'FORBIDDEN',
      'NOT_THIS_AGENT',
    );
    expect((await f.colony.tasks.start(task.id, { attempt: 1, agentId: mine!.id })).status).toBe('RUNNING');
  });
});

describe('coming back', () => {
  it('needs an explicit START after an expiry, which gives a fresh lease', async () => {
    const f = fleet();
    const agent = await leased(f, 'a');
    f.clock.advance(1000);
    await f.colony.liveness.expireDue();
    const error = await errorOf(f.colony.liveness.heartbeat(agent.id));
    expect(error.details['reason']).toBe('LEASE_EXPIRED');
    await f.colony.agents.perform(agent.id, 'START');
    expect(await lease(f, agent.id)).toMatchObject({
      state: 'HELD',
      expiresAt: new Date(f.clock.now().getTime() + 1000).toISOString(),
    });
    await f.colony.liveness.heartbeat(agent.id);
  });

  it('releases the lease of an agent stopped on request, and deletes it with the agent', async () => {
    const f = fleet();
    const agent = await leased(f, 'a');
    await f.colony.agents.perform(agent.id, 'STOP');
    expect((await lease(f, agent.id))?.state).toBe('RELEASED');
    f.clock.advance(5000);
    expect(await f.colony.liveness.expireDue()).toBe(0);
    await f.colony.agents.delete(agent.id);
    expect(await lease(f, agent.id)).toBeNull();
  });
});

describe('presence by connection', () => {
  const holder = (n: number) => ({ instanceId: 'i1', connectionId: `c${n}` });

  it('drops a connection its instance stopped renewing (the instance died), and a close then starts the grace', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    await f.colony.liveness.attach(agent!.id, { instanceId: 'dead', connectionId: 'c0' }, 3000);
    f.clock.advance(1000);
    await f.colony.liveness.attach(agent!.id, holder(1));
    expect((await lease(f, agent!.id))?.holders.map((h) => h.connectionId)).toEqual(['c0', 'c1']);
    expect((await f.colony.liveness.presence({ first: 100 }))[0]?.lease.holders).toHaveLength(2);
    // Three seconds without a renewal for c0: stale, in presence at once and on the next renewal.
    f.clock.advance(2000);
    expect(
      (await f.colony.liveness.presence({ first: 100 }))[0]?.lease.holders.map((h) => h.connectionId),
    ).toEqual(['c1']);
    await f.colony.liveness.detach(agent!.id, holder(1));
    expect(await lease(f, agent!.id)).toMatchObject({
      holders: [],
      expiresAt: new Date(f.clock.now().getTime() + DEFAULT_LEASE_SETTINGS.graceMs).toISOString(),
    });
  });

  it('holds the lease while a connection does, and ends it a grace period after the last closes', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    const grace = DEFAULT_LEASE_SETTINGS.graceMs;
    await f.colony.liveness.attach(agent!.id, holder(1));
    await f.colony.liveness.attach(agent!.id, holder(2));
    expect((await lease(f, agent!.id))?.holders.map((h) => h.connectionId)).toEqual(['c1', 'c2']);
    await f.colony.liveness.detach(agent!.id, holder(1));
    const held = await lease(f, agent!.id);
    expect(held?.expiresAt).toBe(new Date(f.clock.now().getTime() + 30_000).toISOString());
    await f.colony.liveness.detach(agent!.id, holder(2));
    expect((await lease(f, agent!.id))?.expiresAt).toBe(
      new Date(f.clock.now().getTime() + grace).toISOString(),
    );
    // A reconnect within the grace holds it again.
    f.clock.advance(grace - 1);
    await f.colony.liveness.attach(agent!.id, holder(3));
    f.clock.advance(2);
    expect(await f.colony.liveness.expireDue()).toBe(0);
    expect(
      (await f.colony.liveness.presence({ first: 100 })).map((p) => [p.agent.id, p.lease.holders.length]),
    ).toEqual([[agent!.id, 1]]);
  });
});
