/**
 * Cursors reveal nothing: a reader's positions, heartbeats and page cursors never point past the
 * last event it may read, so that activity in rooms it lacks does not show in them (a heartbeat
 * repeats the last readable cursor instead). Through the real transports, with tokens, on both
 * engines.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { hsToken, SECRET } from '../support/tokens.js';

let t: TestApp | null = null;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await t?.stop();
  t = null;
});

const STREAM = `subscription { eventStream { __typename ... on StreamPosition { cursor live } ... on Event { id rooms } } }`;
const LOG = `query ($after: String) { eventLog(after: $after) { edges { cursor } pageInfo { startCursor endCursor } } }`;

type Item =
  | { __typename: 'StreamPosition'; cursor: string | null; live: boolean }
  | { __typename: 'Event'; id: string };

async function setup() {
  t = await startApp({ JWT_SECRET: SECRET, STREAM_HEARTBEAT_MS: '40' });
  const app = t;
  const admin = await hsToken({ sub: 'ada', roles: ['admin'] });
  const viewer = await hsToken({ sub: 'vic', roles: ['viewer'], rooms: ['mine'] });
  const post = async (token: string, query: string, variables?: object) => {
    const res = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data: Record<string, unknown>; errors?: unknown[] };
  };
  const say = async (room: string) =>
    (
      (await post(admin, 'mutation ($room: String!) { broadcast(room: $room, data: 1) { id } }', { room }))
        .data.broadcast as { id: string }
    ).id;
  const ws = (token: string) => {
    const client = createClient({
      url: app.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    clients.push(client);
    return client;
  };
  const stats = async () =>
    (await post(admin, '{ realtimeStats { activeSubscriptions } }')).data.realtimeStats as {
      activeSubscriptions: number;
    };
  return { admin, viewer, post, say, ws, stats };
}

describe("a reader's cursors", () => {
  it('never move onto events of rooms it may not read: first position, heartbeats, page cursors', async () => {
    const s = await setup();
    const mine = await s.say('mine');
    const theirs = [await s.say('theirs')];
    const sub = collect<{ eventStream: Item }>(s.ws(s.viewer), STREAM);
    const [first] = await sub.waitFor(1);
    // The newest event it may read, not the log's newest.
    expect(first!.eventStream).toEqual({ __typename: 'StreamPosition', cursor: mine, live: true });
    await untilSubscribed(s.stats, 1);
    for (let i = 0; i < 3; i++) theirs.push(await s.say('theirs'));
    // Heartbeats every 40 ms while idle: several after the last broadcast, each at `mine` still.
    const seen = sub.items.length;
    await sub.waitFor(seen + 4);
    const positions = sub.items.map((i) => i.eventStream);
    expect(positions.every((p) => p.__typename === 'StreamPosition')).toBe(true);
    for (const p of positions) expect(p).toEqual({ __typename: 'StreamPosition', cursor: mine, live: true });

    // A page after `mine` holds nothing it may read: its cursors stay where it was.
    const page = await s.post(s.viewer, LOG, { after: mine });
    expect(page.errors).toBeUndefined();
    expect(page.data.eventLog).toEqual({ edges: [], pageInfo: { startCursor: mine, endCursor: mine } });
    // The admin reads everything, and its cursors go on.
    const all = await s.post(s.admin, LOG, { after: mine });
    expect((all.data.eventLog as { pageInfo: { endCursor: string } }).pageInfo.endCursor).toBe(theirs.at(-1));

    // An event it may read moves them on again.
    const next = await s.say('mine');
    // Heartbeats may come before it: read on until it arrives.
    const isNext = (i: { eventStream: Item }) => 'id' in i.eventStream && i.eventStream.id === next;
    while (!sub.items.some(isNext)) await sub.waitFor(sub.items.length + 1);
    // After it, positions are at it.
    const last = sub.items.findIndex(isNext);
    await sub.waitFor(last + 2);
    expect(sub.items[last + 1]!.eventStream).toEqual({
      __typename: 'StreamPosition',
      cursor: next,
      live: true,
    });
    const after = await s.post(s.viewer, LOG, { after: mine });
    expect(after.data.eventLog).toMatchObject({ pageInfo: { endCursor: next } });
    sub.unsubscribe();
  });

  it('give a reader of nothing retained no cursor at all on its first position', async () => {
    const s = await setup();
    await s.say('theirs');
    const sub = collect<{ eventStream: Item }>(s.ws(s.viewer), STREAM);
    const [first] = await sub.waitFor(1);
    expect(first!.eventStream).toEqual({ __typename: 'StreamPosition', cursor: null, live: true });
    sub.unsubscribe();
  });
});
