/**
 * The environment, parsed once. Every bad variable is listed in one error, so a misconfigured
 * deployment is fixed in one go; main.ts prints it and exits 1.
 */
import { z } from 'zod';
import type { LeaseSettings } from './domain/liveness/lease-service.js';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

const environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LISTEN_BACKLOG: int(4096, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalString.pipe(
    z
      .url({ protocol: /^rediss?$/, message: 'must be redis:// or rediss:// (e.g. redis://localhost:6379)' })
      .optional(),
  ),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/)
    .default('colony'),
  REDIS_COMMAND_TIMEOUT_MS: int(2000, 1),
  EVENT_RETENTION: int(10_000, 1),
  METRICS_INTERVAL_MS: int(10_000),
  PROPOSAL_SWEEP_MS: int(250, 10),
  SUBSCRIBER_MAX_QUEUE_BYTES: int(1024 * 1024, 1024),
  STREAM_HEARTBEAT_MS: int(15_000),
  WS_MAX_PAYLOAD_BYTES: int(1024 * 1024, 1024),
  ALLOWED_ORIGINS: optionalString,
  SHUTDOWN_TIMEOUT_MS: int(10_000, 100),
  SHUTDOWN_DRAIN_MS: int(5_000),
  INSTANCE_ID: optionalString,
  NODE_ENV: optionalString,
  JWT_SECRET: optionalString.pipe(
    z.string().min(32, { message: 'must be at least 32 characters (HS256 needs a 256-bit key)' }).optional(),
  ),
  JWT_JWKS_URL: optionalString.pipe(
    z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
  ),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  JWT_CLOCK_TOLERANCE_S: int(5).pipe(z.number().max(300)),
  // What one request may cost (see README "Limits").
  GRAPHQL_MAX_DEPTH: int(10, 1),
  GRAPHQL_MAX_ALIASES: int(30),
  GRAPHQL_MAX_TOKENS: int(2000, 10),
  GRAPHQL_MAX_DIRECTIVES: int(50),
  GRAPHQL_MAX_COST: int(10_000, 1),
  WS_MAX_SUBSCRIPTIONS: int(100, 1),
  WS_SUBSCRIBE_RATE_PER_S: int(20, 1),
  WS_SUBSCRIBE_BURST: int(100, 1),
  WS_MAX_REPLAYS: int(2, 1),
  MUTATION_RATE_PER_S: int(500, 1),
  MUTATION_BURST: int(5000, 1),
  RESPONSE_MAX_BYTES: int(4 * 1024 * 1024, 1024),
  EXPENSIVE_COST: int(1000, 1),
  EXPENSIVE_MAX_PER_CALLER: int(2, 1),
  EXPENSIVE_MAX_TOTAL: int(8, 1),
  COST_RATE_PER_S: int(5000, 1),
  COST_BURST: int(100_000, 1),
  WS_MAX_CONNECTIONS_PER_SUB: int(20, 1),
  SSE_MAX_STREAMS_PER_SUB: int(20, 1),
  TOKEN_MAX_LIFETIME_S: int(86_400, 1),
  IDEMPOTENCY_TTL_S: int(86_400, 1),
  // Agent liveness (docs/liveness.md).
  AGENT_LEASE_MS: int(30_000, 1),
  AGENT_LEASE_GRACE_MS: int(10_000),
  AGENT_LEASE_MIN_MS: int(1_000, 1),
  AGENT_LEASE_MAX_MS: int(300_000, 1),
  LEASE_SWEEP_MS: int(1_000, 10),
});

export interface Config {
  http: {
    port: number;
    host: string;
    backlog: number;
    allowedOrigins: string[] | null;
    wsMaxPayloadBytes: number;
  };
  log: { level: string };
  engine: {
    retention: number;
    redis: { url: string; keyPrefix: string; commandTimeoutMs: number } | null;
  };
  realtime: {
    maxQueuedBytesPerConnection: number;
    /** How long an `eventStream` may stay silent before it sends its position again; 0: never. */
    streamHeartbeatMs: number;
  };
  jobs: { metricsIntervalMs: number; proposalSweepMs: number; leaseSweepMs: number };
  /** AGENT_LEASE_MS, its bounds and AGENT_LEASE_GRACE_MS. */
  lease: LeaseSettings;
  shutdownTimeoutMs: number;
  /** How long a signalled process keeps serving, unready, before it closes (see app.ts stop()). */
  shutdownDrainMs: number;
  instanceId: string;
  /** NODE_ENV=production: no introspection, no suggestions, no GraphiQL, and auth is required. */
  production: boolean;
  /** null: auth is off (every caller may do everything). */
  auth: AuthConfig | null;
  limits: Limits;
  /** How long an idempotency key and the outcome it stands for are kept. */
  idempotencyTtlS: number;
}

