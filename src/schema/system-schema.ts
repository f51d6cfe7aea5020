import { ALERT_LEVELS, type Alert, type FleetStats, type StatusCount } from '../domain/model.js';
import type { AgentStatus as AgentStatusValue, TaskStatus as TaskStatusValue } from '../domain/model.js';
import type { ConnectionQueueStat, RealtimeStats, RoomStat } from '../realtime/realtime-api.js';
import { FIGURES, type Figure, type FigureName } from '../realtime/realtime-figures.js';
import { AgentRef, AgentStatus } from './agent-schema.js';
import { builder } from './builder.js';
import { TaskStatus } from './task-schema.js';

export const AlertLevel = builder.enumType('AlertLevel', { values: ALERT_LEVELS });

export const AlertRef = builder.objectRef<Alert>('Alert');
AlertRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    level: t.field({ type: AlertLevel, resolve: (a) => a.level }),
    message: t.exposeString('message'),
    details: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.details }),
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
  }),
});

const AgentStatusCount = builder.objectRef<StatusCount<AgentStatusValue>>('AgentStatusCount').implement({
  fields: (t) => ({
    status: t.field({ type: AgentStatus, resolve: (c) => c.status }),
    count: t.exposeInt('count'),
  }),
});
const TaskStatusCount = builder.objectRef<StatusCount<TaskStatusValue>>('TaskStatusCount').implement({
  fields: (t) => ({
    status: t.field({ type: TaskStatus, resolve: (c) => c.status }),
    count: t.exposeInt('count'),
  }),
});

export const FleetStatsRef = builder.objectRef<FleetStats>('FleetStats');
FleetStatsRef.implement({
  fields: (t) => ({
    agentsByStatus: t.field({ type: [AgentStatusCount], resolve: (f) => f.agentsByStatus }),
    tasksByStatus: t.field({ type: [TaskStatusCount], resolve: (f) => f.tasksByStatus }),
    leader: t.field({ type: AgentRef, nullable: true, resolve: (f) => f.leader }),
    term: t.exposeInt('term'),
    liveAgents: t.int({
      description:
        'Agents whose lease holds now, fleet-wide (as `colony_live_agents` on /metrics): read from every held lease, so ask it now and then rather than with every change.',
      resolve: (_, __, ctx) => ctx.colony.liveness.countLive(),
    }),
  }),
});

const RoomStatRef = builder.objectRef<RoomStat>('RoomStat').implement({
  fields: (t) => ({ room: t.exposeString('room'), subscribers: t.exposeInt('subscribers') }),
});

const ConnectionQueueStatRef = builder.objectRef<ConnectionQueueStat>('ConnectionQueueStat').implement({
  description: 'One connection of the instance that answered, and what its queue holds now.',
  fields: (t) => ({
    id: t.exposeID('id'),
    transport: t.exposeString('transport', { description: '`ws` or `sse`.' }),
    subscriptions: t.exposeInt('subscriptions'),
    queuedBytes: t.exposeInt('queuedBytes', {
      description:
        'Bytes waiting for it: written and not yet taken by the kernel, and held for its subscriptions.',
    }),
    heldFrames: t.exposeInt('heldFrames', {
      description: 'Frames held for its subscriptions whose overflow policy drops rather than disconnects.',
    }),
  }),
});

const RealtimeStatsRef = builder.objectRef<RealtimeStats>('RealtimeStats').implement({
  description: 'Live figures of every instance together.',
  fields: (t) => {
    // Each figure as realtime-figures.ts declares it, the rooms where they have always been listed.
    const fields: Record<string, ReturnType<typeof t.exposeInt> | ReturnType<typeof t.field>> = {};
    for (const [name, figure] of Object.entries(FIGURES) as [FigureName, Figure][]) {
      fields[name] = t.exposeInt(name, figure.description ? { description: figure.description } : {});
      if (name === 'activeSubscriptions')
        fields.rooms = t.field({ type: [RoomStatRef], resolve: (s) => s.rooms });
    }
    fields.connectionQueues = t.field({
      type: [ConnectionQueueStatRef],
      description: "The answering instance's connections (not the cluster's), deepest queue first.",
      resolve: (s) => s.connectionQueues ?? [],
    });
    return fields;
  },
});

builder.queryFields((t) => ({
  fleet: t.field({ type: FleetStatsRef, resolve: (_, __, ctx) => ctx.colony.system.fleet() }),
  realtimeStats: t.field({
    type: RealtimeStatsRef,
    description: 'Connections, subscriptions and rooms of every instance. Admin only.',
    authScopes: { admin: true },
    resolve: (_, __, ctx) => ctx.realtime.stats(),
  }),
}));

builder.mutationFields((t) => ({
  raiseAlert: t.field({
    type: AlertRef,
    description: 'Publishes ALERT_TRIGGERED to the `system` room.',
    args: {
      level: t.arg({ type: AlertLevel, required: true }),
      message: t.arg.string({ required: true, description: '1–1000 characters.' }),
      details: t.arg({ type: 'JSON', description: 'At most 16 KiB as JSON and 32 levels deep.' }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.system.raiseAlert(args.level, args.message, args.details ?? undefined),
  }),
}));
