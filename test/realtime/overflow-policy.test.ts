/**
 * Overflow policies against a client that really stops reading (its TCP socket paused): with
 * DROP_OLDEST and COALESCE the connection stays open, the bytes the server holds for it stay within
 * the bound, and once it reads again it gets the newest events and exactly one report of what it
 * missed, in order. Two subscriptions on one paused socket each keep their share. Over graphql-ws and
 * SSE, on both engines. (DISCONNECT is overflow.test.ts: it closes with 4008 as before.)
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { untilSubscribed } from '../support/subscriptions.js';

let t: TestApp | null = null;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) step();
  await t?.stop();
  t = null;
});

const BOUND = 256 * 1024;
const EVENT_BYTES = 32 * 1024;
/** 20 MB of events: far more than the kernel's buffers on loopback and the bound together. */
const PUBLISHED_BYTES = 20 * 1024 * 1024;

type Field = 'events' | 'eventStream';

function query(field: Field, room: string, overflow: string): string {
  return field === 'events'
    ? `subscription { events(rooms: ["${room}"], overflow: ${overflow}) { id type payload { ... on CustomEventPayload { data } ... on TaskEventPayload { task { id progress } } } } }`
    : `subscription { eventStream(rooms: ["${room}"], overflow: ${overflow}) { __typename ... on Event { id type payload { ... on CustomEventPayload { data } ... on TaskEventPayload { task { id progress progressMessage } } } } ... on StreamPosition { cursor live } ... on EventsDropped { count fromId toId reason } } }`;
}

interface Item {
  typename: 'Event' | 'EventsDropped' | 'StreamPosition';
  id?: string;
  type?: string;
  i?: number;
  task?: { id: string; progress: number };
  count?: number;
  fromId?: string;
  toId?: string;
  reason?: string;
}

/** One result as the client sees it: an event (with `extensions.dropped` on `events`), a position, a marker. */
function items(field: Field, payload: Record<string, unknown>): Item[] {
  const data = (payload.data as Record<string, Record<string, unknown>> | undefined)?.[field];
  if (!data) return [];
  const out: Item[] = [];
  const dropped = (payload.extensions as { dropped?: Omit<Item, 'typename'> } | undefined)?.dropped;
  if (dropped) out.push({ typename: 'EventsDropped', ...dropped });
  const typename = (data.__typename as Item['typename'] | undefined) ?? 'Event';
  if (typename !== 'Event') {
    out.push({ typename, ...(data as object) });
    return out;
  }
  const p = data.payload as { data?: { i: number }; task?: { id: string; progress: number } };
  out.push({ typename, id: data.id as string, type: data.type as string, i: p.data?.i, task: p.task });
  return out;
}

/** A reader whose TCP socket is paused until `resume`, collecting what each subscription receives. */
interface Reader {
  resume(): void;
  received: Map<string, Item[]>;
  /** Resolves once `done(items)` holds for subscription `id`. */
  until(id: string, done: (items: Item[]) => boolean): Promise<void>;
  closed: () => number | null;
}

function waiter(received: Map<string, Item[]>) {
  const waiting: {
    id: string;
    done: (items: Item[]) => boolean;
    resolve: () => void;
    reject: (error: Error) => void;
  }[] = [];
  let ended: Error | null = null;
  return {
    check() {
      for (const w of [...waiting])
        if (w.done(received.get(w.id) ?? [])) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
    },
    until(id: string, done: (items: Item[]) => boolean) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ id, done, resolve, reject });
        this.check();
        if (ended && waiting.length) reject(ended);
      });
    },
    /** The connection ended: whoever still waits fails now rather than at the test's timeout. */
    end(why: string) {
      this.check();
      ended = new Error(`the connection ended (${why}) before everything arrived`);
      for (const w of waiting.splice(0)) w.reject(ended);
    },
  };
}

