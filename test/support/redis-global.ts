/**
 * For the `redis` test project: one private redis-server for the run. startApp() then puts every
 * app on it (each with a key prefix of its own), so the API and realtime suites run on both engines.
 */
import type { TestProject } from 'vitest/node';
import { startRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.dispose();
}
