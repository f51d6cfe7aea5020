import { describe, expect, it } from 'vitest';
import type { Task, TaskStatus } from '../../src/domain/model.js';
import { errorOf, expectRefused, fleet, type Fleet, withAgents } from './fleet.js';

/** A task brought to `status` through the public steps, with its assignee when it has one. */
async function taskIn(f: Fleet, status: TaskStatus) {
  const agent = await f.colony.agents.create({ name: 'worker', type: 't' });
  const task = await f.colony.tasks.create({ title: 'job' });
  if (status === 'PENDING') return { task, agent };
  if (status === 'CANCELLED') return { task: await f.colony.tasks.cancel(task.id), agent };
  await f.colony.tasks.assign(task.id, agent.id);
  if (status !== 'ASSIGNED') await f.colony.tasks.start(task.id);
  if (status === 'COMPLETED') await f.colony.tasks.complete(task.id);
  if (status === 'FAILED') await f.colony.tasks.fail(task.id, 'broke');
  return { task: (await f.colony.tasks.get(task.id)) as Task, agent };
}

const STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

describe('creating a task', () => {
  it('is PENDING with priority 5 and announced to the tasks rooms', async () => {
    const f = fleet();
    const task = await f.colony.tasks.create({
      title: 'crawl',
      input: { url: 'x' },
      requiredCapabilities: ['web'],
    });
    expect(task).toMatchObject({
      title: 'crawl',
      priority: 5,
      status: 'PENDING',
      assigneeId: null,
      input: { url: 'x' },
      requiredCapabilities: ['web'],
      progress: null,
      result: null,
      error: null,
    });
    expect(f.take()).toMatchObject([
      {
        type: 'TASK_CREATED',
        rooms: ['tasks', `task:${task.id}`],
        payload: { kind: 'task', task, assignee: null, previousStatus: null },
      },
    ]);
  });

  it('takes priorities 0 to 10', async () => {
    const f = fleet();
    expect((await f.colony.tasks.create({ title: 't', priority: 0 })).priority).toBe(0);
    expect((await f.colony.tasks.create({ title: 't', priority: 10 })).priority).toBe(10);
  });

  it.each([
    ['an empty title', { title: '' }],
    ['a title over 200 characters', { title: 'x'.repeat(201) }],
    ['priority -1', { title: 't', priority: -1 }],
    ['priority 11', { title: 't', priority: 11 }],
    ['priority 2.5', { title: 't', priority: 2.5 }],
    ['input over 64 KiB', { title: 't', input: 'x'.repeat(64 * 1024) }],
  ])('refuses %s', async (_, input) => {
    const f = fleet();
    await expectRefused(f, () => f.colony.tasks.create(input), 'BAD_USER_INPUT');
  });
});

