/**
 * The realtime hub: one bus sink per process; it wires the room/type index (room-index.ts), the
 * groups that execute and encode once (subscription-group.ts), the per-connection queues
 * (connection-queue.ts), the `since` replay (replay.ts) and the figures (realtime-figures.ts).
 *
 * Per event: the index names the targets that want it; a group executes the subscription once and
 * appends the same bytes, framed per operation, to each member's connection queue. Nothing else
 * happens per subscriber.
 */
import { randomUUID } from 'node:crypto';
import { READ_ALL, type ReadAccess } from '../domain/access/read-access.js';
import { badInput } from '../domain/errors.js';
import { compareEventIds, type StoredEvent } from '../domain/events/event-types.js';
import type { Engine, EventLog, RealtimeSnapshot } from '../domain/ports.js';
import { ConnectionQueue, SLOW_CONSUMER, type FrameSink } from './connection-queue.js';
import {
  Subscription,
  isStreamPosition,
  type PositionPlan,
  type PositionWriter,
  type QueuedItem,
  type StreamItem,
  type StreamOwner,
} from './subscription.js';
import { clusterStats, emptyCounters } from './realtime-figures.js';
import { isEventsDropped, Lane, type DropListener } from './overflow.js';
import type {
  ClientConnection,
  EventStreamRequest,
  RealtimeApi,
  RealtimeStats,
  ConnectionKind,
  ConnectionQueueStat,
} from './realtime-api.js';
import { LogReplay, ReplaySlots, STREAM_REPLAY_PAGE } from './replay.js';
import { checkRooms, roomsDenied } from './room-check.js';
import { RoomIndex, type RoutedTarget } from './room-index.js';
import {
  SubscriptionGroup,
  TurnBudget,
  type EventEncoder,
  type Framing,
  type Member,
} from './subscription-group.js';

/** A subscription's group key and executor for given read rights. */
export type Grouping = (access: ReadAccess) => { key: string; encoder: () => EventEncoder };

export { SLOW_CONSUMER } from './connection-queue.js';

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
}

/** A client connection as the hub tracks it. */
export interface HubConnection extends ClientConnection {
  /** Called once when the connection closes; ends its subscriptions. */
  release(): void;
}

interface ConnectionState {
  connection: ClientConnection;
  /** Bytes waiting in the iterated streams of this connection (`eventStream`, and before grouping). */
  queuedBytes: number;
  /** Frames for the groups to append to (a WebSocket, an SSE response); null without a sink. */
  queue: ConnectionQueue | null;
  streams: Set<Subscription>;
  /** How the transport closes it (WS: close 4008; SSE: drop the response); null: just end its streams. */
  close: ((code: number, reason: string) => void) | null;
  counted: boolean;
  released: boolean;
  /** It ends with its one subscription (ConnectionKind). */
  singleSubscription: boolean;
  replays: ReplaySlots;
}

/** One operation on a connection that can take frames: where its stream is found once opened. */
interface OperationSlot {
  state: ConnectionState;
  stream: Subscription | null;
}

interface Delivery {
  group: SubscriptionGroup;
  member: Member;
  grouping: Grouping;
}

/** How long a heartbeat's reading of the log's end serves other streams of the same rights. */
const TIP_TTL_MS = 100;
/** Events a heartbeat looks back through for one its reader may read. */
const TIP_PAGE = 100;
/**
 * Events a new stream looks back through for the newest its reader may read (its first cursor): a
 * bound on what one subscribe may read, past which its first position has no cursor.
 */
const START_SCAN = 1000;

/**
 * The newest event `access` may read at or before `upTo` (the newest when undefined), among the
 * `scan` newest; null when none of them is readable.
 */
