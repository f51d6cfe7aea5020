/**
 * The records Colony keeps. Plain JSON-safe data (timestamps are ISO-8601 strings) so that every
 * engine can store them and every transport can ship them without a conversion step.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const AGENT_STATUSES = ['ACTIVE', 'PAUSED', 'OFFLINE'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_ACTIONS = ['START', 'PAUSE', 'RESUME', 'STOP'] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

export const TASK_STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PROPOSAL_STATUSES = ['OPEN', 'APPROVED', 'REJECTED', 'EXPIRED'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const ALERT_LEVELS = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export interface Agent {
  id: string;
  name: string;
  type: string;
  status: AgentStatus;
  capabilities: string[];
  metadata: Json | null;
  /**
   * ASSIGNED + RUNNING tasks held by the agent. Kept on the record (not counted on demand) so that
   * auto-assignment and elections read one record per agent and an engine can guard the choice
   * with that record's version.
   */
  activeTaskCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Task {
  id: string;
  title: string;
  priority: number;
  status: TaskStatus;
  requiredCapabilities: string[];
  assigneeId: string | null;
  input: Json | null;
  progress: number | null;
  progressMessage: string | null;
  result: Json | null;
  error: string | null;
  /** Why it was cancelled, when it was. */
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An election keeps the agents as they were when it ran: history does not change when they do. */
export interface Election {
  id: string;
  term: number;
  reason: string | null;
  leaderId: string | null;
  candidates: Agent[];
  startedAt: string;
  decidedAt: string | null;
}

export interface Vote {
  /** The voter as it was when it voted. */
  agent: Agent;
  approve: boolean;
  at: string;
}

export interface Proposal {
  id: string;
  topic: string;
  value: Json | null;
  status: ProposalStatus;
  threshold: number;
  /** Ids of the agents that were ACTIVE when it was proposed: the only ones who may vote. */
  voterIds: string[];
  votes: Vote[];
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
}

export interface Alert {
  id: string;
  level: AlertLevel;
  message: string;
  details: Json | null;
  at: string;
}

/** The one fleet-wide record of leadership. Its version serialises elections across instances. */
export interface Coordination {
  id: 'fleet';
  term: number;
  leaderId: string | null;
  electionId: string | null;
  /** When METRICS_UPDATED was last published; lets many instances publish it once per interval. */
  metricsPublishedAt: string | null;
}

export interface StatusCount<S extends string> {
  status: S;
  count: number;
}

export interface FleetStats {
  agentsByStatus: StatusCount<AgentStatus>[];
  tasksByStatus: StatusCount<TaskStatus>[];
  leader: Agent | null;
  term: number;
}

/** A page of a list, oldest first; `after` and the returned cursors are record ids. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface PageRequest {
  first: number;
  after?: string | null | undefined;
}