describe('the task steps', () => {
  const steps = {
    assign: { from: ['PENDING'], to: 'ASSIGNED', event: 'TASK_ASSIGNED' },
    start: { from: ['ASSIGNED'], to: 'RUNNING', event: 'TASK_STARTED' },
    complete: { from: ['RUNNING'], to: 'COMPLETED', event: 'TASK_COMPLETED' },
    fail: { from: ['RUNNING'], to: 'FAILED', event: 'TASK_FAILED' },
    cancel: { from: ['PENDING', 'ASSIGNED', 'RUNNING'], to: 'CANCELLED', event: 'TASK_CANCELLED' },
    reportProgress: { from: ['RUNNING'], to: 'RUNNING', event: 'TASK_PROGRESS' },
  } as const;
  const run = (f: Fleet, step: keyof typeof steps, task: Task, agentId: string) => {
    switch (step) {
      case 'assign':
        return f.colony.tasks.assign(task.id, agentId);
      case 'fail':
        return f.colony.tasks.fail(task.id, 'it broke');
      case 'reportProgress':
        return f.colony.tasks.reportProgress(task.id, 0.25, 'a quarter');
      default:
        return f.colony.tasks[step](task.id);
    }
  };

  for (const [step, rule] of Object.entries(steps) as [
    keyof typeof steps,
    (typeof steps)[keyof typeof steps],
  ][]) {
    for (const from of STATUSES) {
      const allowed = (rule.from as readonly string[]).includes(from);
      it(`${step} from ${from} is ${allowed ? `allowed (${rule.event})` : 'refused'}`, async () => {
        const f = fleet();
        const { task, agent } = await taskIn(f, from);
        f.take();
        if (!allowed) {
          await expectRefused(f, () => run(f, step, task, agent.id), 'INVALID_TRANSITION');
          return;
        }
        f.clock.advance(1000);
        const done = await run(f, step, task, agent.id);
        expect(done.status).toBe(rule.to);
        expect(done.updatedAt).toBe(f.clock.now().toISOString());
        expect(await f.colony.tasks.get(task.id)).toEqual(done);
        const assignee = await f.colony.agents.get(agent.id);
        const held = done.status === 'ASSIGNED' || done.status === 'RUNNING';
        expect(assignee?.activeTaskCount).toBe(held ? 1 : 0);
        expect(f.take()).toMatchObject([
          {
            type: rule.event,
            rooms: done.assigneeId
              ? ['tasks', `task:${task.id}`, `agent:${agent.id}`]
              : ['tasks', `task:${task.id}`],
            payload: {
              kind: 'task',
              task: done,
              previousStatus: from,
              assignee: done.assigneeId ? assignee : null,
            },
          },
        ]);
      });
    }
  }

  it('keeps the result, the error, the cancel reason and the progress message', async () => {
    const f = fleet();
    const a = await taskIn(f, 'RUNNING');
    expect(await f.colony.tasks.complete(a.task.id, { pages: 3 })).toMatchObject({
      result: { pages: 3 },
      progress: 1,
    });
    const b = await taskIn(f, 'RUNNING');
    expect(await f.colony.tasks.fail(b.task.id, 'timeout')).toMatchObject({ error: 'timeout' });
    const c = await taskIn(f, 'ASSIGNED');
    expect(await f.colony.tasks.cancel(c.task.id, 'no longer needed')).toMatchObject({
      reason: 'no longer needed',
    });
    const d = await taskIn(f, 'RUNNING');
    expect(await f.colony.tasks.reportProgress(d.task.id, 0.3, 'page 1')).toMatchObject({
      progress: 0.3,
      progressMessage: 'page 1',
    });
  });

  it('refuses a fail without an error or with one over 2000 characters', async () => {
    const f = fleet();
    const { task } = await taskIn(f, 'RUNNING');
    await expectRefused(f, () => f.colony.tasks.fail(task.id, ''), 'BAD_USER_INPUT');
    await expectRefused(f, () => f.colony.tasks.fail(task.id, 'x'.repeat(2001)), 'BAD_USER_INPUT');
    expect(await f.colony.tasks.fail(task.id, 'x'.repeat(2000))).toMatchObject({ status: 'FAILED' });
  });

  it('refuses every step on an unknown task with NOT_FOUND', async () => {
    const f = fleet();
    await withAgents(f, { name: 'a' });
    await expectRefused(f, () => f.colony.tasks.assign('nope'), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.start('nope'), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.reportProgress('nope', 0.1), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.complete('nope'), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.fail('nope', 'e'), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.cancel('nope'), 'NOT_FOUND');
  });
});

