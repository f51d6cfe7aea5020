import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import {
  AssignTask,
  CancelTask,
  CompleteTask,
  CreateAgent,
  CreateTask,
  DeleteAgent,
  FailTask,
  GetAgent,
  ListTasks,
  PerformAgentAction,
  RealtimeStatsQuery,
  ReportTaskProgress,
  StartTask,
} from './operations.js';

// A fresh app per test: auto-assignment depends on every agent of the fleet.
let t: TestApp;
beforeEach(async () => {
  await t?.stop();
  t = await startApp();
});
afterAll(() => t.stop());

const published = async () => (await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished;
const agent = async (name: string, capabilities: string[] = []) =>
  (await t.ok(CreateAgent, { input: { name, type: 'worker', capabilities } })).createAgent;
const task = async (requiredCapabilities: string[] = [], extra: { priority?: number } = {}) =>
  (await t.ok(CreateTask, { input: { title: 'crawl', requiredCapabilities, ...extra } })).createTask;
const load = async (id: string) => (await t.ok(GetAgent, { id })).agent?.activeTaskCount;

describe('tasks over HTTP', () => {
  it('walks PENDING → ASSIGNED → RUNNING → COMPLETED', async () => {
    const a = await agent('w');
    const created = await task();
    expect(created).toMatchObject({ status: 'PENDING', priority: 5, assignee: null });
    const assigned = (await t.ok(AssignTask, { id: created.id, agentId: a.id })).assignTask;
    expect(assigned).toMatchObject({ status: 'ASSIGNED', assignee: { id: a.id } });
    expect(await load(a.id)).toBe(1);
    expect((await t.ok(StartTask, { id: created.id })).startTask.status).toBe('RUNNING');
    const p = (await t.ok(ReportTaskProgress, { id: created.id, progress: 0.5, message: 'half' }))
      .reportTaskProgress;
    expect(p).toMatchObject({ progress: 0.5, progressMessage: 'half' });
    const done = (await t.ok(CompleteTask, { id: created.id, result: { pages: 3 } })).completeTask;
    expect(done).toMatchObject({ status: 'COMPLETED', result: { pages: 3 }, progress: 1 });
    expect(await load(a.id)).toBe(0);
  });

  it('fails a RUNNING task with its error', async () => {
    const a = await agent('w');
    const x = await task();
    await t.ok(AssignTask, { id: x.id, agentId: a.id });
    await t.ok(StartTask, { id: x.id });
    expect((await t.ok(FailTask, { id: x.id, error: 'timeout' })).failTask).toMatchObject({
      status: 'FAILED',
      error: 'timeout',
    });
    expect(codes(await t.request(FailTask, { id: x.id, error: '' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses every step out of order, changing nothing', async () => {
    const a = await agent('w');
    const x = await task();
    const before = await published();
    expect(codes(await t.request(StartTask, { id: x.id }))).toEqual(['INVALID_TRANSITION']);
    expect(codes(await t.request(ReportTaskProgress, { id: x.id, progress: 0.1 }))).toEqual([
      'INVALID_TRANSITION',
    ]);
    expect(codes(await t.request(CompleteTask, { id: x.id }))).toEqual(['INVALID_TRANSITION']);
    expect(codes(await t.request(FailTask, { id: x.id, error: 'e' }))).toEqual(['INVALID_TRANSITION']);
    await t.ok(AssignTask, { id: x.id, agentId: a.id });
    expect(codes(await t.request(AssignTask, { id: x.id, agentId: a.id }))).toEqual(['INVALID_TRANSITION']);
    expect(codes(await t.request(CompleteTask, { id: x.id }))).toEqual(['INVALID_TRANSITION']);
    await t.ok(StartTask, { id: x.id });
    expect(codes(await t.request(StartTask, { id: x.id }))).toEqual(['INVALID_TRANSITION']);
    await t.ok(CompleteTask, { id: x.id });
    for (const op of [
      t.request(CancelTask, { id: x.id }),
      t.request(FailTask, { id: x.id, error: 'e' }),
      t.request(ReportTaskProgress, { id: x.id, progress: 1 }),
    ]) {
      expect(codes(await op)).toEqual(['INVALID_TRANSITION']);
    }
    expect(await published()).toBe(before + 3);
    expect(codes(await t.request(StartTask, { id: 'unknown' }))).toEqual(['NOT_FOUND']);
  });

  it('cancels from PENDING, ASSIGNED and RUNNING, releasing the assignee', async () => {
    const a = await agent('w');
    const pending = await task();
    expect((await t.ok(CancelTask, { id: pending.id, reason: 'dup' })).cancelTask).toMatchObject({
      status: 'CANCELLED',
      reason: 'dup',
    });
    const assigned = await task();
    await t.ok(AssignTask, { id: assigned.id, agentId: a.id });
    await t.ok(CancelTask, { id: assigned.id });
    const running = await task();
    await t.ok(AssignTask, { id: running.id, agentId: a.id });
    await t.ok(StartTask, { id: running.id });
    expect(await load(a.id)).toBe(1);
    await t.ok(CancelTask, { id: running.id });
    expect(await load(a.id)).toBe(0);
  });

  it('keeps progress within 0..1 and never lets it fall', async () => {
    const a = await agent('w');
    const x = await task();
    await t.ok(AssignTask, { id: x.id, agentId: a.id });
    await t.ok(StartTask, { id: x.id });
    await t.ok(ReportTaskProgress, { id: x.id, progress: 0.6 });
    const lower = await t.request(ReportTaskProgress, { id: x.id, progress: 0.5 });
    expect(codes(lower)).toEqual(['BAD_USER_INPUT']);
    expect(lower.errors?.[0]?.extensions?.reason).toBe('PROGRESS_DECREASED');
    expect(codes(await t.request(ReportTaskProgress, { id: x.id, progress: 1.5 }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(codes(await t.request(ReportTaskProgress, { id: x.id, progress: -0.1 }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    await t.ok(ReportTaskProgress, { id: x.id, progress: 0.6, message: 'same value is fine' });
  });

  it('validates task input', async () => {
    expect(codes(await t.request(CreateTask, { input: { title: '' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(CreateTask, { input: { title: 'x', priority: 11 } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(codes(await t.request(CreateTask, { input: { title: 'x', priority: -1 } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect((await task([], { priority: 0 })).priority).toBe(0);
  });

  it('auto-assigns to the least-loaded capable ACTIVE agent, the oldest on a tie', async () => {
    const old = await agent('old', ['gpu', 'http']);
    const young = await agent('young', ['gpu', 'http']);
    const lacking = await agent('lacking', ['http']);
    const paused = await agent('paused', ['gpu', 'http']);
    await t.ok(PerformAgentAction, { id: paused.id, action: 'PAUSE' });
    const first = (await t.ok(AssignTask, { id: (await task(['gpu'])).id })).assignTask;
    expect(first.assignee?.id).toBe(old.id); // tie on load: the oldest
    const second = (await t.ok(AssignTask, { id: (await task(['gpu'])).id })).assignTask;
    expect(second.assignee?.id).toBe(young.id); // old now holds one
    const third = (await t.ok(AssignTask, { id: (await task(['http'])).id })).assignTask;
    expect(third.assignee?.id).toBe(lacking.id); // the only one with none
  });

  it('says CONFLICT (NO_CANDIDATE) when nobody can take the task, and leaves it PENDING', async () => {
    await agent('w', ['http']);
    const x = await task(['gpu']);
    const before = await published();
    const result = await t.request(AssignTask, { id: x.id });
    expect(codes(result)).toEqual(['CONFLICT']);
    expect(result.errors?.[0]?.extensions?.reason).toBe('NO_CANDIDATE');
    expect(result.errors?.[0]?.message).toContain('gpu');
    expect(await published()).toBe(before);
  });

  it('refuses an explicit assignee that is not ACTIVE or lacks a capability', async () => {
    const a = await agent('w', ['http']);
    const x = await task(['gpu']);
    const missing = await t.request(AssignTask, { id: x.id, agentId: a.id });
    expect(codes(missing)).toEqual(['CONFLICT']);
    expect(missing.errors?.[0]?.extensions?.reason).toBe('MISSING_CAPABILITIES');
    const y = await task();
    await t.ok(PerformAgentAction, { id: a.id, action: 'PAUSE' });
    const inactive = await t.request(AssignTask, { id: y.id, agentId: a.id });
    expect(inactive.errors?.[0]?.extensions?.reason).toBe('AGENT_NOT_ACTIVE');
    expect(codes(await t.request(AssignTask, { id: y.id, agentId: 'ghost' }))).toEqual(['NOT_FOUND']);
  });

  it('hands back unstarted tasks when an agent leaves ACTIVE, but keeps the running ones', async () => {
    const a = await agent('w');
    const running = await task();
    const waiting = await task();
    await t.ok(AssignTask, { id: running.id, agentId: a.id });
    await t.ok(StartTask, { id: running.id });
    await t.ok(AssignTask, { id: waiting.id, agentId: a.id });
    await t.ok(PerformAgentAction, { id: a.id, action: 'PAUSE' });
    const held = (await t.ok(ListTasks, { assigneeId: a.id })).tasks.edges.map((e) => e.node);
    expect(held).toEqual([{ id: running.id, status: 'RUNNING', assignee: { id: a.id } }]);
    const pending = (await t.ok(ListTasks, { status: 'PENDING' })).tasks.edges.map((e) => e.node?.id);
    expect(pending).toEqual([waiting.id]);
    expect(await load(a.id)).toBe(1);
  });

  it('returns ASSIGNED and RUNNING tasks to PENDING when their agent is deleted', async () => {
    const a = await agent('w');
    const b = await agent('other');
    const r = await task();
    const s = await task();
    const done = await task();
    await t.ok(AssignTask, { id: r.id, agentId: a.id });
    await t.ok(StartTask, { id: r.id });
    await t.ok(AssignTask, { id: s.id, agentId: a.id });
    await t.ok(AssignTask, { id: done.id, agentId: b.id });
    await t.ok(DeleteAgent, { id: a.id });
    const pending = (await t.ok(ListTasks, { status: 'PENDING' })).tasks.edges.map((e) => e.node);
    expect(pending).toEqual([
      { id: r.id, status: 'PENDING', assignee: null },
      { id: s.id, status: 'PENDING', assignee: null },
    ]);
  });

  it('lets exactly one of two racing assignments of one task win', async () => {
    const a = await agent('a');
    const b = await agent('b');
    const x = await task();
    const before = await published();
    const results = await Promise.all([
      t.request(AssignTask, { id: x.id, agentId: a.id }),
      t.request(AssignTask, { id: x.id, agentId: b.id }),
    ]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.flatMap(codes)).toEqual(['INVALID_TRANSITION']);
    expect(await published()).toBe(before + 1);
    expect((await load(a.id))! + (await load(b.id))!).toBe(1);
  });

  it('spreads racing auto-assignments over the fleet by load', async () => {
    const agents = [await agent('a'), await agent('b'), await agent('c')];
    const tasks = await Promise.all(Array.from({ length: 6 }, () => task()));
    await Promise.all(tasks.map((x) => t.ok(AssignTask, { id: x.id })));
    const loads = await Promise.all(agents.map((a) => load(a.id)));
    expect(loads).toEqual([2, 2, 2]);
  });
});
