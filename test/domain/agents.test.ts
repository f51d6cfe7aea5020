import { describe, expect, it } from 'vitest';
import type { AgentAction, AgentStatus } from '../../src/domain/model.js';
import { LIMITS } from '../../src/domain/validation.js';
import { expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

/** An agent brought to `status` through the public actions. */
async function agentIn(f: Fleet, status: AgentStatus) {
  const agent = await f.colony.agents.create({ name: 'a', type: 't' });
  if (status === 'PAUSED') await f.colony.agents.perform(agent.id, 'PAUSE');
  if (status === 'OFFLINE') await f.colony.agents.perform(agent.id, 'STOP');
  return agent;
}

describe('creating an agent', () => {
  it('starts ACTIVE with no tasks and announces it to the agents rooms', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({
      name: ' scout ',
      type: 'crawler',
      capabilities: ['web', 'web', 'pdf'],
      metadata: { region: 'eu' },
    });
    expect(agent).toMatchObject({
      name: 'scout',
      type: 'crawler',
      status: 'ACTIVE',
      activeTaskCount: 0,
      capabilities: ['web', 'pdf'],
      metadata: { region: 'eu' },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await f.colony.agents.get(agent.id)).toEqual(agent);
    expect(f.take()).toMatchObject([
      {
        type: 'AGENT_CREATED',
        rooms: ['agents', `agent:${agent.id}`],
        source: 'unit',
        payload: { kind: 'agent', agent, previousStatus: null, action: null },
      },
    ]);
  });

  it('defaults capabilities to none and metadata to null', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't' });
    expect(agent).toMatchObject({ capabilities: [], metadata: null });
  });

  const long = (n: number) => 'x'.repeat(n);
  it.each([
    ['an empty name', { name: ' ', type: 't' }],
    ['a name over 200 characters', { name: long(LIMITS.agentName + 1), type: 't' }],
    ['an empty type', { name: 'a', type: '' }],
    ['a type over 100 characters', { name: 'a', type: long(LIMITS.agentType + 1) }],
    [
      'more than 50 capabilities',
      { name: 'a', type: 't', capabilities: Array.from({ length: 51 }, (_, i) => `c${i}`) },
    ],
    ['an empty capability', { name: 'a', type: 't', capabilities: [''] }],
    ['a capability over 100 characters', { name: 'a', type: 't', capabilities: [long(101)] }],
    ['metadata over 16 KiB', { name: 'a', type: 't', metadata: { blob: long(16 * 1024) } }],
  ])('refuses %s with BAD_USER_INPUT', async (_, input) => {
    const f = fleet();
    await expectRefused(f, () => f.colony.agents.create(input), 'BAD_USER_INPUT');
  });

  it('accepts every limit exactly', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({
      name: long(LIMITS.agentName),
      type: long(LIMITS.agentType),
      capabilities: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, 'c')),
      // 16 KiB exactly once serialised: {"b":"…"} is 8 bytes of wrapping.
      metadata: { b: long(16 * 1024 - 8) },
    });
    expect(agent.capabilities).toHaveLength(50);
  });
});

describe('updating an agent', () => {
  it('changes only the fields given, bumps updatedAt and publishes AGENT_UPDATED', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't', capabilities: ['x'], metadata: 1 });
    f.take();
    f.clock.advance(5000);
    const updated = await f.colony.agents.update(agent.id, { name: 'b', metadata: undefined });
    expect(updated).toEqual({ ...agent, name: 'b', updatedAt: '2026-01-01T00:00:05.000Z' });
    expect(await f.colony.agents.get(agent.id)).toEqual(updated);
    expect(f.take()).toMatchObject([
      { type: 'AGENT_UPDATED', rooms: ['agents', `agent:${agent.id}`], payload: { agent: updated } },
    ]);
  });

  it('clears metadata given null, and replaces capabilities', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't', capabilities: ['x'], metadata: 1 });
    const updated = await f.colony.agents.update(agent.id, { metadata: null, capabilities: ['y'] });
    expect(updated).toMatchObject({ metadata: null, capabilities: ['y'], name: 'a' });
  });

  it('refuses an update that changes nothing, a bad field and an unknown agent', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't' });
    await expectRefused(f, () => f.colony.agents.update(agent.id, {}), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.agents.update(agent.id, { metadata: undefined }), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.agents.update(agent.id, { type: '' }), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.agents.update('nope', { name: 'b' }), 'NOT_FOUND');
  });
});

