/** The HTTP GraphQL pipeline (queries, mutations, SSE subscriptions, GraphiQL), shared with WebSocket. */
import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { ServerResponse } from 'node:http';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { authenticateRequest, useAuthenticationFirst } from '../auth/http-authentication.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import { expiresInMs } from '../auth/expiry.js';
import type { Identity } from '../domain/access/identity.js';
import { readAccessFor } from '../domain/access/room-rights.js';
import type { Colony } from '../domain/api.js';
import type { RateLimiter } from '../domain/ports.js';
import type { Limits } from '../config.js';
import type { Logger } from '../logger.js';
import type { Connection } from '../realtime/connection.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';
import type { Framing } from '../realtime/subscription-group.js';
import { colonyForRequest, type ColonyContext, type Session } from '../schema/context.js';
import type { EventStreams } from '../realtime/event-streams.js';
import {
  clientError,
  toClientError,
  withCode,
  withoutOriginalError,
  withoutSuggestions,
} from '../schema/errors.js';
import { COST_MODEL, costControls, productionHardening } from './limits.js';
import { chargeResponseBytes, ExpensiveGate, useExecutionLimits } from './limits-execution.js';
import { corsOptions, httpProtections } from './limits-http.js';
import { ConnectionsPerSubject } from './limits-ws.js';
import { renderGraphiQL, useGraphiQLAssets } from './graphiql.js';
import { routeLabel, type AppMetrics } from './metrics.js';
import { useMutationRateLimit } from './mutation-limit.js';
import { useNestingLimit } from './nesting-limit.js';
import { createSseTransport } from './sse-server.js';
import { useRealtimeDelivery } from './realtime-delivery.js';

export const GRAPHQL_PATH = '/graphql';

const LIVE = `# Tab 1 of the tour: press ▶ here, then run CreateAgent from a second browser tab.
subscription Live {
  events(rooms: ["agents"]) {
    id
    type
    rooms
    timestamp
    payload {
      __typename
      ... on AgentEventPayload { agent { id name status } previousAgentStatus: previousStatus action }
      ... on TaskEventPayload { task { id title status progress assignee { id name } } previousTaskStatus: previousStatus }
    }
  }
}
`;

const CREATE_AGENT = `# Tab 2 of the tour: press ▶ here (in a second browser tab) and watch the first one.
mutation CreateAgent {
  createAgent(input: { name: "scout-1", type: "crawler", capabilities: ["http"] }) { id name status }
}
`;

/**
 * Both operations of the tour in one document: GraphiQL's fallback when it has no tabs to show. A
 * tab opened with **+** starts empty (GraphiQL's own behaviour), as the README says.
 */
export const DEFAULT_QUERY = `${LIVE}\n${CREATE_AGENT}`;

/**
 * The tour's tabs, one operation each, used when the browser has no GraphiQL state yet. GraphiQL
 * keeps its tabs in localStorage, shared by every browser tab on this address: a second browser
 * tab shows the same two tabs (plus an empty one GraphiQL adds), so the README says to pick one.
 */
export const DEFAULT_TABS = [{ query: LIVE }, { query: CREATE_AGENT }];

export interface YogaDeps {
  schema: GraphQLSchema;
  colony: Colony;
  hub: RealtimeHub;
  streams: EventStreams;
  logger: Logger;
  metrics: AppMetrics;
  /** null: authentication is off. */
  verifier: TokenVerifier | null;
  clockToleranceS: number;
  limits: Limits;
  /** NODE_ENV=production: no introspection, no suggestions, no GraphiQL, errors masked. */
  production: boolean;
  /** ALLOWED_ORIGINS; null: any origin, without credentials. */
  allowedOrigins: string[] | null;
  /** Mutations per caller (see mutation-limit.ts). */
  mutationLimiter: RateLimiter;
  /** Cost points per caller (see limits-execution.ts); null: no budget. */
  costLimiter?: RateLimiter | null;
  /** Called when a limit refuses an operation (for a metric). */
  onRefused?: (limit: string) => void;
  /**
   * True once the server is closing. A subscription that arrives then (on a connection accepted just
   * before) ends at once, like the streams already open, and its client resumes on another instance.
   */
  closing?: () => boolean;
}

