/**
 * The Redis engine's own suites, for `npm run test:mutation:redis`: the engine contract, the fault
 * tests, the bus's own faults and its pub/sub adapter, each on a private redis-server.
 */
import { mutationConfig } from './vitest.mutation.config.js';

export default mutationConfig([
  'test/engines/redis-engine.test.ts',
  'test/engines/redis-faults.test.ts',
  'test/engines/redis-bus.test.ts',
  'test/engines/redis-setup.test.ts',
  'test/engines/pubsub-channels.test.ts',
]);
