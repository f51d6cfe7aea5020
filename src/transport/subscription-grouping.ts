/**
 * How a subscription joins a group of the hub (realtime/subscription-group.ts), for every transport
 * alike: its key is the document, operation, variables and read rights, and its executor runs the
 * document on each event with the subscriber's context (with new rights, after `renewSession`).
 */
import type { ExecutionArgs } from 'graphql';
import type { ReadAccess } from '../domain/access/read-access.js';
import { createEventEncoder, type ResultMasker } from '../realtime/event-executor.js';
import type { Grouping } from '../realtime/realtime-hub.js';
import { groupKey } from '../realtime/subscription-group.js';
import type { ColonyContext } from '../schema/context.js';

/** `args` are a subscription's, as the enveloped pipeline runs it; `query` is its text. */
export function groupingFor(
  args: Omit<ExecutionArgs, 'rootValue'>,
  query: string,
  mask: ResultMasker,
): Grouping {
  const context = args.contextValue as ColonyContext;
  return (access: ReadAccess) => ({
    key: groupKey(query, args.operationName, args.variableValues, access),
    encoder: () =>
      createEventEncoder(
        access === context.access
          ? args
          : { ...args, contextValue: { ...context, access, identity: context.session?.identity ?? null } },
        mask,
      ),
  });
}
