/**
 * One client connection and everything that is per socket (centrifuge's Client is the model): its
 * byte-bounded frame queue, its `since` replay slots, its subscriptions and how each is delivered,
 * re-authorisation when its token is renewed, and closing it when it reads too slowly.
 *
 * A transport hands the hub a `ClientSocket` (write, buffered bytes, on-drain, close: graphql-ws's
 * small socket interface is the model) and gets a Connection back; it never learns more of the core,
 * and the core never learns which transport it is (`transport` is a label for logs and metrics).
 */
import { randomUUID } from 'node:crypto';
import type { ReadAccess } from '../domain/access/read-access.js';
import { ConnectionQueue, SLOW_CONSUMER, type FrameSink } from './connection-queue.js';
import type { GroupTable, Grouping } from './group-table.js';
import { isEventsDropped, Lane, type DropListener } from './overflow.js';
import type { Counters } from './realtime-figures.js';
import type { ClientConnection, ConnectionQueueStat } from './realtime-api.js';
import { ReplaySlots } from './replay.js';
import { roomsDenied } from './room-check.js';
import type { Framing, Member, SubscriptionGroup } from './subscription-group.js';
import {
  isStreamPosition,
  type PositionWriter,
  type QueuedItem,
  type StreamPosition,
  type StreamOwner,
  type Subscription,
} from './subscription.js';

/**
 * A UUID as one flat string: `randomUUID()` returns a rope of its pieces, about 490 bytes of heap for
 * as long as the connection lives, against some 60 for a copy of it.
 */
function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/** What a transport hands the core for one client connection. */
export interface ClientSocket {
  /** A label for logs and metrics (`ws`, `sse`); the core never branches on it. */
  readonly transport: string;
  /**
   * Where its frames go (write, buffered bytes, on-drain). Null: whoever opens a subscription on it
   * iterates the subscription itself.
   */
  readonly sink: FrameSink | null;
  /** Ends the connection (a slow consumer: 4008 on a WebSocket; an SSE response breaks off). */
  close(code: number, reason: string): void;
  /**
   * The connection is its one subscription (an SSE response: a query sent with `Accept:
   * text/event-stream` never becomes one): it counts from that subscription and ends with it.
   * Otherwise it counts from its opening and lives until it is released.
   */
  readonly oneSubscription?: boolean;
}

/**
 * How one operation's subscription is delivered on its connection: framed by the transport for
 * that operation, and grouped by the shape of its GraphQL operation (grouping.ts).
 */
export interface OperationDelivery {
  readonly framing: Framing;
  readonly grouping: Grouping;
}

export interface ConnectionLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What a connection needs from its hub. */
export interface ConnectionHost {
  readonly counters: Counters;
  readonly groups: GroupTable;
  readonly logger: ConnectionLogger;
  /** Bytes that may wait for one connection before it is closed as a slow consumer. */
  readonly maxQueuedBytes: number;
  /** `since` replays one connection may have in flight. */
  readonly maxReplays: number;
  /** The connection counts from now on (its opening, or its first subscription). */
  counted(connection: Connection): void;
  /** A counted connection was released. */
  released(connection: Connection): void;
  /** A replay started (1), ended (-1), or was refused (0). */
  replays(delta: 1 | -1 | 0): void;
  /** A subscription joined its group: from now on the group is routed its events. */
  joined(stream: Subscription): void;
  /** What a subscription needs from the hub whatever its connection (heartbeats, ending). */
  readonly owner: StreamOwner;
  readonly onSlowConsumer?: ((connection: ClientConnection) => void) | undefined;
  /** Events dropped by a subscription whose policy drops (its lane, or its replay's buffer). */
  readonly dropped: DropListener;
}

/** One subscription delivered by its group on this connection. */
interface Delivery {
  group: SubscriptionGroup;
  member: Member;
  /** The operation's framing and grouping (and what `deliveredFor` looks for). */
  operation: OperationDelivery;
}

/**
 * Idle connections are what a server holds most of, so a connection keeps little: its methods are
 * on its prototype (it is its subscriptions' `StreamOwner` itself, not an object of closures), and
 * what only some use (replay slots) is made on first use.
 */
export class Connection implements ClientConnection, StreamOwner, PositionWriter {
  readonly id = flatUuid();
  readonly transport: string;
  /** Frames for the groups to append to; null without a sink. */
  private readonly queue: ConnectionQueue | null;
  private readonly subscriptions = new Set<Subscription>();
  private readonly deliveries = new Map<Subscription, Delivery>();
  /** Bytes waiting in the subscriptions of this connection that their callers iterate. */
  private iteratedBytes = 0;
  private isCounted = false;
  private isReleased = false;
  private slots: ReplaySlots | null = null;

  constructor(
    private readonly socket: ClientSocket,
    private readonly host: ConnectionHost,
  ) {
    this.transport = socket.transport;
    // Bound, not an arrow: an arrow in an object literal is named at run time (tsx keeps names),
    // which gives each one a property store of its own.
    this.queue = socket.sink
      ? new ConnectionQueue(socket.sink, host.counters, {
          maxBytes: host.maxQueuedBytes,
          onOverflow: this.closeSlow.bind(this),
        })
      : null;
    if (!socket.oneSubscription) this.count();
  }

