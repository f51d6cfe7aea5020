/**
 * Fan-out by groups: identical subscriptions share one execution and the same payload bytes; anything
 * that shapes the result (selection, variables, read rights) keeps them apart. Over real sockets,
 * reading the raw graphql-transport-ws frames, on both engines.
 */
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadAccess } from '../../src/domain/access/read-access.js';
import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import type { FrameSink } from '../../src/realtime/connection-queue.js';
import { createEventEncoder } from '../../src/realtime/event-executor.js';
import { RealtimeHub } from '../../src/realtime/realtime-hub.js';
import { groupKey } from '../../src/realtime/subscription-group.js';
import { buildSchema } from '../../src/schema/index.js';
import { parse } from 'graphql';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { untilSubscribed } from '../support/subscriptions.js';
import { hsToken, SECRET } from '../support/tokens.js';

/** A WebSocket's kind of connection, as ws-server.ts declares it. */
const WS = { transport: 'ws' } as const;
let t: TestApp | null = null;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await t?.stop();
  t = null;
});

interface RawClient {
  /** The text after `{"id":…,"type":"next","payload":` and before the final `}`, per operation. */
  payloads(id: string): string[];
  messages: { id?: string; type: string; payload?: unknown }[];
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  complete(id: string): void;
  waitFor(id: string, n: number): Promise<string[]>;
  close(): void;
}

/** A graphql-transport-ws client that keeps every frame as sent, to compare bytes. */
async function rawClient(url: string, token?: string): Promise<RawClient> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const frames = new Map<string, string[]>();
  const messages: RawClient['messages'] = [];
  let waiters: { id: string; n: number; resolve: (v: string[]) => void }[] = [];
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.on('message', (data) => {
    const text = String(data);
    const message = JSON.parse(text) as RawClient['messages'][number];
    messages.push(message);
    if (message.type === 'connection_ack') acked();
    if (message.type === 'next' && message.id) {
      const prefix = `{"id":${JSON.stringify(message.id)},"type":"next","payload":`;
      expect(text.startsWith(prefix) && text.endsWith('}')).toBe(true);
      const list = frames.get(message.id) ?? [];
      list.push(text.slice(prefix.length, -1));
      frames.set(message.id, list);
    }
    waiters = waiters.filter((w) => {
      const got = frames.get(w.id) ?? [];
      if (got.length < w.n) return true;
      w.resolve(got.slice(0, w.n));
      return false;
    });
  });
  socket.send(
    JSON.stringify({
      type: 'connection_init',
      ...(token ? { payload: { authorization: `Bearer ${token}` } } : {}),
    }),
  );
  await ack;
  cleanup.push(() => socket.close());
  return {
    messages,
    payloads: (id) => frames.get(id) ?? [],
    subscribe: (id, query, variables) =>
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    complete: (id) => socket.send(JSON.stringify({ id, type: 'complete' })),
    waitFor: (id, n) =>
      new Promise((resolve) => {
        waiters.push({ id, n, resolve });
        const got = frames.get(id) ?? [];
        if (got.length >= n) resolve(got.slice(0, n));
      }),
    close: () => socket.close(),
  };
}

const stats = (app: TestApp) => async () => (await app.ok(RealtimeStatsQuery)).realtimeStats;

