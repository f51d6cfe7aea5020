/**
 * The figures of the realtime core, declared once: each one's Prometheus series and what the schema
 * says of it (`realtimeStats`). The hub counts them (`Counters`), reports them to the engine's
 * presence so that any instance can answer for the whole cluster, and transport/metrics.ts and the
 * schema expose them from this table.
 */
import type { Presence, RealtimeSnapshot } from '../domain/ports.js';
import type { RealtimeStats } from './realtime-api.js';

/** One figure: a number in RealtimeSnapshot. */
export interface Figure {
  /**
   * Its Prometheus series, read from the hub at each scrape: a gauge, or a counter (ends in
   * `_total`); null when metrics.ts counts it with labels of its own as it happens.
   */
  metric: { name: string; help: string } | null;
  /** What `realtimeStats` says of it (none: its name says it). */
  description?: string;
}

export type FigureName = keyof Omit<RealtimeSnapshot, 'rooms'>;

export const FIGURES: Record<FigureName, Figure> = {
  activeConnections: {
    metric: {
      name: 'colony_realtime_active_connections',
      help: 'WebSocket and SSE connections open on this instance.',
    },
    description: 'WebSocket and SSE connections open now.',
  },
  totalConnections: {
    metric: {
      name: 'colony_realtime_connections_total',
      help: 'Connections opened on this instance since it started.',
    },
  },
  totalDisconnections: {
    metric: {
      name: 'colony_realtime_disconnections_total',
      help: 'Connections closed on this instance since it started.',
    },
  },
  activeSubscriptions: {
    metric: {
      name: 'colony_realtime_active_subscriptions',
      help: 'Event subscriptions open on this instance.',
    },
  },
  eventsPublished: {
    metric: { name: 'colony_events_published_total', help: 'Events committed by this instance.' },
  },
  messagesDelivered: {
    metric: {
      name: 'colony_messages_delivered_total',
      help: 'Events handed to subscribers on this instance.',
    },
    description: 'Events handed to subscribers.',
  },
  eventsDropped: {
    // colony_events_dropped_total, by policy and reason (metrics.ts).
    metric: null,
    description: 'Events dropped for subscriptions whose overflow policy drops (DROP_OLDEST, COALESCE).',
  },
};

/** The figures the hub counts (the open connections it reads from its registry). */
export type Counters = Required<Omit<RealtimeSnapshot, 'rooms' | 'activeConnections'>>;

const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];

export function emptyCounters(): Counters {
  const counters = {} as Counters;
  for (const name of FIGURE_NAMES) if (name !== 'activeConnections') counters[name] = 0;
  return counters;
}

/** Sums every live instance's figures. */
export async function clusterStats(presence: Presence): Promise<RealtimeStats> {
  const all = await presence.all();
  const rooms = new Map<string, number>();
  const total = { activeConnections: 0, ...emptyCounters() };
  for (const s of all) {
    for (const name of FIGURE_NAMES) total[name] += s[name] ?? 0;
    for (const [room, n] of Object.entries(s.rooms)) rooms.set(room, (rooms.get(room) ?? 0) + n);
  }
  return {
    ...total,
    rooms: [...rooms]
      .map(([room, subscribers]) => ({ room, subscribers }))
      .sort((a, b) => a.room.localeCompare(b.room)),
  };
}