async function newestReadable(
  log: EventLog,
  access: ReadAccess,
  upTo: string | null | undefined,
  scan: number,
): Promise<string | null> {
  if (access.key === READ_ALL.key) return upTo === undefined ? log.lastId() : upTo;
  if (upTo === null) return null;
  let before: string | null = null;
  let scanned = 0;
  while (scanned < scan) {
    const limit = Math.min(500, scan - scanned);
    const page = await log.readRange({ after: null, before, limit, newestFirst: true });
    for (const event of page) {
      // The bound is inclusive: `upTo` itself may be the answer.
      if (upTo !== undefined && compareEventIds(event.id, upTo) > 0) continue;
      if (event.rooms.some((room) => access.canRead(room))) return event.id;
    }
    if (page.length < limit) return null;
    before = page.at(-1)!.id;
    scanned += page.length;
  }
  return null;
}

export class RealtimeHub implements RealtimeApi {
  private readonly index: RoomIndex<RoutedTarget>;
  private readonly groups = new Map<string, SubscriptionGroup>();
  /** One turn's fan-out work, shared by every group (subscription-group.ts). */
  private readonly budget = new TurnBudget();
  private readonly deliveries = new WeakMap<Subscription, Delivery>();
  private readonly streamStates = new WeakMap<Subscription, ConnectionState | null>();
  /** Open connections: WebSockets from their opening, SSE responses from their first subscription. */
  private readonly connections = new Map<string, ConnectionState>();
  private readonly states = new WeakMap<ClientConnection, ConnectionState>();
  private readonly operations = new WeakMap<ClientConnection, OperationSlot>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** The log's newest id, being read for every caller since the read was asked for (`lastIdSoon`). */
  private pendingLastId: Promise<string | null> | null = null;
  /** Heartbeat cursors per reader's rights, read at most once per TIP_TTL_MS (see `tip`). */
  private readonly tips = new Map<string, { at: number; id: Promise<string | null> }>();
  /** `since` replays still reading the log. */
  replaysInFlight = 0;
  private readonly counters = emptyCounters();
  private readonly owner: StreamOwner = {
    delivered: () => this.counters.messagesDelivered++,
    queued: (stream, bytes) => {
      const state = this.streamStates.get(stream);
      if (!state) return;
      state.queuedBytes += bytes;
      if (bytes > 0 && state.queuedBytes > this.options.maxQueuedBytesPerConnection)
        this.closeSlow(state, state.queuedBytes);
    },
    ended: (stream) => this.remove(stream),
    beating: (stream, heartbeatMs) => this.beating(stream, heartbeatMs),
  };
  /** Events dropped by a subscription whose policy drops (its lane, or its replay's buffer). */
  private readonly dropped: DropListener = (policy, reason, count) => {
    this.counters.eventsDropped += count;
    this.options.onDropped?.(policy, reason, count);
  };
  /** Positioned streams that send heartbeats, and the one timer that looks at them. */
  private readonly beats = new Set<Subscription>();
  private beatTimer: { timer: NodeJS.Timeout; everyMs: number } | null = null;

  constructor(private readonly options: RealtimeHubOptions) {
    this.index = new RoomIndex(options.engine.bus, options.logger);
    options.engine.bus.setSink((event) => this.index.route(event));
    const every = options.reportIntervalMs ?? 2000;
    this.timer = setInterval(() => {
      this.report(every * 3).catch(() => {
        // The engine being down is reported by /ready; the figures catch up on the next report.
      });
    }, every);
    this.timer.unref();
  }

