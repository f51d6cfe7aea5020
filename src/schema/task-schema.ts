import type { Agent, Task } from '../domain/model.js';
import { TASK_STATUSES } from '../domain/model.js';
import { createTaskInput } from '../domain/validation.js';
import { AgentRef } from './agent-schema.js';
import { builder } from './builder.js';
import type { ColonyContext } from './context.js';
import type { WorkerFence } from '../domain/api.js';
import { agentOfSubject } from '../domain/access/agent-identity.js';
import { hasRole } from '../domain/access/room-rights.js';
import { forbidden } from '../domain/errors.js';
import { pageArgs, toConnection } from './paging.js';

/** A task, and (inside an event payload) its assignee as it was when the event happened. */
export type TaskShape = Task & { assigneeSnapshot?: Agent | null };

export const TaskStatus = builder.enumType('TaskStatus', { values: TASK_STATUSES });

export const TaskRef = builder.objectRef<TaskShape>('Task');
TaskRef.implement({
  description: 'PENDING → ASSIGNED → RUNNING → COMPLETED | FAILED; CANCELLED from any non-final state.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    priority: t.exposeInt('priority', { description: '0–10, default 5.' }),
    status: t.field({ type: TaskStatus, resolve: (task) => task.status }),
    requiredCapabilities: t.exposeStringList('requiredCapabilities'),
    assignee: t.field({
      type: AgentRef,
      nullable: true,
      resolve: (task, _, ctx) =>
        task.assigneeSnapshot !== undefined
          ? task.assigneeSnapshot
          : task.assigneeId
            ? ctx.colony.agents.get(task.assigneeId)
            : null,
    }),
    input: t.field({ type: 'JSON', nullable: true, resolve: (task) => task.input }),
    progress: t.exposeFloat('progress', { nullable: true, description: '0..1, never decreasing.' }),
    progressMessage: t.exposeString('progressMessage', { nullable: true }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (task) => task.result }),
    error: t.exposeString('error', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it was cancelled.' }),
    attempt: t.int({
      description:
        'How many times it has been assigned: the number of the current (or last) assignment. A worker passes it to startTask, reportTaskProgress, completeTask and failTask; once the task was requeued or assigned again, they are refused with CONFLICT (reason LEASE_LOST).',
      resolve: (task) => task.attempt ?? 0,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (task) => task.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (task) => task.updatedAt }),
  }),
});

export const TaskConnection = builder.connectionObject(
  { type: TaskRef, name: 'TaskConnection' },
  { name: 'TaskEdge' },
);

const CreateTaskInput = builder.inputType('CreateTaskInput', {
  fields: (t) => ({
    title: t.string({ required: true, description: '1–200 characters.' }),
    priority: t.int({ description: '0–10, default 5.' }),
    input: t.field({ type: 'JSON', description: 'At most 64 KiB as JSON and 32 levels deep.' }),
    requiredCapabilities: t.stringList(),
  }),
  validate: createTaskInput,
});

builder.queryFields((t) => ({
  task: t.field({
    type: TaskRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => ctx.colony.tasks.get(String(id)),
  }),
  tasks: t.field({
    type: TaskConnection,
    description: 'Tasks, oldest first.',
    args: {
      status: t.arg({ type: TaskStatus }),
      assigneeId: t.arg.id(),
      first: t.arg.int({ description: '1–100, default 20.' }),
      after: t.arg.string(),
    },
    resolve: async (_, args, ctx) =>
      toConnection(
        await ctx.colony.tasks.list(
          { status: args.status, assigneeId: args.assigneeId == null ? null : String(args.assigneeId) },
          pageArgs(args),
        ),
      ),
  }),
}));

/**
 * Who reports a worker's step: an operator (or anyone while auth is off), or an agent's own token
 * (sub `agent:<id>`), for the tasks assigned to that agent only (the service checks, atomically).
 */
function workerFence(ctx: ColonyContext, field: string, attempt: number | null | undefined): WorkerFence {
  if (hasRole(ctx.identity, 'operator')) return { attempt };
  const agentId = agentOfSubject(ctx.identity);
  if (agentId) return { attempt, agentId };
  throw forbidden(
    `Mutation.${field} needs the operator role, or the assigned agent's own token (sub "agent:<id>").`,
    { reason: 'ROLE_REQUIRED', requiredRoles: ['operator'] },
  );
}

/** The worker's steps: open to an agent's own token too (see workerFence). */
const WORKER_STEP = { skipTypeScopes: true, authScopes: { authenticated: true } } as const;

builder.mutationFields((t) => ({
  createTask: t.field({
    type: TaskRef,
    description: 'A PENDING task. Publishes TASK_CREATED.',
    args: { input: t.arg({ type: CreateTaskInput, required: true }) },
    resolve: (_, { input }, ctx) => ctx.colony.tasks.create(input),
  }),
  assignTask: t.field({
    type: TaskRef,
    description:
      'Without agentId: the least-loaded ACTIVE agent that holds every required capability (ties: the oldest). None available is CONFLICT (reason NO_CANDIDATE).',
    args: { id: t.arg.id({ required: true }), agentId: t.arg.id() },
    resolve: (_, args, ctx) =>
      ctx.colony.tasks.assign(String(args.id), args.agentId == null ? null : String(args.agentId)),
  }),
  startTask: t.field({
    ...WORKER_STEP,
    type: TaskRef,
    args: {
      id: t.arg.id({ required: true }),
      attempt: t.arg.int({
        description:
          'The Task.attempt the worker was given: refused with LEASE_LOST once it no longer holds the task.',
      }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.tasks.start(String(args.id), workerFence(ctx, 'startTask', args.attempt)),
  }),
  reportTaskProgress: t.field({
    ...WORKER_STEP,
    type: TaskRef,
    description: 'RUNNING tasks only; progress 0..1 and never lower than before. Publishes TASK_PROGRESS.',
    args: {
      id: t.arg.id({ required: true }),
      progress: t.arg.float({ required: true }),
      message: t.arg.string(),
      attempt: t.arg.int({
        description:
          'The Task.attempt the worker was given: refused with LEASE_LOST once it no longer holds the task.',
      }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.tasks.reportProgress(
        String(args.id),
        args.progress,
        args.message,
        workerFence(ctx, 'reportTaskProgress', args.attempt),
      ),
  }),
  completeTask: t.field({
    ...WORKER_STEP,
    type: TaskRef,
    args: {
      id: t.arg.id({ required: true }),
      result: t.arg({ type: 'JSON', description: 'At most 64 KiB as JSON and 32 levels deep.' }),
      attempt: t.arg.int({
        description:
          'The Task.attempt the worker was given: refused with LEASE_LOST once it no longer holds the task.',
      }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.tasks.complete(
        String(args.id),
        args.result ?? undefined,
        workerFence(ctx, 'completeTask', args.attempt),
      ),
  }),
  failTask: t.field({
    ...WORKER_STEP,
    type: TaskRef,
    args: {
      id: t.arg.id({ required: true }),
      error: t.arg.string({ required: true }),
      attempt: t.arg.int({
        description:
          'The Task.attempt the worker was given: refused with LEASE_LOST once it no longer holds the task.',
      }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.tasks.fail(String(args.id), args.error, workerFence(ctx, 'failTask', args.attempt)),
  }),
  cancelTask: t.field({
    type: TaskRef,
    args: { id: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (_, args, ctx) => ctx.colony.tasks.cancel(String(args.id), args.reason),
  }),
}));
