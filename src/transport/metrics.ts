/** Prometheus figures: one registry per app, so that many apps can live in one process (tests). */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { FIGURES, type Figure, type FigureName } from '../realtime/realtime-figures.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';

export interface AppMetrics {
  registry: Registry;
  slowConsumersClosed: Counter;
  /** `since` replays by outcome: started, or refused (WS_MAX_REPLAYS). */
  replays: Counter<'outcome'>;
  /** Events dropped by an overflow policy (DROP_OLDEST, COALESCE), by policy and reason. */
  eventsDropped: Counter<'policy' | 'reason'>;
  /** Requests refused by a limit, by limit. */
  refused: Counter<'limit'>;
  /** Agents this instance's lease sweeps took for dead. */
  leaseExpirations: Counter;
}

/** The route of a request URL for a label: the GraphQL endpoint or `other`, never a query string. */
export function routeLabel(url: string): string {
  const path = new URL(url, 'http://x').pathname;
  return path === '/graphql' ? path : 'other';
}

/** The rooms that are series of their own; any other room counts in its prefix's bucket. */
const FIXED_ROOMS = new Set(['agents', 'tasks', 'coordination', 'system']);
const ROOM_PREFIXES = ['agent:', 'task:', 'user:'];

/** A room as a label value: a fixed room, `agent:*`, `task:*`, `user:*` or `other` (never a client's name). */
export function roomLabel(room: string): string {
  if (FIXED_ROOMS.has(room)) return room;
  const prefix = ROOM_PREFIXES.find((p) => room.startsWith(p));
  return prefix ? `${prefix}*` : 'other';
}

export function createMetrics(
  hub: () => RealtimeHub | null,
  liveAgents: () => Promise<number> = async () => 0,
): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's gauges of open handles, requests and resources end in _total, which Prometheus
  // keeps for counters (the same figures stay, by type, in nodejs_active_handles and its siblings);
  // and "min" in nodejs_eventloop_lag_min_seconds reads as an abbreviated unit to promtool's lint.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
    'nodejs_eventloop_lag_min_seconds',
  ])
    registry.removeSingleMetric(name);
  // The realtime figures (realtime-figures.ts), read from the hub at each scrape. A counter only
  // goes up: it is set to the hub's count.
  for (const [key, { metric }] of Object.entries(FIGURES) as [FigureName, Figure][]) {
    if (!metric) continue;
    const read = () => hub()?.snapshot()[key];
    if (metric.name.endsWith('_total'))
      new Counter({
        ...metric,
        registers: [registry],
        collect() {
          const value = read();
          if (value === undefined) return;
          this.reset();
          this.inc(value);
        },
      });
    else
      new Gauge({
        ...metric,
        registers: [registry],
        collect() {
          const value = read();
          if (value !== undefined) this.set(value);
        },
      });
  }
  new Gauge({
    name: 'colony_realtime_room_subscribers',
    help: 'Subscriptions per room on this instance: the fixed rooms, then one series per prefix (agent:*, task:*, user:*, other).',
    labelNames: ['room'],
    registers: [registry],
    collect() {
      this.reset();
      const h = hub();
      if (!h) return;
      const buckets = new Map<string, number>();
      for (const [room, n] of Object.entries(h.snapshot().rooms)) {
        const label = roomLabel(room);
        buckets.set(label, (buckets.get(label) ?? 0) + n);
      }
      for (const [room, n] of buckets) this.set({ room }, n);
    },
  });
  const slowConsumersClosed = new Counter({
    name: 'colony_slow_consumers_closed_total',
    help: 'Connections closed because their queued events passed SUBSCRIBER_MAX_QUEUE_BYTES.',
    labelNames: ['transport'],
    registers: [registry],
  });
  const eventsDropped = new Counter({
    name: 'colony_events_dropped_total',
    help: 'Events dropped for a subscriber that fell behind, by its overflow policy and the reason (overflow: past its share of SUBSCRIBER_MAX_QUEUE_BYTES; coalesced: a newer state of the same entity replaced it).',
    labelNames: ['policy', 'reason'],
    registers: [registry],
  });
  const replays = new Counter({
    name: 'colony_realtime_replays_total',
    help: '`since` replays: started, or refused because the connection had WS_MAX_REPLAYS in flight.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'colony_realtime_replays_in_flight',
    help: '`since` replays still reading the log on this instance.',
    registers: [registry],
    collect() {
      const h = hub();
      if (h) this.set(h.replaysInFlight);
    },
  });
  const refused = new Counter({
    name: 'colony_limits_refused_total',
    help: 'Operations and connections refused by a limit (WS_MAX_SUBSCRIPTIONS, the subscribe rate, a flood).',
    labelNames: ['limit'],
    registers: [registry],
  });
  new Gauge({
    name: 'colony_live_agents',
    help: 'Agents whose liveness lease holds now, across the fleet.',
    registers: [registry],
    async collect() {
      // While the engine is away the last figure stays: a scrape must not fail for it.
      const live = await liveAgents().catch(() => null);
      if (live !== null) this.set(live);
    },
  });
  const leaseExpirations = new Counter({
    name: 'colony_lease_expirations_total',
    help: "Agents this instance's lease sweeps took for dead (OFFLINE, reason LEASE_EXPIRED).",
    registers: [registry],
  });
  return { registry, slowConsumersClosed, replays, refused, eventsDropped, leaseExpirations };
}
