// @ts-check
/**
 * Mutation testing of the Redis engine: `npm run test:mutation:redis`. The same settings as
 * stryker.config.mjs, mutating src/engines/redis/ against the engine contract and fault suites, each
 * on a private redis-server (test/support/redis-server.ts; never the machine's 6379). The Lua scripts
 * are not mutated: Stryker mutates JavaScript and TypeScript only.
 */
import base from './stryker.config.mjs';

export { strykerPlugins } from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  ...base,
  plugins: [
    '@stryker-mutator/vitest-runner',
    '@stryker-mutator/typescript-checker',
    './mutation/stryker.config.mjs',
  ],
  vitest: { configFile: 'mutation/vitest.mutation-redis.config.ts', related: false },
  mutate: ['src/engines/redis/**/*.ts'],
  htmlReporter: { fileName: 'reports/mutation-redis/index.html' },
  jsonReporter: { fileName: 'reports/mutation-redis/mutation.json' },
  incrementalFile: 'reports/mutation-redis/stryker-incremental.json',
};
export default config;
