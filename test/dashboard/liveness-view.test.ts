/**
 * What the dashboard says of liveness, from the lines and records the server sends: the LIVENESS
 * group holds an expiry and the requeues it brought (and nothing else), an expiry counts its own
 * requeues, and an agent card reads its lease (nothing for an agent that never held one).
 */
import { describe, expect, it } from 'vitest';
import { groupOf, livenessSummaries, summary } from '../../dashboard/src/components/feed-summary.js';
import { livenessOf, secondsSince } from '../../dashboard/src/components/liveness.js';
import { emptyFleet, fleetReducer, type Agent, type FeedLine } from '../../dashboard/src/fleet-state.js';

const agentLine = (id: string, agentId: string, status: string, reason: string | null): FeedLine =>
  ({
    id,
    type: 'AGENT_STATUS_CHANGED',
    rooms: ['agents', `agent:${agentId}`],
    timestamp: '2026-01-01T00:00:00.000Z',
    payload: {
      __typename: 'AgentEventPayload',
      reason,
      agent: { id: agentId, name: `n-${agentId}`, status },
    },
  }) as FeedLine;

const requeue = (id: string, taskId: string, agentId: string, reason: string | null): FeedLine =>
  ({
    id,
    type: 'TASK_REQUEUED',
    rooms: ['tasks', `task:${taskId}`, `agent:${agentId}`],
    timestamp: '2026-01-01T00:00:00.000Z',
    payload: {
      __typename: 'TaskEventPayload',
      reason,
      task: { id: taskId, title: `t-${taskId}`, status: 'PENDING', progress: null },
    },
  }) as FeedLine;

describe('the liveness group of the feed', () => {
  it('holds an expiry and its requeues, and leaves other status changes and requeues where they were', () => {
    expect(groupOf(agentLine('1-0', 'A', 'OFFLINE', 'LEASE_EXPIRED'))).toBe('liveness');
    expect(groupOf(requeue('1-1', 'T', 'A', 'LEASE_EXPIRED'))).toBe('liveness');
    expect(groupOf(agentLine('2-0', 'A', 'PAUSED', null))).toBe('agents');
    expect(groupOf(requeue('2-1', 'T', 'A', 'AGENT_PAUSED'))).toBe('tasks');
  });

  it("counts an expiry's requeues, in its agent's room, until that agent's next status change", () => {
    const feed = [
      agentLine('1-0', 'A', 'OFFLINE', 'LEASE_EXPIRED'),
      agentLine('1-1', 'B', 'OFFLINE', 'LEASE_EXPIRED'),
      requeue('1-2', 'T1', 'A', 'LEASE_EXPIRED'),
      requeue('1-3', 'T2', 'A', 'LEASE_EXPIRED'),
      requeue('1-4', 'T3', 'B', 'LEASE_EXPIRED'),
      // A started again, then paused (not liveness), then expired again with nothing held.
      agentLine('2-0', 'A', 'ACTIVE', null),
      requeue('2-1', 'T4', 'A', 'AGENT_PAUSED'),
      agentLine('3-0', 'A', 'OFFLINE', 'LEASE_EXPIRED'),
    ];
    const text = livenessSummaries(feed);
    expect(text.get('1-0')).toBe('agent n-A lease expired — 2 tasks requeued');
    expect(text.get('1-1')).toBe('agent n-B lease expired — 1 task requeued');
    expect(text.get('1-2')).toBe("t-T1 requeued — agent n-A's lease expired");
    expect(text.get('3-0')).toBe('agent n-A lease expired — 0 tasks requeued');
    expect(text.has('2-0')).toBe(false);
    expect(text.has('2-1')).toBe(false);
    expect(summary(feed[5]!)).toBe('n-A (active)');
  });

  it('names no agent for a requeue whose expiry is no longer in the feed', () => {
    expect(livenessSummaries([requeue('1-2', 'T1', 'A', 'LEASE_EXPIRED')]).get('1-2')).toBe(
      "t-T1 requeued — its agent's lease expired",
    );
  });
});

describe("an agent card's liveness", () => {
  it('reads the lease, and nothing for an agent that never held one', () => {
    const never = { leaseState: null, lastSeenAt: null, leaseExpiresAt: null };
    expect(livenessOf(never)).toEqual({ kind: 'none' });
    expect(
      livenessOf({ leaseState: 'HELD', lastSeenAt: '2026-01-01T00:00:00.000Z', leaseExpiresAt: 'x' }),
    ).toEqual({ kind: 'live', lastSeenAt: '2026-01-01T00:00:00.000Z' });
    expect(
      livenessOf({ leaseState: 'EXPIRED', lastSeenAt: 'y', leaseExpiresAt: '2026-01-01T00:00:03.000Z' }),
    ).toEqual({ kind: 'expired', at: '2026-01-01T00:00:03.000Z' });
    expect(livenessOf({ leaseState: 'RELEASED', lastSeenAt: 'y', leaseExpiresAt: 'z' })).toEqual({
      kind: 'released',
    });
  });

  it('counts whole seconds since the expiry, never below 0', () => {
    const at = '2026-01-01T00:00:03.000Z';
    expect(secondsSince(at, Date.parse(at) + 3_999)).toBe(3);
    expect(secondsSince(at, Date.parse(at) - 500)).toBe(0);
  });
});

describe('presence on the page', () => {
  const agent = (id: string, over: Partial<Agent> = {}): Agent => ({
    id,
    name: id,
    type: 't',
    status: 'ACTIVE',
    activeTaskCount: 0,
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: null,
    leaseExpiresAt: null,
    leaseState: null,
    ...over,
  });
  const seen = (id: string, at: string) => ({
    agent: { id },
    lastSeenAt: at,
    leaseExpiresAt: '2026-01-01T00:01:00.000Z',
  });

  it('makes a shown agent live and fresher, never revives an expired lease, and counts the live', () => {
    let state = fleetReducer(emptyFleet, {
      type: 'agents',
      nodes: [
        agent('quiet'),
        agent('held', { leaseState: 'HELD', lastSeenAt: '2026-01-01T00:00:05.000Z' }),
        agent('dead', {
          status: 'OFFLINE',
          leaseState: 'EXPIRED',
          leaseExpiresAt: '2026-01-01T00:00:09.000Z',
        }),
      ],
    });
    state = fleetReducer(state, {
      type: 'presence',
      data: {
        fleet: { liveAgents: 4 },
        presence: [
          seen('quiet', '2026-01-01T00:00:10.000Z'),
          seen('held', '2026-01-01T00:00:11.000Z'),
          // Asked before the expiry, answered after its event.
          seen('dead', '2026-01-01T00:00:08.000Z'),
          seen('not-shown', '2026-01-01T00:00:10.000Z'),
        ],
      },
    });
    expect(state.agents.get('quiet')).toMatchObject({
      leaseState: 'HELD',
      lastSeenAt: '2026-01-01T00:00:10.000Z',
    });
    expect(state.agents.get('held')?.lastSeenAt).toBe('2026-01-01T00:00:11.000Z');
    expect(state.agents.get('dead')).toMatchObject({ leaseState: 'EXPIRED', status: 'OFFLINE' });
    expect(state.agents.has('not-shown')).toBe(false);
    expect(state.live).toBe(4);
  });
});
