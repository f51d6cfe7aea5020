/**
 * The realtime figures as they are declared once (realtime-figures.ts) and read in two places: the
 * Prometheus series of /metrics, scraped from a registry over a hub on the memory engine, and the
 * `RealtimeStats` type of the committed schema. Series names are what dashboards and alerts query,
 * so they are spelled out here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printType, type GraphQLNamedType } from 'graphql';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { clusterStats, emptyCounters, FIGURES } from '../../src/realtime/realtime-figures.js';
import { RealtimeHub } from '../../src/realtime/realtime-hub.js';
import { buildSchema } from '../../src/schema/index.js';
import { createMetrics } from '../../src/transport/metrics.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function hubOnMemory() {
  const engine = createMemoryEngine({ retention: 100, clock: systemClock });
  const hub = new RealtimeHub({
    engine,
    instanceId: 'figures-test',
    maxQueuedBytesPerConnection: 1 << 20,
    logger: pino({ level: 'silent' }),
  });
  cleanup.push(
    () => engine.close(),
    () => hub.close(),
  );
  return { engine, hub };
}

describe('the realtime figures', () => {
  it('start at zero, every one the hub counts (open connections are read from its registry)', () => {
    expect(emptyCounters()).toEqual({
      totalConnections: 0,
      totalDisconnections: 0,
      activeSubscriptions: 0,
      eventsPublished: 0,
      messagesDelivered: 0,
      eventsDropped: 0,
    });
  });

  it('are each a Prometheus series of its own, a gauge or a counter by its name, read from the hub', async () => {
    const { hub } = hubOnMemory();
    const { registry } = createMetrics(() => hub);
    const connection = hub.connect({ transport: 'ws', sink: null, close: () => undefined });
    hub.connect({ transport: 'ws', sink: null, close: () => undefined }).release();
    hub.countPublished(3);
    const series = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m]));
    const read = (name: string) => ({
      type: series.get(name)?.type,
      value: series.get(name)?.values[0]?.value,
      help: Boolean(series.get(name)?.help),
    });
    expect(read('colony_realtime_active_connections')).toEqual({ type: 'gauge', value: 1, help: true });
    expect(read('colony_realtime_connections_total')).toEqual({ type: 'counter', value: 2, help: true });
    expect(read('colony_realtime_disconnections_total')).toEqual({ type: 'counter', value: 1, help: true });
    expect(read('colony_realtime_active_subscriptions')).toEqual({ type: 'gauge', value: 0, help: true });
    expect(read('colony_events_published_total')).toEqual({ type: 'counter', value: 3, help: true });
    expect(read('colony_messages_delivered_total')).toEqual({ type: 'counter', value: 0, help: true });
    // Dropped events are counted with their policy and reason as they happen, not read from the hub.
    expect(FIGURES.eventsDropped.metric).toBeNull();
    connection.release();
  });

  it('are the fields of RealtimeStats, described as the committed schema says', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../schema.graphql', import.meta.url)), 'utf8');
    const type = buildSchema().getType('RealtimeStats') as GraphQLNamedType;
    expect(committed).toContain(printType(type));
  });

  it('are summed over every instance that reports, rooms by name', async () => {
    const { engine } = hubOnMemory();
    const figures = { ...emptyCounters(), activeConnections: 1 };
    await engine.presence.report('a', { ...figures, messagesDelivered: 4, rooms: { r: 1, b: 2 } }, 60_000);
    await engine.presence.report('b', { ...figures, eventsDropped: 5, rooms: { r: 3 } }, 60_000);
    expect(await clusterStats(engine.presence)).toEqual({
      ...emptyCounters(),
      activeConnections: 2,
      messagesDelivered: 4,
      eventsDropped: 5,
      rooms: [
        { room: 'b', subscribers: 2 },
        { room: 'r', subscribers: 4 },
      ],
    });
  });
});
