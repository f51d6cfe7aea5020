/**
 * The realtime hub: one per process. It is the bus's sink (events are routed by room-index.ts to
 * groups, subscription-group.ts), the registry of client connections (connection.ts, each owning
 * what is per socket), and where a subscription is opened: rooms checked, the live side registered,
 * the replay begun, and, when the operation says how its frames are framed and grouped, handed to
 * its connection for delivery. It also keeps the figures (realtime-figures.ts).
 */
import type { Arrivals } from './turn-slice.js';
import { badInput } from '../domain/errors.js';
import type { StoredEvent } from '../domain/events/event-types.js';
import type { Engine, RealtimeSnapshot } from '../domain/ports.js';
import { Connection, type ClientSocket, type ConnectionHost } from './connection.js';
import { GroupTable } from './group-table.js';
import { Heartbeats } from './heartbeats.js';
import { LogTip } from './log-tip.js';
import type { DropListener } from './overflow.js';
import { clusterStats, emptyCounters } from './realtime-figures.js';
import type {
  ClientConnection,
  ConnectionQueueStat,
  EventStreamRequest,
  RealtimeApi,
  RealtimeStats,
} from './realtime-api.js';
import { HISTORY_PAGE, LogReplay } from './replay.js';
import { checkRooms } from './room-check.js';
import { RoomIndex, type RoutedTarget } from './room-index.js';
import { SharedReads } from './shared-reads.js';
import { Subscription, type PositionPlan, type StreamItem, type StreamOwner } from './subscription.js';

export { SLOW_CONSUMER } from './connection-queue.js';
export type { Grouping } from './group-table.js';

export interface HubLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RealtimeHubOptions {
  engine: Engine;
  instanceId: string;
  /** Bytes that may wait for one connection before it is closed as a slow consumer. */
  maxQueuedBytesPerConnection: number;
  logger: HubLogger;
  /** How often this instance reports its figures for the cluster-wide stats. */
  reportIntervalMs?: number;
  /** Called when a connection is closed as a slow consumer (for a metric). */
  onSlowConsumer?: (connection: ClientConnection) => void;
  /** `since` replays one connection may have in flight (default 2). */
  maxReplaysPerConnection?: number;
  /** Called as a subscription that drops rather than closes drops events (for a metric). */
  onDropped?: DropListener;
  /** Called as a replay starts, or is refused because the connection has too many (for a metric). */
  onReplay?: (outcome: 'started' | 'refused') => void;
  /** Connections arriving (turn-slice.ts): fan-outs and replays then take short slices. */
  arrivals?: Arrivals;
}

export class RealtimeHub implements RealtimeApi {
  private readonly index: RoomIndex<RoutedTarget>;
  private readonly groups: GroupTable;
  /** Open connections: from their opening, or (one-subscription ones) from their subscription. */
  private readonly connections = new Map<string, Connection>();
  private readonly heartbeats = new Heartbeats();
  private readonly tip: LogTip;
  /** The engine's log, its reads shared by the subscribers that ask for the same at once. */
  private readonly reads: SharedReads;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** `since` replays still reading the log. */
  replaysInFlight = 0;
  private readonly counters = emptyCounters();
  /** What every subscription tells the hub, on a connection or not. */
  private readonly owner: StreamOwner = {
    delivered: () => this.counters.messagesDelivered++,
    queued: () => undefined,
    ended: (stream) => {
      this.heartbeats.remove(stream);
      this.index.remove(stream);
      if (stream.counted) this.counters.activeSubscriptions--;
    },
    beating: (stream, heartbeatMs) => this.heartbeats.add(stream, heartbeatMs),
  };
  private readonly host: ConnectionHost;
  /** Every positioned stream's `settle` (one function, not one per stream). */
  private readonly settle: PositionPlan['settle'];

  constructor(private readonly options: RealtimeHubOptions) {
    this.index = new RoomIndex(options.engine.bus, options.logger);
    // A pass writes at most a quarter of a connection's bound to each member (see SubscriptionGroup).
    this.groups = new GroupTable(
      this.index,
      options.logger,
      options.maxQueuedBytesPerConnection / 4,
      options.arrivals ?? null,
    );
    this.reads = new SharedReads(options.engine.log);
    this.tip = new LogTip(this.reads);
    this.settle = (access) => this.tip.tip(access);
    options.engine.bus.setSink((event) => this.index.route(event));
    this.host = {
      counters: this.counters,
      groups: this.groups,
      logger: options.logger,
      maxQueuedBytes: options.maxQueuedBytesPerConnection,
      maxReplays: options.maxReplaysPerConnection ?? 2,
      counted: (connection) => {
        this.connections.set(connection.id, connection);
        this.counters.totalConnections++;
      },
      released: (connection) => {
        this.connections.delete(connection.id);
        this.counters.totalDisconnections++;
      },
      replays: (delta) => {
        if (delta === 0) this.options.onReplay?.('refused');
        else {
          this.replaysInFlight += delta;
          if (delta > 0) this.options.onReplay?.('started');
        }
      },
      joined: (stream) => this.index.remove(stream),
      owner: this.owner,
      onSlowConsumer: options.onSlowConsumer,
      dropped: (policy, reason, count) => {
        this.counters.eventsDropped += count;
        this.options.onDropped?.(policy, reason, count);
      },
    };
    const every = options.reportIntervalMs ?? 2000;
    this.timer = setInterval(() => {
      this.report(every * 3).catch(() => {
        // The engine being down is reported by /ready; the figures catch up on the next report.
      });
    }, every);
    this.timer.unref();
  }

  /** Registers a client connection; the transport releases it when the socket closes. */
  connect(socket: ClientSocket): Connection {
    return new Connection(socket, this.host);
  }

