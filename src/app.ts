/**
 * The app: engine → domain → realtime hub → schema → transports, on one HTTP port.
 * `buildApp(config)` builds; `start()` listens; `stop()` shuts down in order, once, within a bound.
 */
import { Arrivals } from './realtime/turn-slice.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Colony } from './domain/api.js';
import { createColony } from './domain/colony.js';
import type { Clock, Engine, Store } from './domain/ports.js';
import { systemClock } from './domain/ports.js';
import type { Config } from './config.js';
import { createMemoryEngine } from './engines/memory/memory-engine.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { startJobs } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import { RealtimeHub } from './realtime/realtime-hub.js';
import { createEventStreams } from './realtime/event-streams.js';
import { buildSchema } from './schema/index.js';
import { isDashboardPath, serveDashboard } from './transport/dashboard.js';
import { createMetrics } from './transport/metrics.js';
import { createWsServer, type WsServer } from './transport/ws-server.js';
import { AgentPresence } from './transport/agent-presence.js';
import { createYogaServer } from './transport/yoga.js';

export interface StopOptions {
  /**
   * How long to keep serving, unready, before closing (default 0). A process behind a proxy or an
   * orchestrator drains (SHUTDOWN_DRAIN_MS) so that no request is sent to it as it closes.
   */
  drainMs?: number;
}

export interface App {
  start(): Promise<{ url: string; port: number }>;
  /** Shuts down once, in order, within SHUTDOWN_TIMEOUT_MS after the drain; later calls share it. */
  stop(options?: StopOptions): Promise<void>;
  readonly colony: Colony;
  readonly engine: Engine;
  /** The realtime core (its figures, and the bytes waiting for slow readers). */
  readonly realtime: RealtimeHub;
}

async function createEngine(config: Config, logger: Logger, clock: Clock): Promise<Engine> {
  const redis = config.engine.redis;
  if (!redis) return createMemoryEngine({ retention: config.engine.retention, clock });
  // Loaded only when configured, so the embedded default never opens a Redis client.
  const { createRedisEngine } = await import('./engines/redis/redis-engine.js');
  return createRedisEngine({
    ...redis,
    retention: config.engine.retention,
    clock,
    instanceId: config.instanceId,
    logger,
  });
}

