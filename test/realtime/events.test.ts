import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import {
  Broadcast,
  CreateAgent,
  CreateTask,
  PerformAgentAction,
  RealtimeStatsQuery,
} from '../api/operations.js';

const EVENTS = /* GraphQL */ `
  subscription Events($rooms: [String!], $types: [EventType!], $since: ID) {
    events(rooms: $rooms, types: $types, since: $since) {
      id
      type
      rooms
      source
      timestamp
      payload {
        __typename
        ... on AgentEventPayload {
          agent {
            id
            name
            status
          }
          previousAgentStatus: previousStatus
          action
        }
        ... on TaskEventPayload {
          task {
            id
            status
            assignee {
              id
            }
          }
          previousTaskStatus: previousStatus
        }
        ... on CustomEventPayload {
          data
        }
      }
    }
  }
`;

interface Ev {
  events: { id: string; type: string; rooms: string[]; payload: { __typename: string; data?: unknown } };
}

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ EVENT_RETENTION: '50' });
});
afterAll(() => t.stop());

const stats = async () => (await t.ok(RealtimeStatsQuery)).realtimeStats;
// Each test ends its subscriptions; the next one counts from none, not from some still ending
// (`live` waits for the count to pass what it was, which a late `complete` would undo).
afterEach(async () => {
  const deadline = Date.now() + 15_000;
  while ((await stats()).activeSubscriptions > 0) {
    if (Date.now() > deadline) throw new Error('subscriptions of this test were still active after 15 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
});
/** Subscribes and resolves once the subscription is live on the server. */
async function live(variables: Record<string, unknown>) {
  const before = (await stats()).activeSubscriptions;
  const sub = collect<Ev>(t.ws(), EVENTS, variables);
  await untilSubscribed(stats, before + 1);
  return sub;
}
const say = (room: string, n: number) => t.ok(Broadcast, { room, data: { n } });

describe('events over graphql-ws', () => {
  it('delivers an agent event with its snapshot, rooms and source', async () => {
    const sub = await live({ rooms: ['agents'] });
    const agent = (await t.ok(CreateAgent, { input: { name: 'watched', type: 't' } })).createAgent;
    const [first] = await sub.waitFor(1);
    expect(first!.events).toMatchObject({
      type: 'AGENT_CREATED',
      rooms: ['agents', `agent:${agent.id}`],
      source: 'test-instance',
      payload: {
        __typename: 'AgentEventPayload',
        agent: { id: agent.id, name: 'watched', status: 'ACTIVE' },
      },
    });
    sub.unsubscribe();
  });

  it('filters by room, by type, by both, and by neither', async () => {
    const byRoom = await live({ rooms: ['r1'] });
    const byType = await live({ types: ['AGENT_CREATED'] });
    const both = await live({ rooms: ['r2'], types: ['CUSTOM'] });
    const all = await live({});
    await say('r1', 1);
    await say('r2', 2);
    await t.ok(CreateAgent, { input: { name: 'x', type: 't' } });
    await say('r3', 3);
    const [r1] = await byRoom.waitFor(1);
    const [typed] = await byType.waitFor(1);
    const [r2] = await both.waitFor(1);
    const everything = await all.waitFor(4);
    expect(r1!.events.payload.data).toEqual({ n: 1 });
    expect(typed!.events.type).toBe('AGENT_CREATED');
    expect(r2!.events.payload.data).toEqual({ n: 2 });
    expect(everything.map((e) => e.events.type)).toEqual(['CUSTOM', 'CUSTOM', 'AGENT_CREATED', 'CUSTOM']);
    // Nothing else arrived: one more event on r1 is the next thing byRoom sees.
    await say('r1', 4);
    expect((await byRoom.waitFor(2)).map((e) => e.events.payload.data)).toEqual([{ n: 1 }, { n: 4 }]);
    expect(byType.items.length).toBe(1);
    expect(both.items.length).toBe(1);
    for (const s of [byRoom, byType, both, all]) s.unsubscribe();
  });

  it('delivers an event once to a subscriber whose rooms overlap', async () => {
    const sub = await live({ rooms: ['agents', 'tasks'] });
    const agentSub = await live({ rooms: ['agents'] });
    const agent = (await t.ok(CreateAgent, { input: { name: 'o', type: 't' } })).createAgent;
    const room = await live({ rooms: [`agent:${agent.id}`, 'agents'] });
    await t.ok(PerformAgentAction, { id: agent.id, action: 'PAUSE' });
    await t.ok(CreateTask, { input: { title: 'x' } });
    await agentSub.waitFor(3);
    const got = await sub.waitFor(4);
    expect(got.map((e) => e.events.type)).toEqual([
      'AGENT_CREATED',
      'AGENT_ACTION',
      'AGENT_STATUS_CHANGED',
      'TASK_CREATED',
    ]);
    const mine = await room.waitFor(2);
    expect(mine.map((e) => e.events.type)).toEqual(['AGENT_ACTION', 'AGENT_STATUS_CHANGED']);
    await say('agents', 99);
    expect((await room.waitFor(3)).at(-1)!.events.type).toBe('CUSTOM');
    expect(room.items.length).toBe(3);
    for (const s of [sub, agentSub, room]) s.unsubscribe();
  });

  it('resumes with since: every retained event after it, then live ones, no gap and no repeat', async () => {
    const first = (await say('resume', 0)).broadcast;
    for (let i = 1; i <= 10; i++) await say('resume', i);
    // Keep publishing while the replay runs; the subscriber must see 1..N exactly once, in order.
    let n = 11;
    let publishing = true;
    const writer = (async () => {
      while (publishing) await say('resume', n++);
    })();
    const sub = collect<Ev>(t.ws(), EVENTS, { rooms: ['resume'], since: first.id });
    await sub.waitFor(25);
    publishing = false;
    await writer;
    const total = n - 1;
    const got = await sub.waitFor(total);
    expect(got.map((e) => (e.events.payload.data as { n: number }).n)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const ids = got.map((e) => e.events.id);
    expect(new Set(ids).size).toBe(ids.length);
    sub.unsubscribe();
  });

  it('refuses a since older than what is retained, before sending anything', async () => {
    const old = (await say('old', 0)).broadcast;
    for (let i = 0; i < 60; i++) await say('churn', i); // retention is 50
    const sub = collect<Ev>(t.ws(), EVENTS, { since: old.id });
    await sub.ended;
    expect(sub.items).toEqual([]);
    expect(JSON.stringify(sub.errors)).toContain('CURSOR_EXPIRED');
  });

  it('refuses a malformed since and a bad room name with BAD_USER_INPUT', async () => {
    const client = t.ws();
    const bad = collect<Ev>(client, EVENTS, { since: 'yesterday' });
    await bad.ended;
    expect(JSON.stringify(bad.errors)).toContain('BAD_USER_INPUT');
    const room = collect<Ev>(client, EVENTS, { rooms: ['no spaces allowed'] });
    await room.ended;
    expect(JSON.stringify(room.errors)).toContain('BAD_USER_INPUT');
  });

  it('answers a broken subscribe with an error for that operation only, keeping the socket', async () => {
    const client = t.ws();
    const before = (await stats()).activeSubscriptions;
    const good = collect<Ev>(client, EVENTS, { rooms: ['keep'] });
    await untilSubscribed(stats, before + 1);
    const syntax = collect(client, 'subscription { events { id ');
    const invalid = collect(client, 'subscription { events { noSuchField } }');
    await Promise.all([syntax.ended, invalid.ended]);
    expect(JSON.stringify(syntax.errors)).toContain('Syntax Error');
    expect(JSON.stringify(invalid.errors)).toContain('noSuchField');
    await say('keep', 1);
    expect((await good.waitFor(1))[0]!.events.payload.data).toEqual({ n: 1 });
    good.unsubscribe();
  });

  it('counts connections, subscriptions per room and deliveries', async () => {
    // An app of its own: other tests' clients close lazily and would blur the counts.
    const own = await startApp();
    try {
      const figures = async () => (await own.ok(RealtimeStatsQuery)).realtimeStats;
      const client = own.ws();
      const a = collect<Ev>(client, EVENTS, { rooms: ['counted'] });
      const b = collect<Ev>(client, EVENTS, { rooms: ['counted', 'other'] });
      await untilSubscribed(figures, 2);
      const during = await figures();
      expect(during).toMatchObject({ activeConnections: 1, totalConnections: 1, activeSubscriptions: 2 });
      expect(during.rooms).toEqual([
        { room: 'counted', subscribers: 2 },
        { room: 'other', subscribers: 1 },
      ]);
      await own.ok(Broadcast, { room: 'counted', data: 1 });
      await Promise.all([a.waitFor(1), b.waitFor(1)]);
      const after = await figures();
      expect(after.messagesDelivered).toBe(2);
      expect(after.eventsPublished).toBe(1);
      await client.dispose();
      for (let i = 0; i < 200 && (await figures()).activeConnections !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await figures()).toMatchObject({
        activeConnections: 0,
        totalDisconnections: 1,
        activeSubscriptions: 0,
        rooms: [],
      });
    } finally {
      await own.stop();
    }
  });
});

describe('events over SSE', () => {
  it('streams events to an SSE client, and counts it as a connection', async () => {
    const controller = new AbortController();
    const res = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: EVENTS, variables: { rooms: ['sse'] } }),
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    for (let i = 0; i < 500 && !(await stats()).rooms.some((r) => r.room === 'sse'); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await stats()).rooms).toContainEqual({ room: 'sse', subscribers: 1 });
    await say('sse', 7);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"n":7')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"type":"CUSTOM"');
    controller.abort();
    for (let i = 0; i < 200 && (await stats()).rooms.some((r) => r.room === 'sse'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await stats()).rooms.some((r) => r.room === 'sse')).toBe(false);
  });

  it('sends errors of a bad SSE subscribe as a GraphQL error', async () => {
    const result = await t.request(`mutation { broadcast(room: "bad room", data: 1) { id } }`);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });
});
