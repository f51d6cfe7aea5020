/**
 * urql's and Apollo's default clients against a real Colony, as a user sets them up: nothing changed
 * but the URL and, on Node, `webSocketImpl` from `ws`. urql sends short queries as GET (its default),
 * Apollo POSTs; both query, mutate and subscribe (graphql-ws). What reached the server, and how, is
 * read back from /metrics.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t?.stop());

const QUERY = 'query Agents { agents(first: 5) { edges { node { id name } } } }';
const CREATE =
  'mutation Create($name: String!) { createAgent(input: { name: $name, type: "t" }) { id name } }';
const EVENTS = 'subscription Created { events(rooms: ["agents"], types: [AGENT_CREATED]) { id type } }';

/** How many requests of this method and operation type the server answered with this status. */
async function served(method: string, type: string, status = 200): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('graphql_yoga_http_duration_seconds_count{') &&
        l.includes(`operation_type="${type}"`) &&
        l.includes(`method="${method}"`) &&
        l.includes(`status_code="${status}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Resolves with the first `n` values pushed, or rejects after 10 s. */
function firstValues<T>(n: number) {
  const values: T[] = [];
  let resolve!: (v: T[]) => void;
  const done = new Promise<T[]>((r) => (resolve = r));
  return {
    push: (v: T) => {
      values.push(v);
      if (values.length === n) resolve(values);
    },
    done,
  };
}

describe('GraphQL clients with their defaults', () => {
  it('urql: a GET query, a POST mutation and a graphql-ws subscription', async () => {
    const ws = createClient({ url: t.wsUrl, webSocketImpl: WebSocket });
    const client = new Client({
      url: t.graphqlUrl,
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({
              unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink),
            }),
          }),
        }),
      ],
    });
    try {
      const gets = await served('GET', 'query');
      const events = firstValues<string>(1);
      const sub = client.subscription<{ events: { type: string } }>(EVENTS, {}).subscribe((result) => {
        if (result.data) events.push(result.data.events.type);
      });
      await expect
        .poll(async () => (await fetch(`${t.url}/metrics`)).text())
        .toMatch(/^colony_realtime_active_subscriptions [1-9]/m);

      const query = await client.query(QUERY, {}).toPromise();
      expect(query.error).toBeUndefined();
      expect(query.data).toMatchObject({ agents: { edges: [] } });
      expect(await served('GET', 'query')).toBe(gets + 1);

      const created = await client.mutation(CREATE, { name: 'urql-1' }).toPromise();
      expect(created.error).toBeUndefined();
      expect(created.data?.createAgent.name).toBe('urql-1');
      expect(await events.done).toEqual(['AGENT_CREATED']);
      sub.unsubscribe();
    } finally {
      await ws.dispose();
    }
  });

  it('Apollo: a POST query and mutation, and a graphql-ws subscription', async () => {
    const ws = createClient({ url: t.wsUrl, webSocketImpl: WebSocket });
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: split(
        ({ query }) => {
          const d = getMainDefinition(query);
          return d.kind === 'OperationDefinition' && d.operation === 'subscription';
        },
        new GraphQLWsLink(ws),
        new HttpLink({ uri: t.graphqlUrl }),
      ),
    });
    try {
      const posts = await served('POST', 'query');
      const events = firstValues<string>(1);
      const sub = client.subscribe<{ events: { type: string } }>({ query: gql(EVENTS) }).subscribe({
        next: (result) => {
          if (result.data) events.push(result.data.events.type);
        },
      });
      await expect
        .poll(async () => (await fetch(`${t.url}/metrics`)).text())
        .toMatch(/^colony_realtime_active_subscriptions [1-9]/m);

      const query = await client.query<{ agents: { edges: { node: { name: string } }[] } }>({
        query: gql(QUERY),
      });
      expect(query.data?.agents.edges.map((e) => e.node.name)).toEqual(['urql-1']);
      expect(await served('POST', 'query')).toBe(posts + 1);

      const created = await client.mutate<{ createAgent: { name: string } }>({
        mutation: gql(CREATE),
        variables: { name: 'apollo-1' },
      });
      expect(created.data?.createAgent.name).toBe('apollo-1');
      expect(await events.done).toEqual(['AGENT_CREATED']);
      sub.unsubscribe();
    } finally {
      await ws.dispose();
    }
  });
});