describe('progress', () => {
  it('never decreases: a lower value is PROGRESS_DECREASED, an equal one is fine', async () => {
    const f = fleet();
    const { task } = await taskIn(f, 'RUNNING');
    await f.colony.tasks.reportProgress(task.id, 0.5);
    const error = await expectRefused(
      f,
      () => f.colony.tasks.reportProgress(task.id, 0.4),
      'BAD_USER_INPUT',
      'PROGRESS_DECREASED',
    );
    expect(error.message).toContain('0.5');
    expect(await f.colony.tasks.reportProgress(task.id, 0.5, 'still half')).toMatchObject({ progress: 0.5 });
    expect(await f.colony.tasks.reportProgress(task.id, 1)).toMatchObject({ progress: 1, status: 'RUNNING' });
  });

  it.each([-0.01, 1.01])('refuses %s as out of range', async (value) => {
    const f = fleet();
    const { task } = await taskIn(f, 'RUNNING');
    const error = await expectRefused(
      f,
      () => f.colony.tasks.reportProgress(task.id, value),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe('progress must be between 0 and 1');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s', async (value) => {
    const f = fleet();
    const { task } = await taskIn(f, 'RUNNING');
    await expectRefused(f, () => f.colony.tasks.reportProgress(task.id, value), 'BAD_USER_INPUT');
  });

  it('accepts 0 and 1 exactly', async () => {
    const f = fleet();
    const { task } = await taskIn(f, 'RUNNING');
    await f.colony.tasks.reportProgress(task.id, 0);
    await f.colony.tasks.reportProgress(task.id, 1);
  });
});

describe('explicit assignment', () => {
  it('refuses an unknown agent, an agent not ACTIVE and one lacking a capability', async () => {
    const f = fleet();
    const [idle, paused] = await withAgents(
      f,
      { name: 'idle', capabilities: ['web'] },
      { name: 'paused', capabilities: ['web', 'pdf'] },
    );
    await f.colony.agents.perform(paused!.id, 'PAUSE');
    const task = await f.colony.tasks.create({ title: 't', requiredCapabilities: ['web', 'pdf'] });
    await expectRefused(f, () => f.colony.tasks.assign(task.id, 'ghost'), 'NOT_FOUND');
    await expectRefused(f, () => f.colony.tasks.assign(task.id, paused!.id), 'CONFLICT', 'AGENT_NOT_ACTIVE');
    const missing = await expectRefused(
      f,
      () => f.colony.tasks.assign(task.id, idle!.id),
      'CONFLICT',
      'MISSING_CAPABILITIES',
    );
    expect(missing.message).toContain('pdf');
    expect(missing.details['missing']).toEqual(['pdf']);
  });

  it('checks that the task is PENDING before it looks at the agent', async () => {
    const f = fleet();
    const { task } = await taskIn(f, 'ASSIGNED');
    await expectRefused(f, () => f.colony.tasks.assign(task.id, 'ghost'), 'INVALID_TRANSITION');
  });
});

describe('auto-assignment', () => {
  it('picks an ACTIVE agent holding every required capability', async () => {
    const f = fleet();
    const [, , both] = await withAgents(
      f,
      { name: 'web-only', capabilities: ['web'] },
      { name: 'pdf-only', capabilities: ['pdf'] },
      { name: 'both', capabilities: ['pdf', 'web', 'ocr'] },
    );
    const task = await f.colony.tasks.create({ title: 't', requiredCapabilities: ['web', 'pdf'] });
    expect(await f.colony.tasks.assign(task.id)).toMatchObject({ assigneeId: both!.id, status: 'ASSIGNED' });
  });

  it('prefers the fewest active tasks, then the oldest agent', async () => {
    const f = fleet();
    const [old, young] = await withAgents(f, { name: 'old' }, { name: 'young' });
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const task = await f.colony.tasks.create({ title: `t${i}` });
      ids.push((await f.colony.tasks.assign(task.id)).assigneeId);
    }
    // old (0,0) → old; young now has fewer → young; tie again → old; then young.
    expect(ids).toEqual([old!.id, young!.id, old!.id, young!.id]);
    // Finished work no longer counts: old completes one and is picked again before young.
    const held = await f.colony.tasks.list({ assigneeId: old!.id }, { first: 10 });
    await f.colony.tasks.start(held.items[0]!.id);
    await f.colony.tasks.complete(held.items[0]!.id);
    const next = await f.colony.tasks.create({ title: 'next' });
    expect((await f.colony.tasks.assign(next.id)).assigneeId).toBe(old!.id);
  });

  it('judges age by createdAt, not by id (agents made on instances whose clocks differ)', async () => {
    const f = fleet();
    f.clock.advance(60_000);
    const newer = await f.colony.agents.create({ name: 'newer', type: 't' });
    // Another instance, a minute behind, registers an agent after it: a larger id, an earlier createdAt.
    f.clock.advance(-60_000);
    const older = await f.colony.agents.create({ name: 'older', type: 't' });
    expect(older.id > newer.id).toBe(true);
    const task = await f.colony.tasks.create({ title: 't' });
    expect((await f.colony.tasks.assign(task.id)).assigneeId).toBe(older.id);
  });

  it('breaks a tie of the same createdAt by the smallest id', async () => {
    const f = fleet();
    // The clock does not move, so both share createdAt.
    const a = await f.colony.agents.create({ name: 'a', type: 't' });
    const b = await f.colony.agents.create({ name: 'b', type: 't' });
    expect(a.createdAt).toBe(b.createdAt);
    const first = a.id < b.id ? a : b;
    const task = await f.colony.tasks.create({ title: 't' });
    expect((await f.colony.tasks.assign(task.id)).assigneeId).toBe(first.id);
  });

  it('skips agents that are not ACTIVE', async () => {
    const f = fleet();
    const [paused, stopped, active] = await withAgents(f, { name: 'p' }, { name: 's' }, { name: 'a' });
    await f.colony.agents.perform(paused!.id, 'PAUSE');
    await f.colony.agents.perform(stopped!.id, 'STOP');
    const task = await f.colony.tasks.create({ title: 't' });
    expect((await f.colony.tasks.assign(task.id)).assigneeId).toBe(active!.id);
  });

  it('is a CONFLICT NO_CANDIDATE naming what is missing and what to do', async () => {
    const f = fleet();
    await withAgents(f, { name: 'web', capabilities: ['web'] }, { name: 'pdf', capabilities: ['pdf'] });
    const task = await f.colony.tasks.create({ title: 't', requiredCapabilities: ['web', 'ocr', 'tts'] });
    const error = await expectRefused(f, () => f.colony.tasks.assign(task.id), 'CONFLICT', 'NO_CANDIDATE');
    expect(error.message).toContain('No ACTIVE agent has the capabilities ocr, tts,');
    expect(error.message).not.toContain('web');
    expect(error.message).toMatch(/start or resume/i);
    expect(error.details['missingCapabilities']).toEqual(['ocr', 'tts']);

    const split = await f.colony.tasks.create({ title: 't', requiredCapabilities: ['web', 'pdf'] });
    const none = await expectRefused(f, () => f.colony.tasks.assign(split.id), 'CONFLICT', 'NO_CANDIDATE');
    expect(none.message).toContain('No single ACTIVE agent holds all of web, pdf');
  });

  it('is NO_CANDIDATE when no agent is ACTIVE at all', async () => {
    const f = fleet();
    const task = await f.colony.tasks.create({ title: 't' });
    const error = await expectRefused(f, () => f.colony.tasks.assign(task.id), 'CONFLICT', 'NO_CANDIDATE');
    expect(error.message).toContain('No agent is ACTIVE');
  });
});

