/**
 * SSE subscriptions delivered by the hub, as graphql-ws ones are (ws-server.ts). Yoga still runs
 * the request (CORS, CSRF, authentication, parse, validate, cost limits, authorisation, subscribe)
 * and answers everything that is not a hub stream with its own SSE writer. A hub stream instead
 * joins its group: each event is executed and serialized once per group, and the group writes the
 * shared bytes, framed as `event: next\ndata: ` + payload + `\n\n`, into this response's body, which
 * Node pipes to the socket. No iterator step, promise or JSON.stringify per subscriber and event.
 *
 * The wire format is Yoga's own (graphql-sse's "distinct connections" mode): a `:` comment at once
 * and every 12 s while idle, `next` events, and `event: complete` when the stream ends. A stream the
 * hub ends in an error (a replay that failed) sends that error as a `next` before `complete`; so does
 * one whose client reads too slowly (`SLOW_CONSUMER`, where a WebSocket is closed with 4008): it
 * resumes with `since`.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Connection } from '../realtime/connection.js';
import type { FrameSink } from '../realtime/connection-queue.js';
import type { RealtimeHub } from '../realtime/realtime-hub.js';
import type { Framing } from '../realtime/subscription-group.js';
import type { ColonyContext } from '../schema/context.js';
import { deliveredSubscription } from './realtime-delivery.js';
import { slowConsumer } from '../domain/errors.js';
import { toClientError } from '../schema/errors.js';

/** How often an idle stream sends a comment, so that proxies and browsers keep it open (Yoga's). */
export const SSE_PING_MS = 12_000;

const FRAMING: Framing = { prefix: Buffer.from('event: next\ndata: '), suffix: Buffer.from('\n\n') };
const PING = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');
/**
 * How long a slow reader's response may take to be read to its end (its error and `complete` wait
 * behind what it has not read) before it is cut off: as long as `ws` waits for a closing handshake.
 */
export const SLOW_CLOSE_TIMEOUT_MS = 30_000;

const HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  // As Yoga says it: no compression layer may hold events back to fill a block.
  'Content-Encoding': 'none',
} as const;

/**
 * One SSE response's body: a Node stream that the groups write frames into and Node pipes to the
 * response (whatwg-node sends a Readable body with `pipe`). What waits in it, and in the response's
 * own buffer, is what the hub's byte bound counts.
 */
export class SseChannel {
  readonly body = new Readable({ read: () => undefined });
  private res: ServerResponse | null;
  private lastWrite = Date.now();
  private done = false;
  /** While it is a hub stream's response: a comment when idle (see `ping`). */
  private pinger: NodeJS.Timeout | null = null;

  constructor(res: ServerResponse | undefined) {
    this.res = res ?? null;
    // First a comment: some browsers do not surface a response until its first bytes arrive.
    this.push(PING);
  }

  readonly sink: FrameSink = {
    write: (frame) => this.push(frame),
    bufferedBytes: () => this.bufferedBytes(),
    onDrain: (callback) => {
      const check = () => {
        if (this.done || this.bufferedBytes() === 0) callback();
        else if (this.res?.writableNeedDrain) this.res.once('drain', check);
        else setTimeout(check, 5);
      };
      setImmediate(check);
    },
  };

  private bufferedBytes(): number {
    return this.body.readableLength + (this.res?.writableLength ?? 0);
  }

  private push(frame: Buffer): void {
    if (this.done) return;
    this.lastWrite = Date.now();
    this.body.push(frame);
  }

  /** A comment, when nothing was written for a ping interval and nothing waits. */
  ping(now: number): void {
    if (now - this.lastWrite >= SSE_PING_MS && this.bufferedBytes() === 0) this.push(PING);
  }

  /** Ends the stream as the protocol says: an error first if there is one, then `complete`. */
  complete(error?: unknown): void {
    if (error !== undefined) {
      const result: ExecutionResult = { errors: [toClientError(error).error] };
      this.push(Buffer.concat([FRAMING.prefix, Buffer.from(JSON.stringify(result)), FRAMING.suffix]));
    }
    this.push(COMPLETE);
    this.finish();
    this.body.push(null);
  }

  /**
   * Ends the stream of a client that reads too slowly: `SLOW_CONSUMER`, then `complete`, after what
   * it has not read yet; cut off if it has not read them within SLOW_CLOSE_TIMEOUT_MS.
   */
  closeSlow(): void {
    if (this.done) return;
    this.complete(slowConsumer());
    const res = this.res;
    if (!res) return;
    const timer = setTimeout(() => res.destroy(), SLOW_CLOSE_TIMEOUT_MS);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }

  /** Nothing more is written: the stream ended, or the response closed. */
  finish(): void {
    this.done = true;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  /** The response for a stream that its group now delivers; it ends when the stream ends. */
  respond(stream: AsyncIterator<unknown>, fetchAPI: { Response: typeof Response }): Response {
    if (!this.done && !this.pinger) {
      this.pinger = setInterval(() => this.ping(Date.now()), Math.min(SSE_PING_MS, 1_000));
      this.pinger.unref();
    }
    // Iterating a grouped stream only waits for its end (or the error it ends in).
    stream.next().then(
      () => this.complete(),
      (error: unknown) => this.complete(error),
    );
    // The client went away (whatwg-node destroys the body when the response closes).
    this.body.once('close', () => {
      this.finish();
      void stream.return?.();
    });
    return new fetchAPI.Response(this.body as unknown as BodyInit, { status: 200, headers: HEADERS });
  }
}

/** What an SSE request brings into its context: its connection, and how its frames are framed. */
export interface SseRequest {
  connection: Connection;
  framing: Framing;
}

/**
 * SSE for one app: `open` makes an SSE request's connection, writing into a channel of its own;
 * `plugin` answers a subscription its connection delivers with that channel's body. The channels are
 * keyed by request, in this app alone.
 */
export function createSseTransport(hub: RealtimeHub): {
  open(request: Request, res: ServerResponse | undefined): SseRequest;
  plugin: Plugin;
} {
  const channels = new WeakMap<Request, SseChannel>();
  /** This app's SSE requests whose subscription a group delivers, and that subscription. */
  const delivered = new WeakMap<Request, AsyncIterableIterator<unknown>>();
  return {
    open(request, res) {
      const channel = new SseChannel(res);
      const connection = hub.connect({
        transport: 'sse',
        sink: channel.sink,
        close: () => channel.closeSlow(),
        oneSubscription: true,
      });
      channels.set(request, channel);
      // Whatever ends the response (the client, a proxy, the server) ends its subscriptions.
      res?.once('close', () => {
        channel.finish();
        connection.release();
      });
      return { connection, framing: FRAMING };
    },
    plugin: {
      onSubscribe() {
        return {
          onSubscribeResult({ args, result }) {
            const context = args.contextValue as unknown as ColonyContext & { request?: Request };
            if (!context.request || !channels.has(context.request) || !isAsyncIterable(result)) return;
            const subscription = deliveredSubscription(context);
            if (subscription) delivered.set(context.request, subscription);
          },
        };
      },
      onResultProcess({ request, result, setResultProcessor }) {
        const channel = channels.get(request);
        const subscription = delivered.get(request);
        // Its group writes its events into the channel; the subscription yields nothing and ends
        // when the hub ends it.
        if (!channel || !subscription || !isAsyncIterable(result)) return;
        setResultProcessor(
          (_result, fetchAPI) => channel.respond(subscription, fetchAPI),
          'text/event-stream',
        );
      },
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
