/**
 * A rate limit on mutations per caller, held in the engine so that on Redis it is one limit for the
 * whole cluster. The caller is the token's subject when there is one, else the client's address
 * (the peer address: behind a proxy every client shares the proxy's, so put the limit there too).
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RateLimiter } from '../domain/ports.js';
import type { ColonyContext } from '../schema/context.js';

/** Who a mutation is counted against. */
export function callerKey(context: Partial<ColonyContext> & { req?: IncomingMessage }): string {
  if (context.identity?.sub) return `sub:${context.identity.sub}`;
  return `addr:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
}

export function useMutationRateLimit(limiter: RateLimiter, setting: string): Plugin {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const context = args.contextValue as Partial<ColonyContext> & { req?: IncomingMessage };
      const decision = await limiter.take(callerKey(context));
      if (decision.allowed) return;
      const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      const overHttp = !context.connection || context.connection.transport !== 'ws';
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`Too many mutations: try again in ${retryAfterS} s (${setting}).`, {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterMs: decision.retryAfterMs,
              // Yoga turns this into the HTTP status and header, and strips it from the body.
              ...(overHttp ? { http: { status: 429, headers: { 'retry-after': String(retryAfterS) } } } : {}),
            },
          }),
        ],
      });
    },
  };
}