/** Counts the events this instance commits, for the published-events figure. */
function countingStore(store: Store, count: (n: number) => void): Store {
  return {
    get: (kind, id) => store.get(kind, id),
    list: (kind, query) => store.list(kind, query),
    listDue: (kind, upTo, limit) => store.listDue(kind, upTo, limit),
    count: (kind, where) => store.count(kind, where),
    setVersions: (keys) => store.setVersions(keys),
    time: () => store.time(),
    idempotency: (key) => store.idempotency(key),
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

const netClose = NetServer.prototype.close;

function refuseUpgrade(this: Server, _req: IncomingMessage, socket: Duplex): void {
  // Only once it is the last listener: until then the WebSocket server answers upgrades itself.
  if (this.listenerCount('upgrade') > 1) return;
  socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

export async function buildApp(
  config: Config,
  {
    logger,
    clock = systemClock,
  }: {
    logger: Logger;
    /** This instance's clock (timestamps); lease deadlines use the engine's own (Store.time). */
    clock?: Clock;
  },
): Promise<App> {
  const engine = await createEngine(config, logger, clock);
  let hub: RealtimeHub | null = null;
  const metrics = createMetrics(
    () => hub,
    () => colony.liveness.countLive(),
  );
  // Connections arriving (a restart's reconnect storm) make the event loop's turns short: Node
  // accepts one connection per turn (turn-slice.ts).
  const arrivals = new Arrivals();
  hub = new RealtimeHub({
    arrivals,
    engine,
    instanceId: config.instanceId,
    maxQueuedBytesPerConnection: config.realtime.maxQueuedBytesPerConnection,
    logger,
    onSlowConsumer: (connection) => metrics.slowConsumersClosed.inc({ transport: connection.transport }),
    maxReplaysPerConnection: config.limits.wsMaxReplays,
    onReplay: (outcome) => metrics.replays.inc({ outcome }),
    onDropped: (policy, reason, count) => metrics.eventsDropped.inc({ policy, reason }, count),
  });
  const realtime = hub;
  const colony = createColony({
    store: countingStore(engine.store, (n) => realtime.countPublished(n)),
    clock,
    source: config.instanceId,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    lease: config.lease,
  });
  const verifier = config.auth ? createTokenVerifier(config.auth) : null;
  if (!verifier)
    logger.warn(
      'Authentication is OFF: anyone who reaches this port may read and change everything. Set JWT_SECRET or JWT_JWKS_URL.',
    );
  const clockToleranceS = config.auth?.clockToleranceS ?? 0;
  let closing = false;
  const yoga = createYogaServer({
    schema: buildSchema(),
    colony,
    hub: realtime,
    streams: createEventStreams({
      realtime,
      log: engine.log,
      heartbeatMs: config.realtime.streamHeartbeatMs,
    }),
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
    // Cost points per caller, in the same kind of window.
    costLimiter: engine.limiter(
      'cost',
      config.limits.costBurst,
      Math.max(1, Math.round(config.limits.costBurst / config.limits.costRatePerS)),
    ),
    onRefused: (limit) => metrics.refused.inc({ limit }),
    closing: () => closing,
  });

  let shuttingDown = false;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    // Once closing, each connection ends after its response: the client then knows not to reuse it.
    if (closing) res.setHeader('connection', 'close');
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
      if (isDashboardPath(path ?? '')) return await serveDashboard(req, res, path ?? '');
      return yoga(req, res);
    } catch (error) {
      logger.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
  const server = createServer((req, res) => void handler(req, res));
  server.on('connection', () => arrivals.arrived());
  // Node's default, stated because deploy/nginx.conf depends on it: a proxy must close an idle
  // upstream connection before the server does (nginx's upstream keepalive_timeout is 4 s).
  server.keepAliveTimeout = 5_000;
  const presence = new AgentPresence({
    liveness: colony.liveness,
    instanceId: config.instanceId,
    logger,
  });
  const ws: WsServer = createWsServer({
    server,
    arrivals,
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
    presence,
  });
  const jobs = startJobs({
    colony,
    engine,
    logger,
    ...config.jobs,
    onLeasesExpired: (n) => metrics.leaseExpirations.inc(n),
  });

  let stopping: Promise<void> | null = null;
  const stop = ({ drainMs = 0 }: StopOptions = {}) => {
    stopping ??= (async () => {
      // /ready answers 503 from now on.
      shuttingDown = true;
      if (drainMs > 0) {
        // 1. Drain: serve as usual while the proxy or orchestrator sees /ready fail and moves traffic away.
        logger.info({ drainMs }, 'draining: /ready answers 503');
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      // Close right after a poll phase has accepted every connection waiting in the kernel's queue:
      // closing the listener resets the ones still queued, and a request already written into one
      // fails (a 502 for a POST behind nginx). That window is only narrowed here, not closed; a
      // proxy that follows /ready has stopped connecting by now (README, "Behind nginx").
      await new Promise((resolve) => setImmediate(resolve));
      closing = true;
      let expire = () => undefined as void;
      const expired = new Promise<void>((resolve) => (expire = resolve));
      const deadline = setTimeout(() => {
        server.closeAllConnections();
        expire();
      }, config.shutdownTimeoutMs);
      deadline.unref();
      // 2. Stop accepting: a new connection is refused, which a proxy retries on another instance
      //    (even a POST: nothing was sent). The listener closes at the net level because
      //    http.Server#close also closes every idle keep-alive connection, and closing one races with
      //    a proxy that is writing a request into it: that request fails (502) and is not retried.
      const closed = new Promise<void>((resolve) => netClose.call(server, () => resolve()));
      // 3. WebSockets get 1001, SSE streams end, timers stop. Once the WebSocket server is gone, an
      //    upgrade that still arrives on an open connection is refused with 503 (a proxy retries it
      //    elsewhere): with no 'upgrade' listener Node would pass it on as a plain request and then
      //    misread whatever follows on that connection.
      server.on('upgrade', refuseUpgrade);
      // A client that never answers the close frame holds ws.dispose() for ws's 30 s close timeout.
      await Promise.race([ws.dispose(), expired]);
      // The closed agent connections' leases start their grace before the engine goes.
      await presence.close();
      realtime.close();
      jobs.stop();
      // 4. In-flight requests finish; every response now carries `Connection: close`. When drained,
      //    an idle keep-alive connection is left for its client to close (nginx's upstream
      //    keepalive_timeout is below Node's, so the proxy's always closes first); without a drain
      //    (tests, a single process) idle connections are closed as soon as they are idle.
      const sweeper = drainMs > 0 ? null : setInterval(() => server.closeIdleConnections(), 25);
      if (!drainMs) server.closeIdleConnections();
      await closed;
      if (sweeper) clearInterval(sweeper);
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
    realtime,
    stop,
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        // A deep accept queue: after a restart every client reconnects within a second or two, and
        // the connections the queue cannot hold while the loop is busy wait for the kernel's SYN
        // retries (1 s, 3 s, 7 s, …). Node's default is 511; the kernel caps it at net.core.somaxconn.
        server.listen(config.http.port, config.http.host, config.http.backlog, () => {
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
