/**
 * @colony/client and the events a DROP_OLDEST subscription did not get: the client's socket really
 * stops reading (its TCP socket paused) while 20 MB of events are published. With a `GapQuery` the
 * client fetches each dropped range from `eventLog` and delivers it in order before what came after,
 * so the application sees every event once, in order; with a function it is handed each gap, and
 * the gaps and the events together account for everything published.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createResumableClient,
  compareEventIds,
  type DroppedEvents,
  type ResumableClient,
} from '../../client/src/index.js';
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { Client as UrqlClient, fetchExchange } from '@urql/core';
import { ResumableLink } from '../../client/src/apollo.js';
import { resumableExchange } from '../../client/src/urql.js';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { untilSubscribed } from '../support/subscriptions.js';

let t: TestApp | null = null;
let client: ResumableClient | null = null;
afterEach(async () => {
  await client?.dispose();
  client = null;
  await t?.stop();
  t = null;
});

const BOUND = 256 * 1024;
const EVENT_BYTES = 32 * 1024;
const N = (20 * 1024 * 1024) / EVENT_BYTES;

const EVENTS = /* GraphQL */ `
  subscription Gap($since: ID) {
    events(rooms: ["gap"], since: $since, overflow: DROP_OLDEST) {
      id
      payload {
        ... on CustomEventPayload {
          data
        }
      }
    }
  }
`;
const LOG = /* GraphQL */ `
  query GapLog($after: String, $first: Int) {
    eventLog(rooms: ["gap"], after: $after, first: $first) {
      edges {
        node {
          id
          payload {
            ... on CustomEventPayload {
              data
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface Received {
  id: string;
  i: number;
  dropped: unknown;
}

type EventsResult = {
  data?: { events?: { id: string; payload: { data: { i: number } } } } | null;
  extensions?: Record<string, unknown>;
};

/** How the application subscribes to EVENTS: the client itself, or urql or Apollo on top of it. */
type Subscribe = (
  client: ResumableClient,
  next: (result: EventsResult) => void,
  onDropped: Parameters<ResumableClient['subscribe']>[2],
) => void;

const direct: Subscribe = (client, next, onDropped) =>
  void client.subscribe(
    { query: EVENTS },
    { next, error: () => undefined, complete: () => undefined },
    onDropped,
  );

/** A client whose TCP sockets can be paused, subscribed to EVENTS. */
async function pausedClient(
  app: TestApp,
  onDropped: Parameters<ResumableClient['subscribe']>[2],
  subscribe: Subscribe = direct,
) {
  const sockets: Socket[] = [];
  class Pausable extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.once('upgrade', (res: IncomingMessage) => sockets.push(res.socket));
    }
  }
  client = createResumableClient({ url: app.wsUrl, webSocketImpl: Pausable });
  const received: Received[] = [];
  subscribe(
    client,
    (result) => {
      const event = result.data?.events;
      if (event && typeof event.payload?.data?.i === 'number')
        received.push({ id: event.id, i: event.payload.data.i, dropped: result.extensions?.dropped });
    },
    onDropped,
  );
  await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, 1);
  for (const socket of sockets) socket.pause();
  return { received, resume: () => sockets.forEach((socket) => socket.resume()) };
}

async function flood(app: TestApp): Promise<void> {
  const blob = 'x'.repeat(EVENT_BYTES);
  for (let n = 0; n < N; n += 10)
    await Promise.all(
      Array.from({ length: 10 }, (_, k) => app.ok(Broadcast, { room: 'gap', data: { i: n + k, blob } })),
    );
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

const viaUrql: Subscribe = (client, next, onDropped) => {
  const urql = new UrqlClient({
    url: 'http://unused.invalid/graphql',
    exchanges: [resumableExchange(client, onDropped ?? {}), fetchExchange],
  });
  urql.subscription(EVENTS, {}).subscribe((result) => next(result as EventsResult));
};

const viaApollo: Subscribe = (client, next, onDropped) => {
  const apollo = new ApolloClient({
    link: new ResumableLink(client, onDropped ?? {}),
    cache: new InMemoryCache({ typePolicies: { Subscription: { fields: { events: { merge: false } } } } }),
  });
  apollo
    .subscribe({ query: gql(EVENTS), fetchPolicy: 'no-cache' })
    .subscribe({ next: (result) => next(result as EventsResult) });
};

for (const [name, subscribe] of [
  ['the client', direct],
  ['the urql exchange', viaUrql],
  ['the Apollo link', viaApollo],
] as const)
  it(`heals every gap from eventLog, in order, before going on (${name})`, async () => {
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
    await expectHealed(t, subscribe);
  }, 120_000);

async function expectHealed(app: TestApp, subscribe: Subscribe): Promise<void> {
  const reader = await pausedClient(app, { onDropped: { query: LOG } }, subscribe);
  await flood(app);
  reader.resume();
  await until(() => reader.received.length >= N);
  expect(reader.received).toHaveLength(N);
  // Every event once, in id order, and the application never saw a gap.
  for (let k = 1; k < N; k++)
    expect(compareEventIds(reader.received[k]!.id, reader.received[k - 1]!.id)).toBeGreaterThan(0);
  expect(new Set(reader.received.map((r) => r.i)).size).toBe(N);
  expect(reader.received.filter((r) => r.dropped !== undefined)).toEqual([]);
  // The server did drop: the events came from the log.
  const { realtimeStats } = (await app.ok('query { realtimeStats { eventsDropped } }')) as {
    realtimeStats: { eventsDropped: number };
  };
  expect(realtimeStats.eventsDropped).toBeGreaterThan(0);
}

it('hands each gap to the application when asked to', async () => {
  t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
  const app = t;
  const gaps: DroppedEvents[] = [];
  const reader = await pausedClient(app, { onDropped: (gap) => gaps.push(gap) });
  await flood(app);
  reader.resume();
  await until(() => reader.received.some((r) => r.i === N - 1) && reader.received.length + total(gaps) >= N);
  expect(gaps.length).toBeGreaterThan(0);
  expect(reader.received.length + total(gaps)).toBe(N);
  // Each gap lies between the event before it and the one after it.
  for (const gap of gaps) {
    expect(compareEventIds(gap.toId, gap.fromId)).toBeGreaterThanOrEqual(0);
    if (gap.after !== null) expect(compareEventIds(gap.fromId, gap.after)).toBeGreaterThan(0);
  }
  expect(reader.received.filter((r) => r.dropped !== undefined)).toEqual([]);
}, 120_000);

const total = (gaps: DroppedEvents[]) => gaps.reduce((sum, gap) => sum + gap.count, 0);