async function pausedWs(app: TestApp, subs: { id: string; field: Field; query: string }[]): Promise<Reader> {
  const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
  let raw: Socket | null = null;
  socket.once('upgrade', (res: IncomingMessage) => (raw = res.socket));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  cleanup.push(() => socket.terminate());
  const received = new Map<string, Item[]>(subs.map((s) => [s.id, []]));
  const w = waiter(received);
  let code: number | null = null;
  socket.once('close', (c) => {
    code = c;
    w.end(`close ${c}`);
  });
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: string;
      type: string;
      payload?: Record<string, unknown>;
    };
    if (message.type === 'connection_ack') acked();
    const sub = subs.find((s) => s.id === message.id);
    if (message.type === 'next' && sub && message.payload) {
      received.get(sub.id)!.push(...items(sub.field, message.payload));
      w.check();
    }
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await ack;
  for (const s of subs)
    socket.send(JSON.stringify({ id: s.id, type: 'subscribe', payload: { query: s.query } }));
  await untilSubscribed(stats(app), subs.length);
  (raw as Socket | null)!.pause();
  return {
    resume: () => (raw as Socket | null)!.resume(),
    received,
    until: (id, done) => w.until(id, done),
    closed: () => code,
  };
}

async function pausedSse(app: TestApp, field: Field, q: string): Promise<Reader> {
  let socket: Socket | null = null;
  let responded!: () => void;
  const response = new Promise<void>((resolve) => (responded = resolve));
  const received = new Map<string, Item[]>([['slow', []]]);
  const w = waiter(received);
  let ended = false;
  const req = httpRequest(app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
  });
  req.on('response', (res) => {
    socket = res.socket;
    responded();
    let text = '';
    res.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const frames = text.split('\n\n');
      text = frames.pop() ?? '';
      for (const frame of frames) {
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (frame.startsWith('event: next') && data)
          received.get('slow')!.push(...items(field, JSON.parse(data.slice(6)) as Record<string, unknown>));
      }
      w.check();
    });
    res.once('close', () => {
      ended = true;
      w.end('response closed');
    });
  });
  req.on('error', () => undefined);
  cleanup.push(() => void req.destroy());
  req.end(JSON.stringify({ query: q }));
  await Promise.all([response, untilSubscribed(stats(app), 1)]);
  (socket as Socket | null)!.pause();
  return {
    resume: () => (socket as Socket | null)!.resume(),
    received,
    until: (id, done) => w.until(id, done),
    closed: () => (ended ? 0 : null),
  };
}

const stats = (app: TestApp) => async () => (await app.ok(RealtimeStatsQuery)).realtimeStats;

interface Depth {
  eventsDropped: number;
  connectionQueues: { subscriptions: number; queuedBytes: number; heldFrames: number }[];
}
const depth = async (app: TestApp) =>
  (
    (await app.ok(
      'query { realtimeStats { eventsDropped connectionQueues { subscriptions queuedBytes heldFrames } } }',
    )) as { realtimeStats: Depth }
  ).realtimeStats;

/** Publishes `n` broadcasts of EVENT_BYTES to `room`, noting the most bytes the server holds for one connection. */
async function flood(app: TestApp, room: string, n: number, from = 0): Promise<number> {
  const blob = 'x'.repeat(EVENT_BYTES);
  let most = 0;
  for (let published = 0; published < n; published += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, n - published) }, (_, k) =>
        // In process (the mutation's own service), so that the pause stays well within the
        // WebSocket keep-alive (a client that answers no ping is closed after 12 to 24 s).
        app.app.colony.system.broadcast(room, { i: from + published + k, blob }),
      ),
    );
    most = Math.max(most, app.app.realtime.queuedBytes().largest);
  }
  return most;
}

/**
 * One pause, one report, over WebSocket: a lane that dropped waits for a ping's answer before it
 * writes again. SSE has no way back, so the server knows only that the kernel took the bytes: when
 * the kernel takes more while the reader stays paused, each time it does starts a new report
 * (each exact, their counts adding up).
 */
function expectReports(transport: 'ws' | 'sse', dropped: Item[]): void {
  if (transport === 'ws') expect(dropped).toHaveLength(1);
  else expect(dropped.length).toBeGreaterThanOrEqual(1);
}

/**
 * A commit is not yet an arrival: on Redis the last events reach the instance's bus a little after
 * their commit returns, and if the paused reader resumed before they were in its lane they would form
 * a second backlog (a second, rightful report). A reading watcher, subscribed after the paused reader
 * with the same operation (so in its group, written after it), has an event only once the paused
 * reader's lane holds it too. `arrived(done)` resolves once `done` holds for what it received.
 */
