import type {
  AgentEventPayload,
  AlertEventPayload,
  CustomEventPayload,
  ElectionEventPayload,
  HealthEventPayload,
  MetricsEventPayload,
  ProposalEventPayload,
  StoredEvent,
  TaskEventPayload,
} from '../domain/events/event-types.js';
import { EVENT_TYPES } from '../domain/events/event-types.js';
import { roomSchema } from '../domain/validation.js';
import { AgentAction, AgentRef, AgentStatus } from './agent-schema.js';
import { builder } from './builder.js';
import { withClientErrors } from './errors.js';
import { ProposalRef, VoteRef } from './consensus-schema.js';
import { ElectionRef } from './election-schema.js';
import { AlertRef, FleetStatsRef } from './system-schema.js';
import { TaskRef, TaskStatus } from './task-schema.js';
import { isStreamPosition, type StreamItem, type StreamPosition } from '../realtime/subscription.js';
import { z } from 'zod';
import type { OVERFLOW_POLICIES } from '../realtime/overflow.js';
import { isEventsDropped, type EventsDropped } from '../realtime/overflow.js';

export const EventType = builder.enumType('EventType', { values: EVENT_TYPES });

const AgentEventPayloadRef = builder.objectRef<AgentEventPayload>('AgentEventPayload').implement({
  description: 'The payload of the AGENT_* events.',
  fields: (t) => ({
    agent: t.field({
      type: AgentRef,
      description: 'The agent as it is after the change (as it was just before, for AGENT_DELETED).',
      resolve: (p) => p.agent,
    }),
    previousStatus: t.field({
      type: AgentStatus,
      nullable: true,
      description: 'The status before the change (AGENT_STATUS_CHANGED; null otherwise).',
      resolve: (p) => p.previousStatus,
    }),
    action: t.field({
      type: AgentAction,
      nullable: true,
      description:
        'The action performed (AGENT_ACTION and the AGENT_STATUS_CHANGED it causes; null otherwise).',
      resolve: (p) => p.action,
    }),
    reason: t.string({
      nullable: true,
      description:
        'Why the status changed when no action did it: LEASE_EXPIRED (the agent stopped proving it is alive). Null otherwise.',
      resolve: (p) => p.reason ?? null,
    }),
  }),
});
const TaskEventPayloadRef = builder.objectRef<TaskEventPayload>('TaskEventPayload').implement({
  description: 'The payload of the TASK_* events.',
  fields: (t) => ({
    task: t.field({
      type: TaskRef,
      description: 'The task as it is after the change, with its assignee as the change left it.',
      resolve: (p) => ({ ...p.task, assigneeSnapshot: p.assignee }),
    }),
    previousStatus: t.field({
      type: TaskStatus,
      nullable: true,
      description: 'The status before the change; null for TASK_CREATED and TASK_PROGRESS.',
      resolve: (p) => p.previousStatus,
    }),
    reason: t.string({
      nullable: true,
      description:
        'TASK_REQUEUED: why its assignee let it go (LEASE_EXPIRED, AGENT_PAUSED, AGENT_STOPPED, AGENT_DELETED). Null otherwise.',
      resolve: (p) => p.reason ?? null,
    }),
  }),
});
const ElectionEventPayloadRef = builder.objectRef<ElectionEventPayload>('ElectionEventPayload').implement({
  description: 'The payload of ELECTION_TRIGGERED and LEADER_ELECTED.',
  fields: (t) => ({
    election: t.field({
      type: ElectionRef,
      description: 'The term: without a leader when triggered, with one once elected.',
      resolve: (p) => p.election,
    }),
  }),
});
const ProposalEventPayloadRef = builder.objectRef<ProposalEventPayload>('ProposalEventPayload').implement({
  description: 'The payload of the CONSENSUS_* events.',
  fields: (t) => ({
    proposal: t.field({
      type: ProposalRef,
      description: 'The proposal after the change, with every vote so far.',
      resolve: (p) => p.proposal,
    }),
    vote: t.field({
      type: VoteRef,
      nullable: true,
      description: 'The vote just cast (CONSENSUS_VOTED; null otherwise).',
      resolve: (p) => p.vote,
    }),
  }),
});
const AlertEventPayloadRef = builder.objectRef<AlertEventPayload>('AlertEventPayload').implement({
  description: 'The payload of ALERT_TRIGGERED.',
  fields: (t) => ({
    alert: t.field({ type: AlertRef, description: 'The alert raised.', resolve: (p) => p.alert }),
  }),
});
const HealthEventPayloadRef = builder.objectRef<HealthEventPayload>('HealthEventPayload').implement({
  description: 'The payload of HEALTH_CHANGED: what /ready now answers.',
  fields: (t) => ({
    ready: t.exposeBoolean('ready', { description: 'Whether the instance can serve requests now.' }),
    checks: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Each dependency checked, as `{ name: { ok, detail? } }`.',
      resolve: (p) => p.checks,
    }),
  }),
});
const MetricsEventPayloadRef = builder.objectRef<MetricsEventPayload>('MetricsEventPayload').implement({
  description: 'The payload of METRICS_UPDATED, sent every METRICS_INTERVAL_MS.',
  fields: (t) => ({
    fleet: t.field({ type: FleetStatsRef, description: 'The fleet figures now.', resolve: (p) => p.fleet }),
  }),
});
const CustomEventPayloadRef = builder.objectRef<CustomEventPayload>('CustomEventPayload').implement({
  description: 'The payload of CUSTOM (the `broadcast` mutation).',
  fields: (t) => ({
    data: t.field({
      type: 'JSON',
      description: 'What the broadcaster sent, as sent.',
      resolve: (p) => p.data,
    }),
  }),
});

