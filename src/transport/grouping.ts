/**
 * How a subscription joins a group of the hub (realtime/subscription-group.ts), for every transport
 * alike: its key is what shapes each event's result — the document, operation, variables and read
 * rights — and its executor runs the document on each event with the subscriber's context (with new
 * rights, after `renewSession`).
 *
 * `since` on the subscription field shapes no event's result (it only says where the stream starts),
 * so it is left out of the key: subscribers who resume from different cursors share one group, and
 * one execution per event, once their replays are over (after a restart, that is all of them).
 */
import { print, visit, type DocumentNode, type ExecutionArgs } from 'graphql';
import type { ReadAccess } from '../domain/access/read-access.js';
import { createEventEncoder, type ResultMasker } from '../realtime/event-executor.js';
import type { Grouping } from '../realtime/realtime-hub.js';
import { groupKey } from '../realtime/subscription-group.js';
import type { ColonyContext } from '../schema/context.js';

/** The document as its key sees it (without the root field's `since`) and the variables it still uses. */
interface Shape {
  text: string;
  variables: ReadonlySet<string>;
}

const shapes = new WeakMap<DocumentNode, Shape>();

/** The argument that says where a stream starts and nothing about what it sends. */
const START_ARGUMENT = 'since';

function shapeOf(document: DocumentNode): Shape {
  let shape = shapes.get(document);
  if (shape) return shape;
  let depth = 0;
  let subscription = false;
  const stripped = visit(document, {
    OperationDefinition: {
      enter: (node) => {
        subscription = node.operation === 'subscription';
      },
    },
    Field: { enter: () => void depth++, leave: () => void depth-- },
    Argument: (node) =>
      subscription && depth === 1 && node.name.value === START_ARGUMENT ? null : undefined,
  });
  const variables = new Set<string>();
  visit(stripped, {
    VariableDefinition: () => false,
    Variable: (node) => {
      variables.add(node.name.value);
    },
  });
  shape = { text: print(stripped), variables };
  shapes.set(document, shape);
  return shape;
}

/** What only the subscribe step uses: the transport's request and protocol state (ws-server.ts). */
const SUBSCRIBE_ONLY: ReadonlySet<PropertyKey> = new Set([
  'req',
  'request',
  'socket',
  'params',
  'extra',
  'subscriptions',
  'connectionParams',
  'connectionInitReceived',
  'acknowledged',
]);

/**
 * What a group's executor needs of a subscriber's context: all of it (symbols included) but what
 * only the subscribe step used. The grouping lives as long as its subscription; holding this copy
 * rather than the context lets the context go once the subscription is set up, with the caches its
 * authorisation filled (Pothos keeps one per context).
 */
function executionContext(context: object): ColonyContext {
  const kept: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(context)) {
    if (SUBSCRIBE_ONLY.has(key) || !Object.prototype.propertyIsEnumerable.call(context, key)) continue;
    kept[key] = (context as Record<PropertyKey, unknown>)[key];
  }
  return kept as unknown as ColonyContext;
}

/** `args` are a subscription's, as the enveloped pipeline runs it. */
export function groupingFor(subscribed: Omit<ExecutionArgs, 'rootValue'>, mask: ResultMasker): Grouping {
  const context = executionContext(subscribed.contextValue as object);
  const args = { ...subscribed, contextValue: context };
  const shape = shapeOf(args.document);
  const used: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args.variableValues ?? {}))
    if (shape.variables.has(name)) used[name] = value;
  return (access: ReadAccess) => ({
    key: groupKey(shape.text, args.operationName, used, access),
    encoder: () =>
      createEventEncoder(
        access === context.access
          ? args
          : { ...args, contextValue: { ...context, access, identity: context.session?.identity ?? null } },
        mask,
      ),
  });
}
