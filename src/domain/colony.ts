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
}

export function createColony({ store, clock, source }: ColonyOptions): Colony {
  const runner = new TransactionRunner({ store, clock, source });
  return {
    agents: new AgentService(runner, store),
    tasks: new TaskService(runner, store),
    elections: new ElectionService(runner, store),
    consensus: new ConsensusService(runner, store),
    system: new SystemService(runner, store),
  };
}
