/**
 * Decisions over a set (the voters, the least-loaded candidate, "nobody is ACTIVE") must hold for
 * the state that commits. Each test lets another request commit at the worst moment — right after
 * the transaction listed the set, before it commits — and then checks the history: the outcome must
 * be the one of a serial order consistent with the log.
 */
import { describe, expect, it } from 'vitest';
import type { Colony } from '../../src/domain/api.js';
import { createColony } from '../../src/domain/colony.js';
import type { StoredEvent } from '../../src/domain/events/event-types.js';
import type { Store } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { checkHistory } from '../engines/history.js';
import { codeOf, errorOf, ManualClock } from './fleet.js';

/**
 * Two colonies on one memory engine: `colony` lists through a store that, once armed, runs the
 * other request (on `other`) right after its next list of ACTIVE agents returns.
 */
function race() {
  const clock = new ManualClock();
  const engine = createMemoryEngine({ retention: 10_000, clock });
  const events: StoredEvent[] = [];
  engine.bus.setSink((event) => events.push(event));
  void engine.bus.watch('*');
  let armed: { kind: string; meddle: () => Promise<unknown> } | null = null;
  const meddling: Store = {
    ...engine.store,
    get: (kind, id) => engine.store.get(kind, id),
    count: (kind, where) => engine.store.count(kind, where),
    listDue: async (kind, upTo, limit) => {
      const due = await engine.store.listDue(kind, upTo, limit);
      const meddle = armed;
      if (meddle && kind === meddle.kind) {
        armed = null;
        await meddle.meddle();
      }
      return due;
    },
    setVersions: (keys) => engine.store.setVersions(keys),
    // Armed with kind 'time': the meddling runs right after the transaction read the engine's clock.
    time: async () => {
      const now = await engine.store.time();
      const meddle = armed;
      if (meddle && meddle.kind === 'time') {
        armed = null;
        await meddle.meddle();
      }
      return now;
    },
    idempotency: (key) => engine.store.idempotency(key),
    commit: (commit) => engine.store.commit(commit),
    list: async (kind, query) => {
      const listed = await engine.store.list(kind, query);
      const meddle = armed;
      if (meddle && kind === meddle.kind) {
        armed = null;
        await meddle.meddle();
      }
      return listed;
    },
  };
  const other = createColony({ store: engine.store, clock, source: 'other' });
  const colony = createColony({ store: meddling, clock, source: 'racer' });
  return {
    clock,
    colony,
    other,
    events,
    /** The next list of `kind` (agents unless said) is followed at once by `meddle`, before the lister commits. */
    arm(meddle: (other: Colony) => Promise<unknown>, kind = 'agent') {
      armed = { kind, meddle: () => meddle(other) };
    },
    check(autoAssigned: string[] = []) {
      return checkHistory(events, { autoAssigned: new Set(autoAssigned) }).violations;
    },
  };
}

describe('a proposal racing with a change to who is ACTIVE', () => {
  it('takes as voter an agent created after the list was read', async () => {
    const r = race();
    await r.other.agents.create({ name: 'a', type: 't' });
    let late = '';
    r.arm(async (other) => (late = (await other.agents.create({ name: 'late', type: 't' })).id));
    const proposal = await r.colony.consensus.propose({ topic: 'deploy' });
    expect(proposal.voterIds).toContain(late);
    expect(r.check()).toEqual([]);
  });

  it('does not take as voter an agent paused after the list was read, and refuses its vote', async () => {
    const r = race();
    const a = await r.other.agents.create({ name: 'a', type: 't' });
    const b = await r.other.agents.create({ name: 'b', type: 't' });
    r.arm((other) => other.agents.perform(b.id, 'PAUSE'));
    const proposal = await r.colony.consensus.propose({ topic: 'deploy' });
    expect(proposal.voterIds).toEqual([a.id]);
    expect(await codeOf(r.other.consensus.vote(proposal.id, b.id, true))).toBe('FORBIDDEN');
    expect(r.check()).toEqual([]);
  });

  it('answers NO_VOTERS only if nobody is ACTIVE when the answer is given', async () => {
    const r = race();
    let late = '';
    r.arm(async (other) => (late = (await other.agents.create({ name: 'late', type: 't' })).id));
    const proposal = await r.colony.consensus.propose({ topic: 'deploy' });
    expect(proposal.voterIds).toEqual([late]);
    expect(r.check()).toEqual([]);
  });
});

describe('two expiry sweeps at once', () => {
  it('expire a proposal once: the later one finds it decided and counts nothing', async () => {
    const r = race();
    await r.other.agents.create({ name: 'a', type: 't' });
    const proposal = await r.other.consensus.propose({ topic: 'deploy', ttlSeconds: 1 });
    r.clock.advance(1_000);
    let first = -1;
    r.arm(async (other) => (first = await other.consensus.expireDue()), 'proposal');
    const later = await r.colony.consensus.expireDue();
    expect([first, later]).toEqual([1, 0]);
    const decided = r.events.filter((e) => e.type === 'CONSENSUS_DECIDED');
    expect(decided).toHaveLength(1);
    expect(decided[0]?.payload).toMatchObject({ proposal: { id: proposal.id, status: 'EXPIRED' } });
  });
});

