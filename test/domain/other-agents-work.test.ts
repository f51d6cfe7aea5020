/**
 * An agent that leaves (pause, stop, delete) hands back its own work and nobody else's: the query
 * that finds what it holds must be its tasks, not every task.
 */
import { describe, expect, it } from 'vitest';
import { fleet, type Fleet, withAgents } from './fleet.js';

/** Two agents, each holding one ASSIGNED and one RUNNING task, and one PENDING task nobody holds. */
async function twoBusyAgents(f: Fleet) {
  const [leaving, staying] = await withAgents(f, { name: 'leaving' }, { name: 'staying' });
  const held: Record<string, { assigned: string; running: string }> = {};
  for (const agent of [leaving!, staying!]) {
    const assigned = await f.colony.tasks.create({ title: `${agent.name} assigned` });
    const running = await f.colony.tasks.create({ title: `${agent.name} running` });
    await f.colony.tasks.assign(assigned.id, agent.id);
    await f.colony.tasks.assign(running.id, agent.id);
    await f.colony.tasks.start(running.id);
    held[agent.name] = { assigned: assigned.id, running: running.id };
  }
  const pending = await f.colony.tasks.create({ title: 'nobody' });
  f.take();
  return { leaving: leaving!, staying: staying!, held, pending };
}

describe("another agent's work", () => {
  it.each(['PAUSE', 'STOP'] as const)('stays with it when one agent gets %s', async (action) => {
    const f = fleet();
    const { leaving, staying, held, pending } = await twoBusyAgents(f);
    const snapshotOfStaying = await f.colony.agents.get(staying.id);
    await f.colony.agents.perform(leaving.id, action);

    expect(await f.colony.tasks.get(held['staying']!.assigned)).toMatchObject({
      status: 'ASSIGNED',
      assigneeId: staying.id,
    });
    expect(await f.colony.tasks.get(held['staying']!.running)).toMatchObject({
      status: 'RUNNING',
      assigneeId: staying.id,
    });
    expect(await f.colony.agents.get(staying.id)).toEqual(snapshotOfStaying);
    expect(await f.colony.tasks.get(pending.id)).toMatchObject({ status: 'PENDING', assigneeId: null });
    // Exactly the leaving agent's ASSIGNED task was requeued.
    const requeued = f.take().filter((e) => e.type === 'TASK_REQUEUED');
    expect(requeued.map((e) => (e.payload as { task: { id: string } }).task.id)).toEqual([
      held['leaving']!.assigned,
    ]);
    expect(await f.colony.agents.get(leaving.id)).toMatchObject({ activeTaskCount: 1 });
  });

  it('stays with it when one agent is deleted', async () => {
    const f = fleet();
    const { leaving, staying, held, pending } = await twoBusyAgents(f);
    const gone = await f.colony.agents.delete(leaving.id);
    expect(gone.activeTaskCount).toBe(0);

    for (const id of [held['staying']!.assigned, held['staying']!.running])
      expect(await f.colony.tasks.get(id)).toMatchObject({ assigneeId: staying.id });
    expect(await f.colony.agents.get(staying.id)).toMatchObject({ activeTaskCount: 2 });
    expect(await f.colony.tasks.get(pending.id)).toMatchObject({ status: 'PENDING', assigneeId: null });
    const requeued = f.take().filter((e) => e.type === 'TASK_REQUEUED');
    expect(requeued.map((e) => (e.payload as { task: { id: string } }).task.id).sort()).toEqual(
      [held['leaving']!.assigned, held['leaving']!.running].sort(),
    );
  });
});
