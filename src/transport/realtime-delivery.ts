/**
 * How a subscription over WebSocket or SSE reaches the realtime core, the same way for both: the
 * transport puts the client connection and the operation's framing in the context (`connection`,
 * `framing`); as the operation subscribes, this plugin adds how its events are grouped (grouping.ts)
 * as `delivery`; the field's resolver passes both to the hub, which hands the subscription to its
 * connection, and from there its group writes its frames. What goes back to the transport is the
 * subscription itself, which only ends: the pipeline's per-event mapping around it is never used,
 * and is let go rather than held for as long as the subscription lasts.
 */
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ResultMasker } from '../realtime/event-executor.js';
import type { ColonyContext } from '../schema/context.js';
import { groupingFor } from './grouping.js';

export function useRealtimeDelivery(mask: ResultMasker): Plugin {
  return {
    onSubscribe({ args, extendContext }) {
      const context = args.contextValue as unknown as ColonyContext;
      if (!context.connection || !context.framing) return;
      const { rootValue: _root, ...rest } = args as ExecutionArgs;
      const delivery = { framing: context.framing, grouping: groupingFor(rest, mask) };
      const { connection } = context;
      extendContext({ delivery } satisfies Partial<ColonyContext> as never);
      return {
        onSubscribeResult({ result, setResult }) {
          const subscription = connection.deliveredFor(delivery);
          if (subscription && isAsyncIterable(result)) setResult(subscription as never);
        },
      };
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