describe('activeTaskCount', () => {
  it('follows every task transition of an agent', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    const count = async () => (await f.colony.agents.get(agent!.id))?.activeTaskCount;
    const tasks = [];
    for (let i = 0; i < 5; i++) {
      const task = await f.colony.tasks.create({ title: `t${i}` });
      await f.colony.tasks.assign(task.id, agent!.id);
      tasks.push(task.id);
    }
    const [t0, t1, t2, t3, t4] = tasks as [string, string, string, string, string];
    expect(await count()).toBe(5);
    await f.colony.tasks.start(t0);
    await f.colony.tasks.reportProgress(t0, 0.5);
    expect(await count()).toBe(5);
    await f.colony.tasks.complete(t0);
    expect(await count()).toBe(4);
    await f.colony.tasks.start(t1);
    await f.colony.tasks.fail(t1, 'e');
    expect(await count()).toBe(3);
    await f.colony.tasks.cancel(t2);
    expect(await count()).toBe(2);
    await f.colony.tasks.start(t3);
    await f.colony.tasks.cancel(t3);
    expect(await count()).toBe(1);
    // Requeued by PAUSE, then given back on RESUME + assign.
    await f.colony.agents.perform(agent!.id, 'PAUSE');
    expect(await count()).toBe(0);
    await f.colony.agents.perform(agent!.id, 'RESUME');
    await f.colony.tasks.assign(t4);
    expect(await count()).toBe(1);
    // A cancelled PENDING task has no assignee to count against.
    const loose = await f.colony.tasks.create({ title: 'loose' });
    await f.colony.tasks.cancel(loose.id);
    expect(await count()).toBe(1);
  });
});

