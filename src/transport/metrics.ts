/** Prometheus figures: one registry per app, so that many apps can live in one process (tests). */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RealtimeHub } from '../realtime/realtime-hub.js';

export interface AppMetrics {
  registry: Registry;
  slowConsumersClosed: Counter;
}

export function createMetrics(hub: () => RealtimeHub | null): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const figure = (name: string, help: string, read: (s: ReturnType<RealtimeHub['snapshot']>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const h = hub();
        if (h) this.set(read(h.snapshot()));
      },
    });
  figure(
    'colony_realtime_active_connections',
    'WebSocket and SSE connections open on this instance.',
    (s) => s.activeConnections,
  );
  figure(
    'colony_realtime_connections_total',
    'Connections opened on this instance since it started.',
    (s) => s.totalConnections,
  );
  figure(
    'colony_realtime_disconnections_total',
    'Connections closed on this instance since it started.',
    (s) => s.totalDisconnections,
  );
  figure(
    'colony_realtime_active_subscriptions',
    'Event subscriptions open on this instance.',
    (s) => s.activeSubscriptions,
  );
  figure('colony_events_published_total', 'Events committed by this instance.', (s) => s.eventsPublished);
  figure(
    'colony_messages_delivered_total',
    'Events handed to subscribers on this instance.',
    (s) => s.messagesDelivered,
  );
  new Gauge({
    name: 'colony_realtime_room_subscribers',
    help: 'Subscriptions per room on this instance.',
    labelNames: ['room'],
    registers: [registry],
    collect() {
      this.reset();
      const h = hub();
      if (h) for (const [room, n] of Object.entries(h.snapshot().rooms)) this.set({ room }, n);
    },
  });
  const slowConsumersClosed = new Counter({
    name: 'colony_slow_consumers_closed_total',
    help: 'Connections closed because their queued events passed SUBSCRIBER_MAX_QUEUE_BYTES.',
    labelNames: ['transport'],
    registers: [registry],
  });
  return { registry, slowConsumersClosed };
}
