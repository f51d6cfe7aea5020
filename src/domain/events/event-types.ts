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
  /** Why the status changed when no action did it: LEASE_EXPIRED (absent or null otherwise). */
  reason?: string | null;
}
export interface TaskEventPayload {
  kind: 'task';
  task: Task;
  /** The assignee as it was at the time of the event (null when unassigned). */
  assignee: Agent | null;
  previousStatus: TaskStatus | null;
  /**
   * TASK_REQUEUED: why the assignee let it go (LEASE_EXPIRED, AGENT_PAUSED, AGENT_STOPPED,
   * AGENT_DELETED); absent or null otherwise.
   */
  reason?: string | null;
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

/** The rooms an event of a kind goes to (`<id>` stands for the record's id); see rooms.ts. */
export const ROOMS_OF_KIND = {
  agent: ['agents', 'agent:<id>'],
  task: ['tasks', 'task:<id>', "agent:<assignee's id> while it has one"],
  election: ['coordination'],
  proposal: ['coordination'],
  alert: ['system'],
  health: ['system'],
  metrics: ['system'],
  custom: ['the room broadcast to'],
} as const satisfies Record<EventPayload['kind'], readonly string[]>;

/**
 * The event catalogue: each type's payload kind, declared once. A draft whose payload does not fit
 * its type does not compile, and a subscriber's `payload` union is resolved by the same kinds.
 */
export const EVENT_CATALOGUE = {
  AGENT_CREATED: 'agent',
  AGENT_UPDATED: 'agent',
  AGENT_DELETED: 'agent',
  AGENT_STATUS_CHANGED: 'agent',
  AGENT_ACTION: 'agent',
  TASK_CREATED: 'task',
  TASK_ASSIGNED: 'task',
  TASK_STARTED: 'task',
  TASK_PROGRESS: 'task',
  TASK_COMPLETED: 'task',
  TASK_FAILED: 'task',
  TASK_CANCELLED: 'task',
  TASK_REQUEUED: 'task',
  ELECTION_TRIGGERED: 'election',
  LEADER_ELECTED: 'election',
  CONSENSUS_PROPOSED: 'proposal',
  CONSENSUS_VOTED: 'proposal',
  CONSENSUS_DECIDED: 'proposal',
  HEALTH_CHANGED: 'health',
  METRICS_UPDATED: 'metrics',
  ALERT_TRIGGERED: 'alert',
  CUSTOM: 'custom',
} as const satisfies Record<EventType, EventPayload['kind']>;

/** The event types whose payload is of kind K. */
export type EventTypeOfKind<K extends EventPayload['kind']> = {
  [T in EventType]: (typeof EVENT_CATALOGUE)[T] extends K ? T : never;
}[EventType];

/** The payload an event of type T carries. */
export type PayloadOf<T extends EventType> = Extract<EventPayload, { kind: (typeof EVENT_CATALOGUE)[T] }>;

/** An event as a domain service emits it, before the engine stores it: its payload fits its type. */
export type EventDraft = {
  [T in EventType]: { type: T; rooms: string[]; payload: PayloadOf<T> };
}[EventType];

/**
 * An event as it was stored and as every subscriber sees it. `id` is opaque to clients, but has the
 * form `<ms>-<n>` (a Redis stream id, and the same shape on the memory engine) so that ids are
 * ordered: compare them with `compareEventIds`.
 */
export type StoredEvent = EventDraft & {
  id: string;
  timestamp: string;
  source: string | null;
};

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/** Negative when a comes first, positive when b does, 0 when equal. Both must be valid ids. */
export function compareEventIds(a: string, b: string): number {
  // Read in place: a fan-out compares ids for every member, so this allocates nothing.
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  return decimal(a, 0, ad) - decimal(b, 0, bd) || decimal(a, ad + 1, a.length) - decimal(b, bd + 1, b.length);
}

/** The number the digits of `s` from `from` to `to` spell (at most 15 of them: exact in a double). */
function decimal(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}
