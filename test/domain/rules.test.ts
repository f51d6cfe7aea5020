import { describe, expect, it } from 'vitest';
import { applyAction, byLoadThenAge } from '../../src/domain/agents/agent-rules.js';
import { approvalRate, decide } from '../../src/domain/consensus/consensus-rules.js';
import { checkStep } from '../../src/domain/tasks/task-rules.js';
import type { Agent, AgentAction, AgentStatus } from '../../src/domain/model.js';

describe('the agent state machine', () => {
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
  it.each(table)('%s + %s → %s', (from, action, to) => {
    if (to === 'refused')
      expect(() => applyAction(from, action)).toThrow(
        expect.objectContaining({ code: 'INVALID_TRANSITION', details: { action, status: from } }),
      );
    else expect(applyAction(from, action)).toBe(to);
  });
});

describe('the task state machine', () => {
  const allowed = {
    assign: ['PENDING'],
    start: ['ASSIGNED'],
    progress: ['RUNNING'],
    complete: ['RUNNING'],
    fail: ['RUNNING'],
    cancel: ['PENDING', 'ASSIGNED', 'RUNNING'],
  } as const;
  const statuses = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
  for (const [step, ok] of Object.entries(allowed)) {
    for (const status of statuses) {
      const allowedHere = (ok as readonly string[]).includes(status);
      it(`${step} from ${status} is ${allowedHere ? 'allowed' : 'refused'}`, () => {
        const run = () => checkStep(step as keyof typeof allowed, status);
        if (allowedHere) expect(run).not.toThrow();
        else
          expect(run).toThrow(
            expect.objectContaining({ code: 'INVALID_TRANSITION', details: { step, status } }),
          );
      });
    }
  }
});

describe('candidate order', () => {
  const agent = (id: string, load: number, createdAt: string) =>
    ({ id, activeTaskCount: load, createdAt }) as Agent;
  it('puts the least loaded first, then the oldest, then the smallest id', () => {
    const list = [
      agent('d', 1, '2026-01-01T00:00:00Z'),
      agent('c', 0, '2026-01-02T00:00:00Z'),
      agent('b', 0, '2026-01-01T00:00:00Z'),
      agent('a', 0, '2026-01-01T00:00:00Z'),
    ];
    expect(list.sort(byLoadThenAge).map((a) => a.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('is a consistent comparator: opposite signs both ways, zero only for the same agent', () => {
    const ordered = [
      agent('a', 0, '2026-01-01T00:00:00Z'),
      agent('b', 0, '2026-01-01T00:00:00Z'),
      agent('c', 0, '2026-01-02T00:00:00Z'),
      agent('d', 1, '2026-01-01T00:00:00Z'),
    ];
    ordered.forEach((x, i) => {
      expect(byLoadThenAge(x, { ...x })).toBe(0);
      for (const y of ordered.slice(i + 1)) {
        expect(Math.sign(byLoadThenAge(x, y)), `${x.id} before ${y.id}`).toBe(-1);
        expect(Math.sign(byLoadThenAge(y, x)), `${y.id} after ${x.id}`).toBe(1);
      }
    });
  });
});

describe('when consensus is reached', () => {
  const votes = (...approve: boolean[]) => approve.map((a) => ({ approve: a }) as never);
  const voterIds = ['1', '2', '3', '4'];
  it('approves once approvals/voters reach the threshold', () => {
    expect(decide({ voterIds, threshold: 0.5, votes: votes(true) })).toBe('OPEN');
    expect(decide({ voterIds, threshold: 0.5, votes: votes(true, true) })).toBe('APPROVED');
    expect(decide({ voterIds: ['1', '2', '3'], threshold: 2 / 3, votes: votes(true, true) })).toBe(
      'APPROVED',
    );
  });
  it('rejects once the threshold can no longer be reached', () => {
    expect(decide({ voterIds, threshold: 0.75, votes: votes(false) })).toBe('OPEN');
    expect(decide({ voterIds, threshold: 0.75, votes: votes(false, false) })).toBe('REJECTED');
    expect(decide({ voterIds, threshold: 1, votes: votes(false) })).toBe('REJECTED');
  });
});

describe('the approval rate', () => {
  it('is approvals over all voters, not over the votes cast, and 0 without voters', () => {
    const ballot = (voterIds: string[], ...approve: boolean[]) => ({
      voterIds,
      votes: approve.map((a) => ({ approve: a }) as never),
    });
    expect(approvalRate(ballot(['1', '2', '3', '4'], true, false, true))).toBe(0.5);
    expect(approvalRate(ballot(['1', '2', '3'], true))).toBeCloseTo(1 / 3);
    expect(approvalRate(ballot([]))).toBe(0);
  });
});
