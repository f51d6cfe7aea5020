import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module). Node, and so graphql-ws and Yoga, load the
    // CommonJS build; Vite would hand our sources the ESM one, and `instanceof GraphQLError` would
    // then fail between the two copies. Use Node's choice everywhere.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // Suites start real servers (and redis-server); two cores run two files at a time.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'memory', include: ['test/**/*.test.ts'], provide: { redisUrl: null } },
      },
      {
        // The API and realtime suites again, with every app on a private redis-server.
        extends: true,
        test: {
          name: 'redis',
          include: ['test/api/**/*.test.ts', 'test/realtime/**/*.test.ts'],
          // These run on the memory engine or none: running them again would test nothing new.
          exclude: [
            'test/realtime/connection-queue.test.ts',
            'test/realtime/subscription-group.test.ts',
            'test/realtime/hub-connections.test.ts',
            'test/realtime/grouping.test.ts',
            'test/realtime/overflow-lane.test.ts',
            'test/realtime/shared-reads.test.ts',
            'test/realtime/heartbeats.test.ts',
            'test/realtime/log-replay.test.ts',
            'test/realtime/room-routing.test.ts',
            'test/realtime/event-executor.test.ts',
            'test/realtime/stream-seams.test.ts',
          ],
          globalSetup: ['test/support/redis-global.ts'],
        },
      },
    ],
  },
});
