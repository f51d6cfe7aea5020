/**
 * The reference: the hand-rolled Yoga server a team would write instead of Colony — one
 * `broadcast` mutation, one `events(room)` subscription on Yoga's own createPubSub — served on the
 * same transports (HTTP + graphql-ws with the enveloped recipe).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs } from 'graphql';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

interface Event {
  id: string;
  type: string;
  data: unknown;
}

export async function startReference(): Promise<{ url: string; stop(): Promise<void> }> {
  const pubsub = createPubSub<{ room: [room: string, event: Event] }>();
  let seq = 0;
  const yoga = createYoga({
    logging: false,
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        scalar JSON
        type Event {
          id: ID!
          type: String!
          data: JSON
        }
        type Query {
          ok: Boolean
        }
        type Mutation {
          broadcast(room: String!, data: JSON!): Event!
        }
        type Subscription {
          events(room: String!): Event!
        }
      `,
      resolvers: {
        Mutation: {
          broadcast: (_: unknown, { room, data }: { room: string; data: unknown }) => {
            const event = { id: String(++seq), type: 'CUSTOM', data };
            pubsub.publish('room', room, event);
            return event;
          },
        },
        Subscription: {
          events: {
            subscribe: (_: unknown, { room }: { room: string }) => pubsub.subscribe('room', room),
            resolve: (event: Event) => event,
          },
        },
      },
    }),
  });
  const server = createServer(yoga);
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => never }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => never }).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName ?? null,
          document: parse(payload.query),
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      await disposable.dispose();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
