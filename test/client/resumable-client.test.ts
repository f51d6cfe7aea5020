/**
 * @colony/client against a real Colony: subscriptions resume across a restart with the events made
 * meanwhile, once each; CURSOR_EXPIRED tells the caller, then goes on live; the urql exchange and the
 * Apollo link deliver through it.
 */
import { ApolloClient, ApolloLink, gql, InMemoryCache } from '@apollo/client';
import { Client as UrqlClient, fetchExchange } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ResumableLink } from '../../client/src/apollo.js';
import {
  classify,
  compareEventIds,
  createResumableClient,
  laterCursor,
  type ConnectionState,
  type CursorExpired,
  type ResumableClient,
} from '../../client/src/index.js';
import { resumableExchange } from '../../client/src/urql.js';
import { Broadcast } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const STREAM = /* GraphQL */ `
  subscription ClientStream($rooms: [String!], $since: ID) {
    eventStream(rooms: $rooms, since: $since) {
      __typename
      ... on StreamPosition {
        cursor
        live
      }
      ... on Event {
        id
        payload {
          ... on CustomEventPayload {
            data
          }
        }
      }
    }
  }
`;

type StreamItem =
  | { __typename: 'StreamPosition'; cursor: string | null; live: boolean }
  | { __typename: 'Event'; id: string; payload: { data: { n: number } } };

/** Resolves when `check` holds, checking on every call of the returned `poke`. */
function until<T>(check: () => T | undefined, ms = 15_000): { promise: Promise<T>; poke: () => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error('timed out')), ms);
  const poke = () => {
    const value = check();
    if (value !== undefined) {
      clearTimeout(timer);
      resolve(value);
    }
  };
  return { promise, poke };
}

function watch(client: ResumableClient, rooms: string[]) {
  const items: StreamItem[] = [];
  const states: ConnectionState[] = [];
  const expired: CursorExpired[] = [];
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  client.onState((state) => {
    states.push(state);
    poke();
  });
  const unsubscribe = client.subscribe<{ eventStream: StreamItem }>(
    { query: STREAM, variables: { rooms } },
    {
      next: (result) => {
        if (result.data) items.push(result.data.eventStream);
        poke();
      },
      error: (error) => {
        throw new Error(`unexpected subscription error: ${JSON.stringify(error)}`);
      },
      complete: () => undefined,
    },
    {
      onCursorExpired: (error) => {
        expired.push(error);
        poke();
      },
    },
  );
  const wait = <T>(check: () => T | undefined) => {
    const u = until(check);
    waiters.add(u.poke);
    u.poke();
    return u.promise.finally(() => waiters.delete(u.poke));
  };
  const numbers = () => items.flatMap((i) => (i.__typename === 'Event' ? [i.payload.data.n] : []));
  return { items, states, expired, unsubscribe, wait, numbers };
}

const say = (t: TestApp, room: string, n: number) => t.ok(Broadcast, { room, data: { n } });
const fastRetry = { retryWait: () => new Promise<void>((resolve) => setTimeout(resolve, 50)) };

describe('cursor helpers', () => {
  it('orders event ids by time, then sequence, and picks the newer cursor', () => {
    expect(compareEventIds('1700000000000-2', '1700000000000-10')).toBeLessThan(0);
    expect(compareEventIds('1700000000001-0', '1700000000000-10')).toBeGreaterThan(0);
    expect(laterCursor(null, '5-0')).toBe('5-0');
    expect(laterCursor('5-1', '5-0')).toBe('5-1');
    expect(laterCursor('5-1', null)).toBe('5-1');
  });

  it('tells events from positions by the root field', () => {
    expect(classify({ eventStream: { __typename: 'Event', id: '1-0' } })).toEqual({
      kind: 'event',
      id: '1-0',
    });
    expect(classify({ eventStream: { __typename: 'StreamPosition', cursor: '1-0', live: true } })).toEqual({
      kind: 'position',
      cursor: '1-0',
      live: true,
    });
    expect(classify({ events: { id: '2-0', type: 'CUSTOM' } })).toEqual({ kind: 'event', id: '2-0' });
    expect(classify(null)).toEqual({ kind: 'other' });
  });
});