describe('racing task requests', () => {
  it('two assigns of one task: exactly one wins, the other sees INVALID_TRANSITION', async () => {
    const f = fleet();
    const [a, b] = await withAgents(f, { name: 'a' }, { name: 'b' });
    const task = await f.colony.tasks.create({ title: 't' });
    f.take();
    const results = await Promise.allSettled([
      f.colony.tasks.assign(task.id, a!.id),
      f.colony.tasks.assign(task.id, b!.id),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    const winner = (won[0] as PromiseFulfilledResult<Task>).value.assigneeId;
    const agents = await f.colony.agents.getMany([a!.id, b!.id]);
    expect(agents.map((x) => x?.activeTaskCount)).toEqual(agents.map((x) => (x?.id === winner ? 1 : 0)));
    expect(f.drain()).toEqual(['TASK_ASSIGNED']);
  });

  it('two starts of one task: exactly one TASK_STARTED', async () => {
    const f = fleet();
    const { task } = await taskIn(f, 'ASSIGNED');
    f.take();
    const results = await Promise.allSettled([f.colony.tasks.start(task.id), f.colony.tasks.start(task.id)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(f.drain()).toEqual(['TASK_STARTED']);
  });

  it('complete against cancel: one final status, the count drops once', async () => {
    const f = fleet();
    const { task, agent } = await taskIn(f, 'RUNNING');
    f.take();
    const results = await Promise.allSettled([
      f.colony.tasks.complete(task.id),
      f.colony.tasks.cancel(task.id),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(f.events).toHaveLength(1);
    expect((await f.colony.agents.get(agent.id))?.activeTaskCount).toBe(0);
  });

  it('auto-assignments at once spread over the agents by load', async () => {
    const f = fleet();
    const agents = await withAgents(f, { name: 'a' }, { name: 'b' }, { name: 'c' });
    const tasks = [];
    for (let i = 0; i < 6; i++) tasks.push(await f.colony.tasks.create({ title: `t${i}` }));
    const assigned = await Promise.all(tasks.map((t) => f.colony.tasks.assign(t.id)));
    const perAgent = agents.map((a) => assigned.filter((t) => t.assigneeId === a.id).length);
    expect(perAgent).toEqual([2, 2, 2]);
    const counts = (await f.colony.agents.getMany(agents.map((a) => a.id))).map((a) => a?.activeTaskCount);
    expect(counts).toEqual([2, 2, 2]);
  });

  it('an assignment racing the agent’s PAUSE never leaves work with a PAUSED agent', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    const task = await f.colony.tasks.create({ title: 't' });
    const [assigned] = await Promise.allSettled([
      f.colony.tasks.assign(task.id, agent!.id),
      f.colony.agents.perform(agent!.id, 'PAUSE'),
    ]);
    const after = await f.colony.tasks.get(task.id);
    expect(after).toMatchObject({ status: 'PENDING', assigneeId: null });
    expect((await f.colony.agents.get(agent!.id))?.activeTaskCount).toBe(0);
    // Either the assign lost (refused), or it won and the PAUSE handed the task back.
    if (assigned.status === 'rejected') expect(assigned.reason).toMatchObject({ code: 'CONFLICT' });
  });
});

describe('listing tasks', () => {
  it('filters by status and assignee, oldest first, with paging', async () => {
    const f = fleet();
    const [agent] = await withAgents(f, { name: 'a' });
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await f.colony.tasks.create({ title: `t${i}` }));
    await f.colony.tasks.assign(made[1]!.id, agent!.id);
    await f.colony.tasks.assign(made[3]!.id, agent!.id);
    const mine = await f.colony.tasks.list({ assigneeId: agent!.id }, { first: 1 });
    expect(mine).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(mine.items.map((t) => t.title)).toEqual(['t1']);
    const next = await f.colony.tasks.list({ assigneeId: agent!.id }, { first: 1, after: made[1]!.id });
    expect(next.items.map((t) => t.title)).toEqual(['t3']);
    expect(next).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const pending = await f.colony.tasks.list({ status: 'PENDING' }, { first: 100 });
    expect(pending.items.map((t) => t.title)).toEqual(['t0', 't2']);
    expect(await errorOf(f.colony.tasks.list({ status: 'DONE' as TaskStatus }, { first: 1 }))).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });
});
