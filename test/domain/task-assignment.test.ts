/** Assignment inputs: an explicit agent id is checked as given, never taken as "pick one". */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/domain/validation.js';
import { expectRefused, fleet, withAgents } from './fleet.js';

describe('an explicit assignee', () => {
  it.each([
    ['an empty agent id', ''],
    ['an agent id over 64 characters', 'a'.repeat(LIMITS.id + 1)],
  ])('refuses %s with BAD_USER_INPUT instead of picking an agent', async (_, agentId) => {
    const f = fleet();
    await withAgents(f, { name: 'ready' });
    const task = await f.colony.tasks.create({ title: 't' });
    await expectRefused(f, () => f.colony.tasks.assign(task.id, agentId), 'BAD_USER_INPUT');
  });

  it.each([null, undefined])('given as %s means pick one', async (agentId) => {
    const f = fleet();
    const [ready] = await withAgents(f, { name: 'ready' });
    const task = await f.colony.tasks.create({ title: 't' });
    expect(await f.colony.tasks.assign(task.id, agentId)).toMatchObject({
      status: 'ASSIGNED',
      assigneeId: ready!.id,
    });
  });

  it('refuses a task id that is empty before anything else', async () => {
    const f = fleet();
    const [ready] = await withAgents(f, { name: 'ready' });
    await expectRefused(f, () => f.colony.tasks.assign('', ready!.id), 'BAD_USER_INPUT');
  });
});