  /** What its subscriptions tell it (their own bytes, their end), and the hub the rest. */
  get owner(): StreamOwner {
    return this;
  }

  delivered(): void {
    this.host.owner.delivered();
  }

  queued(_stream: Subscription, bytes: number): void {
    this.iteratedBytes += bytes;
    if (bytes > 0 && this.iteratedBytes > this.host.maxQueuedBytes) this.closeSlow(this.iteratedBytes);
  }

  beating(stream: Subscription, heartbeatMs: number): void {
    this.host.owner.beating(stream, heartbeatMs);
  }

  get released(): boolean {
    return this.isReleased;
  }

  /** Whether a group can write this connection's frames. */
  get takesFrames(): boolean {
    return this.queue !== null;
  }

  /**
   * The subscription an operation's delivery delivers, while it does: all its caller still needs of
   * it is its end (or the error it ends in).
   */
  deliveredFor(delivery: OperationDelivery): AsyncIterableIterator<unknown> | null {
    // A connection has few subscriptions: a look through them costs less than a map per connection.
    for (const [stream, delivered] of this.deliveries)
      if (delivered.operation === delivery) return stream.ended ? null : stream;
    return null;
  }

  /** A subscription opened on this connection (it ends with it). */
  adopt(stream: Subscription): void {
    this.subscriptions.add(stream);
    this.count();
  }

  /** One of the connection's `since` replay slots (WS_MAX_REPLAYS), or RATE_LIMITED. */
  takeReplaySlot(): () => void {
    this.slots ??= new ReplaySlots(this.host.maxReplays, this.host.replays);
    return this.slots.take();
  }

  /**
   * From now on the subscription's events are executed and encoded once per group and written to
   * this connection framed by `delivery.framing`: first what it queued (an `eventStream`'s first
   * position), then its replay as fast as the socket takes it, then its group's live events.
   */
  deliver(stream: Subscription, delivery: OperationDelivery): void {
    const queue = this.queue;
    if (!queue || stream.ended || this.deliveries.has(stream)) return;
    const { framing, grouping } = delivery;
    const group = this.host.groups.groupFor(stream, grouping);
    const lane = this.laneFor(stream, group, framing, queue);
    const delivered: Delivery = {
      group,
      member: { prefix: framing.prefix, suffix: framing.suffix, queue, floor: stream.floor, lane },
      operation: delivery,
    };
    this.deliveries.set(stream, delivered);
    stream.grouped = true;
    // Stryker disable next-line ConditionalExpression: only a positioned stream ever uses its writer (for its heartbeats).
    if (stream.positioned) stream.attach(this);
    for (const item of stream.takeQueued()) this.send(stream, delivered, item, false);
    if (stream.replaying) void this.pumpReplay(stream, queue);
    else this.join(stream, delivered);
  }

  /**
   * A lane in the queue for a subscription that drops rather than closes (overflow.ts); its gaps are
   * framed by its group on `eventStream`, carried in the next result on `events`.
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
    const lane = new Lane(policy, framing.suffix.length, marker, this.host.dropped);
    queue.addLane(lane);
    return lane;
  }

  /**
   * A subscription this connection will deliver, whose policy drops rather than closes: what piles
   * up while it replays is held within its share of the queue and dropped by its policy.
   */
  bound(stream: Subscription): void {
    const queue = this.queue;
    if (queue && stream.overflow !== 'DISCONNECT')
      stream.bufferWithin(() => queue.share(), this.host.dropped);
  }

  /**
   * One item for one member: a position is a small frame of its own, an event its group's bytes, a
   * report of live events dropped during its replay goes to its lane (reported before its next event).
   */
  private send(stream: Subscription, delivery: Delivery, item: QueuedItem, replayed: boolean): void {
    if (isEventsDropped(item)) {
      const { lane, queue } = delivery.member;
      // Stryker disable next-line ConditionalExpression: only a subscription with a lane drops (DISCONNECT never does), so a report of drops always finds one.
      if (lane) queue.addGap(lane, item);
      return;
    }
    if (!isStreamPosition(item)) return delivery.group.deliverTo(delivery.member, item, replayed);
    delivery.group.positionTo(delivery.member, item);
    stream.wrote(item);
  }

  /** A grouped `eventStream`'s heartbeat: in its group's order, on this queue (PositionWriter). */
  writePosition(stream: Subscription, position: StreamPosition): void {
    const delivery = this.deliveries.get(stream);
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: a stream beats only once delivered and stops before its delivery goes; a position is framed the same replayed or not.
    if (delivery) this.send(stream, delivery, position, false);
  }

  /** Whether nothing of a grouped `eventStream` waits to be sent (PositionWriter). */
  positionIdle(stream: Subscription): boolean {
    const delivery = this.deliveries.get(stream);
    return (
      delivery !== undefined &&
      delivery.group.members.has(delivery.member) &&
      delivery.group.idle &&
      delivery.member.queue.bufferedBytes() === 0
    );
  }