describe('a resumable subscription', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.dispose());

  it('resumes after a restart on the same Redis with the events made meanwhile, none twice', async () => {
    const port = String(await freePort());
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'resume', STREAM_HEARTBEAT_MS: '0' };
    let app = await startApp({ ...env, PORT: port });
    const other = await startApp(env);
    const client = createResumableClient({ url: app.wsUrl, webSocketImpl: WebSocket, ...fastRetry });
    try {
      const w = watch(client, ['resume']);
      await w.wait(() => (w.items.length ? true : undefined));
      await say(app, 'resume', 1);
      await say(app, 'resume', 2);
      await w.wait(() => (w.numbers().length === 2 ? true : undefined));

      await app.stop();
      await w.wait(() => (client.state.status === 'reconnecting' ? true : undefined));
      // Made on another instance while this one is down.
      await say(other, 'resume', 3);
      await say(other, 'resume', 4);
      app = await startApp({ ...env, PORT: port });

      const resumed = await w.wait(() => (client.state.status === 'resumed' ? client.state : undefined));
      expect(resumed).toEqual({ status: 'resumed', caughtUp: 2 });
      await say(app, 'resume', 5);
      await w.wait(() => (w.numbers().length === 5 ? true : undefined));
      expect(w.numbers()).toEqual([1, 2, 3, 4, 5]);
      expect(w.expired).toEqual([]);
      expect(w.states.map((s) => s.status)).toEqual(
        expect.arrayContaining(['connecting', 'connected', 'reconnecting', 'resumed']),
      );
      // Each attempt reported once, counting up.
      const attempts = w.states.flatMap((s) => (s.status === 'reconnecting' ? [s.attempt] : []));
      expect(attempts).toEqual(attempts.map((_, i) => i + 1));
      w.unsubscribe();
    } finally {
      await client.dispose();
      await other.stop();
      await app.stop();
    }
  });

  it('reports one dropped socket as one reconnect', async () => {
    const app = await startApp({ STREAM_HEARTBEAT_MS: '0' });
    const client = createResumableClient({ url: app.wsUrl, webSocketImpl: WebSocket, ...fastRetry });
    try {
      const w = watch(client, ['once']);
      await w.wait(() => (client.state.status === 'connected' && w.items.length ? true : undefined));
      const before = w.states.length;
      client.ws.terminate();
      await w.wait(() => (client.state.status === 'resumed' ? true : undefined));
      expect(w.states.slice(before)).toEqual([
        { status: 'reconnecting', attempt: 1, closed: { code: 4499, reason: 'Terminated' } },
        { status: 'connected' },
        { status: 'resumed', caughtUp: 0 },
      ]);
      w.unsubscribe();
    } finally {
      await client.dispose();
      await app.stop();
    }
  });

  it('on CURSOR_EXPIRED tells the caller to re-query, then goes on live', async () => {
    const port = String(await freePort());
    // A memory engine forgets its log on restart: the client's cursor is no longer retained.
    let app = await startApp({ PORT: port, STREAM_HEARTBEAT_MS: '0' });
    const client = createResumableClient({ url: app.wsUrl, webSocketImpl: WebSocket, ...fastRetry });
    try {
      const w = watch(client, ['expiry']);
      await w.wait(() => (w.items.length ? true : undefined));
      await say(app, 'expiry', 1);
      await w.wait(() => (w.numbers().length === 1 ? true : undefined));
      await app.stop();
      await w.wait(() => (client.state.status === 'reconnecting' ? true : undefined));
      app = await startApp({ PORT: port, STREAM_HEARTBEAT_MS: '0' });
      const [expired] = await w.wait(() => (w.expired.length ? w.expired : undefined));
      expect(expired?.message).toMatch(/no longer retained/);
      expect(expired?.cursor).toMatch(/^\d+-\d+$/);
      // Live again without `since`: the first position is live, and new events arrive.
      await w.wait(() => (client.state.status === 'resumed' ? true : undefined));
      await w.wait(() => {
        const last = w.items.at(-1);
        return last?.__typename === 'StreamPosition' && last.live ? true : undefined;
      });
      await say(app, 'expiry', 2);
      await w.wait(() => (w.numbers().length === 2 ? true : undefined));
      expect(w.numbers()).toEqual([1, 2]);
      w.unsubscribe();
    } finally {
      await client.dispose();
      await app.stop();
    }
  });
});

describe('the urql exchange and the Apollo link', () => {
  let t: TestApp;
  let client: ResumableClient;
  beforeAll(async () => {
    t = await startApp();
    client = createResumableClient({ url: t.wsUrl, webSocketImpl: WebSocket });
  });
  afterAll(async () => {
    await client?.dispose();
    await t?.stop();
  });

  it('urql receives events through the resumable client', async () => {
    const urql = new UrqlClient({ url: t.graphqlUrl, exchanges: [resumableExchange(client), fetchExchange] });
    const got: number[] = [];
    const done = until(() => (got.length === 2 ? got : undefined));
    const live = until(() => (client.state.status === 'connected' ? true : undefined));
    const stopState = client.onState(live.poke);
    const { unsubscribe } = urql
      .subscription<{ eventStream: StreamItem }>(STREAM, { rooms: ['urql'] })
      .subscribe((result) => {
        const item = result.data?.eventStream;
        if (item?.__typename === 'Event') got.push(item.payload.data.n);
        if (item?.__typename === 'StreamPosition') live.poke();
        done.poke();
      });
    await live.promise;
    stopState();
    await say(t, 'urql', 1);
    await say(t, 'urql', 2);
    expect(await done.promise).toEqual([1, 2]);
    unsubscribe();
  });

  it('Apollo receives events through the resumable client', async () => {
    // A stream item replaces the previous one: nothing to merge.
    const cache = new InMemoryCache({
      typePolicies: { Subscription: { fields: { eventStream: { merge: false } } } },
    });
    const apollo = new ApolloClient({ link: new ResumableLink(client), cache });
    expect(apollo.link).toBeInstanceOf(ApolloLink);
    const got: number[] = [];
    let positioned = false;
    const first = until(() => (positioned ? true : undefined));
    const done = until(() => (got.length === 2 ? got : undefined));
    const sub = apollo
      .subscribe<{ eventStream: StreamItem }>({ query: gql(STREAM), variables: { rooms: ['apollo'] } })
      .subscribe({
        next: (result) => {
          const item = result.data?.eventStream;
          if (item?.__typename === 'StreamPosition') positioned = true;
          if (item?.__typename === 'Event') got.push(item.payload.data.n);
          first.poke();
          done.poke();
        },
      });
    await first.promise;
    await say(t, 'apollo', 1);
    await say(t, 'apollo', 2);
    expect(await done.promise).toEqual([1, 2]);
    sub.unsubscribe();
  });
});
