/**
 * The app: engine → domain → realtime hub → schema → transports, on one HTTP port.
 * `buildApp(config)` builds; `start()` listens; `stop()` shuts down in order, once, within a bound.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Colony } from './domain/api.js';
import { createColony } from './domain/colony.js';
import type { Engine, Store } from './domain/ports.js';
import { systemClock } from './domain/ports.js';
import type { Config } from './config.js';
import { createMemoryEngine } from './engines/memory/memory-engine.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { startJobs } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import { RealtimeHub } from './realtime/realtime-hub.js';
import { buildSchema } from './schema/index.js';
import { createMetrics } from './transport/metrics.js';
import { createWsServer, type WsServer } from './transport/ws-server.js';
import { createYogaServer } from './transport/yoga.js';

export interface App {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  readonly colony: Colony;
  readonly engine: Engine;
}

async function createEngine(config: Config, logger: Logger): Promise<Engine> {
  const redis = config.engine.redis;
  if (!redis) return createMemoryEngine({ retention: config.engine.retention, clock: systemClock });
  // Loaded only when configured, so the embedded default never opens a Redis client.
  const { createRedisEngine } = await import('./engines/redis/redis-engine.js');
  return createRedisEngine({
    ...redis,
    retention: config.engine.retention,
    clock: systemClock,
    instanceId: config.instanceId,
    logger,
  });
}

/** Counts the events this instance commits, for the published-events figure. */
function countingStore(store: Store, count: (n: number) => void): Store {
  return {
    get: (kind, id) => store.get(kind, id),
    list: (kind, query) => store.list(kind, query),
    count: (kind, where) => store.count(kind, where),
    commit: async (commit) => {
      const events = await store.commit(commit);
      count(events.length);
      return events;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function buildApp(config: Config, { logger }: { logger: Logger }): Promise<App> {
  const engine = await createEngine(config, logger);
  let hub: RealtimeHub | null = null;
  const metrics = createMetrics(() => hub);
  hub = new RealtimeHub({
    engine,
    instanceId: config.instanceId,
    maxQueuedBytesPerConnection: config.realtime.maxQueuedBytesPerConnection,
    logger,
    onSlowConsumer: (connection) => metrics.slowConsumersClosed.inc({ transport: connection.transport }),
    maxReplaysPerConnection: config.limits.wsMaxReplays,
    onReplay: (outcome) => metrics.replays.inc({ outcome }),
  });
  const realtime = hub;
  const colony = createColony({
    store: countingStore(engine.store, (n) => realtime.countPublished(n)),
    clock: systemClock,
    source: config.instanceId,
  });
  const verifier = config.auth ? createTokenVerifier(config.auth) : null;
  if (!verifier)
    logger.warn(
      'Authentication is OFF: anyone who reaches this port may read and change everything. Set JWT_SECRET or JWT_JWKS_URL.',
    );
  const clockToleranceS = config.auth?.clockToleranceS ?? 0;
  const yoga = createYogaServer({
    schema: buildSchema(),
    colony,
    hub: realtime,
    logger,
    metrics,
    verifier,
    clockToleranceS,
    limits: config.limits,
    production: config.production,
    allowedOrigins: config.http.allowedOrigins,
    // A fixed window of MUTATION_BURST per the time MUTATION_RATE_PER_S takes to refill it.
    mutationLimiter: engine.limiter(
      'mutations',
      config.limits.mutationBurst,
      Math.max(1, Math.round(config.limits.mutationBurst / config.limits.mutationRatePerS)),
    ),
  });

  let shuttingDown = false;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/ready') {
        const report = await engine.health();
        jobs.observeHealth(report);
        const ready = report.ready && !shuttingDown;
        return sendJson(res, ready ? 200 : 503, {
          ready,
          ...(shuttingDown ? { reason: 'shutting down' } : {}),
          checks: report.checks,
        });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return res.end(body);
      }
      return yoga(req, res);
    } catch (error) {
      logger.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
  const server = createServer((req, res) => void handler(req, res));
  const ws: WsServer = createWsServer({
    server,
    yoga,
    hub: realtime,
    logger,
    maxPayloadBytes: config.http.wsMaxPayloadBytes,
    allowedOrigins: config.http.allowedOrigins,
    verifier,
    clockToleranceS,
    limits: config.limits,
    onRefused: (limit) => metrics.refused.inc({ limit }),
    production: config.production,
  });
  const jobs = startJobs({ colony, engine, logger, ...config.jobs });

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      shuttingDown = true;
      const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      deadline.unref();
      // 1. Stop accepting; in-flight requests go on. 2. WebSockets get 1001. 3. SSE streams end.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await ws.dispose();
      realtime.close();
      jobs.stop();
      // Keep-alive connections turn idle as their last response ends (SSE streams end just now):
      // close each as soon as it does, instead of waiting out its keep-alive timeout.
      const sweeper = setInterval(() => server.closeIdleConnections(), 25);
      // 4. Wait for in-flight HTTP requests (bounded by the deadline above), then the engine.
      await closed;
      clearInterval(sweeper);
      clearTimeout(deadline);
      await yoga.dispose();
      await engine.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  return {
    colony,
    engine,
    stop,
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.http.port, config.http.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host =
            config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
          const url = `http://${host}:${port}`;
          logger.info(
            { url: `${url}/graphql`, engine: engine.name, instance: config.instanceId },
            'Colony is listening',
          );
          resolve({ url, port });
        });
      }),
  };
}