const PAYLOAD_TYPES = {
  agent: AgentEventPayloadRef,
  task: TaskEventPayloadRef,
  election: ElectionEventPayloadRef,
  proposal: ProposalEventPayloadRef,
  alert: AlertEventPayloadRef,
  health: HealthEventPayloadRef,
  metrics: MetricsEventPayloadRef,
  custom: CustomEventPayloadRef,
} as const;

const EventPayload = builder.unionType('EventPayload', {
  description:
    'Every payload carries the snapshot of what changed, so a subscriber never needs a second request.',
  types: Object.values(PAYLOAD_TYPES),
  resolveType: (payload) => PAYLOAD_TYPES[payload.kind],
});

export const EventRef = builder.objectRef<StoredEvent>('Event');
EventRef.implement({
  description: 'One change, as every subscriber sees it. `id` is the cursor to resume from.',
  fields: (t) => ({
    id: t.exposeID('id', {
      description: 'Ordered (`<ms>-<seq>`), unique, and the cursor for `since` and `eventLog(after:)`.',
    }),
    type: t.field({ type: EventType, description: 'What happened.', resolve: (e) => e.type }),
    rooms: t.exposeStringList('rooms', {
      description: 'The rooms it was published to (e.g. `agents`, `agent:<id>`, `tasks`, `system`).',
    }),
    timestamp: t.field({
      type: 'DateTime',
      description: 'When the change was committed.',
      resolve: (e) => e.timestamp,
    }),
    source: t.exposeString('source', { nullable: true, description: 'The instance that made the change.' }),
    payload: t.field({ type: EventPayload, description: 'What changed.', resolve: (e) => e.payload }),
  }),
});

const StreamPositionRef = builder.objectRef<StreamPosition>('StreamPosition').implement({
  description:
    'Where an `eventStream` stands. Resuming with `since: cursor` misses no event after it and repeats none before it. Sent once the subscription is registered, again when a `since` replay ends, and on every heartbeat (STREAM_HEARTBEAT_MS) while no event is sent.',
  fields: (t) => ({
    cursor: t.exposeID('cursor', {
      nullable: true,
      description:
        'The id to resume from: never past the newest event the caller may read. Null when the log holds no event the caller may read among its newest 1 000.',
    }),
    live: t.exposeBoolean('live', {
      description: 'False on the first position of a `since` replay; true once live events follow.',
    }),
  }),
});

export const OverflowPolicy = builder.enumType('OverflowPolicy', {
  description:
    'What a subscription loses when its client reads slower than its events arrive (docs/overflow.md).',
  values: {
    DISCONNECT: {
      description:
        'The connection is closed once it holds SUBSCRIBER_MAX_QUEUE_BYTES (4008 on WebSocket; the SSE response ends with a SLOW_CONSUMER error, then complete); resume with `since`. Nothing is ever skipped.',
    },
    DROP_OLDEST: {
      description:
        "The subscription's oldest undelivered events are dropped to keep it within its share of the connection's bytes; the connection stays open and every drop is reported.",
    },
    COALESCE: {
      description:
        'While behind, only the newest METRICS_UPDATED and HEALTH_CHANGED per instance, TASK_PROGRESS per task and AGENT_UPDATED per agent are kept; other events as with DROP_OLDEST. Every drop is reported.',
    },
  } satisfies Record<(typeof OVERFLOW_POLICIES)[number], object>,
});

const EventsDroppedRef = builder.objectRef<EventsDropped>('EventsDropped').implement({
  description:
    'Events this stream did not get, sent where they were dropped, before the next event. Fetch them with `eventLog` (after the event before `fromId`, before the one after `toId`) or resume with `since`. With COALESCE, events between `fromId` and `toId` that the stream did get are the newest state of their entity.',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many events were dropped.' }),
    fromId: t.exposeID('fromId', { description: 'The oldest dropped event.' }),
    toId: t.exposeID('toId', { description: 'The newest dropped event.' }),
    reason: t.field({
      type: OverflowPolicy,
      description: 'The policy that dropped them.',
      resolve: (d) => d.reason,
    }),
  }),
});

