/**
 * What the schema layer needs from the realtime layer: open a filtered, resumable event stream for a
 * client connection, and read the figures. Implemented by the realtime hub.
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import type { EventType, StoredEvent } from '../domain/events/event-types.js';
import type { RealtimeSnapshot } from '../domain/ports.js';
import type { StreamPosition } from './subscription.js';
import type { OverflowPolicy } from './overflow.js';
import type { Connection, OperationDelivery } from './connection.js';

/**
 * One client connection (a WebSocket, or an SSE response), as a metric or log names it. Subscriptions
 * opened on it share its queue budget: when what is queued for it passes the bound, the connection
 * is closed as slow.
 */
export interface ClientConnection {
  readonly id: string;
  /** A label (`ws`, `sse`); nothing in the realtime core branches on it. */
  readonly transport: string;
}

export interface EventStreamRequest {
  /** Rooms to receive; null or empty: every room the caller may read. */
  rooms: readonly string[] | null;
  /** Types to receive; null or empty: all. */
  types: readonly EventType[] | null;
  /** Resume after this event id: every retained event after it, then live ones, no gap, no repeat. */
  since: string | null;
  /** The client connection it runs on (connection.ts); null: its caller iterates it, unbounded. */
  connection: Connection | null;
  /**
   * How the connection delivers it (the operation's framing and group): absent, or on a connection
   * without a sink, its caller iterates it.
   */
  delivery?: OperationDelivery | null;
  /** What the caller may read: nothing outside it is registered, replayed or delivered. */
  access: ReadAccess;
  /** What the subscription loses when its client falls behind (overflow.ts); default DISCONNECT. */
  overflow?: OverflowPolicy;
  /**
   * The caller iterates the stream itself even where its connection could deliver it. Default false.
   */
  exclusive?: boolean;
}

export interface RoomStat {
  room: string;
  subscribers: number;
}

/** The cluster's figures: every instance's counters (declared once, in RealtimeSnapshot) summed. */
export type RealtimeStats = Omit<RealtimeSnapshot, 'rooms' | 'eventsDropped'> & {
  rooms: RoomStat[];
  /** Events dropped for subscriptions whose overflow policy drops rather than disconnects. */
  eventsDropped: number;
  /** This instance's connections and what each one's queue holds now (absent: none reported). */
  connectionQueues?: ConnectionQueueStat[];
};

/** What one connection's queue holds now: written and not yet sent, and held in its lanes. */
export interface ConnectionQueueStat {
  id: string;
  transport: string;
  subscriptions: number;
  /** Bytes waiting for it: in the socket's buffer and in its lanes. */
  queuedBytes: number;
  /** Frames held in its lanes (subscriptions that drop rather than close). */
  heldFrames: number;
}

export interface RealtimeApi {
  /**
   * Opens a stream. Rejects with a DomainError (bad room name, malformed or expired `since`) before
   * anything is sent; the returned iterator ends when the client unsubscribes or the hub closes.
   */
  open(request: EventStreamRequest): Promise<AsyncIterableIterator<StoredEvent>>;
  /**
   * Opens a stream of events and `StreamPosition`s (`eventStream`), delivered like any other; a
   * position every `heartbeatMs` while idle (0: never).
   */
  openPositioned(
    request: EventStreamRequest,
    heartbeatMs: number,
  ): Promise<AsyncIterableIterator<StoredEvent | StreamPosition>>;
  /** The figures of every instance together. */
  stats(): Promise<RealtimeStats>;
}