/** What a closing server owes a stream: a subscription arriving now ends at once; SSE is unbuffered. */
function useDrain(closing: () => boolean): Plugin {
  return {
    onSubscribe({ setResultAndStopExecution }) {
      if (closing()) setResultAndStopExecution((async function* () {})());
    },
    onResponse({ response }) {
      if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return;
      // nginx buffers proxied responses unless told otherwise; an SSE stream must pass through as
      // written, whatever the proxy's configuration (deploy/nginx.conf also turns buffering off).
      response.headers.set('x-accel-buffering', 'no');
      // Yoga says `Connection: keep-alive` on every stream. Node decides that hop-by-hop header
      // itself (close when the request asked for it, or when the server is closing); Yoga's would
      // let a proxy reuse a connection that Node is closing, and its next request would get a 400.
      response.headers.delete('connection');
    },
  };
}

/** Extra context a WebSocket operation brings in (see ws-server.ts). */
export interface ServerContext {
  connection?: Connection;
  /** How the operation's frames are framed on its connection (its id in each `next`). */
  framing?: Framing;
  session?: Session;
  /** Node's response, for an HTTP request (an SSE subscription writes into it through its body). */
  res?: ServerResponse;
}

function tooManyStreams(max: number): GraphQLError {
  return clientError(
    'RATE_LIMITED',
    `This identity already has ${max} event streams open (SSE_MAX_STREAMS_PER_SUB): close one first.`,
    { reason: 'TOO_MANY_STREAMS', limit: max },
    { http: { status: 429, headers: { 'retry-after': '1' } } },
  );
}

/** Ends an SSE stream when the token that opened it expires (a socket is closed with 4403 instead). */
function endAtExpiry(connection: Connection, identity: Identity | null, toleranceS: number): void {
  if (identity?.exp == null) return;
  const timer = setTimeout(
    () => connection.release(),
    Math.min(2 ** 31 - 1, expiresInMs(identity.exp, toleranceS)),
  );
  timer.unref();
}

/** The masking of `createErrorMasker` applied to each error of a result (an event's execution). */
export function createResultMasker(
  logger: Logger,
  production: boolean,
): (result: ExecutionResult) => ExecutionResult {
  const maskError = createErrorMasker(logger, production);
  return (result) =>
    result.errors?.length ? { ...result, errors: result.errors.map((error) => maskError(error)) } : result;
}

/** Deliberate errors pass, anything unexpected is logged and masked: on HTTP, SSE and WS alike. */
export function createErrorMasker(logger: Logger, production: boolean): (error: unknown) => GraphQLError {
  return (error) => {
    const { error: sent, unexpected } = toClientError(error);
    if (unexpected) logger.error({ err: error }, 'unexpected error in a GraphQL operation');
    // Variable coercion ("Did you mean the enum value…?") happens at execution, past validation.
    const clean = withCode(withoutOriginalError(sent));
    return production ? withoutSuggestions(clean) : clean;
  };
}

