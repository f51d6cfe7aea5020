/**
 * Groups: the subscriptions that would each compute the same bytes for an event. Subscriptions with
 * the same document, operation, variables and read rights form one group; an event that passes the
 * group's filter is executed and serialized once, and the same payload bytes go to every member,
 * each framed by its own prefix and suffix (a graphql-ws `next` message: `{"id":"…","type":"next",
 * "payload":` + payload + `}`). The read rights are part of the key and nothing else about the caller
 * is: two callers who read the same rooms see the same result (Apollo Router and Hasura share one
 * execution the same way).
 */
import type { ReadAccess } from '../domain/access/read-access.js';
import { performance } from 'node:perf_hooks';
import { compareEventIds, type EventType, type StoredEvent } from '../domain/events/event-types.js';
import type { ConnectionQueue } from './connection-queue.js';
import type { StreamPosition } from './subscription.js';
import { entityKey, type EventsDropped, type Lane, type OverflowPolicy } from './overflow.js';
import { wanted } from './room-check.js';
import { TurnSlice, type Arrivals } from './turn-slice.js';
import type { RoutedTarget } from './room-index.js';

/** One event's payload bytes for a group (a GraphQL execution result as JSON). */
export type EventEncoder = (event: StoredEvent) => Buffer | Promise<Buffer>;

/** How one operation frames a shared payload. */
export interface Framing {
  prefix: Buffer;
  suffix: Buffer;
}

/** One subscription delivered by its group. */
export interface Member extends Framing {
  readonly queue: ConnectionQueue;
  /**
   * Live events at or before this id were already replayed (or precede the cursor). Kept for the
   * whole stream: with several rooms, one room's message can arrive after another's newer one.
   */
  readonly floor: string | null;
  /**
   * Its frames' lane in the connection's queue when its policy drops rather than closes (overflow.ts):
   * the group still encodes once; what a slow member loses is decided there, per member.
   */
  readonly lane?: Lane;
  /** The newest event written for it by the group, and when (a positioned stream's heartbeat reads them). */
  last?: string | null;
  sentAt?: number;
}

/** Encoded events a group keeps for members that replay them (and their bytes at most). */
const RECENT_EVENTS = 256;
const RECENT_BYTES = 256 * 1024;

/**
 * The newest encodings of events, kept so that subscribers replaying the same events (a reconnect
 * storm after a restart: thousands resuming over the same recent range) share one execution each
 * instead of one per subscriber. Bounded in events and bytes; the oldest kept go first. A hub's
 * groups share one, so the group that replays most gets most of it, whatever the number of groups.
 */
export class RecentEncodings {
  private readonly kept = new Map<string, Buffer>();
  private bytes = 0;
  private groups = 0;

  constructor(
    private readonly maxEvents = RECENT_EVENTS,
    private readonly maxBytes = RECENT_BYTES,
  ) {}

  /** A prefix of keys of its own for each group. */
  newGroup(): string {
    return `${(this.groups++).toString(36)}:`;
  }

  get(key: string): Buffer | undefined {
    return this.kept.get(key);
  }

  keep(key: string, payload: Buffer): void {
    if (this.kept.has(key) || payload.length > this.maxBytes) return;
    this.kept.set(key, payload);
    this.bytes += payload.length;
    for (const [oldest, bytes] of this.kept) {
      if (this.kept.size <= this.maxEvents && this.bytes <= this.maxBytes) break;
      this.kept.delete(oldest);
      this.bytes -= bytes.length;
    }
  }
}

/** Members written to between two looks at the clock during a fan-out. */
const CHECK_EVERY = 64;
/** Work a fan-out does in one turn of the event loop before it yields. */
export const FAN_OUT_SLICE_MS = 4;

/**
 * Fan-out work (ms) from which a group's pass is paced (see `TurnBudget.paced`): a large group. A
 * smaller pass is written at once.
 */
export const PACED_PASS_MS = 8;
/** The share of the event loop's time that the passes of large groups may take. */
export const FAN_OUT_SHARE = 0.5;

/**
 * The event loop's time for fan-outs, shared by every group of a hub.
 *
 * Within a turn: once FAN_OUT_SLICE_MS have gone by, fan-outs go on in a later turn (one event to
 * many small groups is as long a turn as one to a large group).
 *
 * Over time: the passes of large groups take at most FAN_OUT_SHARE of the loop. One event to 10 000
 * sockets is 10 000 system calls; at 20 events a second that is more than a core, and every accept,
 * resume and publish would wait behind it. A large group's next pass starts only once the time since
 * the last one began is its work ÷ FAN_OUT_SHARE; the events routed meanwhile join that pass, so each
 * socket takes them in one write (Centrifugo's `write_delay` does the same with a fixed delay; here
 * it is as long as the fan-out's own cost, and nothing when the groups are small).
 */
