/**
 * The dashboard's fleet state: pages and live events meet without losing or undoing a change, and
 * counts are the server's.
 */
import { describe, expect, it } from 'vitest';
import {
  emptyFleet,
  fleetReducer,
  type Agent,
  type FleetState,
  type StreamEvent,
} from '../../dashboard/src/fleet-state.js';

const agent = (id: string, status: Agent['status'], updatedAt: string): Agent => ({
  id,
  name: `agent-${id}`,
  type: 't',
  status,
  activeTaskCount: 0,
  updatedAt,
});

const created = (id: string, a: Agent): StreamEvent =>
  ({
    __typename: 'Event',
    id,
    type: 'AGENT_CREATED',
    rooms: ['agents'],
    timestamp: a.updatedAt,
    payload: { __typename: 'AgentEventPayload', agent: a },
  }) as StreamEvent;

describe('the fleet state', () => {
  it('applies a live event that the feed query already listed', () => {
    const a = agent('A1', 'ACTIVE', '2026-01-01T00:00:01.000Z');
    const event = created('1-0', a);
    // The feed query answered first, with the event's line but no record.
    let state: FleetState = fleetReducer(emptyFleet, {
      type: 'feed',
      data: { eventLog: { edges: [{ node: event }] } } as never,
    });
    state = fleetReducer(state, { type: 'event', event });
    expect(state.agents.get('A1')).toEqual(a);
    expect(state.feed.map((e) => e.id)).toEqual(['1-0']);
  });

  it('keeps the newer of a page and an event, whichever arrives last', () => {
    const older = agent('A1', 'ACTIVE', '2026-01-01T00:00:01.000Z');
    const newer = agent('A1', 'PAUSED', '2026-01-01T00:00:02.000Z');
    let state = fleetReducer(emptyFleet, { type: 'event', event: created('2-0', newer) });
    state = fleetReducer(state, { type: 'agents', nodes: [older] });
    expect(state.agents.get('A1')?.status).toBe('PAUSED');
    state = fleetReducer(state, { type: 'event', event: created('1-0', older) });
    expect(state.agents.get('A1')?.status).toBe('PAUSED');
  });

  it('does not bring back a deleted agent from a page that answers late', () => {
    const a = agent('A1', 'ACTIVE', '2026-01-01T00:00:01.000Z');
    let state = fleetReducer(emptyFleet, { type: 'agents', nodes: [a] });
    state = fleetReducer(state, { type: 'event', event: { ...created('3-0', a), type: 'AGENT_DELETED' } });
    state = fleetReducer(state, { type: 'agents', nodes: [a] });
    expect(state.agents.has('A1')).toBe(false);
  });

  it("takes the counts from the server's answer", () => {
    const state = fleetReducer(emptyFleet, {
      type: 'counts',
      fleet: {
        term: 2,
        leader: null,
        agentsByStatus: [{ status: 'ACTIVE', count: 850 }],
        tasksByStatus: [{ status: 'PENDING', count: 8500 }],
      } as never,
    });
    expect(state.counts).toEqual({ agents: { ACTIVE: 850 }, tasks: { PENDING: 8500 } });
    expect(state.term).toBe(2);
  });
});
