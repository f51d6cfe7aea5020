import type { Identity } from '../domain/access/identity.js';
import type { ReadAccess } from '../domain/access/read-access.js';
import type { Colony } from '../domain/api.js';
import { IDEMPOTENCY_KEY, requestHash } from '../domain/transaction.js';
import type { Connection, OperationDelivery } from '../realtime/connection.js';
import type { RealtimeApi } from '../realtime/realtime-api.js';
import type { Framing } from '../realtime/subscription-group.js';
import type { EventStreams } from '../realtime/event-streams.js';
import { clientError } from './errors.js';

/** What every resolver receives, on HTTP, SSE and WebSocket alike. */
export interface ColonyContext {
  colony: Colony;
  realtime: RealtimeApi;
  /** Streams with positions (`eventStream`) and the retained history (`eventLog`). */
  streams: EventStreams;
  /** The client connection a subscription runs on: a WebSocket, an SSE response; null on plain HTTP. */
  connection: Connection | null;
  /** How this operation's frames are framed on its connection (null on plain HTTP). */
  framing: Framing | null;
  /**
   * How its connection delivers this operation's subscription: its framing and its group (set as it
   * subscribes, transport/realtime-delivery.ts); null otherwise.
   */
  delivery: OperationDelivery | null;
  /** The verified caller; null when auth is off. */
  identity: Identity | null;
  /** The rooms the caller may read. */
  access: ReadAccess;
  /** The WebSocket connection's session, which `renewSession` renews; null on HTTP and SSE. */
  session: Session | null;
}

/** A WebSocket connection's identity, from `connection_init` until the socket closes. */
export interface Session {
  readonly identity: Identity | null;
  readonly access: ReadAccess;
  /**
   * Replaces the identity with the one `token` proves (same `sub`), and its expiry. Open
   * subscriptions go on under the new rights; one whose rooms they no longer grant ends FORBIDDEN.
   */
  renew(token: string): Promise<Identity>;
}

/** The parts of a GraphQL request an idempotency key is bound to. */
export interface KeyedRequest {
  query?: string | undefined;
  operationName?: string | null | undefined;
  variables?: unknown;
  extensions?: Record<string, unknown> | undefined;
}

/**
 * The colony a request's resolvers use: when the request carries an idempotency key (the
 * `Idempotency-Key` header, or `extensions.idempotencyKey` in the body, which also works over
 * WebSocket), its changes are stored with the key. `scope` keeps callers' keys apart: the verified
 * caller's `sub`, or `anonymous` while auth is off.
 */
export function colonyForRequest(
  colony: Colony,
  params: KeyedRequest | undefined,
  header: string | null | undefined,
  scope: string = 'anonymous',
): Colony {
  const fromBody = params?.extensions?.idempotencyKey;
  const key = header ?? fromBody;
  if (key === undefined || key === null) return colony;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw clientError(
      'BAD_USER_INPUT',
      'An idempotency key is 1–255 visible ASCII characters (a UUID fits).',
      {
        reason: 'IDEMPOTENCY_KEY_MALFORMED',
      },
    );
  }
  return colony.withIdempotency({
    key,
    scope,
    requestHash: requestHash(params?.query ?? '', params?.operationName, params?.variables),
  });
}
