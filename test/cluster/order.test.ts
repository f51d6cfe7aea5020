/**
 * Every subscriber receives event ids strictly increasing, across rooms too, also when an instance
 * had to fill a gap from the stream after Redis paused or cut its pub/sub connection.
 */
import { describe, expect, it } from 'vitest';
import { compareEventIds } from '../../src/domain/events/event-types.js';
import type { TestApp } from '../support/app.js';
import { useRedisApps } from '../support/redis-apps.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { RealtimeStatsQuery } from '../api/operations.js';

const EVENTS = `subscription ($rooms: [String!]) { events(rooms: $rooms) { id type rooms } }`;
interface Ev {
  events: { id: string; type: string; rooms: string[] };
}

const fleet = useRedisApps();
let fleets = 0;
const instance = (prefix: string, id: string): Promise<TestApp> =>
  fleet.onRedis(prefix, { REDIS_COMMAND_TIMEOUT_MS: '300', INSTANCE_ID: id });

/** Ids that do not strictly follow the one before. */
function outOfOrder(ids: string[]): string[] {
  return ids.filter((id, i) => i > 0 && compareEventIds(ids[i - 1] as string, id) >= 0);
}

const ROOMS = ['r1', 'r2', 'r3', 'elsewhere'];

describe('order per subscriber across a gap fill', () => {
  it('keeps ids strictly increasing for a multi-room and an all-rooms subscriber across Redis pauses and cut connections', async () => {
    const prefix = `order-${++fleets}`;
    const a = await instance(prefix, 'a');
    const b = await instance(prefix, 'b');
    const some = collect<Ev>(b.ws(), EVENTS, { rooms: ['r1', 'r2', 'r3'] });
    const all = collect<Ev>(b.ws(), EVENTS, {});
    const onA = collect<Ev>(a.ws(), EVENTS, { rooms: ['r2', 'elsewhere'] });
    await untilSubscribed(async () => (await b.ok(RealtimeStatsQuery)).realtimeStats, 3);
    const admin = fleet.redis.client();

    let writing = true;
    const acknowledged: string[] = [];
    const writers = [a, b, a, b].map(async (app, w) => {
      for (let n = 0; writing; n++) {
        const room = ROOMS[(n + w) % ROOMS.length] as string;
        const r = await app.request<{ broadcast: { id: string } }, unknown>(
          'mutation ($room: String!, $n: JSON!) { broadcast(room: $room, data: $n) { id } }',
          { room, n },
        );
        if (r.data) acknowledged.push(r.data.broadcast.id);
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let round = 0; round < 3; round++) {
      await pause(300);
      fleet.redis.freeze();
      await pause(700);
      fleet.redis.thaw();
      await pause(300);
      // Redis cutting the subscriber connections (as it does to a lagging client): messages lost.
      await admin.client('KILL', 'TYPE', 'pubsub').catch(() => undefined);
    }
    await pause(300);
    writing = false;
    await Promise.all(writers);
    // A marker in every room, last: once each subscriber has it, everything before it has arrived.
    const marker = await a.ok<{ broadcast: { id: string } }, unknown>(
      'mutation { broadcast(room: "r2", data: "end") { id } }',
    );
    const stream = (await admin.xrange(`{${prefix}}:events`, '-', '+')).map(([id, fields]) => ({
      id,
      rooms: (JSON.parse(fields[fields.indexOf('e') + 1] as string) as { rooms: string[] }).rooms,
    }));
    const until = async (c: typeof some) => {
      const deadline = Date.now() + 15_000;
      while (!c.items.some((e) => e.events.id === marker.broadcast.id)) {
        if (Date.now() > deadline) throw new Error('the marker did not arrive');
        await pause(50);
      }
      return c.items.map((e) => e.events.id);
    };
    for (const [c, rooms] of [
      [some, ['r1', 'r2', 'r3']],
      [all, null],
      [onA, ['r2', 'elsewhere']],
    ] as const) {
      const ids = await until(c);
      expect(outOfOrder(ids)).toEqual([]);
      // And none is missing: every acknowledged event of its rooms, from its first to the marker.
      const expected = stream
        .filter((e) => !rooms || e.rooms.some((r) => (rooms as readonly string[]).includes(r)))
        .map((e) => e.id)
        .filter((id) => compareEventIds(id, ids[0] as string) >= 0);
      expect(ids).toEqual(expected);
    }
    expect(acknowledged.length).toBeGreaterThan(20);
  });
});
