/**
 * The fleet as the dashboard shows it: what the queries loaded (counts, pages of each column, a few
 * proposals, recent events), then every live event applied to it. Each event carries the full
 * snapshot of what changed, so applying one is an upsert (or a removal). A page that answers after
 * an event about the same record does not undo it: the newer `updatedAt` wins.
 */
import type {
  AgentCardFragment,
  AgentStatus,
  DashboardAlertsQuery,
  DashboardFeedQuery,
  DashboardOverviewQuery,
  FeedLineFragment,
  FleetCountsFragment,
  ProposalCardFragment,
  StreamEventFragment,
  TaskCardFragment,
  TaskStatus,
} from './gql/graphql.js';

export type Agent = AgentCardFragment;
export type Task = TaskCardFragment;
export type Proposal = ProposalCardFragment;
export type FeedLine = FeedLineFragment;
export type StreamEvent = StreamEventFragment;
export interface Alert {
  id: string;
  level: string;
  message: string;
  at: string;
}

export interface Counts {
  agents: Partial<Record<AgentStatus, number>>;
  tasks: Partial<Record<TaskStatus, number>>;
}

export interface FleetState {
  agents: Map<string, Agent>;
  tasks: Map<string, Task>;
  /** Deleted while this page was open: a page that answers later does not bring them back. */
  gone: Set<string>;
  proposals: Map<string, Proposal>;
  /** More open proposals than the first page showed. */
  moreProposals: boolean;
  leader: { id: string; name: string } | null;
  term: number;
  /** From the server; null until the first answer. */
  counts: Counts | null;
  alerts: Alert[];
  /** Newest last, without repeats. */
  feed: FeedLine[];
  feedIds: Set<string>;
}

const FEED_LIMIT = 300;
const ALERT_LIMIT = 10;

export const emptyFleet: FleetState = {
  agents: new Map(),
  tasks: new Map(),
  gone: new Set(),
  proposals: new Map(),
  moreProposals: false,
  leader: null,
  term: 0,
  counts: null,
  alerts: [],
  feed: [],
  feedIds: new Set(),
};

export type FleetAction =
  | { type: 'overview'; data: DashboardOverviewQuery }
  | { type: 'alerts'; data: DashboardAlertsQuery }
  | { type: 'feed'; data: DashboardFeedQuery }
  | { type: 'counts'; fleet: FleetCountsFragment }
  | { type: 'agents'; nodes: Agent[] }
  | { type: 'tasks'; nodes: Task[] }
  | { type: 'event'; event: StreamEvent }
  /** CURSOR_EXPIRED: what happened meanwhile is unknown; every view is loaded again. */
  | { type: 'reset' };

function alertOf(event: { payload: { __typename?: string; alert?: Alert } }): Alert | null {
  return event.payload.__typename === 'AlertEventPayload' ? (event.payload.alert ?? null) : null;
}

function countsOf(fleet: FleetCountsFragment): Counts {
  return {
    agents: Object.fromEntries(fleet.agentsByStatus.map((c) => [c.status, c.count])),
    tasks: Object.fromEntries(fleet.tasksByStatus.map((c) => [c.status, c.count])),
  };
}

/** Puts records into a map unless it holds a newer version of one already. */
function merge<T extends { id: string; updatedAt: string }>(
  map: Map<string, T>,
  nodes: T[],
  gone: Set<string>,
): Map<string, T> {
  const next = new Map(map);
  for (const node of nodes) {
    if (gone.has(node.id)) continue;
    const held = next.get(node.id);
    if (!held || held.updatedAt <= node.updatedAt) next.set(node.id, node);
  }
  return next;
}

/** Leaves the feed's newest FEED_LIMIT lines, in id order, each once. */
function withFeed(state: FleetState, lines: FeedLine[]): Pick<FleetState, 'feed' | 'feedIds'> {
  const fresh = lines.filter((e) => !state.feedIds.has(e.id));
  const feed = [...state.feed, ...fresh].sort((a, b) => compareIds(a.id, b.id)).slice(-FEED_LIMIT);
  return { feed, feedIds: new Set(feed.map((e) => e.id)) };
}