  /**
   * Registers a client connection. `close` is how the hub closes it when it reads too slowly;
   * `sink`, when given, is where groups write its frames (see `deliverDirect`).
   */
  connect(
    kind: ConnectionKind,
    close: ((code: number, reason: string) => void) | null,
    sink: FrameSink | null = null,
  ): HubConnection {
    const connection = { id: randomUUID(), transport: kind.transport };
    const state: ConnectionState = {
      connection,
      queuedBytes: 0,
      queue: null,
      streams: new Set(),
      close,
      counted: false,
      released: false,
      singleSubscription: kind.singleSubscription,
      replays: new ReplaySlots(this.options.maxReplaysPerConnection ?? 2, (delta) => {
        if (delta === 0) this.options.onReplay?.('refused');
        else {
          this.replaysInFlight += delta;
          if (delta > 0) this.options.onReplay?.('started');
        }
      }),
    };
    if (sink) {
      state.queue = new ConnectionQueue(sink, this.counters, {
        maxBytes: this.options.maxQueuedBytesPerConnection,
        onOverflow: (queued) => this.closeSlow(state, queued),
      });
    }
    if (!kind.singleSubscription) this.count(state);
    const handle: HubConnection = { ...connection, release: () => this.release(state) };
    this.states.set(handle, state);
    return handle;
  }

  /**
   * A handle for one operation on a connection that takes frames: pass it as the context's
   * connection, and after `subscribe` has run, `deliverDirect` finds the stream it opened.
   */
  operation(connection: ClientConnection): ClientConnection {
    const state = this.states.get(connection);
    const handle: ClientConnection = { id: connection.id, transport: connection.transport };
    if (state) {
      this.states.set(handle, state);
      this.operations.set(handle, { state, stream: null });
    }
    return handle;
  }

  /**
   * Moves the stream an operation opened into its group: from now on its events are executed and
   * encoded once per group and written to the connection's queue framed by `framing`. Returns the
   * stream, now only waiting for its end, or null when the operation opened none (then the caller
   * iterates whatever its subscribe returned).
   */
  deliverDirect(
    operation: ClientConnection,
    framing: Framing,
    grouping: Grouping,
  ): AsyncIterableIterator<StoredEvent> | null {
    const slot = this.operations.get(operation);
    const stream = slot?.stream;
    const queue = slot?.state.queue;
    if (!slot || !stream || !queue || stream.ended || this.deliveries.has(stream)) return null;
    const group = this.groupFor(stream, grouping);
    const lane = this.laneFor(stream, group, framing, queue);
    const delivery: Delivery = {
      group,
      member: { prefix: framing.prefix, suffix: framing.suffix, queue, floor: stream.floor, lane },
      grouping,
    };
    this.deliveries.set(stream, delivery);
    stream.grouped = true;
    if (stream.positioned) stream.attach(this.positionWriter(stream));
    // What it queued before its group took it: a positioned stream's first position.
    for (const item of stream.takeQueued()) this.send(stream, delivery, item, false);
    if (stream.replaying) void this.pumpReplay(stream, queue);
    else this.join(stream, delivery);
    return stream as AsyncIterableIterator<never>;
  }

  /**
   * A lane in its connection's queue for a stream that drops rather than closes (overflow.ts); its
   * gaps are framed by its group on `eventStream`, carried in the next result on `events`.
   */
  private laneFor(
    stream: Subscription,
    group: SubscriptionGroup,
    framing: Framing,
    queue: ConnectionQueue,
  ): Lane | undefined {
    const policy = stream.overflow;
    if (policy === 'DISCONNECT') return undefined;
    const marker = stream.positioned ? group.dropMarker(framing, policy) : null;
    const lane = new Lane(policy, framing.suffix.length, marker, this.dropped);
    queue.addLane(lane);
    return lane;
  }

  /**
   * One item for one member: a position is a small frame of its own, an event its group's bytes, a
   * report of live events dropped during its replay goes to its lane (reported before its next event).
   */
  private send(stream: Subscription, delivery: Delivery, item: QueuedItem, replayed: boolean): void {
    if (isEventsDropped(item)) {
      const { lane, queue } = delivery.member;
      if (lane) queue.addGap(lane, item);
      return;
    }
    if (!isStreamPosition(item)) return delivery.group.deliverTo(delivery.member, item, replayed);
    delivery.group.positionTo(delivery.member, item);
    stream.wrote(item);
  }