async function watch(app: TestApp, field: Field, q: string) {
  const seen: Item[] = [];
  const w = waiter(new Map([['watcher', seen]]));
  const client = app.ws();
  const stop = client.subscribe(
    { query: q },
    {
      next: (payload) => {
        seen.push(...items(field, payload as Record<string, unknown>));
        w.check();
      },
      error: () => w.end('error'),
      complete: () => w.end('complete'),
    },
  );
  cleanup.push(stop);
  await untilSubscribed(stats(app), (await stats(app)()).activeSubscriptions + 1);
  return {
    async arrived(done: (seen: Item[]) => boolean): Promise<void> {
      await w.until('watcher', done);
    },
    /** What it dropped itself (it reads at once, but on a busy machine may fall behind too). */
    dropped: () => total(markers(seen)),
  };
}

const events = (list: Item[]) => list.filter((item) => item.typename === 'Event');
const total = (list: Item[]) => list.reduce((sum, item) => sum + item.count!, 0);
const markers = (list: Item[]) => list.filter((item) => item.typename === 'EventsDropped');

/** Ids strictly increasing, markers between the events they stand for. */
function expectInOrder(list: Item[]): void {
  let last = '';
  for (const item of list) {
    if (item.typename === 'Event') {
      if (last) expect(compareIds(item.id!, last)).toBeGreaterThan(0);
      last = item.id!;
    }
    if (item.typename === 'EventsDropped') {
      if (last) expect(compareIds(item.fromId!, last)).toBeGreaterThan(0);
      expect(compareIds(item.toId!, item.fromId!)).toBeGreaterThanOrEqual(0);
      last = item.toId!;
    }
  }
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}

describe.each(['events', 'eventStream'] as const)('DROP_OLDEST on %s', (field) => {
  it.each(['ws', 'sse'] as const)(
    'over %s stays connected within the bound and reports exactly what it dropped',
    async (transport) => {
      t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
      const app = t;
      const q = query(field, 'ovf', 'DROP_OLDEST');
      const reader =
        transport === 'ws'
          ? await pausedWs(app, [{ id: 'slow', field, query: q }])
          : await pausedSse(app, field, q);
      const watcher = await watch(app, field, q);
      const n = PUBLISHED_BYTES / EVENT_BYTES;
      const most = await flood(app, 'ovf', n);
      // The bound, plus at most one frame on its way to the socket.
      expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
      await watcher.arrived((seen) => seen.some((e) => e.i === n - 1));
      reader.resume();
      await reader.until('slow', (list) => events(list).some((e) => e.i === n - 1));
      expect(reader.closed()).toBeNull();
      const list = reader.received.get('slow')!;
      const got = events(list);
      const dropped = markers(list);
      // One pause, one backlog, one report: every drop while it was behind joins one gap.
      expectReports(transport, dropped);
      const count = total(dropped);
      expect(count + got.length).toBe(n);
      if (field === 'eventStream') for (const d of dropped) expect(d.reason).toBe('DROP_OLDEST');
      expectInOrder(list);
      // The newest arrive: every event after the last gap, none missing.
      const after = got.filter((e) => compareIds(e.id!, dropped.at(-1)!.toId!) > 0);
      expect(after.length).toBeGreaterThan(0);
      expect(new Set(after.map((e) => e.i))).toEqual(
        new Set(Array.from({ length: after.length }, (_, k) => n - after.length + k)),
      );
      const figures = await depth(app);
      expect(figures.eventsDropped).toBe(count + watcher.dropped());
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(
          `colony_events_dropped_total\\{policy="DROP_OLDEST",reason="overflow"\\} ${count + watcher.dropped()}`,
        ),
      );
    },
    120_000,
  );
});

describe('two subscriptions on one paused socket', () => {
  it('the flooded one drops its oldest; the quiet one keeps its share and loses nothing', async () => {
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
    const app = t;
    const reader = await pausedWs(app, [
      { id: 'flooded', field: 'eventStream', query: query('eventStream', 'flood', 'DROP_OLDEST') },
      { id: 'quiet', field: 'events', query: query('events', 'calm', 'DROP_OLDEST') },
    ]);
    const watcher = await watch(app, 'eventStream', query('eventStream', 'flood', 'DROP_OLDEST'));
    const n = PUBLISHED_BYTES / EVENT_BYTES;
    const quiet = 40;
    const flooding = flood(app, 'flood', n);
    // Small events, interleaved with the flood while the socket does not read.
    for (let i = 0; i < quiet; i++) await app.ok(Broadcast, { room: 'calm', data: { i } });
    const most = await flooding;
    expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
    // Its queue depth shows in realtimeStats meanwhile.
    const queues = (await depth(app)).connectionQueues;
    expect(queues[0]!.subscriptions).toBe(2);
    expect(queues[0]!.heldFrames).toBeGreaterThan(0);
    expect(queues[0]!.queuedBytes).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
    await watcher.arrived((seen) => seen.some((e) => e.i === n - 1));
    reader.resume();
    await reader.until('flooded', (list) => events(list).some((e) => e.i === n - 1));
    await reader.until('quiet', (list) => events(list).length === quiet);
    const calm = reader.received.get('quiet')!;
    expect(markers(calm)).toEqual([]);
    expect(events(calm).map((e) => e.i)).toEqual(Array.from({ length: quiet }, (_, i) => i));
    const flooded = reader.received.get('flooded')!;
    expect(markers(flooded)).toHaveLength(1);
    expect(total(markers(flooded)) + events(flooded).length).toBe(n);
    expectInOrder(flooded);
  }, 120_000);
});

