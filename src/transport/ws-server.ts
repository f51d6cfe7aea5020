/**
 * graphql-ws on `ws`, through the same Yoga pipeline as HTTP (Yoga's documented recipe), with three
 * changes: a syntax error is answered as an `error` message for that one operation instead of
 * closing the socket (the recipe lets `parse` throw, which graphql-ws turns into close 4500); the
 * payload size and Origin are checked before anything is parsed; and a subscription is delivered by
 * its connection in the realtime core. Each socket is a core connection (its seam: write, buffered
 * bytes, on-drain, close); each operation's context carries it and the operation's `next` framing
 * (realtime-delivery.ts), so the subscription the resolver opens is delivered by its group from the
 * start, executed and encoded once per group of identical subscriptions and written straight to the
 * socket. graphql-ws still runs the protocol (init, ping, subscribe, complete, errors, close codes)
 * and iterates what subscribe returns, which only ends.
 */
import type { IncomingMessage, Server } from 'node:http';
import { Socket as NetSocket, type Socket } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type WebSocket as ProtocolSocket } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { ClientSocket, Connection } from '../realtime/connection.js';
import type { ReadAccess } from '../domain/access/read-access.js';
import type { FrameSink } from '../realtime/connection-queue.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';
import type { Framing } from '../realtime/subscription-group.js';
import type { ColonyContext } from '../schema/context.js';
import { clientError, withClientErrors } from '../schema/errors.js';
import { AuthError, connectionParamsToken, type TokenVerifier } from '../auth/token-verifier.js';
import type { Limits } from '../config.js';
import { ConnectionsPerSubject, SubscribeGuard, TOO_MANY_CONNECTIONS } from './limits-ws.js';
import { isRenewalDocument } from './limits-renewal.js';
import { InboundTurns } from './inbound-turns.js';
import type { Arrivals } from '../realtime/turn-slice.js';
import { WriteBatch } from './write-batch.js';
import { readConfirmer } from './ws-read-ack.js';
import { deliveredSubscription } from './realtime-delivery.js';
import type { AgentPresence } from './agent-presence.js';
import type { ServerContext } from './yoga.js';
import { TOKEN_CLOSE_CODE, WsSession } from './ws-session.js';
import { GRAPHQL_PATH } from './yoga.js';
import type { YogaServerInstance } from 'graphql-yoga';

export interface WsServerOptions {
  server: Server;
  /** Connections arriving: client messages are then handled in short slices (turn-slice.ts). */
  arrivals?: Arrivals;
  yoga: YogaServerInstance<ServerContext, ColonyContext>;
  hub: RealtimeHub;
  logger: Logger;
  maxPayloadBytes: number;
  /** When set, upgrades from any other Origin are refused (browsers always send one). */
  allowedOrigins: string[] | null;
  /** null: authentication is off. */
  verifier: TokenVerifier | null;
  clockToleranceS: number;
  /** NODE_ENV=production: errors of each event's execution lose their suggestions, as on HTTP. */
  production?: boolean;
  /** WS_MAX_SUBSCRIPTIONS and the subscribe rate (limits-ws.ts). */
  limits: Pick<
    Limits,
    'wsMaxSubscriptions' | 'wsSubscribeRatePerS' | 'wsSubscribeBurst' | 'wsMaxConnectionsPerSub'
  >;
  /** Called when a limit refuses a subscribe message (for a metric). */
  onRefused?: (limit: string) => void;
  /** Agent presence: a connection_init naming an agent holds its lease (agent-presence.ts). */
  presence?: AgentPresence;
}

export interface WsServer {
  /** Closes every socket with 1001 (Going Away) and stops accepting. */
  dispose(): Promise<void>;
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  /** The operation's id, for its frames. */
  id: string;
}

const SUFFIX = Buffer.from('}');
const TEXT = { binary: false } as const;
const NOTHING = Buffer.alloc(0);