describe('agent actions', () => {
  const table: [AgentStatus, AgentAction, AgentStatus | 'refused'][] = [
    ['OFFLINE', 'START', 'ACTIVE'],
    ['ACTIVE', 'START', 'refused'],
    ['PAUSED', 'START', 'refused'],
    ['ACTIVE', 'PAUSE', 'PAUSED'],
    ['PAUSED', 'PAUSE', 'refused'],
    ['OFFLINE', 'PAUSE', 'refused'],
    ['PAUSED', 'RESUME', 'ACTIVE'],
    ['ACTIVE', 'RESUME', 'refused'],
    ['OFFLINE', 'RESUME', 'refused'],
    ['ACTIVE', 'STOP', 'OFFLINE'],
    ['PAUSED', 'STOP', 'OFFLINE'],
    ['OFFLINE', 'STOP', 'OFFLINE'],
  ];

  it.each(table)('%s + %s → %s', async (from, action, to) => {
    const f = fleet();
    const agent = await agentIn(f, from);
    f.take();
    if (to === 'refused') {
      await expectRefused(f, () => f.colony.agents.perform(agent.id, action), 'INVALID_TRANSITION');
      return;
    }
    f.clock.advance(1000);
    const done = await f.colony.agents.perform(agent.id, action);
    expect(done.status).toBe(to);
    expect(done.updatedAt).toBe(f.clock.now().toISOString());
    expect(await f.colony.agents.get(agent.id)).toEqual(done);
    const expected = [{ type: 'AGENT_ACTION', payload: { agent: done, action, previousStatus: from } }];
    if (to !== from) {
      expected.push({ type: 'AGENT_STATUS_CHANGED', payload: { agent: done, action, previousStatus: from } });
    }
    const events = f.take();
    expect(events).toMatchObject(expected);
    expect(events).toHaveLength(expected.length);
    for (const e of events) expect(e.rooms).toEqual(['agents', `agent:${agent.id}`]);
  });

  it('refuses an unknown agent and an unknown action', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't' });
    await expectRefused(f, () => f.colony.agents.perform('nope', 'STOP'), 'NOT_FOUND');
    await expectRefused(
      f,
      () => f.colony.agents.perform(agent.id, 'EXPLODE' as AgentAction),
      'BAD_USER_INPUT',
    );
  });

  it('lets exactly one of two racing PAUSEs through', async () => {
    const f = fleet();
    const agent = await f.colony.agents.create({ name: 'a', type: 't' });
    f.take();
    const results = await Promise.allSettled([
      f.colony.agents.perform(agent.id, 'PAUSE'),
      f.colony.agents.perform(agent.id, 'PAUSE'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(f.drain()).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
  });
});

describe('an agent leaving ACTIVE', () => {
  /** An agent holding one ASSIGNED and one RUNNING task. */
  async function busyAgent(f: Fleet) {
    const [agent] = await withAgents(f, { name: 'busy' });
    const waiting = await f.colony.tasks.create({ title: 'waiting' });
    const running = await f.colony.tasks.create({ title: 'running' });
    await f.colony.tasks.assign(waiting.id, agent!.id);
    await f.colony.tasks.assign(running.id, agent!.id);
    await f.colony.tasks.start(running.id);
    await f.colony.tasks.reportProgress(running.id, 0.5);
    f.take();
    return { agent: agent!, waiting, running };
  }

  it.each(['PAUSE', 'STOP'] as const)(
    'on %s keeps its RUNNING task and hands back the ASSIGNED one',
    async (action) => {
      const f = fleet();
      const { agent, waiting, running } = await busyAgent(f);
      const left = await f.colony.agents.perform(agent.id, action);
      expect(left.activeTaskCount).toBe(1);
      expect(await f.colony.agents.get(agent.id)).toMatchObject({ activeTaskCount: 1 });
      expect(await f.colony.tasks.get(waiting.id)).toMatchObject({ status: 'PENDING', assigneeId: null });
      expect(await f.colony.tasks.get(running.id)).toMatchObject({
        status: 'RUNNING',
        assigneeId: agent.id,
        progress: 0.5,
      });
      const events = f.take();
      expect(events.map((e) => e.type)).toEqual(['TASK_REQUEUED', 'AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
      expect(events[0]).toMatchObject({
        rooms: ['tasks', `task:${waiting.id}`, `agent:${agent.id}`],
        payload: {
          kind: 'task',
          task: { id: waiting.id, status: 'PENDING', assigneeId: null },
          assignee: null,
          previousStatus: 'ASSIGNED',
        },
      });
      // The requeued task can be handed to someone else.
      const other = await f.colony.agents.create({ name: 'other', type: 't' });
      expect(await f.colony.tasks.assign(waiting.id)).toMatchObject({ assigneeId: other.id });
    },
  );

  it('gets no new work while not ACTIVE, but may finish what it runs', async () => {
    const f = fleet();
    const { agent, waiting, running } = await busyAgent(f);
    await f.colony.agents.perform(agent.id, 'PAUSE');
    await expectRefused(f, () => f.colony.tasks.assign(waiting.id, agent.id), 'CONFLICT', 'AGENT_NOT_ACTIVE');
    await expectRefused(f, () => f.colony.tasks.assign(waiting.id), 'CONFLICT', 'NO_CANDIDATE');
    await f.colony.tasks.complete(running.id, { ok: true });
    expect(await f.colony.agents.get(agent.id)).toMatchObject({ activeTaskCount: 0 });
  });

  it('on RESUME requeues nothing', async () => {
    const f = fleet();
    const { agent } = await busyAgent(f);
    await f.colony.agents.perform(agent.id, 'PAUSE');
    f.take();
    await f.colony.agents.perform(agent.id, 'RESUME');
    expect(f.drain()).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
  });
});

describe('deleting an agent', () => {
  it.each(['ACTIVE', 'PAUSED', 'OFFLINE'] as const)('works from %s', async (status) => {
    const f = fleet();
    const agent = await agentIn(f, status);
    f.take();
    const gone = await f.colony.agents.delete(agent.id);
    expect(gone).toMatchObject({ id: agent.id, status });
    expect(await f.colony.agents.get(agent.id)).toBeNull();
    expect(f.take()).toMatchObject([
      { type: 'AGENT_DELETED', rooms: ['agents', `agent:${agent.id}`], payload: { agent: gone } },
    ]);
    await expectRefused(f, () => f.colony.agents.delete(agent.id), 'NOT_FOUND');
  });

  it('requeues ASSIGNED and RUNNING tasks with progress reset, leaves finished ones alone', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    const ids = [];
    for (const title of ['assigned', 'running', 'done']) {
      const task = await f.colony.tasks.create({ title });
      await f.colony.tasks.assign(task.id, agent!.id);
      ids.push(task.id);
    }
    const [assigned, running, done] = ids as [string, string, string];
    await f.colony.tasks.start(running);
    await f.colony.tasks.reportProgress(running, 0.7, 'most of it');
    await f.colony.tasks.start(done);
    await f.colony.tasks.complete(done);
    f.take();

    const gone = await f.colony.agents.delete(agent!.id);
    expect(gone.activeTaskCount).toBe(0);
    const events = f.take();
    expect(events.map((e) => [e.type, e.payload.kind === 'task' && e.payload.previousStatus])).toEqual([
      ['TASK_REQUEUED', 'ASSIGNED'],
      ['TASK_REQUEUED', 'RUNNING'],
      ['AGENT_DELETED', false],
    ]);
    expect(events[1]?.rooms).toEqual(['tasks', `task:${running}`, `agent:${agent!.id}`]);
    expect(await f.colony.tasks.get(assigned)).toMatchObject({ status: 'PENDING', assigneeId: null });
    expect(await f.colony.tasks.get(running)).toMatchObject({
      status: 'PENDING',
      assigneeId: null,
      progress: null,
      progressMessage: null,
    });
    expect(await f.colony.tasks.get(done)).toMatchObject({ status: 'COMPLETED', assigneeId: agent!.id });
  });
});

describe('reading agents', () => {
  it('lists oldest first, filtered by status and type, page by page', async () => {
    const f = fleet();
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push(await f.colony.agents.create({ name: `a${i}`, type: i % 2 ? 'odd' : 'even' }));
    await f.colony.agents.perform(made[4]!.id, 'PAUSE');
    const first = await f.colony.agents.list({}, { first: 2 });
    expect(first).toEqual({ items: [made[0], made[1]], hasNextPage: true, hasPreviousPage: false });
    const rest = await f.colony.agents.list({}, { first: 10, after: made[1]!.id });
    expect(rest.items.map((a) => a.name)).toEqual(['a2', 'a3', 'a4']);
    expect(rest).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const exact = await f.colony.agents.list({}, { first: 5 });
    expect(exact.hasNextPage).toBe(false);
    expect((await f.colony.agents.list({ type: 'even' }, { first: 10 })).items.map((a) => a.name)).toEqual([
      'a0',
      'a2',
      'a4',
    ]);
    expect(
      (await f.colony.agents.list({ type: 'even', status: 'ACTIVE' }, { first: 10 })).items.map(
        (a) => a.name,
      ),
    ).toEqual(['a0', 'a2']);
  });

  it('refuses a page size outside 1..100', async () => {
    const f = fleet();
    await expectRefused(f, () => f.colony.agents.list({}, { first: 0 }), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.agents.list({}, { first: 101 }), 'BAD_USER_INPUT');
  });

  it('getMany keeps the order asked and gives null where none', async () => {
    const f = fleet();
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const b = await f.colony.agents.create({ name: 'b', type: 't' });
    expect(await f.colony.agents.getMany([b.id, 'missing', a.id])).toEqual([b, null, a]);
    expect(await f.colony.agents.get('missing')).toBeNull();
  });
});
