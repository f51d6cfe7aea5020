/**
 * The realtime hub: one bus sink per process, local subscriptions indexed by room, bounded queues.
 *
 * Per event: the room index names the subscriptions that want it (each once, however many of its rooms
 * match), the type filter narrows them, and only then is anything queued. Who matches is decided here;
 * what is sent is left to the transport, so the later "execute once per distinct subscription" step
 * can slot in between without touching the routing.
 */
import { randomUUID } from 'node:crypto';
import type { ReadAccess } from '../domain/access/read-access.js';
import { badInput, forbidden } from '../domain/errors.js';
import { compareEventIds, type EventType, type StoredEvent } from '../domain/events/event-types.js';
import { isRoomName } from '../domain/events/rooms.js';
import type { Engine, RealtimeSnapshot } from '../domain/ports.js';
import type {
  ClientConnection,
  EventStreamRequest,
  RealtimeApi,
  RealtimeStats,
  Transport,
} from './realtime-api.js';
import { LogReplay, ReplaySlots } from './replay.js';

const ALL = '*';

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
  queuedBytes: number;
  subscriptions: Set<Subscription>;
  /** How the transport closes it (WS: close the socket); SSE connections just end their streams. */
  close: ((code: number, reason: string) => void) | null;
  counted: boolean;
  released: boolean;
  replays: ReplaySlots;
}

/** The close code (and reason) for a connection whose client reads slower than events arrive. */
export const SLOW_CONSUMER = { code: 4008, reason: 'Slow consumer: resume with `since`' } as const;

function roomsDenied(rooms: string[]) {
  return forbidden(`You may not read ${rooms.map((r) => JSON.stringify(r)).join(', ')}.`, {
    reason: 'ROOM_NOT_GRANTED',
    rooms,
  });
}

const sizes = new WeakMap<StoredEvent, number>();
/** An event's size as JSON, computed once per event whatever the number of subscribers. */
function sizeOf(event: StoredEvent): number {
  let size = sizes.get(event);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(event));
    sizes.set(event, size);
  }
  return size;
}

class Subscription implements AsyncIterableIterator<StoredEvent> {
  private readonly queue: StoredEvent[] = [];
  private waiter: {
    resolve: (result: IteratorResult<StoredEvent>) => void;
    reject: (error: unknown) => void;
  } | null = null;
  private done = false;
  /** Why the stream ended, when it ended in an error the client is to receive. */
  private failure: Error | null = null;
  /** While replaying `since`, live events wait here (counted against the connection's budget). */
  private buffered: StoredEvent[] | null = null;
  /** The `since` replay, read page by page as the client consumes it (replay.ts). */
  private replay: LogReplay | null = null;
  /** Whether the hub counts it among the active subscriptions (once its rooms are watched). */
  counted = false;
  /** Live events at or before this id were already replayed (or precede the cursor). */
  private replayedUpTo: string | null = null;

  constructor(
    readonly rooms: readonly string[] | null,
    readonly types: ReadonlySet<EventType> | null,
    public access: ReadAccess,
    private readonly state: ConnectionState | null,
    private readonly hub: RealtimeHub,
  ) {}

  /** Its types, and (for a subscription to every room) a room the caller may read. */
  wants(event: StoredEvent): boolean {
    if (this.types && !this.types.has(event.type)) return false;
    return this.rooms !== null || event.rooms.some((room) => this.access.canRead(room));
  }

  startBuffering(): void {
    this.buffered = [];
  }

  /** What a replay hands out: the events this subscription would have received live. */
  replayed(event: StoredEvent): boolean {
    return this.matchesRooms(event) && this.wants(event);
  }

  /** Serves `replay` ahead of the live events buffered since startBuffering. */
  beginReplay(replay: LogReplay): void {
    this.replay = replay;
  }

  /** The replay is drained: the buffered live events that came after it, then live ones. */
  private finishReplay(lastId: string): void {
    this.replay = null;
    this.replayedUpTo = lastId;
    const waiting = this.buffered ?? [];
    this.buffered = null;
    for (const event of waiting) {
      // Already counted against the budget as it was buffered.
      if (compareEventIds(event.id, lastId) > 0) this.queue.push(event);
      else this.unbudget(event);
    }
  }

  private unbudget(event: StoredEvent): void {
    if (this.state) this.state.queuedBytes -= sizeOf(event);
  }

  private matchesRooms(event: StoredEvent): boolean {
    return !this.rooms || event.rooms.some((room) => this.rooms?.includes(room));
  }

  /** A live event routed here by the hub. */
  deliver(event: StoredEvent): void {
    if (this.done) return;
    if (this.buffered) {
      this.buffered.push(event);
      // A replay lasts as long as its client takes to read it: what piles up meanwhile is bounded
      // like any slow reader's queue.
      if (this.state) {
        this.state.queuedBytes += sizeOf(event);
        this.hub.checkBudget(this.state);
      }
      return;
    }
    // Kept for the whole stream, not dropped at the first newer event: with several rooms, one room's
    // message can arrive after another's newer one (a gap being filled), and an event at or before
    // the last replayed id was already in the log when it was read.
    if (this.replayedUpTo !== null && compareEventIds(event.id, this.replayedUpTo) <= 0) return;
    this.enqueue(event);
  }

