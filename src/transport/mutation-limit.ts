/**
 * A rate limit on mutations per caller, counted per mutation field (30 aliased `createAgent`s in one
 * document are 30 mutations; `renewSession` is none, so that a token can always be renewed), held in the engine so that on Redis it is one limit for the
 * whole cluster. The caller is the token's subject when there is one, else the client's address
 * (the peer address: behind a proxy every client shares the proxy's, so put the limit there too).
 */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RateLimiter } from '../domain/ports.js';
import type { ColonyContext } from '../schema/context.js';
import { RENEWAL_FIELD, rootFields } from './limits-renewal.js';
import { clientError } from '../schema/errors.js';

/** The client's end of the connection, as HTTP (Node's request) and WebSocket contexts carry it. */
interface Peer {
  req?: { socket?: { remoteAddress?: string | undefined } | null };
}

/** Who a mutation is counted against. */
export function callerKey(context: Partial<ColonyContext> & Peer): string {
  if (context.identity?.sub) return `sub:${context.identity.sub}`;
  return `addr:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
}

export function useMutationRateLimit(limiter: RateLimiter, setting: string): Plugin {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const mutations = rootFields(operation).filter((name) => name !== RENEWAL_FIELD).length;
      if (mutations === 0) return;
      const context = args.contextValue as Partial<ColonyContext> & Peer;
      const decision = await limiter.take(callerKey(context), mutations);
      if (decision.allowed) return;
      const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      const overHttp = !context.connection || context.connection.transport !== 'ws';
      setResultAndStopExecution({
        errors: [
          clientError(
            'RATE_LIMITED',
            `Too many mutations: try again in ${retryAfterS} s (${setting}).`,
            { reason: 'MUTATION_RATE', retryAfterMs: decision.retryAfterMs },
            // Yoga turns this into the HTTP status and header, and strips it from the body.
            overHttp ? { http: { status: 429, headers: { 'retry-after': String(retryAfterS) } } } : {},
          ),
        ],
      });
    },
  };
}