describe('fan-out by groups', () => {
  it('gives two subscribers of the same document byte-identical payloads', async () => {
    t = await startApp();
    const [a, b] = [await rawClient(t.wsUrl), await rawClient(t.wsUrl)];
    const query =
      'subscription { events(rooms: ["same"]) { id type timestamp payload { ... on CustomEventPayload { data } } } }';
    a.subscribe('first', query);
    b.subscribe('another-id', query);
    await untilSubscribed(stats(t), 2);
    for (let i = 0; i < 3; i++)
      await t.ok(Broadcast, { room: 'same', data: { i, nested: { list: [1, 'x'] } } });
    const [fromA, fromB] = await Promise.all([a.waitFor('first', 3), b.waitFor('another-id', 3)]);
    expect(fromB).toEqual(fromA);
    expect(
      fromA.map(
        (p) =>
          (JSON.parse(p) as { data: { events: { payload: { data: { i: number } } } } }).data.events.payload
            .data.i,
      ),
    ).toEqual([0, 1, 2]);
  });

  it('never shares between different selections or variables', async () => {
    t = await startApp();
    const client = await rawClient(t.wsUrl);
    const byVariable =
      'subscription ($withType: Boolean!) { events(rooms: ["v"]) { id type @include(if: $withType) } }';
    client.subscribe('with', byVariable, { withType: true });
    client.subscribe('without', byVariable, { withType: false });
    client.subscribe('rooms', 'subscription { events(rooms: ["v"]) { id rooms } }');
    await untilSubscribed(stats(t), 3);
    const { broadcast } = await t.ok(Broadcast, { room: 'v', data: 1 });
    const [[withType], [without], [rooms]] = await Promise.all([
      client.waitFor('with', 1),
      client.waitFor('without', 1),
      client.waitFor('rooms', 1),
    ]);
    expect(JSON.parse(withType!)).toEqual({ data: { events: { id: broadcast.id, type: 'CUSTOM' } } });
    expect(JSON.parse(without!)).toEqual({ data: { events: { id: broadcast.id } } });
    expect(JSON.parse(rooms!)).toEqual({ data: { events: { id: broadcast.id, rooms: ['v'] } } });
  });

  it('leaves the rest of a group live when one member unsubscribes', async () => {
    t = await startApp();
    const [a, b] = [await rawClient(t.wsUrl), await rawClient(t.wsUrl)];
    const query = 'subscription { events(rooms: ["g"]) { id } }';
    a.subscribe('1', query);
    b.subscribe('1', query);
    a.subscribe('2', query);
    await untilSubscribed(stats(t), 3);
    await t.ok(Broadcast, { room: 'g', data: 0 });
    await Promise.all([a.waitFor('1', 1), b.waitFor('1', 1), a.waitFor('2', 1)]);
    a.complete('1');
    const deadline = Date.now() + 10_000;
    while ((await stats(t)()).activeSubscriptions > 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    await t.ok(Broadcast, { room: 'g', data: 1 });
    await Promise.all([b.waitFor('1', 2), a.waitFor('2', 2)]);
    expect(a.payloads('1')).toHaveLength(1);
    expect((await stats(t)()).rooms).toEqual([{ room: 'g', subscribers: 2 }]);
  });

  it('delivers every event once, in id order, to every member under concurrent publishing, resumes included', async () => {
    t = await startApp();
    const app = t;
    const clients = await Promise.all([rawClient(t.wsUrl), rawClient(t.wsUrl), rawClient(t.wsUrl)]);
    const shared = 'subscription { events(rooms: ["race"]) { id } }';
    const own = 'subscription { events(rooms: ["race", "other"]) { id type } }';
    clients[0]!.subscribe('s', shared);
    clients[1]!.subscribe('s', shared);
    clients[2]!.subscribe('s', own);
    await untilSubscribed(stats(t), 3);
    const first = (await t.ok(Broadcast, { room: 'race', data: -1 })).broadcast.id;
    const publishers = 4;
    const each = 25;
    const resumers: RawClient[] = [];
    await Promise.all(
      Array.from({ length: publishers }, async (_, p) => {
        for (let i = 0; i < each; i++) {
          await app.ok(Broadcast, { room: 'race', data: { p, i } });
          // A subscriber resumes from the first event while the others keep publishing.
          if (p === 0 && i === 10) {
            const resumer = await rawClient(app.wsUrl);
            resumers.push(resumer);
            resumer.subscribe(
              'r',
              'subscription ($since: ID) { events(rooms: ["race"], since: $since) { id } }',
              {
                since: first,
              },
            );
          }
        }
      }),
    );
    const total = publishers * each + 1;
    const idsOf = (payloads: string[]) =>
      payloads.map((p) => (JSON.parse(p) as { data: { events: { id: string } } }).data.events.id);
    const lists = await Promise.all(clients.map((c) => c.waitFor('s', total)));
    const resumed = idsOf(await resumers[0]!.waitFor('r', total - 1));
    const reference = idsOf(lists[0]!);
    const compare = (a: string, b: string) => {
      const [am, an] = a.split('-').map(Number) as [number, number];
      const [bm, bn] = b.split('-').map(Number) as [number, number];
      return am - bm || an - bn;
    };
    expect(new Set(reference).size).toBe(total);
    expect([...reference].sort(compare)).toEqual(reference);
    for (const list of lists) expect(idsOf(list)).toEqual(reference);
    expect(resumed).toEqual(reference.slice(1));
    // Nothing more than that arrives.
    await app.ok(Broadcast, { room: 'race', data: 'last' });
    await Promise.all(clients.map((c) => c.waitFor('s', total + 1)));
    for (const c of clients) expect(c.payloads('s')).toHaveLength(total + 1);
  });
});

describe('rights in the group key', () => {
  it('keeps callers who read different rooms in different groups, over real sockets with tokens', async () => {
    t = await startApp({ JWT_SECRET: SECRET });
    const app = t;
    const admin = await hsToken({ sub: 'ada', roles: ['admin'] });
    const withSecret = await hsToken({ sub: 'vera', roles: ['viewer'], rooms: ['secret'] });
    const without = await hsToken({ sub: 'otto', roles: ['viewer'] });
    const clients = [
      await rawClient(t.wsUrl, withSecret),
      await rawClient(t.wsUrl, withSecret),
      await rawClient(t.wsUrl, without),
    ];
    for (const c of clients) c.subscribe('all', 'subscription { events { id rooms } }');
    const post = async (query: string, variables?: object) => {
      const res = await fetch(app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data: Record<string, { id: string; activeSubscriptions: number }> };
    };
    await untilSubscribed(
      async () => (await post('{ realtimeStats { activeSubscriptions } }')).data.realtimeStats!,
      3,
    );
    const broadcast = 'mutation ($room: String!) { broadcast(room: $room, data: 1) { id } }';
    const secret = (await post(broadcast, { room: 'secret' })).data.broadcast!.id;
    const system = (await post(broadcast, { room: 'system' })).data.broadcast!.id;
    const [first, second, other] = await Promise.all([
      clients[0]!.waitFor('all', 2),
      clients[1]!.waitFor('all', 2),
      clients[2]!.waitFor('all', 1),
    ]);
    const ids = (payloads: string[]) =>
      payloads.map((p) => (JSON.parse(p) as { data: { events: { id: string } } }).data.events.id);
    expect(ids(first)).toEqual([secret, system]);
    expect(second).toEqual(first);
    expect(ids(other)).toEqual([system]);
    // Nothing of the secret room ever reached the caller without it.
    await post(broadcast, { room: 'system' });
    await clients[2]!.waitFor('all', 2);
    expect(clients[2]!.payloads('all').join()).not.toContain(secret);
  });

  /** The hub alone, with recording sinks in place of sockets. */
  function hubWithSinks() {
    const engine = createMemoryEngine({ retention: 1000, clock: systemClock });
    const hub = new RealtimeHub({
      engine,
      instanceId: 'fanout-test',
      maxQueuedBytesPerConnection: 1024 * 1024,
      logger: pino({ level: 'silent' }),
    });
    cleanup.push(async () => {
      hub.close();
      await engine.close();
    });
    const schema = buildSchema();
    const document = parse('subscription { events { id rooms } }');
    const query = 'subscription { events { id rooms } }';
    async function subscriber(access: ReadAccess) {
      const frames: string[] = [];
      const sink: FrameSink = {
        write: (frame) => frames.push(frame.toString()),
        bufferedBytes: () => 0,
        onDrain: (callback) => setImmediate(callback),
      };
      const connection = hub.connect({ ...WS, sink, close: () => undefined });
      const context = { access, connection };
      const stream = await hub.open({
        rooms: null,
        types: null,
        since: null,
        connection,
        access,
        delivery: {
          framing: { prefix: Buffer.from('<'), suffix: Buffer.from('>') },
          grouping: (rights) => ({
            key: groupKey(query, null, null, rights),
            encoder: () =>
              createEventEncoder(
                { schema, document, contextValue: { ...context, access: rights } },
                (r) => r,
              ),
          }),
        },
      });
      expect((stream as unknown as { grouped: boolean }).grouped ? stream : null).not.toBeNull();
      return frames;
    }
    const say = async (rooms: string[]) => {
      const [event] = await engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: [{ type: 'CUSTOM', rooms, payload: { kind: 'custom', data: null } }],
        timestamp: new Date().toISOString(),
        source: 'fanout-test',
      });
      return event!.id;
    };
    return { subscriber, say };
  }

  it('never gives a subscriber the payload of one whose rights differ', async () => {
    const { subscriber, say } = hubWithSinks();
    const onlyA: ReadAccess = { key: 'a', canRead: (room) => room === 'a' };
    const aAndB: ReadAccess = { key: 'a,b', canRead: (room) => room === 'a' || room === 'b' };
    const sameAsOnlyA: ReadAccess = { key: 'a', canRead: (room) => room === 'a' };
    const [a, ab, a2] = [await subscriber(onlyA), await subscriber(aAndB), await subscriber(sameAsOnlyA)];
    const inA = await say(['a']);
    const inB = await say(['b']);
    const inBoth = await say(['b', 'a']);
    const ids = (frames: string[]) =>
      frames.map((f) => (JSON.parse(f.slice(1, -1)) as { data: { events: { id: string } } }).data.events.id);
    expect(ids(a)).toEqual([inA, inBoth]);
    expect(ids(ab)).toEqual([inA, inB, inBoth]);
    // Same rights, same document: one group, the same bytes.
    expect(a2).toEqual(a);
  });
});