  private enqueue(event: StoredEvent): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      this.hub.countDelivered();
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.state) {
      this.state.queuedBytes += sizeOf(event);
      this.hub.checkBudget(this.state);
    }
  }

  async next(): Promise<IteratorResult<StoredEvent>> {
    const replay = this.replay;
    if (replay && !this.done) {
      const replayed = await replay.next();
      // Ended (or failed) while the page was read: say so as a live stream would.
      if (this.done) return this.nextLive();
      if (replayed) {
        this.hub.countDelivered();
        return { value: replayed, done: false };
      }
      this.finishReplay(replay.lastId);
    }
    return this.nextLive();
  }

  private nextLive(): Promise<IteratorResult<StoredEvent>> {
    const event = this.queue.shift();
    if (event) {
      this.unbudget(event);
      this.hub.countDelivered();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Ends the stream with an error for the client (its rights no longer cover it). */
  fail(error: Error): void {
    if (this.done) return;
    const waiter = this.waiter;
    this.waiter = null;
    this.end();
    if (waiter) waiter.reject(error);
    else this.failure = error;
  }

  /** Ends the stream: the client unsubscribed, its connection closed, or the hub is closing. */
  end(): void {
    if (this.done) return;
    this.done = true;
    for (const event of [...this.queue, ...(this.buffered ?? [])]) this.unbudget(event);
    this.queue.length = 0;
    this.buffered = null;
    this.replay?.release();
    this.replay = null;
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = null;
    this.hub.remove(this, this.state);
  }

  return(): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoredEvent> {
    return this;
  }
}

export class RealtimeHub implements RealtimeApi {
  private readonly byRoom = new Map<string, Set<Subscription>>();
  /** Open connections: WebSockets from their opening, SSE responses from their first subscription. */
  private readonly connections = new Map<string, ConnectionState>();
  private readonly states = new WeakMap<ClientConnection, ConnectionState>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** `since` replays still reading the log. */
  replaysInFlight = 0;
  private readonly counters = {
    totalConnections: 0,
    totalDisconnections: 0,
    activeSubscriptions: 0,
    eventsPublished: 0,
    messagesDelivered: 0,
  };

  constructor(private readonly options: RealtimeHubOptions) {
    options.engine.bus.setSink((event) => this.route(event));
    const every = options.reportIntervalMs ?? 2000;
    this.timer = setInterval(() => {
      this.report(every * 3).catch(() => {
        // The engine being down is reported by /ready; the figures catch up on the next report.
      });
    }, every);
    this.timer.unref();
  }

  /** Registers a client connection; `close` is how the hub closes it when it reads too slowly. */
  connect(transport: Transport, close: ((code: number, reason: string) => void) | null): HubConnection {
    const connection = { id: randomUUID(), transport };
    const state: ConnectionState = {
      connection,
      queuedBytes: 0,
      subscriptions: new Set(),
      close,
      counted: false,
      released: false,
      replays: new ReplaySlots(this.options.maxReplaysPerConnection ?? 2, (delta) => {
        if (delta === 0) this.options.onReplay?.('refused');
        else {
          this.replaysInFlight += delta;
          if (delta > 0) this.options.onReplay?.('started');
        }
      }),
    };
    // A WebSocket counts from its opening; an SSE response from its first subscription (a query sent
    // with `Accept: text/event-stream` never becomes a connection).
    if (transport === 'ws') this.count(state);
    const handle: HubConnection = { ...connection, release: () => this.release(state) };
    this.states.set(handle, state);
    return handle;
  }

  /**
   * New read rights for a connection's open subscriptions (its token was renewed): a stream to every
   * room filters by them from now on; one to named rooms they no longer all grant ends FORBIDDEN.
   */
  reauthorize(connection: ClientConnection, access: ReadAccess): void {
    const state = this.states.get(connection);
    if (!state) return;
    for (const sub of [...state.subscriptions]) {
      const denied = (sub.rooms ?? []).filter((room) => !access.canRead(room));
      if (denied.length) sub.fail(roomsDenied(denied));
      else sub.access = access;
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
    for (const sub of [...state.subscriptions]) sub.end();
    if (state.counted) this.counters.totalDisconnections++;
  }

  async open(request: EventStreamRequest): Promise<AsyncIterableIterator<StoredEvent>> {
    if (this.closed) throw badInput('The server is shutting down; reconnect.');
    const rooms = request.rooms?.length ? [...new Set(request.rooms)] : null;
    const bad = (rooms ?? []).filter((room) => !isRoomName(room));
    if (bad.length) {
      throw badInput(
        `Not a room name: ${bad.map((r) => JSON.stringify(r)).join(', ')} (1–128 characters of letters, digits and : _ . -).`,
        { reason: 'BAD_ROOM' },
      );
    }
    // Named rooms must each be readable; without rooms, every event is checked against the rights.
    const denied = (rooms ?? []).filter((room) => !request.access.canRead(room));
    if (denied.length) throw roomsDenied(denied);
    const types = request.types?.length ? new Set(request.types) : null;
    const state = request.connection ? (this.states.get(request.connection) ?? null) : null;
    if (state?.released) throw badInput('This connection is closed.');
    const sub = new Subscription(rooms, types, request.access, state, this);

    // Live first (buffering), then the log: nothing published in between can fall through the seam.
    // The log is read a page at a time as the client consumes it; its first page is read here, so a
    // bad cursor (or too many replays on this connection) is refused before anything is sent.
    if (request.since === null) {
      await this.add(sub, state);
      return sub;
    }
    const release = state ? state.replays.take() : () => {};
    sub.startBuffering();
    try {
      await this.add(sub, state);
      sub.beginReplay(
        await LogReplay.open({
          log: this.options.engine.log,
          since: request.since,
          wanted: (event) => sub.replayed(event),
          release,
        }),
      );
    } catch (error) {
      release();
      sub.end();
      throw error;
    }
    return sub;
  }

  private async add(sub: Subscription, state: ConnectionState | null): Promise<void> {
    const keys = sub.rooms ?? [ALL];
    for (const room of keys) {
      let set = this.byRoom.get(room);
      if (!set) {
        set = new Set();
        this.byRoom.set(room, set);
      }
      set.add(sub);
    }
    if (state) {
      state.subscriptions.add(sub);
      this.count(state);
    }
    try {
      await Promise.all(keys.map((room) => this.options.engine.bus.watch(room)));
    } catch (error) {
      sub.end();
      throw error;
    }
    // Counted once live, so "activeSubscriptions = n" means those n receive every event from now on.
    sub.counted = true;
    this.counters.activeSubscriptions++;
  }

  /** Called by a subscription as it ends. */
  remove(sub: Subscription, state: ConnectionState | null): void {
    for (const room of sub.rooms ?? [ALL]) {
      const set = this.byRoom.get(room);
      if (!set?.delete(sub)) continue;
      if (set.size === 0) this.byRoom.delete(room);
      this.options.engine.bus.unwatch(room).catch((error: unknown) => {
        this.options.logger.warn({ err: error, room }, 'could not stop watching a room');
      });
    }
    if (sub.counted) this.counters.activeSubscriptions--;
    if (state) {
      state.subscriptions.delete(sub);
      // An SSE response is one subscription: when it ends, so does the connection.
      if (state.connection.transport === 'sse' && state.subscriptions.size === 0) this.release(state);
    }
  }

  private route(event: StoredEvent): void {
    const targets = new Set<Subscription>(this.byRoom.get(ALL));
    for (const room of event.rooms) {
      const set = this.byRoom.get(room);
      if (set) for (const sub of set) targets.add(sub);
    }
    for (const sub of targets) if (sub.wants(event)) sub.deliver(event);
  }

  /** Closes a connection whose queue passed the bound, so one slow reader cannot hold memory. */
  checkBudget(state: ConnectionState): void {
    if (state.queuedBytes <= this.options.maxQueuedBytesPerConnection) return;
    this.options.logger.warn(
      {
        connection: state.connection.id,
        transport: state.connection.transport,
        queuedBytes: state.queuedBytes,
      },
      'closing a slow consumer',
    );
    this.options.onSlowConsumer?.(state.connection);
    const close = state.close;
    this.release(state);
    close?.(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
  }

  countDelivered(): void {
    this.counters.messagesDelivered++;
  }

  countPublished(n: number): void {
    this.counters.eventsPublished += n;
  }

  /** This instance's figures. */
  snapshot(): RealtimeSnapshot {
    const rooms: Record<string, number> = {};
    for (const [room, set] of this.byRoom) if (room !== ALL) rooms[room] = set.size;
    return { ...this.counters, activeConnections: this.connections.size, rooms };
  }

  private report(ttlMs: number): Promise<void> {
    return this.options.engine.presence.report(this.options.instanceId, this.snapshot(), ttlMs);
  }

  async stats(): Promise<RealtimeStats> {
    await this.report((this.options.reportIntervalMs ?? 2000) * 3);
    const all = await this.options.engine.presence.all();
    const rooms = new Map<string, number>();
    const total = {
      activeConnections: 0,
      totalConnections: 0,
      totalDisconnections: 0,
      activeSubscriptions: 0,
      eventsPublished: 0,
      messagesDelivered: 0,
    };
    for (const s of all) {
      for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += s[key];
      for (const [room, n] of Object.entries(s.rooms)) rooms.set(room, (rooms.get(room) ?? 0) + n);
    }
    return {
      ...total,
      rooms: [...rooms]
        .map(([room, subscribers]) => ({ room, subscribers }))
        .sort((a, b) => a.room.localeCompare(b.room)),
    };
  }

  /** Ends every stream (SSE responses complete) and stops reporting. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const state of [...this.connections.values()]) this.release(state);
    for (const set of [...this.byRoom.values()]) for (const sub of [...set]) sub.end();
  }
}
