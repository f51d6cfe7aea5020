/** Starts a real Colony on port 0 for a test, with clients for each transport. Always stop it. */
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { pino } from 'pino';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { Clock } from '../../src/domain/ports.js';

export interface TestApp {
  app: App;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  /** POSTs one operation and returns the whole result (data and errors). */
  request<R, V>(document: TypedDocumentNode<R, V> | string, variables?: V): Promise<ExecutionResult<R>>;
  /** Like request, but fails the test on any error. */
  ok<R, V>(document: TypedDocumentNode<R, V> | string, variables?: V): Promise<R>;
  /** A graphql-ws client on this app; closed by stop(). */
  ws(options?: { lazy?: boolean }): Client;
  stop(): Promise<void>;
}

let apps = 0;

export async function startApp(
  env: Record<string, string> = {},
  options: { clock?: Clock } = {},
): Promise<TestApp> {
  // In the `redis` test project every app runs on the project's redis-server, a fleet of its own.
  const redisUrl = inject('redisUrl');
  const engine: Record<string, string> = redisUrl
    ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `t${process.pid}-${++apps}` }
    : {};
  const config = parseConfig(
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', METRICS_INTERVAL_MS: '0', ...engine, ...env },
    'test-instance',
  );
  const logger = pino({ level: env.LOG_LEVEL ?? 'silent' });
  const app = await buildApp(config, { logger, ...options });
  const { url } = await app.start();
  const graphqlUrl = `${url}/graphql`;
  const wsUrl = graphqlUrl.replace(/^http/, 'ws');
  const clients: Client[] = [];

  const request = async <R, V>(document: TypedDocumentNode<R, V> | string, variables?: V) => {
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
    });
    return (await res.json()) as ExecutionResult<R>;
  };

  return {
    app,
    url,
    graphqlUrl,
    wsUrl,
    request,
    async ok(document, variables) {
      const result = await request(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data as never;
    },
    ws(options = {}) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        lazy: options.lazy ?? true,
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
    },
  };
}

/** The GraphQL error codes of a result, in order. */
export function codes(result: ExecutionResult<unknown>): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}