  /** Opens an `events` subscription (see RealtimeApi.open). */
  async open(request: EventStreamRequest): Promise<AsyncIterableIterator<StoredEvent>> {
    return (await this.openStream(request, null)) as AsyncIterableIterator<never>;
  }

  /**
   * Opens an `eventStream`: events and positions, one right after the live side is registered, one
   * where a `since` replay turns live, one per idle heartbeat (`heartbeatMs`; 0: none). Without
   * `since`, what was committed while the live side registered is caught up from the log, once.
   */
  async openPositioned(
    request: EventStreamRequest,
    heartbeatMs: number,
  ): Promise<AsyncIterableIterator<StreamItem>> {
    return this.openStream(request, heartbeatMs);
  }

  private async openStream(request: EventStreamRequest, heartbeatMs: number | null): Promise<Subscription> {
    if (this.closed) throw badInput('The server is shutting down; reconnect.');
    const rooms = checkRooms(request.rooms, request.access);
    const types = request.types?.length ? new Set(request.types) : null;
    const connection = request.connection;
    if (connection?.released) throw badInput('This connection is closed.');
    // Delivered by its group on the connection, or iterated by the caller (`exclusive`, no sink).
    const delivery =
      connection?.takesFrames && !request.exclusive && request.delivery ? request.delivery : null;
    // An `eventStream`'s first cursor is the newest id before its live side registers.
    let plan: PositionPlan | null = null;
    if (heartbeatMs !== null) {
      const start = await this.tip.lastIdSoon();
      plan = {
        heartbeatMs,
        start,
        startCursor: await this.tip.startCursor(request.access, start),
        settle: this.settle,
      };
    }
    const stream = new Subscription(rooms, types, request.access, connection?.owner ?? this.owner, plan);
    stream.overflow = request.overflow ?? 'DISCONNECT';
    // What waits in a subscription its connection delivers is in the connection's queue, which is
    // bounded there; only what waits in an iterated one counts here.
    if (delivery) {
      stream.budgeted = false;
      connection!.bound(stream);
    }
    await this.begin(stream, request, plan);
    if (delivery) connection!.deliver(stream, delivery);
    return stream;
  }

  /**
   * Live first (buffering), then the log: nothing published in between can fall through the seam.
   * The log is read a page at a time as the client consumes it; its first page is read here, so a
   * bad cursor (or too many replays on this connection) is refused before anything is sent.
   */
  private async begin(
    stream: Subscription,
    request: EventStreamRequest,
    plan: PositionPlan | null,
  ): Promise<void> {
    const connection = request.connection;
    if (request.since === null && !plan) return this.register(stream, connection);
    // A `since` replay holds one of the connection's slots; an `eventStream`'s catch-up does not
    // (the client did not ask for it, and it is short).
    const release = connection && request.since !== null ? connection.takeReplaySlot() : () => {};
    stream.startBuffering();
    try {
      await this.register(stream, connection);
      stream.announce(request.since);
      // Where the live side took over: an `eventStream`'s replay stops there (live events follow it).
      const upTo = plan ? await this.tip.lastIdSoon() : undefined;
      if (plan && request.since === null && upTo === plan.start) {
        stream.endBuffering(plan.start);
        return;
      }
      stream.beginReplay(
        await LogReplay.open({
          log: this.reads,
          since: request.since ?? plan?.start ?? null,
          wanted: (event) => stream.replayed(event),
          release,
          upTo,
          readable: (event) => event.rooms.some((room) => stream.access.canRead(room)),
          ...(plan ? { pageSize: HISTORY_PAGE } : {}),
        }),
      );
    } catch (error) {
      release();
      stream.end();
      throw error;
    }
  }

  /** Its connection takes it, and its rooms are watched (the live side). */
  private async register(stream: Subscription, connection: Connection | null): Promise<void> {
    connection?.adopt(stream);
    try {
      await this.index.add(stream);
    } catch (error) {
      stream.end();
      throw error;
    }
    // Counted once live, so "activeSubscriptions = n" means those n receive every event from now on.
    if (stream.ended) return;
    stream.counted = true;
    this.counters.activeSubscriptions++;
  }

  /**
   * Bytes written for this instance's connections and not yet taken by the kernel, and the most
   * any one connection holds.
   */
  queuedBytes(): { total: number; largest: number } {
    let total = 0;
    let largest = 0;
    for (const connection of this.connections.values()) {
      const bytes = connection.queuedBytes();
      total += bytes;
      largest = Math.max(largest, bytes);
    }
    return { total, largest };
  }

  countPublished(n: number): void {
    this.counters.eventsPublished += n;
  }

  /** This instance's figures. */
  snapshot(): RealtimeSnapshot {
    return { ...this.counters, activeConnections: this.connections.size, rooms: this.index.roomCounts() };
  }

  private report(ttlMs: number): Promise<void> {
    return this.options.engine.presence.report(this.options.instanceId, this.snapshot(), ttlMs);
  }

  async stats(): Promise<RealtimeStats> {
    await this.report((this.options.reportIntervalMs ?? 2000) * 3);
    return {
      ...(await clusterStats(this.options.engine.presence)),
      connectionQueues: this.connectionQueues(),
    };
  }

  /** This instance's connections and what each one's queue holds now, deepest first. */
  connectionQueues(): ConnectionQueueStat[] {
    return [...this.connections.values()]
      .map((connection) => connection.stat())
      .sort((a, b) => b.queuedBytes - a.queuedBytes);
  }

  /** Ends every subscription (SSE responses complete) and stops reporting. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.heartbeats.stop();
    for (const connection of [...this.connections.values()]) connection.release();
    for (const target of this.index.targets()) {
      if (target instanceof Subscription) target.end();
    }
    this.groups.clear();
  }
}