export function fleetReducer(state: FleetState, action: FleetAction): FleetState {
  switch (action.type) {
    case 'reset':
      return { ...emptyFleet, feed: state.feed, feedIds: state.feedIds };
    case 'overview': {
      const { data } = action;
      return {
        ...state,
        proposals: new Map(data.proposals.edges.map((e) => [e.node.id, e.node])),
        moreProposals: data.proposals.pageInfo.hasNextPage,
        leader: data.fleet.leader ?? null,
        term: data.fleet.term,
        counts: countsOf(data.fleet),
      };
    }
    case 'alerts': {
      // Alerts that arrived live before the answer stay.
      const loaded = action.data.eventLog.edges.flatMap((e) => alertOf(e.node) ?? []).reverse();
      const ids = new Set(loaded.map((a) => a.id));
      return {
        ...state,
        alerts: [...state.alerts.filter((a) => !ids.has(a.id)), ...loaded]
          .sort((a, b) => (a.at < b.at ? 1 : -1))
          .slice(0, ALERT_LIMIT),
      };
    }
    case 'feed':
      return {
        ...state,
        ...withFeed(
          state,
          action.data.eventLog.edges.map((e) => e.node),
        ),
      };
    case 'counts':
      return {
        ...state,
        counts: countsOf(action.fleet),
        leader: action.fleet.leader ?? null,
        term: action.fleet.term,
      };
    case 'agents':
      return { ...state, agents: merge(state.agents, action.nodes, state.gone) };
    case 'tasks':
      return { ...state, tasks: merge(state.tasks, action.nodes, state.gone) };
    case 'event':
      return applyEvent(state, action.event);
  }
}

function applyEvent(state: FleetState, event: StreamEvent): FleetState {
  // An event the feed query already showed still updates the views: that query carried no records.
  const next: FleetState = state.feedIds.has(event.id)
    ? { ...state }
    : { ...state, ...withFeed(state, [event]) };
  const p = event.payload;
  switch (p.__typename) {
    case 'AgentEventPayload': {
      const held = state.agents.get(p.agent.id);
      if (held && held.updatedAt > p.agent.updatedAt) break; // a page already brought a newer one
      if (event.type === 'AGENT_DELETED') {
        next.agents = new Map(state.agents);
        next.agents.delete(p.agent.id);
        next.gone = new Set(state.gone).add(p.agent.id);
      } else {
        next.agents = new Map(state.agents).set(p.agent.id, p.agent);
      }
      break;
    }
    case 'TaskEventPayload': {
      const held = state.tasks.get(p.task.id);
      if (held && held.updatedAt > p.task.updatedAt) break;
      next.tasks = new Map(state.tasks).set(p.task.id, p.task);
      // The assignee's load as the change left it.
      const assignee = p.task.assignee;
      const agent = assignee ? state.agents.get(assignee.id) : undefined;
      if (assignee && agent && agent.activeTaskCount !== assignee.activeTaskCount)
        next.agents = new Map(state.agents).set(agent.id, {
          ...agent,
          activeTaskCount: assignee.activeTaskCount,
        });
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
      if (!state.alerts.some((a) => a.id === p.alert.id))
        next.alerts = [p.alert, ...state.alerts].slice(0, ALERT_LIMIT);
      break;
    }
    default:
      break;
  }
  return next;
}

/** Whether an event changes what the server counts (agents or tasks by status). */
export function changesCounts(event: StreamEvent): boolean {
  return (
    event.type === 'AGENT_CREATED' ||
    event.type === 'AGENT_DELETED' ||
    event.type === 'AGENT_STATUS_CHANGED' ||
    (event.type.startsWith('TASK_') && event.type !== 'TASK_PROGRESS')
  );
}

/** Event ids are `<ms>-<seq>`. */
export function compareIds(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am - bm || an - bn;
}
