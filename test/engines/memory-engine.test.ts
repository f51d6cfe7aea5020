import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { describeEngineContract } from './contract.js';

describeEngineContract('memory', {
  create: async ({ retention, clock }) => createMemoryEngine({ retention, clock }),
});
