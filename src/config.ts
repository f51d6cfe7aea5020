/**
 * The environment, parsed once. Every bad variable is listed in one error, so a misconfigured
 * deployment is fixed in one go; main.ts prints it and exits 1.
 */
import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

const environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/)
    .default('colony'),
  REDIS_COMMAND_TIMEOUT_MS: int(2000, 1),
  EVENT_RETENTION: int(10_000, 1),
  METRICS_INTERVAL_MS: int(10_000),
  PROPOSAL_SWEEP_MS: int(250, 10),
  SUBSCRIBER_MAX_QUEUE_BYTES: int(1024 * 1024, 1024),
  WS_MAX_PAYLOAD_BYTES: int(1024 * 1024, 1024),
  ALLOWED_ORIGINS: optionalString,
  SHUTDOWN_TIMEOUT_MS: int(10_000, 100),
  INSTANCE_ID: optionalString,
});

export interface Config {
  http: { port: number; host: string; allowedOrigins: string[] | null; wsMaxPayloadBytes: number };
  log: { level: string };
  engine: {
    retention: number;
    redis: { url: string; keyPrefix: string; commandTimeoutMs: number } | null;
  };
  realtime: { maxQueuedBytesPerConnection: number };
  jobs: { metricsIntervalMs: number; proposalSweepMs: number };
  shutdownTimeoutMs: number;
  instanceId: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function parseConfig(env: Record<string, string | undefined>, fallbackInstanceId: string): Config {
  const result = environment.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    );
  }
  const e = result.data;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      allowedOrigins: e.ALLOWED_ORIGINS
        ? e.ALLOWED_ORIGINS.split(',')
            .map((o) => o.trim())
            .filter(Boolean)
        : null,
      wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    },
    log: { level: e.LOG_LEVEL },
    engine: {
      retention: e.EVENT_RETENTION,
      redis: e.REDIS_URL
        ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS }
        : null,
    },
    realtime: { maxQueuedBytesPerConnection: e.SUBSCRIBER_MAX_QUEUE_BYTES },
    jobs: { metricsIntervalMs: e.METRICS_INTERVAL_MS, proposalSweepMs: e.PROPOSAL_SWEEP_MS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    instanceId: e.INSTANCE_ID ?? fallbackInstanceId,
  };
}
