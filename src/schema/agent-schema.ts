import { AGENT_ACTIONS, AGENT_STATUSES, type Agent } from '../domain/model.js';
import { createAgentInput, updateAgentInput } from '../domain/validation.js';
import { builder } from './builder.js';
import { pageArgs, toConnection } from './paging.js';

export const AgentStatus = builder.enumType('AgentStatus', { values: AGENT_STATUSES });
export const AgentAction = builder.enumType('AgentAction', {
  values: AGENT_ACTIONS,
  description:
    'START: OFFLINE → ACTIVE. PAUSE: ACTIVE → PAUSED. RESUME: PAUSED → ACTIVE. STOP: any → OFFLINE.',
});

export const AgentRef = builder.objectRef<Agent>('Agent');
AgentRef.implement({
  description: 'A software agent of the fleet.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    type: t.exposeString('type'),
    status: t.field({ type: AgentStatus, resolve: (a) => a.status }),
    capabilities: t.exposeStringList('capabilities'),
    metadata: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.metadata }),
    activeTaskCount: t.exposeInt('activeTaskCount', {
      description: 'Tasks ASSIGNED to or RUNNING on this agent: what auto-assignment and elections weigh.',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (a) => a.updatedAt }),
  }),
});

export const AgentConnection = builder.connectionObject(
  { type: AgentRef, name: 'AgentConnection' },
  { name: 'AgentEdge' },
);

const CreateAgentInput = builder.inputType('CreateAgentInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1–200 characters.' }),
    type: t.string({ required: true, description: '1–100 characters.' }),
    capabilities: t.stringList({ description: 'At most 50, each 1–100 characters.' }),
    metadata: t.field({ type: 'JSON', description: 'At most 16 KiB as JSON and 32 levels deep.' }),
  }),
  validate: createAgentInput,
});

const UpdateAgentInput = builder.inputType('UpdateAgentInput', {
  description: 'Only the fields given change; `metadata: null` clears it.',
  fields: (t) => ({
    name: t.string(),
    type: t.string(),
    capabilities: t.stringList(),
    metadata: t.field({ type: 'JSON', description: 'At most 16 KiB as JSON and 32 levels deep.' }),
  }),
  validate: updateAgentInput,
});

builder.queryFields((t) => ({
  agent: t.field({
    type: AgentRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => ctx.colony.agents.get(String(id)),
  }),
  agents: t.field({
    type: AgentConnection,
    description: 'Agents, oldest first.',
    args: {
      status: t.arg({ type: AgentStatus }),
      type: t.arg.string(),
      first: t.arg.int({ description: '1–100, default 20.' }),
      after: t.arg.string(),
    },
    resolve: async (_, args, ctx) =>
      toConnection(await ctx.colony.agents.list({ status: args.status, type: args.type }, pageArgs(args))),
  }),
}));

builder.mutationFields((t) => ({
  createAgent: t.field({
    type: AgentRef,
    description: 'Registers an ACTIVE agent. Publishes AGENT_CREATED.',
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: (_, { input }, ctx) => ctx.colony.agents.create(input),
  }),
  updateAgent: t.field({
    type: AgentRef,
    description: 'Publishes AGENT_UPDATED.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAgentInput, required: true }) },
    resolve: (_, { id, input }, ctx) => ctx.colony.agents.update(String(id), input),
  }),
  deleteAgent: t.field({
    type: AgentRef,
    description:
      'Removes the agent; its ASSIGNED and RUNNING tasks return to PENDING (TASK_REQUEUED each), then AGENT_DELETED. A deleted leader is replaced by an election.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => ctx.colony.agents.delete(String(id)),
  }),
  performAgentAction: t.field({
    type: AgentRef,
    description:
      'Drives the agent state machine: AGENT_ACTION, plus AGENT_STATUS_CHANGED when the status changes. An action that does not apply is INVALID_TRANSITION.',
    args: { id: t.arg.id({ required: true }), action: t.arg({ type: AgentAction, required: true }) },
    resolve: (_, { id, action }, ctx) => ctx.colony.agents.perform(String(id), action),
  }),
}));
