/**
 * The fast suites only, for `npm run test:mutation`: Stryker runs the tests that cover a mutant once
 * per mutant, so only suites that finish in seconds belong here (the domain on the memory engine, the
 * memory engine's contract and details, and the realtime hub, streams, groups and queues on the memory
 * engine). `npm test` runs all of these too, through vitest.config.ts.
 */
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** A mutation-run config for the given test files (mutation/stryker.redis.config.mjs passes its own). */
export function mutationConfig(include: string[]) {
  return defineConfig({
    resolve: {
      // As in vitest.config.ts: one graphql (Node's CommonJS build) for sources and tests alike.
      alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    },
    test: { include, provide: { redisUrl: null }, testTimeout: 30_000, hookTimeout: 60_000 },
  });
}

export default mutationConfig([
  'test/domain/**/*.test.ts',
  'test/engines/memory-*.test.ts',
  'test/realtime/hub.test.ts',
  'test/realtime/hub-connections.test.ts',
  'test/realtime/stream-position.test.ts',
  'test/realtime/connection-queue.test.ts',
  'test/realtime/subscription-group.test.ts',
  'test/realtime/overflow-lane.test.ts',
  'test/realtime/shared-reads.test.ts',
  'test/realtime/log-tip.test.ts',
  'test/realtime/group-table.test.ts',
  'test/realtime/realtime-figures.test.ts',
  'test/realtime/turn-slice.test.ts',
  'test/realtime/heartbeats.test.ts',
  'test/realtime/log-replay.test.ts',
  'test/realtime/room-routing.test.ts',
  'test/realtime/event-executor.test.ts',
  'test/realtime/stream-seams.test.ts',
]);
