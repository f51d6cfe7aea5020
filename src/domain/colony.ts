/** Wires the domain services over one store. */
import type { Colony } from './api.js';
import { AgentService } from './agents/agent-service.js';
import { ConsensusService } from './consensus/consensus-service.js';
import { ElectionService } from './elections/election-service.js';
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
}

function servicesOver(runner: TransactionRunner, store: Store): Colony {
  return {
    agents: new AgentService(runner, store),
    tasks: new TaskService(runner, store),
    elections: new ElectionService(runner, store),
    consensus: new ConsensusService(runner, store),
    system: new SystemService(runner, store),
    // A runner of its own per request: it numbers the request's changes, so that a retried request
    // with several mutations finds each one's outcome.
    withIdempotency: (idempotency) => servicesOver(runner.withIdempotency(idempotency), store),
  };
}

export function createColony({ store, clock, source, idempotencyTtlMs }: ColonyOptions): Colony {
  return servicesOver(new TransactionRunner({ store, clock, source, idempotencyTtlMs }), store);
}