describe('auto-assignment racing with a change to the candidates', () => {
  async function loaded(r: ReturnType<typeof race>, name: string, tasks: number) {
    const agent = await r.other.agents.create({ name, type: 't' });
    const ids: string[] = [];
    for (let i = 0; i < tasks; i++) {
      const task = await r.other.tasks.create({ title: `${name}-${i}` });
      await r.other.tasks.assign(task.id, agent.id);
      await r.other.tasks.start(task.id);
      ids.push(task.id);
    }
    return { agent, tasks: ids };
  }

  it('gives the task to an agent that became ACTIVE with less load meanwhile', async () => {
    const r = race();
    await loaded(r, 'a', 1);
    const task = await r.other.tasks.create({ title: 'next' });
    let late = '';
    r.arm(async (other) => (late = (await other.agents.create({ name: 'late', type: 't' })).id));
    expect((await r.colony.tasks.assign(task.id)).assigneeId).toBe(late);
    expect(r.check([task.id])).toEqual([]);
  });

  it('weighs a load that dropped meanwhile on an agent it did not choose', async () => {
    const r = race();
    const a = await loaded(r, 'a', 2);
    const b = await loaded(r, 'b', 2);
    const task = await r.other.tasks.create({ title: 'next' });
    r.arm((other) => other.tasks.complete(b.tasks[0] as string));
    expect((await r.colony.tasks.assign(task.id)).assigneeId).toBe(b.agent.id);
    expect(a.agent.id).not.toBe(b.agent.id);
    expect(r.check([task.id])).toEqual([]);
  });

  it('does not give the task to an agent paused meanwhile', async () => {
    const r = race();
    const a = await loaded(r, 'a', 0);
    const b = await loaded(r, 'b', 1);
    const task = await r.other.tasks.create({ title: 'next' });
    r.arm((other) => other.agents.perform(a.agent.id, 'PAUSE'));
    expect((await r.colony.tasks.assign(task.id)).assigneeId).toBe(b.agent.id);
    expect(r.check([task.id])).toEqual([]);
  });
});

describe('an election racing with a change to the candidates', () => {
  it('counts an agent that became ACTIVE after the list was read', async () => {
    const r = race();
    const a = await r.other.agents.create({ name: 'a', type: 't' });
    const task = await r.other.tasks.create({ title: 'busy' });
    await r.other.tasks.assign(task.id, a.id);
    let late = '';
    r.arm(async (other) => (late = (await other.agents.create({ name: 'late', type: 't' })).id));
    const election = await r.colony.elections.trigger('race');
    expect(election.leaderId).toBe(late);
    expect(election.candidates.map((c) => c.id).sort()).toEqual([a.id, late].sort());
    expect(r.check()).toEqual([]);
  });
});

describe('decisions racing with leases', () => {
  it('auto-assigns again when the chosen agent’s lease runs out between the read and the commit', async () => {
    const r = race();
    const older = await r.other.agents.create({ name: 'older', type: 't' });
    r.clock.advance(1);
    const younger = await r.other.agents.create({ name: 'younger', type: 't' });
    await r.other.liveness.heartbeat(older.id, 1000);
    const task = await r.other.tasks.create({ title: 't' });
    // Live when the clock was read; its deadline passes before the assignment commits.
    r.arm(async () => r.clock.advance(1000), 'time');
    expect((await r.colony.tasks.assign(task.id)).assigneeId).toBe(younger.id);
  });

  it('takes as voter only the agents live when it commits: a lease that began after the read counts', async () => {
    const r = race();
    const a = await r.other.agents.create({ name: 'a', type: 't' });
    await r.other.liveness.heartbeat(a.id, 1000);
    r.clock.advance(1000);
    const b = await r.other.agents.create({ name: 'b', type: 't' });
    // a's lease ran out (not yet swept); b begins one while the proposal decides.
    r.arm((other) => other.liveness.heartbeat(b.id, 1000), 'lease');
    const proposal = await r.colony.consensus.propose({ topic: 'deploy' });
    expect(proposal.voterIds).toEqual([b.id]);
  });

  it('expires a lease once when two sweeps meet, and never one renewed meanwhile', async () => {
    const r = race();
    const a = await r.other.agents.create({ name: 'a', type: 't' });
    await r.other.liveness.heartbeat(a.id, 1000);
    r.clock.advance(1000);
    let first = -1;
    r.arm(async (other) => (first = await other.liveness.expireDue()), 'lease');
    const later = await r.colony.liveness.expireDue();
    expect([first, later]).toEqual([1, 0]);
    expect(r.events.filter((e) => e.type === 'AGENT_STATUS_CHANGED')).toHaveLength(1);
  });

  it('refuses a renewal whose deadline passes between its look at the clock and its commit, sweep or not', async () => {
    for (const sweep of [false, true]) {
      const r = race();
      const a = await r.other.agents.create({ name: 'a', type: 't' });
      await r.other.liveness.heartbeat(a.id, 1000);
      r.clock.advance(999);
      r.arm(async (other) => {
        r.clock.advance(1);
        if (sweep) expect(await other.liveness.expireDue()).toBe(1);
      }, 'time');
      const error = await errorOf(r.colony.liveness.heartbeat(a.id));
      expect(error.details['reason']).toBe('LEASE_EXPIRED');
      expect(await r.other.liveness.expireDue()).toBe(sweep ? 0 : 1);
      expect(r.events.filter((e) => e.type === 'AGENT_STATUS_CHANGED')).toHaveLength(1);
    }
  });
});