  /** The newest event written for a grouped `eventStream`, and when (PositionWriter). */
  lastSentTo(stream: Subscription): { id: string | null; at: number } {
    const member = this.deliveries.get(stream)?.member;
    return { id: member?.last ?? null, at: member?.sentAt ?? 0 };
  }

  /** What the subscription holds (buffered live events), then the group's live events, in order. */
  private join(stream: Subscription, delivery: Delivery): void {
    const member: Member = { ...delivery.member, floor: stream.floor };
    const joined = { ...delivery, member };
    this.deliveries.set(stream, joined);
    for (const item of stream.takeQueued()) this.send(stream, joined, item, false);
    delivery.group.members.add(member);
    this.host.joined(stream);
  }

  /**
   * Writes a subscription's `since` replay a page at a time, reading on only once the socket has
   * taken what was written: a client that stops reading stops the replay too, and the live events
   * buffered meanwhile count against its budget until it is closed as slow.
   */
  private async pumpReplay(stream: Subscription, queue: ConnectionQueue): Promise<void> {
    const budget = this.host.groups.budget;
    // The replays that began first are written first (see `TurnSlice.later`).
    const rank = budget.nextRank();
    try {
      for (;;) {
        // Stryker disable next-line ConditionalExpression: the guards after the next read stop an ended stream as well (its delivery is gone with it).
        if (stream.ended) return;
        if (!queue.readyForReplay(this.deliveries.get(stream)?.member.lane)) {
          await queue.drained();
          continue;
        }
        // Replays share the turn's budget with fan-outs: a thousand clients resuming at once are
        // written a slice of the event loop at a time, with accepts and pings in between.
        // Stryker disable next-line ConditionalExpression: yielding to a later turn is timing only; the replay goes on the same.
        if (budget.spent()) {
          await budget.later(rank);
          continue;
        }
        const item = await stream.nextReplayed();
        // Stryker disable next-line ConditionalExpression: an ended stream's delivery is gone, which the next line checks too.
        if (stream.ended) return;
        const delivery = this.deliveries.get(stream);
        // Stryker disable next-line ConditionalExpression: a delivery goes only when its stream ends, which the line before checks.
        if (!delivery) return;
        if (!item) return this.join(stream, delivery);
        this.send(stream, delivery, item, true);
      }
    } catch (error) {
      stream.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * New read rights (its token was renewed): a subscription to every room filters by them from now
   * on (in the group of its new key); one to named rooms they no longer all grant ends FORBIDDEN.
   */
  reauthorize(access: ReadAccess): void {
    for (const stream of [...this.subscriptions]) {
      const denied = (stream.rooms ?? []).filter((room) => !access.canRead(room));
      if (denied.length) {
        stream.fail(roomsDenied(denied));
        continue;
      }
      stream.access = access;
      const delivery = this.deliveries.get(stream);
      if (!delivery) continue;
      const group = this.host.groups.groupFor(stream, delivery.operation.grouping);
      if (group === delivery.group) continue;
      // Joined before leaving, so that a room both groups share is never unwatched in between (a
      // subscription still replaying joins its group when the replay is over).
      if (delivery.group.members.has(delivery.member)) group.members.add(delivery.member);
      this.host.groups.leave(delivery.group, delivery.member);
      this.deliveries.set(stream, { ...delivery, group });
    }
  }

  /** The connection ended (the socket closed, the token expired): its subscriptions end. Idempotent. */
  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    for (const stream of [...this.subscriptions]) stream.end();
    if (this.isCounted) this.host.released(this);
  }

  /** Closes the connection past its byte bound, so one slow reader cannot hold memory. */
  private closeSlow(queuedBytes: number): void {
    // Stryker disable next-line ConditionalExpression: a released connection's subscriptions ended and left their groups, so nothing more is written or counted for it.
    if (this.isReleased) return;
    this.host.logger.warn(
      { connection: this.id, transport: this.transport, queuedBytes },
      'closing a slow consumer',
    );
    this.host.onSlowConsumer?.(this);
    this.release();
    this.socket.close(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
  }

  /** Bytes waiting for it: in its iterated subscriptions, its socket's buffer and its lanes. */
  queuedBytes(): number {
    return this.iteratedBytes + (this.queue?.bufferedBytes() ?? 0);
  }

  stat(): ConnectionQueueStat {
    return {
      id: this.id,
      transport: this.transport,
      subscriptions: this.subscriptions.size,
      queuedBytes: this.queuedBytes(),
      heldFrames: this.queue?.held().frames ?? 0,
    };
  }

  private count(): void {
    if (this.isCounted) return;
    this.isCounted = true;
    this.host.counted(this);
  }

  /** A subscription of this connection ended. */
  ended(stream: Subscription): void {
    this.host.owner.ended(stream);
    const delivery = this.deliveries.get(stream);
    if (delivery) {
      this.deliveries.delete(stream);
      this.host.groups.leave(delivery.group, delivery.member);
      if (delivery.member.lane) delivery.member.queue.removeLane(delivery.member.lane);
    }
    this.subscriptions.delete(stream);
    if (this.socket.oneSubscription && this.subscriptions.size === 0) this.release();
  }
}
