/**
 * The figures: this instance's counters, reported to the engine's presence so that any instance can
 * answer for the whole cluster.
 */
import type { Presence, RealtimeSnapshot } from '../domain/ports.js';
import type { RealtimeStats } from './realtime-api.js';

export type Counters = Required<Omit<RealtimeSnapshot, 'rooms' | 'activeConnections'>>;

export function emptyCounters(): Counters {
  return {
    totalConnections: 0,
    totalDisconnections: 0,
    activeSubscriptions: 0,
    eventsPublished: 0,
    messagesDelivered: 0,
    eventsDropped: 0,
  };
}

/** Sums every live instance's figures. */
export async function clusterStats(presence: Presence): Promise<RealtimeStats> {
  const all = await presence.all();
  const rooms = new Map<string, number>();
  const total = { activeConnections: 0, ...emptyCounters() };
  for (const s of all) {
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += s[key] ?? 0;
    for (const [room, n] of Object.entries(s.rooms)) rooms.set(room, (rooms.get(room) ?? 0) + n);
  }
  return {
    ...total,
    rooms: [...rooms]
      .map(([room, subscribers]) => ({ room, subscribers }))
      .sort((a, b) => a.room.localeCompare(b.room)),
  };
}
