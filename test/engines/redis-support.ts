/**
 * What the Redis engine's fault suites share: engines on a private redis-server with a logger that
 * keeps what it was told, commits of custom events, an event stored as the commit script stores it
 * but never published, and waiting on conditions (never on time).
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { EventDraft, StoredEvent } from '../../src/domain/events/event-types.js';
import { systemClock, type Commit, type Engine } from '../../src/domain/ports.js';
import { createRedisEngine } from '../../src/engines/redis/redis-engine.js';
import type { RedisServer } from '../support/redis-server.js';

export interface Logged {
  level: string;
  obj: object;
  msg: string;
}

/** A pino-like logger that keeps what it was told, so a test can see that a gap was filled. */
export function recordingLogger() {
  const lines: Logged[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    count: (msg: string) => lines.filter((l) => l.msg === msg).length,
  };
}

export const custom = (room: string, n: number, rooms = [room]): EventDraft => ({
  type: 'CUSTOM',
  rooms,
  payload: { kind: 'custom', data: { n } },
});

export const commitOf = (partial: Partial<Commit>): Commit => ({
  expect: [],
  put: [],
  del: [],
  events: [],
  timestamp: new Date().toISOString(),
  source: 'faults',
  ...partial,
});

/** Polls a condition until it holds; fails the test with `what` if it never does. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 8_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sinkOf(engine: Engine) {
  const got: StoredEvent[] = [];
  engine.bus.setSink((e) => got.push(e));
  return {
    got,
    waitFor: (n: number) => until(`${n} events delivered (have ${got.length})`, () => got.length >= n),
  };
}

/**
 * Fails the suite if anything leaves a promise rejection unhandled (call at the top of a file);
 * returns them so far, for a test to check at its end.
 */
export function noUnhandledRejections(): () => unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
  return () => [...unhandled];
}

export interface EngineOptions {
  retention?: number;
  commandTimeoutMs?: number;
  gapCheckMs?: number;
}

/** Opens engines on a Redis and closes them after each test. */
export function engines() {
  const open: Engine[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
  });
  return async (redis: RedisServer, prefix: string, options: EngineOptions = {}) => {
    const logger = recordingLogger();
    const engine = await createRedisEngine({
      url: redis.url,
      keyPrefix: prefix,
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      retention: options.retention ?? 1000,
      clock: systemClock,
      instanceId: `${prefix}-${open.length}`,
      logger,
      ...(options.gapCheckMs ? { gapCheckMs: options.gapCheckMs } : {}),
    });
    open.push(engine);
    return { engine, logger };
  };
}

/**
 * Stores events the way the commit script does (stream entries, sequences) but never publishes
 * them: messages pub/sub lost on the way, with no reconnection to tell.
 */
export async function storeUnpublished(
  redis: RedisServer,
  prefix: string,
  room: string,
  from: number,
  count = 1,
): Promise<StoredEvent[]> {
  const admin = redis.client();
  const stored: StoredEvent[] = [];
  const pipeline = admin.pipeline();
  const bodies = Array.from({ length: count }, (_, i) => ({
    ...custom(room, from + i),
    timestamp: new Date().toISOString(),
    source: 'lost',
  }));
  const seq = await admin.incrby(`{${prefix}}:seq`, count);
  for (const [i, body] of bodies.entries())
    pipeline.xadd(`{${prefix}}:events`, '*', 'seq', seq - count + 1 + i, 'e', JSON.stringify(body));
  pipeline.hincrby(`{${prefix}}:chanseq`, `{${prefix}}:room:${room}`, count);
  pipeline.hincrby(`{${prefix}}:chanseq`, `{${prefix}}:all`, count);
  const results = (await pipeline.exec()) ?? [];
  for (const [i, body] of bodies.entries()) stored.push({ ...body, id: results[i]![1] as string });
  return stored;
}
