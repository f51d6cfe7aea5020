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
import { z } from 'zod';

export const EventType = builder.enumType('EventType', { values: EVENT_TYPES });

const AgentEventPayloadRef = builder.objectRef<AgentEventPayload>('AgentEventPayload').implement({
  fields: (t) => ({
    agent: t.field({ type: AgentRef, resolve: (p) => p.agent }),
    previousStatus: t.field({ type: AgentStatus, nullable: true, resolve: (p) => p.previousStatus }),
    action: t.field({ type: AgentAction, nullable: true, resolve: (p) => p.action }),
  }),
});
const TaskEventPayloadRef = builder.objectRef<TaskEventPayload>('TaskEventPayload').implement({
  fields: (t) => ({
    task: t.field({ type: TaskRef, resolve: (p) => ({ ...p.task, assigneeSnapshot: p.assignee }) }),
    previousStatus: t.field({ type: TaskStatus, nullable: true, resolve: (p) => p.previousStatus }),
  }),
});
const ElectionEventPayloadRef = builder.objectRef<ElectionEventPayload>('ElectionEventPayload').implement({
  fields: (t) => ({ election: t.field({ type: ElectionRef, resolve: (p) => p.election }) }),
});
const ProposalEventPayloadRef = builder.objectRef<ProposalEventPayload>('ProposalEventPayload').implement({
  fields: (t) => ({
    proposal: t.field({ type: ProposalRef, resolve: (p) => p.proposal }),
    vote: t.field({ type: VoteRef, nullable: true, resolve: (p) => p.vote }),
  }),
});
const AlertEventPayloadRef = builder.objectRef<AlertEventPayload>('AlertEventPayload').implement({
  fields: (t) => ({ alert: t.field({ type: AlertRef, resolve: (p) => p.alert }) }),
});
const HealthEventPayloadRef = builder.objectRef<HealthEventPayload>('HealthEventPayload').implement({
  fields: (t) => ({
    ready: t.exposeBoolean('ready'),
    checks: t.field({ type: 'JSON', nullable: true, resolve: (p) => p.checks }),
  }),
});
const MetricsEventPayloadRef = builder.objectRef<MetricsEventPayload>('MetricsEventPayload').implement({
  fields: (t) => ({ fleet: t.field({ type: FleetStatsRef, resolve: (p) => p.fleet }) }),
});
const CustomEventPayloadRef = builder.objectRef<CustomEventPayload>('CustomEventPayload').implement({
  fields: (t) => ({ data: t.field({ type: 'JSON', resolve: (p) => p.data }) }),
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
    id: t.exposeID('id'),
    type: t.field({ type: EventType, resolve: (e) => e.type }),
    rooms: t.exposeStringList('rooms'),
    timestamp: t.field({ type: 'DateTime', resolve: (e) => e.timestamp }),
    source: t.exposeString('source', { nullable: true, description: 'The instance that made the change.' }),
    payload: t.field({ type: EventPayload, resolve: (e) => e.payload }),
  }),
});

builder.mutationFields((t) => ({
  broadcast: t.field({
    type: EventRef,
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
      'Events in any of `rooms` (every room the caller may read when omitted) and of any of `types` (all when omitted). With `since`, first every retained event after that id, then live ones, without gap or repeat. A `since` that is malformed is BAD_USER_INPUT; one no longer retained is CURSOR_EXPIRED: query the state again and subscribe without `since`.',
    args: {
      rooms: t.arg.stringList({
        validate: z.array(roomSchema).max(100, { message: 'at most 100 rooms' }).nullish(),
      }),
      types: t.arg({ type: [EventType] }),
      since: t.arg.id(),
    },
    subscribe: async (_, args, ctx) =>
      withClientErrors(
        await ctx.realtime.open({
          rooms: args.rooms ?? null,
          types: args.types ?? null,
          since: args.since == null ? null : String(args.since),
          connection: ctx.connection,
          access: ctx.access,
        }),
      ),
    resolve: (event: StoredEvent) => event,
  }),
}));
