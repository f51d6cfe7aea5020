import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { describeEngineContract } from './contract.js';

describeEngineContract('memory', {
  create: async ({ retention }) => createMemoryEngine({ retention, clock: systemClock }),
});
