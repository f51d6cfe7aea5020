/**
 * An urql exchange that runs subscriptions on a resumable client: put it after `fetchExchange`
 * (queries and mutations go over HTTP) or alone with `forwardSubscription` for everything.
 *
 * ```ts
 * const colony = createResumableClient({ url: 'ws://localhost:4000/graphql' });
 * const client = new Client({ url: '/graphql', exchanges: [cacheExchange, fetchExchange, resumableExchange(colony)] });
 * ```
 */
import { subscriptionExchange, type Exchange } from '@urql/core';
import type { ResumableClient, ResumeOptions } from './resumable-client.js';

export interface ResumableExchangeOptions {
  /** Called on CURSOR_EXPIRED, per subscription: re-query what the views show. */
  onCursorExpired?: ResumeOptions['onCursorExpired'];
  /** Events the server dropped, per subscription: heal them from `eventLog`, or be handed the gap (ResumeOptions). */
  onDropped?: ResumeOptions['onDropped'];
  /** Send queries and mutations over the socket too (default: subscriptions only). */
  allOperations?: boolean;
}

export function resumableExchange(client: ResumableClient, options: ResumableExchangeOptions = {}): Exchange {
  return subscriptionExchange({
    ...(options.allOperations ? { enableAllOperations: true } : {}),
    forwardSubscription(request) {
      const query = request.query ?? '';
      return {
        subscribe(sink) {
          const unsubscribe = client.subscribe(
            {
              query,
              variables: (request.variables as Record<string, unknown> | undefined) ?? null,
              operationName: request.operationName ?? null,
            },
            sink,
            {
              ...(options.onCursorExpired ? { onCursorExpired: options.onCursorExpired } : {}),
              ...(options.onDropped ? { onDropped: options.onDropped } : {}),
            },
          );
          return { unsubscribe };
        },
      };
    },
  });
}