/** A graphql-ws `next` message is this prefix, the shared payload bytes, and `}`. */
function nextFraming(id: string): Framing {
  return { prefix: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`), suffix: SUFFIX };
}

/**
 * One socket as the realtime core sees it: the connection's socket (`ClientSocket`), its frame sink,
 * and what its session acts on. One object with methods on its prototype rather than closures per
 * socket: with ten thousand idle sockets, each closure of each socket is memory held for nothing.
 *
 * As a sink: `ws` writes at once and buffers what the kernel refuses; the frames of one turn of the
 * event loop leave together (write-batch.ts). `raw` is the TCP socket the upgrade request came on,
 * which `ws` goes on writing to.
 */
class WsClient implements ClientSocket, FrameSink, ProtocolSocket {
  /** Set once the hub has registered the socket (right after this is made). */
  connection!: Connection;
  /** graphql-ws's handler of this socket's messages, and what it does as the socket closes. */
  private handler: ((data: string) => Promise<void>) | null = null;
  onClosed: ((code: number, reason: string) => Promise<void>) | null = null;
  /** A keep-alive ping went out and its pong has not come back yet. */
  awaitingPong = false;
  guard!: SubscribeGuard;
  /** Proven at connection_init. */
  session: WsSession | null = null;
  /** Gives back the socket's place among its subject's (WS_MAX_CONNECTIONS_PER_SUB). */
  releaseSubject: (() => void) | null = null;
  /** Made on the first read confirmation (only subscriptions that drop rather than close ask). */
  private confirmer: ((callback: () => void) => void) | null = null;

  constructor(
    readonly socket: WebSocket,
    /** The TCP socket the upgrade came on (its peer address is what a mutation limit counts). */
    readonly raw: Socket | null,
    private readonly batch: WriteBatch,
    private readonly server: SharedState,
    /** Which of the keep-alive round's slices pings it (every KEEP_ALIVE_MS). */
    readonly keepAliveSlice: number,
  ) {}

  // graphql-ws's socket: its protocol, its messages in, its messages out.

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.handler = handler;
  }

  /** Its messages waiting for a later turn (inbound-turns.ts). */
  waiting: unknown[] | null = null;

  received(data: RawData): void {
    this.server.inbound.take(this, data);
  }

  handle(data: unknown): void {
    this.handler?.(String(data as RawData)).catch((error: unknown) => {
      // A fault of ours, not the client's (graphql-ws handles every malformed message itself).
      const message = error instanceof Error ? error.message : String(error);
      this.server.logger.error({ connection: this.connection.id, err: error }, 'websocket message failed');
      this.socket.close(
        CloseCode.InternalServerError,
        this.server.production ? 'Internal server error' : closeReason(message, 'Internal server error'),
      );
    });
  }

  /** The keep-alive round: a socket whose last ping is unanswered is cut off, the others pinged. */
  keepAlive(): void {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (this.awaitingPong) return socket.terminate();
    this.awaitingPong = true;
    socket.ping();
  }

  get transport(): string {
    return 'ws';
  }

  get sink(): FrameSink {
    return this;
  }

  write(frame: Buffer): void {
    if (this.raw) this.batch.hold(this.raw);
    this.socket.send(frame, TEXT);
  }

  bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  confirmRead(callback: () => void): void {
    (this.confirmer ??= readConfirmer(this.socket))(callback);
  }

  holding(): boolean {
    return (this.raw?.writableCorked ?? 0) > 0;
  }

  release(): void {
    if (this.raw) this.batch.release(this.raw);
  }

  onDrain(callback: () => void): void {
    const { socket, raw } = this;
    // 'drain' only follows a write that filled the stream's buffer; below that, an empty write's
    // callback says when everything written before it has gone (no timer polling the socket: in a
    // reconnect storm thousands of replays wait for their sockets at once).
    const check = () => {
      if (!raw?.writable || socket.bufferedAmount === 0 || socket.readyState !== socket.OPEN) callback();
      else if (raw.writableNeedDrain) raw.once('drain', check);
      else raw.write(NOTHING, check);
    };
    setImmediate(check);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  get logger(): Logger {
    return this.server.logger;
  }

  /** New read rights from a renewed token (ws-session.ts). */
  reauthorize(access: ReadAccess): void {
    this.connection.reauthorize(access);
  }

  /** The socket closed: its subscriptions end, its token expiry and its place are given up. */
  closed(code: number, reason: Buffer): void {
    this.handler = null;
    this.waiting = null;
    void this.onClosed?.(code, String(reason));
    this.connection.release();
    this.session?.dispose();
    this.releaseSubject?.();
    this.releaseSubject = null;
  }
}

/** What every socket of a server shares. */
interface SharedState {
  logger: Logger;
  production: boolean;
  /** Client messages handled a slice per turn of the event loop. */
  inbound: InboundTurns;
}

/** graphql-ws's keep-alive: every socket is pinged this often, and cut off if it has not answered by the next. */
const KEEP_ALIVE_MS = 12_000;
/**
 * The keep-alive pings go out in this many slices over the period, a slice of the sockets at a time:
 * ten thousand pings in one turn would hold the event loop (and every fan-out) for tens of ms.
 */
const KEEP_ALIVE_SLICES = 12;

/** A close reason fits in a control frame (123 bytes). */
function closeReason(reason: string, whenTooLong: string): string {
  return Buffer.byteLength(reason) > 123 ? whenTooLong : reason;
}

/**
 * The socket's own listeners, one function each for every socket (`this` is the socket): a closure
 * per socket and event would be memory held by every idle connection.
 */
const clientOf = new WeakMap<WebSocket, WsClient>();

function onSocketMessage(this: WebSocket, data: RawData): void {
  clientOf.get(this)?.received(data);
}

function onSocketPong(this: WebSocket): void {
  const client = clientOf.get(this);
  if (client) client.awaitingPong = false;
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  clientOf.get(this)?.closed(code, reason);
}

/**
 * A socket's error is a client's protocol fault (oversized or malformed frame) or a failed write,
 * and `ws` is already closing it with the fitting code (1009, 1002, 1007...): one log line at info
 * is all that is left to do (graphql-ws's own adapter prints to console.error and asks for a 1011).
 */
function onSocketError(this: WebSocket, error: Error & { code?: string }): void {
  const client = clientOf.get(this);
  client?.logger.info(
    { connection: client.connection.id, code: error.code, err: error },
    'websocket protocol error',
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function createWsServer(options: WsServerOptions): WsServer {
  const wss = new WebSocketServer({
    server: options.server,
    path: GRAPHQL_PATH,
    maxPayload: options.maxPayloadBytes,
    verifyClient: options.allowedOrigins
      ? ({ origin }: { origin: string }) => Boolean(origin) && (options.allowedOrigins ?? []).includes(origin)
      : undefined,
    handleProtocols,
  });
  const shared: SharedState = {
    logger: options.logger,
    production: options.production ?? false,
    inbound: new InboundTurns(options.arrivals ?? null),
  };
  const sessionOptions = { verifier: options.verifier, clockToleranceS: options.clockToleranceS };
  const guardLimits = {
    maxOperations: options.limits.wsMaxSubscriptions,
    ratePerS: options.limits.wsSubscribeRatePerS,
    burst: options.limits.wsSubscribeBurst,
  };
  // This server's sockets flush at the end of each turn (write-batch.ts).
  const batch = new WriteBatch();
  // Sockets per token subject (WS_MAX_CONNECTIONS_PER_SUB); without auth there is no subject.
  const perSubject = new ConnectionsPerSubject(options.limits.wsMaxConnectionsPerSub);

  // graphql-ws's protocol core on `ws`, through an adapter of our own (graphql-ws/use/ws is the
  // model): the same protocol, with per-server keep-alive and listeners instead of per-socket ones,
  // and the upgrade request not kept for the socket's lifetime.
  const protocol = makeServer<Record<string, unknown>, WsClient>({
    execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
    subscribe: async (args) => {
      const result = await (args.rootValue as EnvelopedRoot).subscribe(args);
      if (!isAsyncIterable(result)) return result as never;
      const delivered = deliveredSubscription(args.contextValue as ColonyContext);
      if (delivered) {
        // graphql-ws holds these arguments for as long as the subscription lasts and reads them no
        // more (there is no onNext hook): the context and the pipeline's functions are let go.
        args.contextValue = undefined;
        args.rootValue = undefined;
      }
      // A subscription the hub ends in an error (rights withdrawn) reaches the client with its code.
      return withClientErrors(delivered ?? result) as never;
    },
    // The token in connection_init: without a valid one the socket is closed with 4403.
    onConnect: async (ctx) => {
      const client = ctx.extra;
      const { socket, connection } = client;
      try {
        const session = await WsSession.open(
          sessionOptions,
          client,
          connectionParamsToken(ctx.connectionParams),
        );
        // A client that left while its token was being verified has closed already.
        if (socket.readyState === socket.CLOSED) session.dispose();
        else client.session = session;
        const sub = session.identity?.sub;
        if (sub) {
          const release = perSubject.acquire(sub);
          if (!release) {
            options.onRefused?.('ws_max_connections_per_sub');
            socket.close(TOO_MANY_CONNECTIONS.code, TOO_MANY_CONNECTIONS.reason);
            return false;
          }
          if (socket.readyState === socket.CLOSED) release();
          else client.releaseSubject = release;
        }
        // Agent presence (docs/liveness.md): a connection_init naming an agent holds its lease.
        const refusal = await options.presence?.open(
          socket,
          ctx.connectionParams,
          session.identity,
          connection.id,
        );
        if (refusal) {
          socket.close(refusal.code, refusal.reason);
          return false;
        }
        return true;
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        options.logger.info({ connection: connection.id, reason: error.message }, 'websocket refused');
        socket.close(TOKEN_CLOSE_CODE, `Forbidden: ${error.message}`.slice(0, 120));
        return false;
      }
    },
    onSubscribe: async (ctx, id, payload) => {
      // Before any work: graphql-ws has already registered this id in ctx.subscriptions.
      const client = ctx.extra;
      const admission = client.guard.admit(
        Object.keys(ctx.subscriptions).length,
        isRenewalDocument(payload.query, payload.operationName),
      );
      if (!admission.ok) {
        options.onRefused?.(admission.limit);
        if ('close' in admission) {
          // After the refusals already on their way (each is sent a few microtasks from now).
          const { socket } = ctx.extra;
          setImmediate(() => socket.close(admission.close.code, admission.close.reason));
        }
        return admission.errors;
      }
      const { schema, execute, subscribe, contextFactory, parse, validate } = options.yoga.getEnveloped({
        ...ctx,
        // What a mutation limit reads (the peer address); not the upgrade request, which would be
        // held with every subscription's context.
        req: { socket: client.raw },
        socket: client.socket,
        params: payload,
        connection: client.connection,
        framing: nextFraming(id),
        session: client.session ?? undefined,
      });
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [
          error instanceof GraphQLError
            ? error
            : clientError('BAD_USER_INPUT', 'The query could not be parsed.'),
        ];
      }
      const args: ExecutionArgs = {
        schema,
        operationName: payload.operationName ?? null,
        document,
        variableValues: payload.variables ?? null,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe, id } satisfies EnvelopedRoot,
      };
      const errors = validate(args.schema, args.document);
      if (errors.length) return errors;
      return args;
    },
  });

  // Sockets opened so far: each takes the next slice of the keep-alive round.
  let opened = 0;
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const raw = request.socket instanceof NetSocket ? request.socket : null;
    const client = new WsClient(socket, raw, batch, shared, opened++ % KEEP_ALIVE_SLICES);
    client.connection = options.hub.connect(client);
    client.guard = new SubscribeGuard(guardLimits);
    clientOf.set(socket, client);
    socket.on('error', onSocketError);
    socket.on('pong', onSocketPong);
    socket.once('close', onSocketClose);
    client.onClosed = protocol.opened(client, client);
    socket.on('message', onSocketMessage);
  });
  // One timer for every socket's keep-alive (graphql-ws's adapter runs one per socket): each socket
  // is pinged once per KEEP_ALIVE_MS, in its slice of the round.
  let slice = 0;
  const keepAlive = setInterval(() => {
    slice = (slice + 1) % KEEP_ALIVE_SLICES;
    for (const socket of wss.clients) {
      const client = clientOf.get(socket);
      if (client?.keepAliveSlice === slice) client.keepAlive();
    }
  }, KEEP_ALIVE_MS / KEEP_ALIVE_SLICES);
  keepAlive.unref();
  // The HTTP server's errors reach the WebSocket server too: logged, and its clients told.
  wss.on('error', (error) => {
    options.logger.error({ err: error }, 'websocket server error');
    for (const socket of wss.clients) socket.close(CloseCode.InternalServerError, 'Internal server error');
  });

  return {
    async dispose() {
      clearInterval(keepAlive);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