describe('COALESCE', () => {
  it.each(['ws', 'sse'] as const)(
    'over %s keeps the newest METRICS_UPDATED and the newest progress of each task, behind one report',
    async (transport) => {
      // No timer's METRICS_UPDATED: every one is published here.
      t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND), METRICS_INTERVAL_MS: '0' });
      const app = t;
      const colony = app.app.colony;
      const agent = await colony.agents.create({ type: 'worker', name: 'coalesced' });
      const tasks: { id: string }[] = [];
      for (let k = 0; k < 3; k++) {
        const task = await colony.tasks.create({ title: `t${k}` });
        await colony.tasks.assign(task.id, agent.id);
        await colony.tasks.start(task.id);
        tasks.push(task);
      }
      const q = query('eventStream', 'tasks', 'COALESCE').replace(
        'rooms: ["tasks"]',
        'rooms: ["tasks", "system", "fill"], types: [TASK_PROGRESS, METRICS_UPDATED, CUSTOM]',
      );
      const reader =
        transport === 'ws'
          ? await pausedWs(app, [{ id: 'slow', field: 'eventStream', query: q }])
          : await pausedSse(app, 'eventStream', q);
      const watcher = await watch(app, 'eventStream', q);
      // First broadcasts, enough to fill the kernel's buffers (kept while there is room, dropped
      // oldest first), so that what follows waits in the lane: 10 000 METRICS_UPDATED and 100
      // TASK_PROGRESS for each of 3 tasks.
      const filled = PUBLISHED_BYTES / EVENT_BYTES;
      const most = await flood(app, 'fill', filled);
      // 10 000 METRICS_UPDATED on the memory engine; on Redis each costs a transaction and the fleet's
      // counts, so 1 000, which keeps the pause well within the WebSocket keep-alive (a client that
      // answers no ping is closed after 12 to 24 s).
      const steps = 100;
      const metricsPerStep = inject('redisUrl') ? 10 : 100;
      let lastMetrics = '';
      for (let s = 1; s <= steps; s++) {
        // A few at once (they race for one record and retry), so that the pause stays well within
        // the WebSocket's keep-alive (a client that answers no ping for 12 s is closed).
        for (let m = 0; m < metricsPerStep; m += 5) {
          const published = await Promise.all(
            Array.from({ length: 5 }, () => colony.system.publishMetrics(0)),
          );
          for (const metrics of published)
            if (metrics && compareIds(metrics.id, lastMetrics || '0-0') > 0) lastMetrics = metrics.id;
        }
        await Promise.all(
          tasks.map((task) => colony.tasks.reportProgress(task.id, s / steps, 'y'.repeat(500))),
        );
      }
      expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
      expect(app.app.realtime.queuedBytes().largest).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
      await watcher.arrived(
        (seen) =>
          tasks.every((task) => seen.some((e) => e.task?.id === task.id && e.task.progress === 1)) &&
          seen.some((e) => e.id === lastMetrics),
      );
      reader.resume();
      await reader.until(
        'slow',
        (list) =>
          tasks.every((task) => events(list).some((e) => e.task?.id === task.id && e.task?.progress === 1)) &&
          events(list).some((e) => e.id === lastMetrics),
      );
      const list = reader.received.get('slow')!;
      const dropped = markers(list);
      expectReports(transport, dropped);
      for (const d of dropped) expect(d.reason).toBe('COALESCE');
      expect(total(dropped) + events(list).length).toBe(filled + steps * (tasks.length + metricsPerStep));
      // Each entity's newest state arrives last of its kind.
      const progressOf = (id: string) => events(list).filter((e) => e.task?.id === id);
      for (const task of tasks) expect(progressOf(task.id).at(-1)!.task!.progress).toBe(1);
      expect(
        events(list)
          .filter((e) => e.type === 'METRICS_UPDATED')
          .at(-1)!.id,
      ).toBe(lastMetrics);
      if (transport === 'sse') return;
      // Over WebSocket the reader was behind from the first drop to its resumption: after the one
      // marker, the newest broadcasts that fitted, then only the newest of each entity (each task's
      // progress, the instance's figures). (Over SSE the kernel may have taken some meanwhile.)
      const tail = list.slice(list.indexOf(dropped.at(-1)!) + 1).filter((item) => item.typename === 'Event');
      const progress = tail.filter((e) => e.type === 'TASK_PROGRESS');
      expect(progress.map((e) => e.task!.progress)).toEqual([1, 1, 1]);
      expect(new Set(progress.map((e) => e.task!.id)).size).toBe(3);
      expect(tail.filter((e) => e.type === 'METRICS_UPDATED').map((e) => e.id)).toEqual([lastMetrics]);
      expect(tail.filter((e) => e.type !== 'CUSTOM')).toHaveLength(4);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(/colony_events_dropped_total\{policy="COALESCE",reason="coalesced"\} [1-9]/);
    },
    180_000,
  );
});

