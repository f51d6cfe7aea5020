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
  /**
   * How many times the task has been assigned: each assignment's number, the fence of a worker's
   * reports (a report naming an older attempt is refused with LEASE_LOST). 0 until the first
   * assignment; absent on records stored before leases existed, which reads as 0.
   */
  attempt?: number;
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

export const LEASE_STATES = ['HELD', 'EXPIRED', 'RELEASED'] as const;
/** HELD: the agent proves it is alive; EXPIRED: it stopped proving it; RELEASED: it went OFFLINE on request. */
export type LeaseState = (typeof LEASE_STATES)[number];

/** An open connection that holds an agent's lease (presence by connection). */
export interface LeaseHolder {
  instanceId: string;
  connectionId: string;
  since: string;
  /**
   * When its instance last renewed the lease for it (every third of the TTL while it is open). One
   * not renewed for a whole TTL is stale (its instance died without closing it) and is dropped.
   */
  renewedAt: string;
}

/**
 * An agent's liveness lease, in a record of its own (id = the agent's id) so that renewing it never
 * changes the agent's version: a renewal does not make assignments and elections run again. Its
 * times come from the engine's one clock (Redis TIME on the Redis engine).
 */
export interface Lease {
  id: string;
  state: LeaseState;
  ttlMs: number;
  /** While HELD: when it ends unless renewed; once EXPIRED: when it ended. */
  expiresAt: string;
  lastSeenAt: string;
  holders: LeaseHolder[];
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