export function createYogaServer(deps: YogaDeps): YogaServerInstance<ServerContext, ColonyContext> {
  const identities = new WeakMap<Request, Identity | null>();
  // SSE streams per token subject (SSE_MAX_STREAMS_PER_SUB); without auth there is no subject.
  const streamsPerSubject = new ConnectionsPerSubject(deps.limits.sseMaxStreamsPerSub);
  const sseTransport = createSseTransport(deps.hub);
  const mask = createResultMasker(deps.logger, deps.production);
  return createYoga<ServerContext, ColonyContext>({
    // Every resolver charges the bytes it adds to its operation's RESPONSE_MAX_BYTES budget.
    schema: chargeResponseBytes(deps.schema),
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // GraphiQL's assets are served by Colony itself (no CDN, see graphiql.ts), and its subscriptions
    // use graphql-ws.
    graphiql: deps.production
      ? false
      : {
          title: 'Colony',
          subscriptionsProtocol: 'WS',
          defaultQuery: DEFAULT_QUERY,
          defaultTabs: DEFAULT_TABS,
        },
    cors: corsOptions(deps.allowedOrigins),
    renderGraphiQL,
    logging: {
      debug: (...args) => deps.logger.debug({ yoga: args }, 'yoga'),
      info: (...args) => deps.logger.info({ yoga: args }, 'yoga'),
      warn: (...args) => deps.logger.warn({ yoga: args }, 'yoga'),
      // Yoga reports every GraphQL error here; the unexpected ones are logged by maskError below.
      error: (...args) => deps.logger.debug({ yoga: args }, 'yoga'),
    },
    maskedErrors: {
      // Never a stack trace or the original error in a response, whatever NODE_ENV says.
      isDev: false,
      maskError: createErrorMasker(deps.logger, deps.production),
    },
    context: async ({ request, connection, framing, session, params, res }) => {
      if (connection) {
        // A WebSocket operation: the identity is the session's, proven at connection_init.
        const identity = session?.identity ?? null;
        return {
          colony: colonyForRequest(deps.colony, params, null, identity?.sub),
          realtime: deps.hub,
          streams: deps.streams,
          connection,
          framing: framing ?? null,
          delivery: null,
          identity,
          access: session?.access ?? readAccessFor(identity),
          session: session ?? null,
        };
      }
      const identity = identities.has(request)
        ? (identities.get(request) ?? null)
        : await authenticateRequest(deps.verifier, request);
      // An SSE subscription is a connection of its own; it counts once its stream starts.
      const sse = request.headers.get('accept')?.includes('text/event-stream');
      if (sse && identity) {
        const release = streamsPerSubject.acquire(identity.sub);
        if (!release) {
          deps.onRefused?.('sse_max_streams_per_sub');
          throw tooManyStreams(streamsPerSubject.max);
        }
        // A client that has gone already frees its place at once.
        if (res && !res.closed) res.once('close', release);
        else release();
      }
      const stream = sse ? sseTransport.open(request, res) : null;
      if (stream) endAtExpiry(stream.connection, identity, deps.clockToleranceS);
      return {
        colony: colonyForRequest(deps.colony, params, request.headers.get('idempotency-key'), identity?.sub),
        realtime: deps.hub,
        streams: deps.streams,
        connection: stream?.connection ?? null,
        framing: stream?.framing ?? null,
        delivery: null,
        identity,
        access: readAccessFor(identity),
        session: null,
      };
    },
    plugins: [
      useAuthenticationFirst(deps.verifier, identities),
      useNestingLimit(),
      ...httpProtections(deps.allowedOrigins),
      // GraphiQL's assets, only where GraphiQL is on.
      ...(deps.production ? [] : [useGraphiQLAssets()]),
      useDrain(deps.closing ?? (() => false)),
      useRealtimeDelivery(mask),
      sseTransport.plugin,
      usePrometheus({
        registry: deps.metrics.registry,
        endpoint: false,
        // No label takes a value the client chose: operation names and error paths (aliases) are
        // free text, and every distinct label value is a series kept for ever.
        labels: { operationName: false, path: false },
        // Named and labelled by Prometheus' conventions (what `promtool check metrics` checks):
        // durations in seconds with the unit in the name, counters ending in _total, snake_case labels.
        // Only these three: the plugin's others (phase timings, a summary) repeat what they say
        // under names and labels that break those conventions.
        metrics: {
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_execute: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_request: false,
          graphql_envelop_request_time_summary: false,
          graphql_envelop_deprecated_field: false,
          graphql_envelop_schema_change: false,
          graphql_envelop_execute_resolver: false,
          graphql_yoga_http_duration: createHistogram({
            registry: deps.metrics.registry,
            histogram: {
              name: 'graphql_yoga_http_duration_seconds',
              help: 'Time spent on an HTTP request, in seconds.',
              labelNames: ['operation_type', 'method', 'status_code', 'url'],
            },
            // The route, never the query string of a GET.
            fillLabelsFn: (params, { request, response }) => ({
              operation_type: params.operationType || 'unknown',
              method: request.method,
              status_code: response.status,
              url: routeLabel(request.url),
            }),
          }),
          graphql_envelop_request_duration: createHistogram({
            registry: deps.metrics.registry,
            histogram: {
              name: 'graphql_envelop_request_duration_seconds',
              help: 'Time spent on a GraphQL operation from parse to execute, in seconds.',
              labelNames: ['operation_type'],
            },
            fillLabelsFn: (params) => ({ operation_type: params.operationType || 'unknown' }),
          }),
          graphql_envelop_error_result: createCounter({
            registry: deps.metrics.registry,
            counter: {
              name: 'graphql_envelop_error_result_total',
              help: 'GraphQL results with errors, by the phase that failed.',
              labelNames: ['operation_type', 'phase'],
            },
            fillLabelsFn: (params) => ({
              operation_type: params.operationType || 'unknown',
              phase: params.errorPhase ?? 'unknown',
            }),
          }),
        },
      }),
      ...costControls(deps.limits),
      ...(deps.production ? productionHardening() : []),
      useMutationRateLimit(deps.mutationLimiter, 'MUTATION_RATE_PER_S, MUTATION_BURST'),
      useExecutionLimits({
        model: COST_MODEL,
        responseMaxBytes: deps.limits.responseMaxBytes,
        expensiveCost: deps.limits.expensiveCost,
        gate: new ExpensiveGate(deps.limits.expensiveMaxPerCaller, deps.limits.expensiveMaxTotal),
        costLimiter: deps.costLimiter ?? null,
        ...(deps.onRefused ? { onRefused: deps.onRefused } : {}),
      }),
    ],
  });
}
