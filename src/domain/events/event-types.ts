import type {
  Agent,
  AgentAction,
  AgentStatus,
  Alert,
  Election,
  FleetStats,
  Json,
  Proposal,
  Task,
  TaskStatus,
  Vote,
} from '../model.js';

/** Every event type, declared once; the GraphQL enum and the docs are generated from this list. */
export const EVENT_TYPES = [
  'AGENT_CREATED',
  'AGENT_UPDATED',
  'AGENT_DELETED',
  'AGENT_STATUS_CHANGED',
  'AGENT_ACTION',
  'TASK_CREATED',
  'TASK_ASSIGNED',
  'TASK_STARTED',
  'TASK_PROGRESS',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_CANCELLED',
  'TASK_REQUEUED',
  'ELECTION_TRIGGERED',
  'LEADER_ELECTED',
  'CONSENSUS_PROPOSED',
  'CONSENSUS_VOTED',
  'CONSENSUS_DECIDED',
  'HEALTH_CHANGED',
  'METRICS_UPDATED',
  'ALERT_TRIGGERED',
  'CUSTOM',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Payloads carry snapshots of what changed, so a subscriber never needs a second request. */
export interface AgentEventPayload {
  kind: 'agent';
  agent: Agent;
  previousStatus: AgentStatus | null;
  action: AgentAction | null;
}
export interface TaskEventPayload {
  kind: 'task';
  task: Task;
  /** The assignee as it was at the time of the event (null when unassigned). */
  assignee: Agent | null;
  previousStatus: TaskStatus | null;
}
export interface ElectionEventPayload {
  kind: 'election';
  election: Election;
}
export interface ProposalEventPayload {
  kind: 'proposal';
  proposal: Proposal;
  vote: Vote | null;
}
export interface AlertEventPayload {
  kind: 'alert';
  alert: Alert;
}
export interface HealthEventPayload {
  kind: 'health';
  ready: boolean;
  checks: Json;
}
export interface MetricsEventPayload {
  kind: 'metrics';
  fleet: FleetStats;
}
export interface CustomEventPayload {
  kind: 'custom';
  data: Json;
}

export type EventPayload =
  | AgentEventPayload
  | TaskEventPayload
  | ElectionEventPayload
  | ProposalEventPayload
  | AlertEventPayload
  | HealthEventPayload
  | MetricsEventPayload
  | CustomEventPayload;

/** An event as a domain service emits it, before the engine stores it. */
export interface EventDraft {
  type: EventType;
  rooms: string[];
  payload: EventPayload;
}

/**
 * An event as it was stored and as every subscriber sees it. `id` is opaque to clients, but has the
 * form `<ms>-<n>` (a Redis stream id, and the same shape on the memory engine) so that ids are
 * ordered: compare them with `compareEventIds`.
 */
export interface StoredEvent extends EventDraft {
  id: string;
  timestamp: string;
  source: string | null;
}

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/** Negative when a comes first, positive when b does, 0 when equal. Both must be valid ids. */
export function compareEventIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(Number) as [number, number];
  const [bm, bn] = b.split('-').map(Number) as [number, number];
  return am - bm || an - bn;
}
