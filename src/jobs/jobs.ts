/**
 * The app's timers: lease expiry, proposal expiry, METRICS_UPDATED and HEALTH_CHANGED. Every instance runs them;
 * the domain's version checks make each expiry and each metrics tick happen once cluster-wide. A
 * failing run is logged and retried on the next tick; it never throws out of the timer.
 */
import type { Colony } from '../domain/api.js';
import type { Engine, HealthReport } from '../domain/ports.js';
import type { Logger } from '../logger.js';

export interface JobsOptions {
  colony: Colony;
  engine: Engine;
  logger: Logger;
  proposalSweepMs: number;
  /** How often this instance looks for leases that ran out (LEASE_SWEEP_MS). */
  leaseSweepMs: number;
  /** Told how many agents each lease sweep of this instance took for dead (for a metric). */
  onLeasesExpired?: (count: number) => void;
  /** 0 turns METRICS_UPDATED off. */
  metricsIntervalMs: number;
  healthPollMs?: number;
}

/**
 * Runs `task` every `ms`, never overlapping itself. A failure is reported once, not on every tick
 * while it lasts (an outage would otherwise flood the log four times a second).
 */
function every(ms: number, task: () => Promise<unknown>, onError: (error: unknown) => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failing: string | null = null;
  const tick = async () => {
    try {
      await task();
      failing = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== failing) onError(error);
      failing = message;
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

export function startJobs(options: JobsOptions): { stop(): void; observeHealth(report: HealthReport): void } {
  const { colony, engine, logger } = options;
  const stops: (() => void)[] = [];

  stops.push(
    every(
      options.proposalSweepMs,
      () => colony.consensus.expireDue(),
      (err) => logger.warn({ err }, 'proposal expiry sweep failed; retrying on the next tick'),
    ),
  );

  // Every instance sweeps; the commit decides each expiry on the engine's clock, exactly once.
  stops.push(
    every(
      options.leaseSweepMs,
      async () => {
        const expired = await colony.liveness.expireDue();
        if (expired) options.onLeasesExpired?.(expired);
      },
      (err) => logger.warn({ err }, 'lease expiry sweep failed; retrying on the next tick'),
    ),
  );

  if (options.metricsIntervalMs > 0) {
    stops.push(
      every(
        options.metricsIntervalMs,
        () => colony.system.publishMetrics(options.metricsIntervalMs / 2),
        (err) => logger.warn({ err }, 'could not publish METRICS_UPDATED'),
      ),
    );
  }

  // HEALTH_CHANGED when readiness flips (seen by this poll or by a /ready request); published once
  // the engine can take it again, latest state first.
  let lastReady = true;
  let unpublished: { ready: boolean; checks: Record<string, unknown> } | null = null;
  const observe = (report: HealthReport) => {
    if (report.ready === lastReady) return;
    lastReady = report.ready;
    unpublished = { ready: report.ready, checks: report.checks };
    logger.warn({ ready: report.ready, checks: report.checks }, 'readiness changed');
  };
  stops.push(
    every(
      options.healthPollMs ?? 1000,
      async () => {
        observe(await engine.health());
        if (unpublished) {
          const pending = unpublished;
          await colony.system.publishHealth(pending.ready, JSON.parse(JSON.stringify(pending.checks)));
          if (unpublished === pending) unpublished = null;
        }
      },
      (err) => logger.debug({ err }, 'HEALTH_CHANGED not published yet'),
    ),
  );

  return { stop: () => stops.forEach((stop) => stop()), observeHealth: observe };
}
