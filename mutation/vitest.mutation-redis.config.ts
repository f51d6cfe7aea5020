/**
 * The Redis engine's own suites, for `npm run test:mutation:redis`: the engine contract and the
 * fault tests, each on a private redis-server.
 */
import { mutationConfig } from './vitest.mutation.config.js';

export default mutationConfig(['test/engines/redis-engine.test.ts', 'test/engines/redis-faults.test.ts']);
