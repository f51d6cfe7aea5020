/**
 * How a subscription over WebSocket or SSE reaches the realtime core, the same way for both: the
 * transport puts the client connection and the operation's framing in the context (`connection`,
 * `framing`); as the operation subscribes, this plugin adds how its events are grouped (grouping.ts)
 * as `delivery`; the field's resolver passes both to the hub, which hands the subscription to its
 * connection, and from there its group writes its frames. The transport then iterates the
 * subscription itself (`deliveredSubscription`), which only ends.
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
      extendContext({ delivery } satisfies Partial<ColonyContext> as never);
    },
  };
}

/**
 * What a transport iterates for a subscription: the one its connection delivers (it only ends, or
 * ends in the error the client is to receive), not the pipeline's per-event mapping around it, which
 * would be held (with every plugin's per-operation state) for as long as the subscription lasts.
 */
export function deliveredSubscription(context: ColonyContext): AsyncIterableIterator<unknown> | null {
  return context.connection && context.delivery ? context.connection.deliveredFor(context.delivery) : null;
}
