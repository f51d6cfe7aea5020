/**
 * The fleet as the dashboard shows it: a snapshot from one query, then every event applied to it.
 * Each event carries the full snapshot of what changed, so applying one is an upsert (or a removal).
 */
import type {
  AgentCardFragment,
  DashboardQuery,
  FeedEventFragment,
  ProposalCardFragment,
  TaskCardFragment,
} from './gql/graphql.js';

export type Agent = AgentCardFragment;
export type Task = TaskCardFragment;
export type Proposal = ProposalCardFragment;
export type FeedEvent = FeedEventFragment;
export interface Alert {
  id: string;
  level: string;
  message: string;
  at: string;
}

export interface FleetState {
  agents: Map<string, Agent>;
  tasks: Map<string, Task>;
  proposals: Map<string, Proposal>;
  leader: { id: string; name: string } | null;
  term: number;
  alerts: Alert[];
  /** Newest last, without repeats. */
  feed: FeedEvent[];
  feedIds: Set<string>;
}

const FEED_LIMIT = 300;
const ALERT_LIMIT = 20;

export const emptyFleet: FleetState = {
  agents: new Map(),
  tasks: new Map(),
  proposals: new Map(),
  leader: null,
  term: 0,
  alerts: [],
  feed: [],
  feedIds: new Set(),
};

export type FleetAction = { type: 'snapshot'; data: DashboardQuery } | { type: 'event'; event: FeedEvent };

function alertOf(event: FeedEvent): Alert | null {
  return event.payload.__typename === 'AlertEventPayload' ? event.payload.alert : null;
}

export function fleetReducer(state: FleetState, action: FleetAction): FleetState {
  if (action.type === 'snapshot') {
    const { data } = action;
    const feed = data.feed.edges.map((e) => e.node);
    // Events that arrived live before the snapshot answered stay in the feed.
    const feedIds = new Set(feed.map((e) => e.id));
    const merged = [...feed, ...state.feed.filter((e) => !feedIds.has(e.id))].sort((a, b) =>
      compareIds(a.id, b.id),
    );
    return {
      agents: new Map(data.agents.edges.map((e) => [e.node.id, e.node])),
      tasks: new Map(data.tasks.edges.map((e) => [e.node.id, e.node])),
      proposals: new Map(data.proposals.edges.map((e) => [e.node.id, e.node])),
      leader: data.fleet.leader ?? null,
      term: data.fleet.term,
      alerts: data.alerts.edges.flatMap((e) => alertOf(e.node) ?? []).reverse(),
      feed: merged.slice(-FEED_LIMIT),
      feedIds: new Set(merged.slice(-FEED_LIMIT).map((e) => e.id)),
    };
  }
  const { event } = action;
  if (state.feedIds.has(event.id)) return state;
  const next: FleetState = {
    ...state,
    feed: [...state.feed, event].slice(-FEED_LIMIT),
    feedIds: new Set(state.feedIds).add(event.id),
  };
  const p = event.payload;
  switch (p.__typename) {
    case 'AgentEventPayload': {
      const agents = new Map(state.agents);
      if (event.type === 'AGENT_DELETED') agents.delete(p.agent.id);
      else agents.set(p.agent.id, p.agent);
      next.agents = agents;
      break;
    }
    case 'TaskEventPayload': {
      next.tasks = new Map(state.tasks).set(p.task.id, p.task);
      break;
    }
    case 'ElectionEventPayload': {
      if (event.type === 'LEADER_ELECTED') {
        next.leader = p.election.leader ?? null;
        next.term = p.election.term;
      }
      break;
    }
    case 'ProposalEventPayload': {
      const proposals = new Map(state.proposals);
      if (p.proposal.status === 'OPEN') proposals.set(p.proposal.id, p.proposal);
      else proposals.delete(p.proposal.id);
      next.proposals = proposals;
      break;
    }
    case 'AlertEventPayload': {
      next.alerts = [p.alert, ...state.alerts].slice(0, ALERT_LIMIT);
      break;
    }
    default:
      break;
  }
  return next;
}

/** Event ids are `<ms>-<seq>`. */
export function compareIds(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am - bm || an - bn;
}