export class TurnBudget extends TurnSlice {
  private pacedUntil = 0;

  constructor(arrivals: Arrivals | null = null) {
    super(FAN_OUT_SLICE_MS, arrivals);
  }

  /** A large group's pass that began at `began` did `work` ms of fan-out. */
  passed(began: number, work: number): void {
    if (work < PACED_PASS_MS) return;
    this.pacedUntil = Math.max(this.pacedUntil, began + work / FAN_OUT_SHARE);
  }

  /** How long a large group's next pass waits (ms; 0: it starts now). */
  paced(): number {
    return Math.max(0, this.pacedUntil - performance.now());
  }
}

/**
 * The cursor a position's template is executed with: the frame of any position is the template's
 * bytes with this (as JSON) replaced by the real cursor, so a position costs no execution.
 */
const CURSOR_PLACEHOLDER = 'colony:cursor:7d1c2f0e';
const PLACEHOLDER_JSON = JSON.stringify(CURSOR_PLACEHOLDER);
/** The figures a drop marker's template is executed with (see `dropMarker`). */
const COUNT_PLACEHOLDER = 2_107_483_641;
const FROM_PLACEHOLDER = 'colony:from:5b0e9a21';
const TO_PLACEHOLDER = 'colony:to:5b0e9a21';

export interface GroupLogger {
  error(obj: object, msg: string): void;
}

