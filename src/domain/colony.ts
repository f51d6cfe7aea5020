/** Wires the domain services over one store. */
import type { Colony } from './api.js';
import { AgentService } from './agents/agent-service.js';
import { ConsensusService } from './consensus/consensus-service.js';
import { ElectionService } from './elections/election-service.js';
import { DEFAULT_LEASE_SETTINGS, LeaseService, type LeaseSettings } from './liveness/lease-service.js';
import type { Clock, Store } from './ports.js';
import { SystemService } from './system/system-service.js';
import { TaskService } from './tasks/task-service.js';
import { TransactionRunner } from './transaction.js';

export interface ColonyOptions {
  store: Store;
  clock: Clock;
  /** Written on every event as its source: which instance made the change. */
  source: string | null;
  /** How long an idempotency key and its outcome are kept (default one day). */
  idempotencyTtlMs?: number;
  /** AGENT_LEASE_MS, its bounds and AGENT_LEASE_GRACE_MS (defaults: 30 s, 1 s–5 min, 10 s). */
  lease?: LeaseSettings;
}

function servicesOver(runner: TransactionRunner, store: Store, lease: LeaseSettings): Colony {
  return {
    agents: new AgentService(runner, store),
    tasks: new TaskService(runner, store),
    elections: new ElectionService(runner, store),
    consensus: new ConsensusService(runner, store),
    system: new SystemService(runner, store),
    liveness: new LeaseService(runner, store, lease),
    // A runner of its own per request: it numbers the request's changes, so that a retried request
    // with several mutations finds each one's outcome.
    withIdempotency: (idempotency) => servicesOver(runner.withIdempotency(idempotency), store, lease),
  };
}

export function createColony({
  store,
  clock,
  source,
  idempotencyTtlMs,
  lease = DEFAULT_LEASE_SETTINGS,
}: ColonyOptions): Colony {
  return servicesOver(new TransactionRunner({ store, clock, source, idempotencyTtlMs }), store, lease);
}
