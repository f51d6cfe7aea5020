/** The HTTP GraphQL pipeline (queries, mutations, SSE subscriptions, GraphiQL), shared with WebSocket. */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { READ_ALL } from '../domain/access/read-access.js';
import type { Colony } from '../domain/api.js';
import type { Logger } from '../logger.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';
import type { ColonyContext } from '../schema/context.js';
import { toClientError } from '../schema/errors.js';
import type { AppMetrics } from './metrics.js';

export const GRAPHQL_PATH = '/graphql';

export const DEFAULT_QUERY = `# Watch every event as it happens (run this, then create an agent from another tab):
subscription Live {
  events {
    id
    type
    rooms
    timestamp
    payload {
      __typename
      ... on AgentEventPayload { agent { id name status } previousAgentStatus: previousStatus action }
      ... on TaskEventPayload { task { id title status progress assignee { id name } } previousTaskStatus: previousStatus }
      ... on CustomEventPayload { data }
    }
  }
}

mutation CreateAgent {
  createAgent(input: { name: "scout-1", type: "crawler", capabilities: ["http"] }) { id name status }
}
`;

export interface YogaDeps {
  schema: GraphQLSchema;
  colony: Colony;
  hub: RealtimeHub;
  logger: Logger;
  metrics: AppMetrics;
}

/** Extra context a WebSocket operation brings in (see ws-server.ts). */
export interface ServerContext {
  connection?: ColonyContext['connection'];
}

export function createYogaServer(deps: YogaDeps): YogaServerInstance<ServerContext, ColonyContext> {
  return createYoga<ServerContext, ColonyContext>({
    schema: deps.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // GraphiQL's assets are served by Colony itself (no CDN), and its subscriptions use graphql-ws.
    graphiql: { title: 'Colony', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL,
    logging: {
      debug: (...args) => deps.logger.debug({ yoga: args }, 'yoga'),
      info: (...args) => deps.logger.info({ yoga: args }, 'yoga'),
      warn: (...args) => deps.logger.warn({ yoga: args }, 'yoga'),
      // Yoga reports every GraphQL error here; the unexpected ones are logged by maskError below.
      error: (...args) => deps.logger.debug({ yoga: args }, 'yoga'),
    },
    maskedErrors: {
      maskError(error) {
        const { error: sent, unexpected } = toClientError(error);
        if (unexpected) deps.logger.error({ err: error }, 'unexpected error in a GraphQL operation');
        return sent;
      },
    },
    context: ({ request, connection }) => {
      if (connection)
        return { colony: deps.colony, realtime: deps.hub, connection, identity: null, access: READ_ALL };
      // An SSE subscription is a connection of its own; it counts once its stream starts.
      const sse = request.headers.get('accept')?.includes('text/event-stream');
      return {
        colony: deps.colony,
        realtime: deps.hub,
        connection: sse ? deps.hub.connect('sse', null) : null,
        identity: null,
        access: READ_ALL,
      };
    },
    plugins: [
      usePrometheus({
        registry: deps.metrics.registry,
        endpoint: false,
        metrics: {
          graphql_yoga_http_duration: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
        },
      }),
    ],
  });
}
