/**
 * graphql-ws on `ws`, through the same Yoga pipeline as HTTP (Yoga's documented recipe), with two
 * changes: a syntax error is answered as an `error` message for that one operation instead of
 * closing the socket (the recipe lets `parse` throw, which graphql-ws turns into close 4500), and
 * the payload size and Origin are checked before anything is parsed.
 */
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { HubConnection, RealtimeHub } from '../realtime/realtime-hub.js';
import type { ColonyContext } from '../schema/context.js';
import { AuthError, connectionParamsToken, type TokenVerifier } from '../auth/token-verifier.js';
import type { Limits } from '../config.js';
import { SubscribeGuard } from './limits-ws.js';
import type { ServerContext } from './yoga.js';
import { TOKEN_CLOSE_CODE, WsSession } from './ws-session.js';
import { GRAPHQL_PATH } from './yoga.js';
import type { YogaServerInstance } from 'graphql-yoga';

export interface WsServerOptions {
  server: Server;
  yoga: YogaServerInstance<ServerContext, ColonyContext>;
  hub: RealtimeHub;
  logger: Logger;
  maxPayloadBytes: number;
  /** When set, upgrades from any other Origin are refused (browsers always send one). */
  allowedOrigins: string[] | null;
  /** null: authentication is off. */
  verifier: TokenVerifier | null;
  clockToleranceS: number;
  /** WS_MAX_SUBSCRIPTIONS and the subscribe rate (limits-ws.ts). */
  limits: Pick<Limits, 'wsMaxSubscriptions' | 'wsSubscribeRatePerS' | 'wsSubscribeBurst'>;
  /** Called when a limit refuses a subscribe message (for a metric). */
  onRefused?: (limit: string) => void;
}

export interface WsServer {
  /** Closes every socket with 1001 (Going Away) and stops accepting. */
  dispose(): Promise<void>;
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function createWsServer(options: WsServerOptions): WsServer {
  const wss = new WebSocketServer({
    server: options.server,
    path: GRAPHQL_PATH,
    maxPayload: options.maxPayloadBytes,
    verifyClient: options.allowedOrigins
      ? ({ origin }: { origin: string }) => Boolean(origin) && (options.allowedOrigins ?? []).includes(origin)
      : undefined,
  });
  const connections = new WeakMap<WebSocket, HubConnection>();
  const sessions = new WeakMap<WebSocket, WsSession>();
  const guards = new WeakMap<WebSocket, SubscribeGuard>();

  const disposable = useServer<Record<string, unknown>, { connection?: HubConnection }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      // The token in connection_init: without a valid one the socket is closed with 4403.
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const connection = connections.get(socket);
        if (!connection) return false;
        try {
          const session = await WsSession.open(
            {
              verifier: options.verifier,
              clockToleranceS: options.clockToleranceS,
              reauthorize: (access) => options.hub.reauthorize(connection, access),
              close: (code, reason) => socket.close(code, reason),
            },
            connectionParamsToken(ctx.connectionParams),
          );
          sessions.set(socket, session);
          socket.once('close', () => session.dispose());
          return true;
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          options.logger.info({ connection: connection.id, reason: error.message }, 'websocket refused');
          socket.close(TOKEN_CLOSE_CODE, `Forbidden: ${error.message}`.slice(0, 120));
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        // Before any work: graphql-ws has already registered this id in ctx.subscriptions.
        const admission = guards.get(ctx.extra.socket)?.admit(Object.keys(ctx.subscriptions).length);
        if (admission && !admission.ok) {
          options.onRefused?.(admission.limit);
          if ('close' in admission) {
            // After the refusals already on their way (each is sent a few microtasks from now).
            const { socket } = ctx.extra;
            setImmediate(() => socket.close(admission.close.code, admission.close.reason));
          }
          return admission.errors;
        }
        const connection = connections.get(ctx.extra.socket);
        const session = sessions.get(ctx.extra.socket);
        const { schema, execute, subscribe, contextFactory, parse, validate } = options.yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request as IncomingMessage,
          socket: ctx.extra.socket,
          params: payload,
          connection,
          session,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')];
        }
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
  );

  // Registered after useServer so that it runs after graphql-ws's own listener, whose socket error
  // handler it replaces: that one prints to console.error ("check your implementation") outside the
  // log and asks for a 1011 close. A socket's error is a client's protocol fault (oversized or
  // malformed frame) or a failed write, and `ws` is already closing it with the fitting code (1009,
  // 1002, 1007...), so one log line at info is all that is left to do.
  wss.on('connection', (socket: WebSocket) => {
    const connection = options.hub.connect('ws', (code, reason) => socket.close(code, reason));
    connections.set(socket, connection);
    guards.set(
      socket,
      new SubscribeGuard({
        maxOperations: options.limits.wsMaxSubscriptions,
        ratePerS: options.limits.wsSubscribeRatePerS,
        burst: options.limits.wsSubscribeBurst,
      }),
    );
    socket.once('close', () => connection.release());
    for (const listener of socket.listeners('error')) {
      socket.off('error', listener as (error: Error) => void);
    }
    socket.on('error', (error: Error & { code?: string }) =>
      options.logger.info(
        { connection: connection.id, code: error.code, err: error },
        'websocket protocol error',
      ),
    );
  });

  return {
    async dispose() {
      // graphql-ws closes every socket with 1001 "Going away" and closes the server.
      await disposable.dispose();
    },
  };
}
