import { describe, expect, it } from 'vitest';
import { codeOf, fleet } from './fleet.js';

describe('agents', () => {
  it('publishes AGENT_ACTION, and AGENT_STATUS_CHANGED only when the status changes', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    f.drain();
    await f.colony.agents.perform(a.id, 'STOP');
    expect(f.drain()).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
    await f.colony.agents.perform(a.id, 'STOP');
    expect(f.drain()).toEqual(['AGENT_ACTION']);
    expect(f.events).toEqual([]);
  });

  it('keeps the previous status on status events', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    f.events.length = 0;
    await f.colony.agents.perform(a.id, 'PAUSE');
    expect(f.events.map((e) => e.payload)).toMatchObject([
      { kind: 'agent', action: 'PAUSE', previousStatus: 'ACTIVE', agent: { status: 'PAUSED' } },
      { kind: 'agent', action: 'PAUSE', previousStatus: 'ACTIVE', agent: { status: 'PAUSED' } },
    ]);
  });

  it('requeues on delete with one event per task, then AGENT_DELETED, and fails over', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const b = await f.colony.agents.create({ name: 'b', type: 't' });
    await f.colony.elections.trigger('boot');
    const x = await f.colony.tasks.create({ title: 'x' });
    const y = await f.colony.tasks.create({ title: 'y' });
    await f.colony.tasks.assign(x.id, a.id);
    await f.colony.tasks.assign(y.id, a.id);
    await f.colony.tasks.start(y.id);
    f.drain();
    await f.colony.agents.delete(a.id);
    expect(f.events.map((e) => [e.type, e.rooms])).toEqual([
      ['TASK_REQUEUED', ['tasks', `task:${x.id}`, `agent:${a.id}`]],
      ['TASK_REQUEUED', ['tasks', `task:${y.id}`, `agent:${a.id}`]],
      ['AGENT_DELETED', ['agents', `agent:${a.id}`]],
      ['ELECTION_TRIGGERED', ['coordination']],
      ['LEADER_ELECTED', ['coordination']],
    ]);
    expect((await f.colony.elections.leader())?.id).toBe(b.id);
    expect((await f.colony.tasks.get(y.id))?.progress).toBeNull();
  });
});

describe('a refused mutation', () => {
  it('writes nothing and publishes nothing', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't', capabilities: ['x'] });
    const x = await f.colony.tasks.create({ title: 'x', requiredCapabilities: ['y'] });
    const before = await f.engine.log.lastId();
    expect(await codeOf(f.colony.tasks.assign(x.id, a.id))).toBe('CONFLICT');
    expect(await codeOf(f.colony.tasks.assign(x.id))).toBe('CONFLICT');
    expect(await codeOf(f.colony.agents.perform(a.id, 'RESUME'))).toBe('INVALID_TRANSITION');
    expect(await codeOf(f.colony.agents.update(a.id, { name: '' }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(f.colony.system.broadcast('bad room', 1))).toBe('BAD_USER_INPUT');
    expect(await codeOf(f.colony.system.raiseAlert('INFO', ''))).toBe('BAD_USER_INPUT');
    expect(await f.engine.log.lastId()).toBe(before);
    expect((await f.colony.tasks.get(x.id))?.status).toBe('PENDING');
    expect((await f.colony.agents.get(a.id))?.activeTaskCount).toBe(0);
  });
});

describe('consensus expiry', () => {
  it('expires at expiresAt, once, however many sweeps race', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const p = await f.colony.consensus.propose({ topic: 't', ttlSeconds: 30 });
    f.clock.advance(29_999);
    expect(await f.colony.consensus.expireDue()).toBe(0);
    f.clock.advance(1);
    f.drain();
    const counts = await Promise.all([1, 2, 3].map(() => f.colony.consensus.expireDue()));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(1);
    expect(f.drain()).toEqual(['CONSENSUS_DECIDED']);
    expect((await f.colony.consensus.get(p.id))?.status).toBe('EXPIRED');
    expect(await codeOf(f.colony.consensus.vote(p.id, a.id, true))).toBe('INVALID_TRANSITION');
  });

  it('refuses a vote after expiresAt even before the sweep ran', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const p = await f.colony.consensus.propose({ topic: 't', ttlSeconds: 1 });
    f.clock.advance(1000);
    expect(await codeOf(f.colony.consensus.vote(p.id, a.id, true))).toBe('INVALID_TRANSITION');
  });

  it('publishes VOTED then DECIDED in one go', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const p = await f.colony.consensus.propose({ topic: 't' });
    f.drain();
    await f.colony.consensus.vote(p.id, a.id, true);
    expect(f.drain()).toEqual(['CONSENSUS_VOTED', 'CONSENSUS_DECIDED']);
  });
});

describe('metrics and health events', () => {
  it('publishes METRICS_UPDATED at most once per interval', async () => {
    const f = fleet();
    await f.colony.agents.create({ name: 'a', type: 't' });
    f.drain();
    const first = await Promise.all([
      f.colony.system.publishMetrics(5000),
      f.colony.system.publishMetrics(5000),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(first.find(Boolean)?.payload).toMatchObject({
      kind: 'metrics',
      fleet: {
        agentsByStatus: [
          { status: 'ACTIVE', count: 1 },
          { status: 'PAUSED', count: 0 },
          { status: 'OFFLINE', count: 0 },
        ],
      },
    });
    f.clock.advance(4999);
    expect(await f.colony.system.publishMetrics(5000)).toBeNull();
    f.clock.advance(1);
    expect(await f.colony.system.publishMetrics(5000)).not.toBeNull();
    expect(f.drain()).toEqual(['METRICS_UPDATED', 'METRICS_UPDATED']);
  });

  it('sends HEALTH_CHANGED and alerts to the system room', async () => {
    const f = fleet();
    const health = await f.colony.system.publishHealth(false, { redis: { ok: false } });
    expect(health).toMatchObject({ type: 'HEALTH_CHANGED', rooms: ['system'], payload: { ready: false } });
    const alert = await f.colony.system.raiseAlert('CRITICAL', 'disk full', { free: 0 });
    expect(alert).toMatchObject({ level: 'CRITICAL', message: 'disk full', details: { free: 0 } });
    expect(f.events.at(-1)).toMatchObject({ type: 'ALERT_TRIGGERED', rooms: ['system'] });
  });
});

describe('event ids', () => {
  it('increase monotonically, even within one millisecond', async () => {
    const f = fleet();
    for (let i = 0; i < 5; i++) await f.colony.system.broadcast('r', i);
    const ids = f.events.map((e) => e.id);
    const sorted = [...ids].sort((a, b) => {
      const [am, an] = a.split('-').map(Number);
      const [bm, bn] = b.split('-').map(Number);
      return am! - bm! || an! - bn!;
    });
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual(sorted);
  });
});
