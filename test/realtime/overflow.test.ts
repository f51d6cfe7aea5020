/**
 * The byte bound per connection against a client that stops reading at the TCP level (a phone in a
 * tunnel: it neither reads nor closes): its socket is paused, so the kernel's buffers fill and
 * everything past them waits in the server. The server must close it with 4008 once the bytes it
 * holds for it pass SUBSCRIBER_MAX_QUEUE_BYTES (over SSE: its response ends with a SLOW_CONSUMER
 * error, then `complete`), and never hold much more meanwhile; a client whose
 * handler is slow would not show this, since the kernel and `ws` would still drain its socket.
 * Over graphql-ws and SSE, for `events` and `eventStream`, on both engines.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
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
/** Far more than the kernel's buffers on loopback can hold (tcp_rmem and tcp_wmem maxima). */
const MAX_PUBLISHED_BYTES = 80 * 1024 * 1024;

const QUERIES = {
  events: 'subscription { events(rooms: ["ovf"]) { id payload { ... on CustomEventPayload { data } } } }',
  eventStream:
    'subscription { eventStream(rooms: ["ovf"]) { ... on Event { id payload { ... on CustomEventPayload { data } } } ... on StreamPosition { cursor live } } }',
};

/** A paused reader: its TCP socket reads nothing until `resume`. */
interface PausedReader {
  resume(): void;
  /**
   * Resolves when the connection ends: the WebSocket close code, or whether SSE said `complete` and
   * the code of the error it sent before.
   */
  ended: Promise<{ code?: number; complete?: boolean; error?: string; events: number }>;
}

async function pausedWs(app: TestApp, query: string): Promise<PausedReader> {
  const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
  let raw: Socket | null = null;
  socket.once('upgrade', (res: IncomingMessage) => (raw = res.socket));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  cleanup.push(() => socket.terminate());
  let events = 0;
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; payload?: { data?: unknown } };
    if (message.type === 'connection_ack') acked();
    if (message.type === 'next' && JSON.stringify(message.payload).includes('"data":{"i"')) events++;
  });
  const ended = new Promise<{ code: number; events: number }>((resolve) =>
    socket.once('close', (code) => resolve({ code, events })),
  );
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await ack;
  socket.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query } }));
  await untilSubscribed(stats(app), 1);
  (raw as Socket | null)!.pause();
  return { resume: () => (raw as Socket | null)!.resume(), ended };
}

async function pausedSse(app: TestApp, query: string): Promise<PausedReader> {
  let socket: Socket | null = null;
  let responded!: () => void;
  const response = new Promise<void>((resolve) => (responded = resolve));
  let events = 0;
  let error: string | undefined;
  const ended = new Promise<{ complete: boolean; error?: string; events: number }>((resolve, reject) => {
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
        events += frames.filter((f) => f.includes('"data":{"i"')).length;
        for (const frame of frames) {
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          const result = frame.startsWith('event: next') && data ? JSON.parse(data.slice(6)) : null;
          const code = (result as { errors?: { extensions?: { code?: string } }[] } | null)?.errors?.[0]
            ?.extensions?.code;
          if (code) error = code;
        }
        if (frames.some((f) => f.startsWith('event: complete'))) text = 'event: complete';
      });
      const done = () => resolve({ complete: text.startsWith('event: complete'), error, events });
      res.once('end', done);
      res.once('close', done);
      res.once('error', done);
    });
    req.on('error', reject);
    cleanup.push(() => void req.destroy());
    req.end(JSON.stringify({ query }));
  });
  ended.catch(() => undefined);
  await Promise.all([response, untilSubscribed(stats(app), 1)]);
  (socket as Socket | null)!.pause();
  return { resume: () => (socket as Socket | null)!.resume(), ended };
}

const stats = (app: TestApp) => async () => (await app.ok(RealtimeStatsQuery)).realtimeStats;

async function slowClosed(app: TestApp, transport: 'ws' | 'sse'): Promise<boolean> {
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  return new RegExp(`colony_slow_consumers_closed_total\\{transport="${transport}"\\} 1`).test(metrics);
}

describe.each(['events', 'eventStream'] as const)('a paused reader of %s', (field) => {
  it.each(['ws', 'sse'] as const)(
    'over %s is closed as slow once the server holds the bound for it, never much more',
    async (transport) => {
      t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(BOUND) });
      const app = t;
      const reader = await (transport === 'ws' ? pausedWs : pausedSse)(app, QUERIES[field]);
      const blob = 'x'.repeat(EVENT_BYTES);
      let published = 0;
      let most = 0;
      // Publishes in batches, reading after each how many bytes the server holds for its readers.
      while (published * EVENT_BYTES < MAX_PUBLISHED_BYTES && !(await slowClosed(app, transport))) {
        await Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            app.ok(Broadcast, { room: 'ovf', data: { i: published + k, blob } }),
          ),
        );
        published += 10;
        most = Math.max(most, app.app.realtime.queuedBytes().largest);
      }
      expect(await slowClosed(app, transport)).toBe(true);
      // The bound, plus at most the frame that passed it.
      expect(most).toBeLessThanOrEqual(BOUND + EVENT_BYTES + 1024);
      // Closed: nothing more is held or written for it.
      expect(app.app.realtime.queuedBytes().total).toBe(0);
      await Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          app.ok(Broadcast, { room: 'ovf', data: { i: published + k, blob } }),
        ),
      );
      published += 10;
      reader.resume();
      const end = await reader.ended;
      if (transport === 'ws') expect(end.code).toBe(4008);
      // SSE: what it had not read, then an error it can act on (resume with `since`), then `complete`.
      else expect(end).toMatchObject({ error: 'SLOW_CONSUMER', complete: true });
      expect(end.events).toBeLessThan(published);
    },
    60_000,
  );
});

describe('a reader that keeps up', () => {
  it('is not closed as slow by turns that write it more than a small bound', async () => {
    const bound = 64 * 1024;
    t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(bound) });
    const app = t;
    const client = app.ws();
    // Eight subscriptions on one socket (a dashboard's panels): each event of 8 KiB is 64 KiB written
    // to the connection, so two events in one turn of the server pass the bound until the turn ends
    // and the kernel takes them.
    const subscriptions = 8;
    const events = 120;
    const blob = 'y'.repeat(8 * 1024);
    const received = new Map<number, Set<string>>();
    let closedWith: unknown = null;
    const done: Promise<void>[] = [];
    for (let s = 0; s < subscriptions; s++) {
      const ids = new Set<string>();
      received.set(s, ids);
      done.push(
        new Promise<void>((resolve, reject) => {
          client.subscribe<{ events: { id: string } }>(
            {
              query:
                'subscription { events(rooms: ["burst"]) { id payload { ... on CustomEventPayload { data } } } }',
            },
            {
              next: (result) => {
                if (result.data) ids.add(result.data.events.id);
                if (ids.size === events) resolve();
              },
              error: (error) => {
                closedWith = error;
                reject(new Error(`closed: ${JSON.stringify(error)}`));
              },
              complete: () => undefined,
            },
          );
        }),
      );
    }
    const all = Promise.all(done);
    all.catch(() => undefined);
    await untilSubscribed(stats(app), subscriptions);
    for (let sent = 0; sent < events && !closedWith; sent += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          app.ok(Broadcast, { room: 'burst', data: { i: sent + k, blob } }),
        ),
      );
    await all;
    expect(closedWith).toBeNull();
    expect([...received.values()].map((ids) => ids.size)).toEqual(Array(subscriptions).fill(events));
    expect(await slowClosed(app, 'ws')).toBe(false);
  }, 60_000);
});