/** An SSE subscription read as raw text: its frames exactly as the server wrote them. */
async function rawSse(url: string, query: string) {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  let text = '';
  let ended = false;
  const reading = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Aborted by the test.
    }
    ended = true;
  })();
  cleanup.push(() => controller.abort());
  /** The `data:` of each `next` event, and whether the text is nothing but well-formed frames. */
  const payloads = () =>
    text
      .split('\n\n')
      .filter((frame) => frame.startsWith('event: next\n'))
      .map((frame) => frame.slice('event: next\ndata: '.length));
  return {
    payloads,
    text: () => text,
    ended: () => ended,
    async waitFor(n: number): Promise<string[]> {
      const deadline = Date.now() + 10_000;
      while (payloads().length < n && !ended && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      return payloads().slice(0, n);
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('fan-out over SSE', () => {
  it('gives SSE and graphql-ws subscribers of one document the same payload bytes, each in its own framing', async () => {
    t = await startApp();
    const query =
      'subscription { events(rooms: ["mixed"]) { id type payload { ... on CustomEventPayload { data } } } }';
    const [sseA, sseB] = [await rawSse(t.graphqlUrl, query), await rawSse(t.graphqlUrl, query)];
    const ws = await rawClient(t.wsUrl);
    ws.subscribe('w', query);
    await untilSubscribed(stats(t), 3);
    // One group for all three: the room has one routing target.
    expect((await stats(t)()).rooms).toEqual([{ room: 'mixed', subscribers: 3 }]);
    for (let i = 0; i < 3; i++) await t.ok(Broadcast, { room: 'mixed', data: { i, s: 'line\nbreak' } });
    const [a, b, w] = await Promise.all([sseA.waitFor(3), sseB.waitFor(3), ws.waitFor('w', 3)]);
    expect(a).toHaveLength(3);
    expect(b).toEqual(a);
    expect(w).toEqual(a);
    // Only comments and complete `next` events, each on one `data:` line.
    for (const frame of sseA.text().split('\n\n').filter(Boolean)) {
      expect(frame === ':' || /^event: next\ndata: [^\n]+$/.test(frame)).toBe(true);
    }
    // One SSE member leaves; the rest of the group stays live.
    await sseA.close();
    const deadline = Date.now() + 10_000;
    while ((await stats(t)()).activeSubscriptions > 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    await t.ok(Broadcast, { room: 'mixed', data: 'after' });
    expect(await sseB.waitFor(4)).toEqual(await ws.waitFor('w', 4));
    expect(sseA.payloads()).toHaveLength(3);
  });

  it('gives eventStream subscribers over SSE and graphql-ws the same event bytes, and each its own positions', async () => {
    t = await startApp();
    const newest = (await t.ok(Broadcast, { room: 'elsewhere', data: 0 })).broadcast.id;
    const query =
      'subscription { eventStream(rooms: ["stream"]) { __typename ... on StreamPosition { cursor live } ... on Event { id payload { ... on CustomEventPayload { data } } } } }';
    const sse = await rawSse(t.graphqlUrl, query);
    const [a, b] = [await rawClient(t.wsUrl), await rawClient(t.wsUrl)];
    a.subscribe('a', query);
    b.subscribe('another-id', query);
    await untilSubscribed(stats(t), 3);
    const position = JSON.stringify({
      data: { eventStream: { __typename: 'StreamPosition', cursor: newest, live: true } },
    });
    for (let i = 0; i < 3; i++) await t.ok(Broadcast, { room: 'stream', data: { i, s: 'line\nbreak' } });
    const [fromSse, fromA, fromB] = await Promise.all([
      sse.waitFor(4),
      a.waitFor('a', 4),
      b.waitFor('another-id', 4),
    ]);
    expect(fromA[0]).toBe(position);
    expect(fromB).toEqual(fromA);
    expect(fromSse).toEqual(fromA);
    expect(
      fromA
        .slice(1)
        .map(
          (p) =>
            (JSON.parse(p) as { data: { eventStream: { payload: { data: { i: number } } } } }).data
              .eventStream.payload.data.i,
        ),
    ).toEqual([0, 1, 2]);
    // One group for the three: the room has one routing target.
    expect((await stats(t)()).rooms).toEqual([{ room: 'stream', subscribers: 3 }]);
  });

  it('ends each SSE stream with `complete` when the server closes', async () => {
    t = await startApp();
    const sse = await rawSse(t.graphqlUrl, 'subscription { events(rooms: ["end"]) { id } }');
    await untilSubscribed(stats(t), 1);
    await t.ok(Broadcast, { room: 'end', data: 1 });
    await sse.waitFor(1);
    await t.stop();
    t = null;
    const deadline = Date.now() + 10_000;
    while (!sse.ended() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(sse.text().endsWith('event: complete\ndata:\n\n')).toBe(true);
  });

  it('disconnects an SSE reader that stops reading, and only that one', async () => {
    // The bound holds what one turn of the event loop writes before the kernel takes it: on Redis a
    // turn can carry several batches of these 60 KB events, so the bound leaves room for a few.
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(1024 * 1024) });
    const app = t;
    const query =
      'subscription { events(rooms: ["flood"]) { id payload { ... on CustomEventPayload { data } } } }';
    const { request } = await import('node:http');
    let resume = () => {};
    const closed = new Promise<{ complete: boolean; slow: boolean }>((resolve, reject) => {
      const req = request(app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        // Stop reading: the kernel buffers fill, then the bytes wait in the server until the bound.
        res.pause();
        resume = () => res.resume();
        res.on('close', () =>
          resolve({
            complete: text.includes('event: complete'),
            slow: text.includes('"code":"SLOW_CONSUMER"'),
          }),
        );
        cleanup.push(() => void req.destroy());
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query }));
    });
    const reader = await rawSse(app.graphqlUrl, query);
    await untilSubscribed(stats(app), 2);
    const blob = 'x'.repeat(60 * 1024);
    const slowClosed = async () =>
      /colony_slow_consumers_closed_total\{transport="sse"\} 1/.test(
        await (await fetch(`${app.url}/metrics`)).text(),
      );
    let sent = 0;
    for (; sent < 2000 && !(await slowClosed()); sent += 5) {
      await Promise.all(
        Array.from({ length: 5 }, (_, k) =>
          app.ok(Broadcast, { room: 'flood', data: { i: sent + k, blob } }),
        ),
      );
    }
    expect(await slowClosed()).toBe(true);
    resume();
    // Ended with SLOW_CONSUMER, then `complete`: the client resumes with `since`.
    expect(await closed).toEqual({ complete: true, slow: true });
    // The reader that keeps up got every event.
    expect(await reader.waitFor(sent)).toHaveLength(sent);
  });
});
