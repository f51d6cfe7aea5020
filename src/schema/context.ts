import type { Identity } from '../domain/access/identity.js';
import type { ReadAccess } from '../domain/access/read-access.js';
import type { Colony } from '../domain/api.js';
import type { ClientConnection, RealtimeApi } from '../realtime/realtime-api.js';
import type { EventStreams } from '../realtime/stream-position.js';

/** What every resolver receives, on HTTP, SSE and WebSocket alike. */
export interface ColonyContext {
  colony: Colony;
  realtime: RealtimeApi;
  /** Streams with positions (`eventStream`) and the retained history (`eventLog`). */
  streams: EventStreams;
  /** The client connection a subscription runs on (null for plain HTTP requests). */
  connection: ClientConnection | null;
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