/** The same key exactly when the execution result of every event is the same. */
export function groupKey(
  query: string,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  access: ReadAccess,
): string {
  return JSON.stringify([query, operationName ?? null, canonical(variables ?? {}), access.key]);
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` make one key. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      sorted[key] = canonical((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/**
 * A group's members, each stamped with the order it joined in: an event goes to the members that
 * were in the group when it was routed (one that joins while it waits got it from its own stream).
 */
class Members extends Set<Member> {
  private joins = 0;
  private readonly joinedAt = new WeakMap<Member, number>();

  override add(member: Member): this {
    if (!this.has(member)) this.joinedAt.set(member, ++this.joins);
    return super.add(member);
  }

  /** The newest join so far: members at or below it were in the group at this moment. */
  get latest(): number {
    return this.joins;
  }

  joined(member: Member): number {
    return this.joinedAt.get(member) ?? Number.POSITIVE_INFINITY;
  }
}

/** A live event routed to the group, with the members it was routed to (see `Members`). */
interface Routed {
  event: StoredEvent;
  routedTo: number;
}

/**
 * What the group writes, in order: live events in batches (every event routed while the batch was
 * waiting goes out in one pass over the members), or one item for one member.
 */
type Step =
  | { kind: 'batch'; events: Routed[]; started: boolean }
  | {
      kind: 'one';
      member: Member;
      produce: () => Buffer | Promise<Buffer>;
      send: (payload: Buffer) => void;
      event: StoredEvent | null;
    };

export class SubscriptionGroup implements RoutedTarget {
  readonly members: Set<Member> = new Members();
  /** What waits to be written, in order; the first is being written while `writing`. */
  private readonly steps: Step[] = [];
  private writing = false;
  /** Batches among the steps, and each member's items among them. */
  private batches = 0;
  /** Its last pass was a large one (PACED_PASS_MS): its next waits for the budget's pace. */
  private large = false;
  private readonly queuedFor = new WeakMap<Member, number>();
  /** Its key prefix in the recent encodings (see `encoded`). */
  private readonly recentKey: string;
  /** A position's payload split around its cursor, live and not live, executed once per group. */
  private readonly templates = new Map<boolean, string[]>();
  /** An `EventsDropped` payload per reason, with placeholders for its figures (see `dropMarker`). */
  private readonly dropTemplates = new Map<OverflowPolicy, string>();

  constructor(
    readonly key: string,
    readonly rooms: readonly string[] | null,
    readonly types: ReadonlySet<EventType> | null,
    private readonly access: ReadAccess,
    private readonly encode: EventEncoder,
    private readonly logger: GroupLogger,
    private readonly budget: TurnBudget = new TurnBudget(),
    private readonly recent: RecentEncodings = new RecentEncodings(),
    /**
     * Payload bytes one pass writes to each member at most (at least one event): what a pass writes
     * waits in the socket until the turn ends, and counts against the connection's bound meanwhile,
     * so a batch that grew while the group was busy must not close (or make drop) a member that
     * keeps up. The rest of the batch goes in the next pass.
     */
    private readonly passBytes = Number.POSITIVE_INFINITY,
  ) {
    this.recentKey = recent.newGroup();
  }

  get size(): number {
    return this.members.size;
  }

  /** Nothing waits: what was routed to the group has been written. */
  get idle(): boolean {
    return this.steps.length === 0;
  }

  wants(event: StoredEvent): boolean {
    return wanted(event, this.rooms, this.types, this.access);
  }

  /**
   * A live event: executed once, written to every member it was routed to. Events routed while
   * earlier ones are still being written (a fan-out that yielded, an encoding that waits) join one
   * batch, written in one pass over the members: each socket then takes all of them in one write,
   * so a group that falls behind catches up with fewer system calls instead of more.
   */
  deliver(event: StoredEvent): void {
    const routed: Routed = { event, routedTo: (this.members as Members).latest };
    const last = this.steps.at(-1);
    if (last?.kind === 'batch' && !last.started) last.events.push(routed);
    else {
      this.steps.push({ kind: 'batch', events: [routed], started: false });
      this.batches++;
    }
    this.drain();
  }

  /** An event for one member only (its replay, or what arrived before it joined), in order. */
  deliverTo(member: Member, event: StoredEvent, replayed: boolean): void {
    this.one(
      member,
      () => this.encoded(event),
      (payload) => {
        if (replayed) member.queue.pushReplayed(frame(member, payload));
        else push(member, payload, event);
        member.last = event.id;
        member.sentAt = Date.now();
      },
      event,
    );
  }

  /**
   * A position for one member, in order with its events: the group's template for positions (one
   * execution per group and `live`) with this position's cursor in it.
   */
  positionTo(member: Member, position: StreamPosition): void {
    const cursor = JSON.stringify(position.cursor);
    const send = (template: string[]) => push(member, Buffer.from(template.join(cursor)), null);
    const template = this.templates.get(position.live);
    if (template) {
      this.one(
        member,
        () => EMPTY,
        () => send(template),
        null,
      );
      return;
    }
    const root: StreamPosition = { kind: 'position', cursor: CURSOR_PLACEHOLDER, live: position.live };
    this.one(
      member,
      () => this.encode(root as unknown as StoredEvent),
      (payload) => {
        const made = payload.toString().split(PLACEHOLDER_JSON);
        this.templates.set(position.live, made);
        send(made);
      },
      null,
    );
  }

  /**
   * How a member's gap is framed on `eventStream`: the group's template for `EventsDropped` (one
   * execution per group and reason) with the gap's figures in it. Null when the template cannot be
   * made at once (an executor that awaits): the gap then goes into the next event's extensions.
   */
  dropMarker(member: Framing, reason: OverflowPolicy): ((dropped: EventsDropped) => Buffer) | null {
    let template = this.dropTemplates.get(reason);
    if (!template) {
      const root: EventsDropped = {
        kind: 'dropped',
        count: COUNT_PLACEHOLDER,
        fromId: FROM_PLACEHOLDER,
        toId: TO_PLACEHOLDER,
        reason,
      };
      let payload: Buffer | Promise<Buffer>;
      try {
        payload = this.encode(root as unknown as StoredEvent);
      } catch (error) {
        this.fail(error, null);
        return null;
      }
      if (payload instanceof Promise) {
        payload.catch(() => undefined);
        return null;
      }
      template = payload.toString();
      this.dropTemplates.set(reason, template);
    }
    const made = template;
    return (dropped) =>
      frame(
        member,
        Buffer.from(
          made
            .split(String(COUNT_PLACEHOLDER))
            .join(String(dropped.count))
            .split(JSON.stringify(FROM_PLACEHOLDER))
            .join(JSON.stringify(dropped.fromId))
            .split(JSON.stringify(TO_PLACEHOLDER))
            .join(JSON.stringify(dropped.toId)),
        ),
      );
  }

  /**
   * One item for one member, in order with what the group still has to write for it: at once when
   * nothing of its own waits and no batch that may include it does (a subscription still replaying
   * is not a member, so its replay never waits behind the group's live fan-out); behind them otherwise.
   */
  private one(
    member: Member,
    produce: () => Buffer | Promise<Buffer>,
    send: (payload: Buffer) => void,
    event: StoredEvent | null,
  ): void {
    if (!this.queuedFor.get(member) && (this.batches === 0 || !this.members.has(member))) {
      let payload: Buffer | Promise<Buffer>;
      try {
        payload = produce();
      } catch (error) {
        this.fail(error, event);
        return;
      }
      if (!(payload instanceof Promise)) return send(payload);
      const waiting = payload;
      produce = () => waiting;
    }
    this.queuedFor.set(member, (this.queuedFor.get(member) ?? 0) + 1);
    this.steps.push({ kind: 'one', member, produce, send, event });
    this.drain();
  }

  /**
   * Writes the steps in order: at once while each is synchronous (an encoding that returns, a
   * fan-out that fits in this turn), resuming after one that waits.
   */
  private drain(): void {
    if (this.writing) return;
    this.writing = true;
    for (let ran = 0; ; ran++) {
      const step = this.steps[0];
      if (!step) break;
      // Items queued one by one share the turn's budget with fan-outs (which slice themselves).
      // Stryker disable next-line EqualityOperator: the first step waiting for a later turn too is timing only (the order stays).
      if (ran > 0 && step.kind === 'one' && this.budget.spent()) {
        setImmediate(() => {
          this.writing = false;
          this.drain();
        });
        return;
      }
      // A large group's next pass waits for the pace (events routed meanwhile join it).
      const pace = step.kind === 'batch' && !step.started && this.large ? this.budget.paced() : 0;
      if (pace > 0) {
        setTimeout(() => {
          this.writing = false;
          this.drain();
        }, pace);
        return;
      }
      let waiting: Promise<void> | void = undefined;
      try {
        waiting = step.kind === 'batch' ? this.writeBatch(step) : this.writeOne(step);
      } catch (error) {
        this.fail(error, null);
      }
      if (waiting) {
        void waiting
          .catch((error: unknown) => this.fail(error, null))
          .then(() => {
            this.done(step);
            this.writing = false;
            this.drain();
          });
        return;
      }
      this.done(step);
    }
    this.writing = false;
  }

  private done(step: Step): void {
    this.steps.shift();
    if (step.kind === 'batch') this.batches--;
    else {
      const left = (this.queuedFor.get(step.member) ?? 1) - 1;
      // Stryker disable next-line EqualityOperator: a count of 0 kept reads as none (`!this.queuedFor.get(member)`).
      if (left > 0) this.queuedFor.set(step.member, left);
      else this.queuedFor.delete(step.member);
    }
  }

  private writeOne(step: Extract<Step, { kind: 'one' }>): void | Promise<void> {
    let payload: Buffer | Promise<Buffer>;
    try {
      payload = step.produce();
    } catch (error) {
      this.fail(error, step.event);
      return;
    }
    if (!(payload instanceof Promise)) return step.send(payload);
    return payload.then(step.send, (error: unknown) => this.fail(error, step.event));
  }

  /** Encodes a batch's events (once for the group), then writes them to the members. */
  private writeBatch(step: Extract<Step, { kind: 'batch' }>): void | Promise<void> {
    step.started = true;
    const payloads = step.events.map(({ event }) => {
      try {
        return this.encoded(event);
      } catch (error) {
        this.fail(error, event);
        return null;
      }
    });
    if (!payloads.some((payload) => payload instanceof Promise)) {
      const fits = this.fitting(payloads as (Buffer | null)[]);
      if (fits < step.events.length) {
        // The rest waits as the next batch, before anything routed later (kept encoded meanwhile).
        this.steps.splice(1, 0, { kind: 'batch', events: step.events.splice(fits), started: false });
        this.batches++;
        payloads.length = fits;
      }
      return this.fanOut(step.events, payloads as (Buffer | null)[]);
    }
    return Promise.all(
      payloads.map((payload, i) =>
        Promise.resolve(payload).catch((error: unknown) => {
          this.fail(error, step.events[i]?.event ?? null);
          return null;
        }),
      ),
    ).then((resolved) => this.fanOut(step.events, resolved));
  }

  /** How many of a batch's first payloads one pass writes (see `passBytes`): one at least. */
  private fitting(payloads: (Buffer | null)[]): number {
    let bytes = 0;
    for (let i = 0; i < payloads.length; i++) {
      bytes += payloads[i]?.length ?? 0;
      if (bytes > this.passBytes && i > 0) return i;
    }
    return payloads.length;
  }

  /**
   * Writes a batch of payloads to the members each was routed to, each member's in order and in one
   * go. A large group is written a slice at a time, yielding to the event loop after
   * FAN_OUT_SLICE_MS of work, so that accepts, pings and other sockets' reads interleave (a busy Node
   * process accepts one connection per turn); the group's later events wait behind it, so each member
   * still gets them in order. One that left meanwhile gets nothing more.
   */
  private fanOut(routed: Routed[], payloads: (Buffer | null)[]): void | Promise<void> {
    const batch: (Routed & { payload: Buffer })[] = [];
    routed.forEach((r, i) => {
      const payload = payloads[i];
      if (payload) batch.push({ ...r, payload });
    });
    if (batch.length === 0) return;
    const members = this.members as Members;
    const now = Date.now();
    // When nobody joined since the batch's first event was routed, every member gets all of it.
    // Stryker disable next-line EqualityOperator,ConditionalExpression: a short cut; every member joined at or before the batch was routed then.
    const joinedSince = (batch[0] as Routed).routedTo < members.latest;
    const writeTo = (member: Member) => {
      if (!members.has(member)) return;
      const joined = joinedSince ? members.joined(member) : 0;
      for (const { event, payload, routedTo } of batch)
        if (joined <= routedTo) this.write(member, event, payload, now);
    };
    const all = [...members];
    // A small fan-out is written at once: deferring it would only bunch its writes into a later turn.
    // Stryker disable next-line EqualityOperator: a fan-out of CHECK_EVERY writes exactly is one slice either way (timing only).
    if (all.length * batch.length <= CHECK_EVERY) {
      for (const member of all) writeTo(member);
      this.large = false;
      return;
    }
    // At least one chunk per slice, so that a fan-out always moves on.
    // Stryker disable next-line MethodExpression: how often a slice looks at the clock is timing only.
    const chunk = Math.max(1, Math.ceil(CHECK_EVERY / batch.length));
    const began = performance.now();
    let work = 0;
    const slice = (from: number): number => {
      const start = performance.now();
      let at = from;
      do {
        const end = Math.min(all.length, at + chunk);
        for (; at < end; at++) writeTo(all[at] as Member);
      } while (at < all.length && !this.budget.spent());
      work += performance.now() - start;
      if (at >= all.length) {
        // Stryker disable next-line EqualityOperator: a pass of PACED_PASS_MS exactly, measured on the real clock, is timing only.
        this.large = work >= PACED_PASS_MS;
        this.budget.passed(began, work);
      }
      return at;
    };
    let at = slice(0);
    if (at >= all.length) return;
    return new Promise((resolve) => {
      const next = () => {
        at = slice(at);
        if (at >= all.length) resolve();
        else setImmediate(next);
      };
      setImmediate(next);
    });
  }

  private write(member: Member, event: StoredEvent, payload: Buffer, now: number): void {
    if (member.floor !== null && compareEventIds(event.id, member.floor) <= 0) return;
    push(member, payload, event);
    member.last = event.id;
    member.sentAt = now;
  }

  /**
   * An event's payload, encoded once for the group: the newest encodings are kept, so that members
   * that replay the same recent events (a reconnect storm after a restart) share them too.
   */
  private encoded(event: StoredEvent): Buffer | Promise<Buffer> {
    const key = this.recentKey + event.id;
    const cached = this.recent.get(key);
    if (cached) return cached;
    const payload = this.encode(event);
    if (payload instanceof Promise) return payload.then((p) => this.keep(key, p));
    return this.keep(key, payload);
  }

  private keep(key: string, payload: Buffer): Buffer {
    this.recent.keep(key, payload);
    return payload;
  }

  private fail(error: unknown, event: StoredEvent | null): void {
    // execute() reports resolver errors in the result; a throw here is a bug of ours, not the client's.
    this.logger.error({ err: error, event: event?.id, group: this.key }, 'could not encode an event');
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A member's frame of a payload onto its connection: straight to the socket, or into its lane when it
 * has one (as its parts, joined only if it is written: see `FrameParts`).
 */
function push(member: Member, payload: Buffer, event: StoredEvent | null): void {
  const lane = member.lane;
  if (!lane) member.queue.push(frame(member, payload), event !== null);
  else
    member.queue.pushHeld(
      lane,
      [member.prefix, payload, member.suffix],
      event !== null,
      event?.id ?? null,
      event && lane.policy === 'COALESCE' ? entityKey(event) : null,
    );
}

function frame(member: Framing, payload: Buffer): Buffer {
  return Buffer.concat(
    [member.prefix, payload, member.suffix],
    member.prefix.length + payload.length + member.suffix.length,
  );
}
