/**
 * The page's connection to Colony: one resumable graphql-ws client for the live stream (and token
 * renewal), urql over HTTP for queries and mutations. Every failed or refused operation, of any kind,
 * is handed to `onProblem`, and every success to `onSuccess`, so that the page can show what failed
 * and clear it once the same operation works again.
 */
import { createResumableClient, type ResumableClient } from '@colony/client';
import { resumableExchange } from '@colony/client/urql';
import { Client, fetchExchange, mapExchange, type CombinedError, type Operation } from 'urql';
import type { Problem } from './problems.js';

const GRAPHQL = '/graphql';

export interface Session {
  colony: ResumableClient;
  urql: Client;
  token: { current: string };
}

export interface SessionHooks {
  onProblem(problem: Problem): void;
  onSuccess(operation: string): void;
}

export function operationName(operation: Operation): string {
  const definition = operation.query.definitions.find((d) => d.kind === 'OperationDefinition');
  return definition && 'name' in definition && definition.name ? definition.name.value : operation.kind;
}

/** What the server said (its message and extensions.code), or what went wrong on the way. */
export function problemOf(operation: string, error: CombinedError): Problem {
  const first = error.graphQLErrors[0];
  if (first) {
    const extensions = first.extensions as { code?: unknown; reason?: unknown } | undefined;
    return {
      operation,
      message: first.message,
      code: typeof extensions?.code === 'string' ? extensions.code : 'ERROR',
      reason: typeof extensions?.reason === 'string' ? extensions.reason : null,
    };
  }
  const status = (error.response as { status?: number } | undefined)?.status;
  return {
    operation,
    message: error.networkError?.message ?? error.message,
    code: status ? `HTTP ${status}` : 'NETWORK_ERROR',
    reason: null,
  };
}

export function createSession(initialToken: string, hooks: SessionHooks): Session {
  const token = { current: initialToken };
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL}`;
  const colony = createResumableClient({
    url: wsUrl,
    // Read at every (re)connect, so a renewed token is the one sent next time.
    connectionParams: () => (token.current ? { authorization: `Bearer ${token.current}` } : {}),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 3000))),
  });
  const urql = new Client({
    url: GRAPHQL,
    exchanges: [
      mapExchange({
        onResult(result) {
          const name = operationName(result.operation);
          if (result.error) hooks.onProblem(problemOf(name, result.error));
          else hooks.onSuccess(name);
        },
      }),
      resumableExchange(colony),
      fetchExchange,
    ],
    fetchOptions: () => (token.current ? { headers: { authorization: `Bearer ${token.current}` } } : {}),
    requestPolicy: 'network-only',
  });
  return { colony, urql, token };
}