  /** How a grouped positioned stream writes its heartbeats: in its group's order, on its own queue. */
  private positionWriter(stream: Subscription): PositionWriter {
    return {
      write: (position) => {
        const delivery = this.deliveries.get(stream);
        if (delivery) this.send(stream, delivery, position, false);
      },
      idle: () => {
        const delivery = this.deliveries.get(stream);
        return (
          delivery !== undefined &&
          delivery.group.members.has(delivery.member) &&
          delivery.group.idle &&
          delivery.member.queue.bufferedBytes() === 0
        );
      },
      lastSent: () => {
        const member = this.deliveries.get(stream)?.member;
        return { id: member?.last ?? null, at: member?.sentAt ?? 0 };
      },
    };
  }

  /** What the stream holds (buffered live events), then the group's live events, in order. */
  private join(stream: Subscription, delivery: Delivery): void {
    const member: Member = { ...delivery.member, floor: stream.floor };
    const joined = { ...delivery, member };
    this.deliveries.set(stream, joined);
    for (const item of stream.takeQueued()) this.send(stream, joined, item, false);
    delivery.group.members.add(member);
    this.index.remove(stream);
  }

  /**
   * Writes a stream's `since` replay to its connection a page at a time, reading on only once the
   * socket has taken what was written: a client that stops reading stops the replay too, and the live
   * events buffered meanwhile count against its budget until it is closed as slow.
   */
  private async pumpReplay(stream: Subscription, queue: ConnectionQueue): Promise<void> {
    try {
      for (;;) {
        if (stream.ended) return;
        if (!queue.readyForReplay(this.deliveries.get(stream)?.member.lane)) {
          await queue.drained();
          continue;
        }
        const item = await stream.nextReplayed();
        if (stream.ended) return;
        const delivery = this.deliveries.get(stream);
        if (!delivery) return;
        if (!item) return this.join(stream, delivery);
        this.send(stream, delivery, item, true);
      }
    } catch (error) {
      stream.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The group of a stream's key under its current rights, made (and indexed) when it is the first. */
  private groupFor(stream: Subscription, grouping: Grouping): SubscriptionGroup {
    const { key, encoder } = grouping(stream.access);
    let group = this.groups.get(key);
    if (!group) {
      // The executor is made only for a new group: a subscriber who joins one costs only this lookup.
      group = new SubscriptionGroup(
        key,
        stream.rooms,
        stream.types,
        stream.access,
        encoder(),
        this.options.logger,
        this.budget,
      );
      this.groups.set(key, group);
      // Its rooms are watched already (by the stream or its group): this only registers it.
      this.index.add(group).catch(() => undefined);
    }
    return group;
  }

  private leaveGroup(delivery: Delivery): void {
    const { group, member } = delivery;
    group.members.delete(member);
    if (group.members.size === 0 && this.groups.get(group.key) === group) {
      this.groups.delete(group.key);
      this.index.remove(group);
    }
  }

  /**
   * New read rights for a connection's open subscriptions (its token was renewed): a stream to every
   * room filters by them from now on (in the group of its new key); one to named rooms they no
   * longer all grant ends FORBIDDEN.
   */
  reauthorize(connection: ClientConnection, access: ReadAccess): void {
    const state = this.states.get(connection);
    if (!state) return;
    for (const stream of [...state.streams]) {
      const denied = (stream.rooms ?? []).filter((room) => !access.canRead(room));
      if (denied.length) {
        stream.fail(roomsDenied(denied));
        continue;
      }
      stream.access = access;
      const delivery = this.deliveries.get(stream);
      if (!delivery) continue;
      const group = this.groupFor(stream, delivery.grouping);
      if (group === delivery.group) continue;
      // Joined before leaving, so that a room both groups share is never unwatched in between (a
      // stream still replaying joins its group when the replay is over).
      if (delivery.group.members.has(delivery.member)) group.members.add(delivery.member);
      this.leaveGroup(delivery);
      this.deliveries.set(stream, { ...delivery, group });
    }
  }

  private count(state: ConnectionState): void {
    if (state.counted) return;
    state.counted = true;
    this.connections.set(state.connection.id, state);
    this.counters.totalConnections++;
  }

  private release(state: ConnectionState): void {
    if (state.released) return;
    state.released = true;
    this.connections.delete(state.connection.id);
    for (const stream of [...state.streams]) stream.end();
    if (state.counted) this.counters.totalDisconnections++;
  }

  /** Opens an `events` stream (see RealtimeApi.open). */
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
    const state = request.connection ? (this.states.get(request.connection) ?? null) : null;
    if (state?.released) throw badInput('This connection is closed.');
    const log = this.options.engine.log;
    // A positioned stream's first cursor is the newest id before its live side registers.
    let plan: PositionPlan | null = null;
    if (heartbeatMs !== null) {
      const start = await this.lastIdSoon();
      plan = {
        heartbeatMs,
        start,
        startCursor: await newestReadable(log, request.access, start, START_SCAN),
        settle: (access) => this.tip(access),
      };
    }
    const stream = new Subscription(rooms, types, request.access, this.owner, plan);
    stream.overflow = request.overflow ?? 'DISCONNECT';
    this.streamStates.set(stream, state);
    // A stream bound for a group waits only until the operation's subscribe returns: its queue is
    // not the connection's budget (the connection's own queue is, from then on). A stream its caller
    // iterates itself (`exclusive`) is never grouped, so what waits in it counts, as on any stream.
    if (state?.queue && !request.exclusive) stream.budgeted = false;
    const slot =
      request.connection && !request.exclusive ? this.operations.get(request.connection) : undefined;
    if (slot) slot.stream = stream;
    // Bound for a group with a lane: what piles up during a replay is dropped by its policy, not closed.
    const queue = state?.queue;
    if (slot && queue && stream.overflow !== 'DISCONNECT')
      stream.bufferWithin(() => queue.share(), this.dropped);

    // Live first (buffering), then the log: nothing published in between can fall through the seam.
    // The log is read a page at a time as the client consumes it; its first page is read here, so a
    // bad cursor (or too many replays on this connection) is refused before anything is sent.
    if (request.since === null && !plan) {
      await this.add(stream, state);
      return stream;
    }
    // A `since` replay holds one of the connection's slots; a positioned stream's catch-up does not
    // (the client did not ask for it, and it is short).
    const release = state && request.since !== null ? state.replays.take() : () => {};
    stream.startBuffering();
    try {
      await this.add(stream, state);
      stream.announce(request.since);
      // Where the live side took over: a positioned replay stops there (live events follow it).
      const upTo = plan ? await this.lastIdSoon() : undefined;
      if (plan && request.since === null && upTo === plan.start) {
        stream.endBuffering(plan.start);
        return stream;
      }
      stream.beginReplay(
        await LogReplay.open({
          log,
          since: request.since ?? plan?.start ?? null,
          wanted: (event) => stream.replayed(event),
          release,
          upTo,
          readable: (event) => event.rooms.some((room) => stream.access.canRead(room)),
          ...(plan ? { pageSize: STREAM_REPLAY_PAGE } : {}),
        }),
      );
    } catch (error) {
      release();
      stream.end();
      throw error;
    }
    return stream;
  }

  private async add(stream: Subscription, state: ConnectionState | null): Promise<void> {
    if (state) {
      state.streams.add(stream);
      this.count(state);
    }
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
   * Looks at every heartbeating stream a quarter of a heartbeat apart (one timer for all of them: a
   * stream sends its position once it has been idle for a whole heartbeat).
   */
  private beating(stream: Subscription, heartbeatMs: number): void {
    this.beats.add(stream);
    const everyMs = Math.max(1, Math.floor(heartbeatMs / 4));
    if (this.beatTimer && this.beatTimer.everyMs <= everyMs) return;
    if (this.beatTimer) clearInterval(this.beatTimer.timer);
    const timer = setInterval(() => {
      for (const beating of this.beats) void beating.beat();
    }, everyMs);
    timer.unref();
    this.beatTimer = { timer, everyMs };
  }

  /** Called by a stream as it ends. */
  private remove(stream: Subscription): void {
    if (this.beats.delete(stream) && this.beats.size === 0 && this.beatTimer) {
      clearInterval(this.beatTimer.timer);
      this.beatTimer = null;
    }
    this.index.remove(stream);
    const delivery = this.deliveries.get(stream);
    if (delivery) {
      this.leaveGroup(delivery);
      if (delivery.member.lane) delivery.member.queue.removeLane(delivery.member.lane);
    }
    if (stream.counted) this.counters.activeSubscriptions--;
    const state = this.streamStates.get(stream);
    if (state) {
      state.streams.delete(stream);
      if (state.singleSubscription && state.streams.size === 0) this.release(state);
    }
  }

  /** Closes a connection whose queue passed the bound, so one slow reader cannot hold memory. */
  private closeSlow(state: ConnectionState, queuedBytes: number): void {
    if (state.released) return;
    this.options.logger.warn(
      { connection: state.connection.id, transport: state.connection.transport, queuedBytes },
      'closing a slow consumer',
    );
    this.options.onSlowConsumer?.(state.connection);
    const close = state.close;
    this.release(state);
    close?.(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
  }

  /**
   * Bytes written for this instance's connections and not yet taken by the kernel, and the most
   * any one connection holds.
   */
  queuedBytes(): { total: number; largest: number } {
    let total = 0;
    let largest = 0;
    for (const state of this.connections.values()) {
      const bytes = state.queuedBytes + (state.queue?.bufferedBytes() ?? 0);
      total += bytes;
      largest = Math.max(largest, bytes);
    }
    return { total, largest };
  }

  /**
   * The log's newest id, read once for every caller that asks before the read starts (at the end of
   * this turn): a read that starts after the call answers it as truly as one of its own, and a storm
   * of subscribes then costs the engine one read a turn instead of two per subscribe.
   */
  private lastIdSoon(): Promise<string | null> {
    if (this.pendingLastId) return this.pendingLastId;
    const read = new Promise<string | null>((resolve, reject) =>
      setImmediate(() => {
        this.pendingLastId = null;
        this.options.engine.log.lastId().then(resolve, reject);
      }),
    );
    this.pendingLastId = read;
    return read;
  }

  /**
   * The newest event `access` may read among the newest of the log, for heartbeats: read once per
   * reader's rights and TIP_TTL_MS whatever the number of streams beating meanwhile.
   */
  private tip(access: ReadAccess): Promise<string | null> {
    const now = Date.now();
    const cached = this.tips.get(access.key);
    if (cached && now - cached.at < TIP_TTL_MS) return cached.id;
    const id = newestReadable(this.options.engine.log, access, undefined, TIP_PAGE);
    this.tips.set(access.key, { at: now, id });
    // A failed read is not kept: the next heartbeat reads again.
    id.catch(() => this.tips.delete(access.key));
    if (this.tips.size > 1000) this.tips.clear();
    return id;
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
      .map((state) => ({
        id: state.connection.id,
        transport: state.connection.transport,
        subscriptions: state.streams.size,
        queuedBytes: state.queuedBytes + (state.queue?.bufferedBytes() ?? 0),
        heldFrames: state.queue?.held().frames ?? 0,
      }))
      .sort((a, b) => b.queuedBytes - a.queuedBytes);
  }

  /** Ends every stream (SSE responses complete) and stops reporting. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.beatTimer) clearInterval(this.beatTimer.timer);
    for (const state of [...this.connections.values()]) this.release(state);
    for (const target of this.index.targets()) {
      if (target instanceof Subscription) target.end();
    }
    for (const group of [...this.groups.values()]) this.index.remove(group);
    this.groups.clear();
  }
}
