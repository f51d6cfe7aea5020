/**
 * What the domain offers the layers above it (schema, timers, benchmarks). Each service validates
 * its input, applies the rules in one transaction and returns plain records; it knows nothing of
 * GraphQL or transports. Every failure a client must handle is a DomainError.
 */
import type { StoredEvent } from './events/event-types.js';
import type { IdempotencyContext } from './transaction.js';
import type {
  Agent,
  AgentAction,
  AgentStatus,
  Alert,
  AlertLevel,
  Election,
  FleetStats,
  Json,
  Lease,
  Page,
  PageRequest,
  Proposal,
  ProposalStatus,
  Task,
  TaskStatus,
} from './model.js';

export interface CreateAgentInput {
  name: string;
  type: string;
  capabilities?: string[] | null | undefined;
  metadata?: Json | undefined;
}
export interface UpdateAgentInput {
  name?: string | null | undefined;
  type?: string | null | undefined;
  capabilities?: string[] | null | undefined;
  /** `null` clears it; absent leaves it. */
  metadata?: Json | undefined;
}
export interface CreateTaskInput {
  title: string;
  priority?: number | null | undefined;
  input?: Json | undefined;
  requiredCapabilities?: string[] | null | undefined;
}
export interface ProposeConsensusInput {
  topic: string;
  value?: Json | undefined;
  threshold?: number | null | undefined;
  ttlSeconds?: number | null | undefined;
}

export interface AgentsApi {
  get(id: string): Promise<Agent | null>;
  /** Many at once, in the order asked, null where none (for loaders). */
  getMany(ids: readonly string[]): Promise<(Agent | null)[]>;
  list(
    filter: { status?: AgentStatus | null; type?: string | null },
    page: PageRequest,
  ): Promise<Page<Agent>>;
  create(input: CreateAgentInput): Promise<Agent>;
  update(id: string, input: UpdateAgentInput): Promise<Agent>;
  delete(id: string): Promise<Agent>;
  perform(id: string, action: AgentAction): Promise<Agent>;
}

/** Who reports a worker's step, and on which assignment. */
export interface WorkerFence {
  /**
   * Task.attempt as the worker was given it: when the task was requeued or assigned again since,
   * the step is refused with CONFLICT (reason LEASE_LOST) and changes nothing.
   */
  attempt?: number | null;
  /**
   * The agent reporting, when the caller is that agent's own token (not an operator): the task must
   * be assigned to it, else FORBIDDEN (reason NOT_THIS_AGENT).
   */
  agentId?: string | null;
}

export interface TasksApi {
  get(id: string): Promise<Task | null>;
  list(
    filter: { status?: TaskStatus | null; assigneeId?: string | null },
    page: PageRequest,
  ): Promise<Page<Task>>;
  create(input: CreateTaskInput): Promise<Task>;
  /** Without agentId: the least-loaded ACTIVE agent holding every required capability. */
  assign(id: string, agentId?: string | null): Promise<Task>;
  /** The worker's steps, fenced by `fence` (see WorkerFence). */
  start(id: string, fence?: WorkerFence): Promise<Task>;
  reportProgress(id: string, progress: number, message?: string | null, fence?: WorkerFence): Promise<Task>;
  complete(id: string, result?: Json, fence?: WorkerFence): Promise<Task>;
  fail(id: string, error: string, fence?: WorkerFence): Promise<Task>;
  cancel(id: string, reason?: string | null): Promise<Task>;
}

export interface ElectionsApi {
  leader(): Promise<Agent | null>;
  list(page: PageRequest): Promise<Page<Election>>;
  trigger(reason?: string | null): Promise<Election>;
}

export interface ConsensusApi {
  get(id: string): Promise<Proposal | null>;
  list(filter: { status?: ProposalStatus | null }, page: PageRequest): Promise<Page<Proposal>>;
  propose(input: ProposeConsensusInput): Promise<Proposal>;
  vote(proposalId: string, agentId: string, approve: boolean): Promise<Proposal>;
  /** Expires every OPEN proposal whose time has come; returns how many this call expired. */
  expireDue(): Promise<number>;
}

/** An open connection that holds (or held) an agent's lease: which instance, which connection. */
export interface LeaseHolderRef {
  instanceId: string;
  connectionId: string;
}

/** A live agent and the lease that keeps it so. */
export interface LiveAgent {
  agent: Agent;
  lease: Lease;
}

export interface LivenessApi {
  /** The agent's lease, if it ever held one. */
  lease(agentId: string): Promise<Lease | null>;
  /**
   * Renews the agent's lease (begins one on the first call) for `ttlMs`, or the TTL it holds, or
   * AGENT_LEASE_MS. Refused (CONFLICT) for an OFFLINE agent (AGENT_OFFLINE, or LEASE_EXPIRED when its
   * lease ran out) and for a lease whose deadline has passed even if no sweep has run yet.
   */
  heartbeat(agentId: string, ttlMs?: number | null): Promise<Agent>;
  /**
   * A connection that names the agent opened (or is still open and answering pings): renews, for
   * `ttlMs` when given (the connection asked for it), else for the TTL the lease holds.
   */
  attach(agentId: string, holder: LeaseHolderRef, ttlMs?: number | null): Promise<Lease>;
  /** The connection closed: the lease ends AGENT_LEASE_GRACE_MS later unless another one holds it. */
  detach(agentId: string, holder: LeaseHolderRef): Promise<Lease | null>;
  /** Takes every agent whose lease ran out for dead, once cluster-wide; returns how many this call did. */
  expireDue(): Promise<number>;
  /** The agents whose leases hold now, with them. */
  /** How many agents' leases hold now. */
  countLive(): Promise<number>;
  /** Live agents in creation order, a page at a time (`after`: the last agent id of the page before). */
  presence(page: { first: number; after?: string | null }): Promise<LiveAgent[]>;
}

export interface SystemApi {
  raiseAlert(level: AlertLevel, message: string, details?: Json): Promise<Alert>;
  /** A CUSTOM event to one room. */
  broadcast(room: string, data: Json): Promise<StoredEvent>;
  fleet(): Promise<FleetStats>;
  /** HEALTH_CHANGED to `system`. */
  publishHealth(ready: boolean, checks: Json): Promise<StoredEvent>;
  /**
   * METRICS_UPDATED to `system`, unless some instance already published it less than
   * `minIntervalMs` ago (so a cluster publishes it once per interval). Returns the event, if any.
   */
  publishMetrics(minIntervalMs: number): Promise<StoredEvent | null>;
}

export interface Colony {
  agents: AgentsApi;
  tasks: TasksApi;
  elections: ElectionsApi;
  consensus: ConsensusApi;
  system: SystemApi;
  liveness: LivenessApi;
  /**
   * The same services for one request that carried an idempotency key: each change it makes is
   * stored with the key and its outcome, atomically, and the same request sent again with the key
   * gets that outcome back without changing or publishing anything.
   */
  withIdempotency(idempotency: IdempotencyContext): Colony;
}