describe("a `since` replay's live events", () => {
  it.each([
    ['ws', 'events'],
    ['ws', 'eventStream'],
    ['sse', 'events'],
    ['sse', 'eventStream'],
  ] as const)(
    'over %s on %s are held within the share while the replay waits for its reader, the oldest dropped and reported once',
    async (transport, field) => {
      t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
      const app = t;
      const since = (await app.ok(Broadcast, { room: 'ovf', data: { i: -1 } })).broadcast.id;
      // A replay longer than the kernel's buffers take, so that it is still being read when the
      // reader stops, and live events pile up behind it.
      const retained = 600;
      await flood(app, 'ovf', retained);
      const q = query(field, 'ovf', 'DROP_OLDEST').replace('overflow:', `since: "${since}", overflow:`);
      const reader =
        transport === 'ws'
          ? await pausedWs(app, [{ id: 'slow', field, query: q }])
          : await pausedSse(app, field, q);
      const watcher = await watch(app, field, q);
      const live = PUBLISHED_BYTES / EVENT_BYTES;
      const most = await flood(app, 'ovf', live, retained);
      // Before: closed as slow (4008, or the response cut) whatever the policy.
      expect(reader.closed()).toBeNull();
      // Its buffer within its share, the socket within its low-water mark and one replayed frame.
      expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 4096);
      const last = retained + live - 1;
      await watcher.arrived((seen) => seen.some((e) => e.i === last));
      reader.resume();
      await reader.until('slow', (list) => events(list).some((e) => e.i === last));
      expect(reader.closed()).toBeNull();
      const list = reader.received.get('slow')!;
      const got = events(list);
      const dropped = markers(list);
      expectReports(transport, dropped);
      // The whole replay, then the report, then the newest live events.
      expect(got.filter((e) => e.i! < retained).map((e) => e.i)).toEqual(
        Array.from({ length: retained }, (_, i) => i),
      );
      expect(total(dropped) + got.length).toBe(retained + live);
      expectInOrder(list);
      const after = got.filter((e) => compareIds(e.id!, dropped.at(-1)!.toId!) > 0);
      expect(after.length).toBeGreaterThan(0);
      expect(after.map((e) => e.i)).toEqual(
        Array.from({ length: after.length }, (_, k) => last - after.length + 1 + k),
      );
      expect((await depth(app)).eventsDropped).toBe(total(dropped) + watcher.dropped());
    },
    120_000,
  );
});

describe('DISCONNECT, asked for', () => {
  it.each(['events', 'eventStream'] as const)(
    'closes a paused %s reader with 4008 as before',
    async (field) => {
      t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
      const app = t;
      const reader = await pausedWs(app, [{ id: 'slow', field, query: query(field, 'ovf', 'DISCONNECT') }]);
      const most = await flood(app, 'ovf', PUBLISHED_BYTES / EVENT_BYTES);
      expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
      reader.resume();
      while (reader.closed() === null) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(reader.closed()).toBe(4008);
      expect(markers(reader.received.get('slow')!)).toEqual([]);
      expect((await depth(app)).eventsDropped).toBe(0);
    },
    120_000,
  );
});