const EventStreamItem = builder.unionType('EventStreamItem', {
  description: 'An event, the position of the stream, or the events it dropped (overflow policies).',
  types: [EventRef, StreamPositionRef, EventsDroppedRef],
  resolveType: (item: StreamItem | EventsDropped) =>
    isEventsDropped(item) ? EventsDroppedRef : isStreamPosition(item) ? StreamPositionRef : EventRef,
});

const overflowArg = {
  type: OverflowPolicy,
  defaultValue: 'DISCONNECT',
  description: 'What this subscription loses when its client falls behind (default DISCONNECT).',
} as const;

const EventConnection = builder.connectionObject(
  {
    type: EventRef,
    name: 'EventConnection',
    description:
      'A page of the retained events. `pageInfo.endCursor` is where a reader goes on (`after:`), even when a filter left the last events read out of the page.',
  },
  { name: 'EventEdge' },
);

const roomsArg = z.array(roomSchema).max(100, { message: 'at most 100 rooms' }).nullish();

builder.queryFields((t) => ({
  eventLog: t.field({
    type: EventConnection,
    description:
      'The retained history, oldest first: `first`/`after` read forward (poll with `after: endCursor`), `last`/`before` read back from the newest. Rooms follow the same rules as subscriptions. An `after` no longer retained is CURSOR_EXPIRED. One request reads at most 5000 events to fill a filtered page.',
    args: {
      rooms: t.arg.stringList({ validate: roomsArg }),
      types: t.arg({ type: [EventType] }),
      first: t.arg.int({ description: '1–100, default 20.' }),
      after: t.arg.string(),
      last: t.arg.int({ description: '1–100.' }),
      before: t.arg.string(),
    },
    resolve: async (_, args, ctx) => {
      const page = await ctx.streams.history({
        rooms: args.rooms ?? null,
        types: args.types ?? null,
        access: ctx.access,
        first: args.first ?? null,
        after: args.after ?? null,
        last: args.last ?? null,
        before: args.before ?? null,
      });
      return {
        edges: page.events.map((node) => ({ cursor: node.id, node })),
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: page.hasPreviousPage,
          startCursor: page.startCursor,
          endCursor: page.endCursor,
        },
      };
    },
  }),
}));

builder.mutationFields((t) => ({
  broadcast: t.field({
    type: EventRef,
    // Admin alone (which includes operator): without skipping the Mutation type's operator scope, a
    // viewer would be told it needs the operator role, and then, as an operator, the admin role.
    skipTypeScopes: true,
    authScopes: { admin: true },
    description: 'A CUSTOM event to one room (1–128 characters of letters, digits and `:_.-`).',
    args: {
      room: t.arg.string({ required: true, validate: roomSchema }),
      data: t.arg({
        type: 'JSON',
        required: true,
        description: 'At most 64 KiB as JSON and 32 levels deep.',
      }),
    },
    resolve: (_, args, ctx) => ctx.colony.system.broadcast(args.room, args.data ?? null),
  }),
}));

builder.subscriptionFields((t) => ({
  events: t.field({
    type: EventRef,
    description:
      'Events in any of `rooms` (every room the caller may read when omitted) and of any of `types` (all when omitted). With `since`, first every retained event after that id, then live ones, without gap or repeat. With an `overflow` policy that drops, the next result after a drop carries `extensions.dropped { count fromId toId }`. A `since` that is malformed is BAD_USER_INPUT; one no longer retained is CURSOR_EXPIRED: query the state again and subscribe without `since`.',
    args: {
      rooms: t.arg.stringList({
        validate: z.array(roomSchema).max(100, { message: 'at most 100 rooms' }).nullish(),
      }),
      types: t.arg({ type: [EventType] }),
      since: t.arg.id(),
      overflow: t.arg(overflowArg),
    },
    subscribe: async (_, args, ctx) =>
      withClientErrors(
        await ctx.realtime.open({
          rooms: args.rooms ?? null,
          types: args.types ?? null,
          since: args.since == null ? null : String(args.since),
          overflow: args.overflow ?? 'DISCONNECT',
          connection: ctx.connection,
          delivery: ctx.delivery,
          access: ctx.access,
        }),
      ),
    resolve: (event: StoredEvent) => event,
  }),
  eventStream: t.field({
    type: EventStreamItem,
    description:
      'Like `events`, with `StreamPosition`s in between: one as soon as the subscription is registered (from there nothing is missed), one when a `since` replay ends and live events begin, and one on each heartbeat while idle. Keep the newest event id or position cursor and resume with `since` after any disconnect.',
    args: {
      rooms: t.arg.stringList({ validate: roomsArg }),
      types: t.arg({ type: [EventType] }),
      since: t.arg.id(),
      overflow: t.arg(overflowArg),
    },
    subscribe: (_, args, ctx) =>
      ctx.streams.open({
        rooms: args.rooms ?? null,
        types: args.types ?? null,
        since: args.since == null ? null : String(args.since),
        overflow: args.overflow ?? 'DISCONNECT',
        connection: ctx.connection,
        delivery: ctx.delivery,
        access: ctx.access,
      }),
    resolve: (item: StreamItem) => item,
  }),
}));