export interface AuthConfig {
  /** HS256 shared secret. */
  secret: string | null;
  /** JWKS of an identity provider (RS256, ES256). */
  jwksUrl: string | null;
  issuer: string | null;
  audience: string | null;
  clockToleranceS: number;
  /** A token whose `exp` is further than this from now is refused (TOKEN_MAX_LIFETIME_S). */
  maxLifetimeS?: number;
}

/** What one client may make the server do (README "Limits"). */
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  wsMaxSubscriptions: number;
  wsSubscribeRatePerS: number;
  wsSubscribeBurst: number;
  wsMaxReplays: number;
  mutationRatePerS: number;
  mutationBurst: number;
  /** Bytes one query or mutation result may hold (RESPONSE_MAX_BYTES). */
  responseMaxBytes: number;
  /** From this cost on, an operation is expensive: a few at a time per caller and in all. */
  expensiveCost: number;
  expensiveMaxPerCaller: number;
  expensiveMaxTotal: number;
  /** Cost points per caller: COST_BURST per window of COST_BURST / COST_RATE_PER_S seconds. */
  costRatePerS: number;
  costBurst: number;
  /** Sockets, and SSE streams, one token subject may hold open on an instance. */
  wsMaxConnectionsPerSub: number;
  sseMaxStreamsPerSub: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
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
  if (!(e.AGENT_LEASE_MIN_MS <= e.AGENT_LEASE_MS && e.AGENT_LEASE_MS <= e.AGENT_LEASE_MAX_MS)) {
    throw new ConfigError([
      `AGENT_LEASE_MS (${e.AGENT_LEASE_MS}) must lie within AGENT_LEASE_MIN_MS (${e.AGENT_LEASE_MIN_MS}) and AGENT_LEASE_MAX_MS (${e.AGENT_LEASE_MAX_MS}).`,
    ]);
  }
  const production = e.NODE_ENV === 'production';
  const auth: AuthConfig | null =
    e.JWT_SECRET || e.JWT_JWKS_URL
      ? {
          secret: e.JWT_SECRET ?? null,
          jwksUrl: e.JWT_JWKS_URL ?? null,
          issuer: e.JWT_ISSUER ?? null,
          audience: e.JWT_AUDIENCE ?? null,
          clockToleranceS: e.JWT_CLOCK_TOLERANCE_S,
          maxLifetimeS: e.TOKEN_MAX_LIFETIME_S,
        }
      : null;
  if (production && !auth) {
    throw new ConfigError([
      'NODE_ENV=production needs JWT_SECRET or JWT_JWKS_URL: Colony will not serve production traffic without authentication.',
    ]);
  }
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      backlog: e.LISTEN_BACKLOG,
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
    realtime: {
      maxQueuedBytesPerConnection: e.SUBSCRIBER_MAX_QUEUE_BYTES,
      streamHeartbeatMs: e.STREAM_HEARTBEAT_MS,
    },
    jobs: {
      metricsIntervalMs: e.METRICS_INTERVAL_MS,
      proposalSweepMs: e.PROPOSAL_SWEEP_MS,
      leaseSweepMs: e.LEASE_SWEEP_MS,
    },
    lease: {
      ttlMs: e.AGENT_LEASE_MS,
      minTtlMs: e.AGENT_LEASE_MIN_MS,
      maxTtlMs: e.AGENT_LEASE_MAX_MS,
      graceMs: e.AGENT_LEASE_GRACE_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    instanceId: e.INSTANCE_ID ?? fallbackInstanceId,
    production,
    auth,
    limits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
      wsMaxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      wsSubscribeRatePerS: e.WS_SUBSCRIBE_RATE_PER_S,
      wsSubscribeBurst: e.WS_SUBSCRIBE_BURST,
      wsMaxReplays: e.WS_MAX_REPLAYS,
      mutationRatePerS: e.MUTATION_RATE_PER_S,
      mutationBurst: e.MUTATION_BURST,
      responseMaxBytes: e.RESPONSE_MAX_BYTES,
      expensiveCost: e.EXPENSIVE_COST,
      expensiveMaxPerCaller: e.EXPENSIVE_MAX_PER_CALLER,
      expensiveMaxTotal: e.EXPENSIVE_MAX_TOTAL,
      costRatePerS: e.COST_RATE_PER_S,
      costBurst: e.COST_BURST,
      wsMaxConnectionsPerSub: e.WS_MAX_CONNECTIONS_PER_SUB,
      sseMaxStreamsPerSub: e.SSE_MAX_STREAMS_PER_SUB,
    },
    idempotencyTtlS: e.IDEMPOTENCY_TTL_S,
  };
}
