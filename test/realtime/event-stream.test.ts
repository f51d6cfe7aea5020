/**
 * `eventStream` (events with positions) and `eventLog` (the history as pages), over real sockets and
 * HTTP, on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';

const STREAM = /* GraphQL */ `
  subscription Stream($rooms: [String!], $types: [EventType!], $since: ID) {
    eventStream(rooms: $rooms, types: $types, since: $since) {
      __typename
      ... on StreamPosition {
        cursor
        live
      }
      ... on Event {
        id
        type
        rooms
      }
    }
  }
`;

const LOG = /* GraphQL */ `
  query Log(
    $rooms: [String!]
    $types: [EventType!]
    $first: Int
    $after: String
    $last: Int
    $before: String
  ) {
    eventLog(rooms: $rooms, types: $types, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          rooms
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

type Item =
  | { __typename: 'StreamPosition'; cursor: string | null; live: boolean }
  | { __typename: 'Event'; id: string; type: string; rooms: string[] };
interface StreamData {
  eventStream: Item;
}
interface LogData {
  eventLog: {
    edges: { cursor: string; node: { id: string; rooms: string[] } }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string;
    };
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ EVENT_RETENTION: '40', STREAM_HEARTBEAT_MS: '150' });
});
afterAll(() => t.stop());

const stats = async () => (await t.ok(RealtimeStatsQuery)).realtimeStats;
const say = async (room: string, n: number) =>
  (await t.ok(Broadcast, { room, data: { n } })).broadcast.id as string;
const items = (c: { items: StreamData[] }) => c.items.map((i) => i.eventStream);

describe('eventStream', () => {
  it('says where it stands as soon as it is registered, even when nothing will ever match', async () => {
    const newest = await say('elsewhere', 0);
    const client = t.ws();
    const sub = collect<StreamData>(client, STREAM, { rooms: ['nobody-writes-here'] });
    const [first] = await sub.waitFor(1);
    expect(first?.eventStream).toEqual({ __typename: 'StreamPosition', cursor: newest, live: true });
    sub.unsubscribe();
  });

  it('replays after `since`, says when live begins, then goes on live without gap or repeat', async () => {
    const since = await say('replay', 0);
    const replayed = [await say('replay', 1), await say('other', 2), await say('replay', 3)];
    const client = t.ws();
    const before = (await stats()).activeSubscriptions;
    const sub = collect<StreamData>(client, STREAM, { rooms: ['replay'], since });
    await untilSubscribed(stats, before + 1);
    const live = await say('replay', 4);
    await sub.waitFor(5);
    for (let n = 6; !items(sub).some((i) => 'id' in i && i.id === live); n++) await sub.waitFor(n);
    // Idle heartbeats (every 150 ms here) may come after the live position on a busy machine.
    const all = items(sub);
    const firstLive = all.findIndex((i) => i.__typename === 'StreamPosition' && 'live' in i && i.live);
    const seen = all.filter((i, k) => k <= firstLive || i.__typename !== 'StreamPosition');
    expect(seen).toEqual([
      { __typename: 'StreamPosition', cursor: since, live: false },
      expect.objectContaining({ id: replayed[0] }),
      expect.objectContaining({ id: replayed[2] }),
      { __typename: 'StreamPosition', cursor: expect.any(String), live: true },
      expect.objectContaining({ id: live }),
    ]);
    const position = seen[3] as { cursor: string };
    // The live position is at least the last replayed event (the `other` room moved it on too).
    expect(position.cursor >= replayed[2]!).toBe(true);
    sub.unsubscribe();
  });

  it('sends its position on every idle heartbeat, moving on past events it does not match', async () => {
    const client = t.ws();
    const sub = collect<StreamData>(client, STREAM, { rooms: ['quiet'] });
    const [first] = await sub.waitFor(1);
    const newest = await say('busy', 1);
    // One heartbeat later the log's newest id is read; the next one claims it.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const last = items(sub).at(-1);
      if (last?.__typename === 'StreamPosition' && last.cursor === newest) break;
      await sub.waitFor(sub.items.length + 1);
    }
    expect(items(sub).at(-1)).toEqual({ __typename: 'StreamPosition', cursor: newest, live: true });
    expect(items(sub).every((i) => i.__typename === 'StreamPosition')).toBe(true);
    expect(first?.eventStream).not.toEqual(items(sub).at(-1));
    sub.unsubscribe();
  });

  it('opens several streams at once on one socket, each with its position', async () => {
    const newest = await say('many', 0);
    const client = t.ws();
    const subs = [1, 2, 3, 4].map((i) => collect<StreamData>(client, STREAM, { rooms: [`many-${i}`] }));
    const firsts = await Promise.all(subs.map(async (sub) => (await sub.waitFor(1))[0]?.eventStream));
    expect(firsts).toEqual(subs.map(() => ({ __typename: 'StreamPosition', cursor: newest, live: true })));
    for (const sub of subs) sub.unsubscribe();
  });

  it('refuses a malformed or expired `since` with the documented codes', async () => {
    const client = t.ws();
    const malformed = collect<StreamData>(client, STREAM, { since: 'yesterday' });
    await malformed.ended;
    expect(JSON.stringify(malformed.errors)).toContain('BAD_USER_INPUT');
    const expired = collect<StreamData>(client, STREAM, { since: '1-0' });
    await expired.ended;
    expect(JSON.stringify(expired.errors)).toContain('CURSOR_EXPIRED');
  });
});

describe('eventLog', () => {
  it('pages the history forward and back, with the same room filter as a stream', async () => {
    const start = await say('log-start', 0);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await say(i % 2 ? 'log-odd' : 'log-even', i));
    const even = ids.filter((_, i) => i % 2 === 0);
    const seen: string[] = [];
    let after = start;
    for (let i = 0; i < 10; i++) {
      const page: LogData = await t.ok<LogData, Record<string, unknown>>(LOG, {
        rooms: ['log-even'],
        first: 2,
        after,
      });
      seen.push(...page.eventLog.edges.map((e) => e.node.id));
      if (!page.eventLog.pageInfo.hasNextPage) break;
      after = page.eventLog.pageInfo.endCursor;
    }
    expect(seen).toEqual(even);
    const back = await t.ok<LogData, Record<string, unknown>>(LOG, { rooms: ['log-odd'], last: 2 });
    expect(back.eventLog.edges.map((e) => e.node.id)).toEqual([ids[3], ids[5]]);
    expect(back.eventLog.pageInfo.hasPreviousPage).toBe(true);
    const older = await t.ok<LogData, Record<string, unknown>>(LOG, {
      rooms: ['log-odd'],
      last: 2,
      before: back.eventLog.pageInfo.startCursor,
    });
    expect(older.eventLog.edges.map((e) => e.node.id)).toEqual([ids[1]]);
  });

  it('refuses bad paging with clear codes, and an `after` retention dropped with CURSOR_EXPIRED', async () => {
    const first = await say('expiring', 0);
    expect(codes(await t.request(LOG, { first: 1, last: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(LOG, { first: 500 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(LOG, { after: 'nope' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(LOG, { rooms: ['bad room!'] }))).toEqual(['BAD_USER_INPUT']);
    for (let i = 0; i < 45; i++) await say('filler', i);
    expect(codes(await t.request(LOG, { after: first }))).toEqual(['CURSOR_EXPIRED']);
  });
});
