import type { AgentsApi, CreateAgentInput, UpdateAgentInput } from '../api.js';
import { notFound } from '../errors.js';
import { rooms } from '../events/rooms.js';
import { newId } from '../ids.js';
import {
  AGENT_ACTIONS,
  type Agent,
  type AgentAction,
  type AgentStatus,
  type Page,
  type PageRequest,
} from '../model.js';
import { toPage } from '../paging.js';
import type { Store } from '../ports.js';
import type { Tx, TransactionRunner } from '../transaction.js';
import {
  agentStatusSchema,
  createAgentInput,
  idSchema,
  pageSchema,
  parseInput,
  updateAgentInput,
} from '../validation.js';
import { failoverIfLeader } from '../elections/election-service.js';
import type { EventDraft } from '../events/event-types.js';
import { endLease, restartLease } from '../liveness/leases.js';
import { applyAction } from './agent-rules.js';
import { z } from 'zod';

const actionSchema = z.enum(AGENT_ACTIONS);

export async function getAgentOrThrow(tx: Tx, id: string): Promise<Agent> {
  const agent = await tx.get('agent', id);
  if (!agent) throw notFound('agent', id);
  return agent;
}

/** Why an agent let its tasks go, as TASK_REQUEUED says. */
export type RequeueReason = 'LEASE_EXPIRED' | 'AGENT_PAUSED' | 'AGENT_STOPPED' | 'AGENT_DELETED';

/**
 * Returns the agent's tasks in `statuses` to PENDING, and gives back the agent with its active-task
 * count lowered to match and the TASK_REQUEUED events (one per task), for the caller to emit where
 * its order of events wants them.
 */
export async function requeueTasks(
  tx: Tx,
  agent: Agent,
  statuses: readonly ('ASSIGNED' | 'RUNNING')[],
  now: string,
  reason: RequeueReason,
): Promise<{ agent: Agent; events: EventDraft[] }> {
  const held = await tx.list('task', { where: { assigneeId: agent.id }, limit: 100_000 });
  const events: EventDraft[] = [];
  for (const record of held) {
    // Only the tasks it changes are guarded: a finished task of this agent is no reason to retry.
    if (!(statuses as readonly string[]).includes(record.doc.status)) continue;
    const task = tx.guard('task', record);
    // The attempt stays: the next assignment raises it, which fences off this assignee's reports.
    const requeued = {
      ...task,
      status: 'PENDING' as const,
      assigneeId: null,
      progress: null,
      progressMessage: null,
      updatedAt: now,
    };
    tx.put('task', requeued);
    events.push({
      type: 'TASK_REQUEUED',
      rooms: rooms.ofTask(requeued, agent.id),
      payload: { kind: 'task', task: requeued, assignee: null, previousStatus: task.status, reason },
    });
  }
  return { agent: { ...agent, activeTaskCount: Math.max(0, agent.activeTaskCount - events.length) }, events };
}

export class AgentService implements AgentsApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
  ) {}

  private now(): string {
    return this.runner.clock.now().toISOString();
  }

  async get(id: string): Promise<Agent | null> {
    return (await this.store.get('agent', id))?.doc ?? null;
  }

  async getMany(ids: readonly string[]): Promise<(Agent | null)[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  async list(
    filter: { status?: AgentStatus | null; type?: string | null },
    page: PageRequest,
  ): Promise<Page<Agent>> {
    const p = parseInput(pageSchema, page);
    const status = parseInput(agentStatusSchema.nullish(), filter.status);
    const where: { status?: string; type?: string } = {};
    if (status) where.status = status;
    if (filter.type) where.type = filter.type;
    return toPage(await this.store.list('agent', { where, after: p.after, limit: p.first + 1 }), p);
  }

  async create(input: CreateAgentInput): Promise<Agent> {
    const data = parseInput(createAgentInput, input);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      const agent: Agent = {
        id: newId(),
        name: data.name,
        type: data.type,
        status: 'ACTIVE',
        capabilities: data.capabilities ?? [],
        metadata: data.metadata ?? null,
        activeTaskCount: 0,
        createdAt: now,
        updatedAt: now,
      };
      tx.create('agent', agent);
      tx.emit({
        type: 'AGENT_CREATED',
        rooms: rooms.ofAgent(agent.id),
        payload: { kind: 'agent', agent, previousStatus: null, action: null },
      });
      return agent;
    });
    return value;
  }

  async update(id: string, input: UpdateAgentInput): Promise<Agent> {
    parseInput(idSchema, id);
    const data = parseInput(updateAgentInput, input);
    const { value } = await this.runner.run(async (tx) => {
      const agent = await getAgentOrThrow(tx, id);
      const updated: Agent = {
        ...agent,
        name: data.name ?? agent.name,
        type: data.type ?? agent.type,
        capabilities: data.capabilities ?? agent.capabilities,
        metadata: data.metadata === undefined ? agent.metadata : data.metadata,
        updatedAt: this.now(),
      };
      tx.put('agent', updated);
      tx.emit({
        type: 'AGENT_UPDATED',
        rooms: rooms.ofAgent(id),
        payload: { kind: 'agent', agent: updated, previousStatus: null, action: null },
      });
      return updated;
    });
    return value;
  }

  async delete(id: string): Promise<Agent> {
    parseInput(idSchema, id);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      const agent = await getAgentOrThrow(tx, id);
      // The payload and the answer show the agent as it last was: holding nothing any more.
      const { agent: gone, events } = await requeueTasks(
        tx,
        agent,
        ['ASSIGNED', 'RUNNING'],
        now,
        'AGENT_DELETED',
      );
      events.forEach((event) => tx.emit(event));
      await endLease(tx, id, 'delete');
      tx.delete('agent', id);
      tx.emit({
        type: 'AGENT_DELETED',
        rooms: rooms.ofAgent(id),
        payload: { kind: 'agent', agent: gone, previousStatus: null, action: null },
      });
      await failoverIfLeader(tx, now, agent, 'was deleted');
      return gone;
    });
    return value;
  }

  async perform(id: string, action: AgentAction): Promise<Agent> {
    parseInput(idSchema, id);
    parseInput(actionSchema, action);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      const agent = await getAgentOrThrow(tx, id);
      const status = applyAction(agent.status, action);
      let updated: Agent = { ...agent, status, updatedAt: now };
      // An agent that leaves ACTIVE keeps what it is running but hands back what it has not started.
      // Stryker disable next-line ConditionalExpression,LogicalOperator: an agent not ACTIVE holds no ASSIGNED task (it handed them back on leaving ACTIVE), so requeueing finds none
      if (agent.status === 'ACTIVE' && status !== 'ACTIVE') {
        const released = await requeueTasks(
          tx,
          updated,
          ['ASSIGNED'],
          now,
          action === 'PAUSE' ? 'AGENT_PAUSED' : 'AGENT_STOPPED',
        );
        updated = released.agent;
        released.events.forEach((event) => tx.emit(event));
      }
      // An agent that goes OFFLINE on request gives its lease up; one that starts again holds a
      // fresh one if it held one before (so that it is not taken for dead as it comes back).
      if (status === 'OFFLINE') await endLease(tx, id, 'release');
      if (agent.status === 'OFFLINE' && status === 'ACTIVE') await restartLease(tx, id);
      tx.put('agent', updated);
      tx.emit({
        type: 'AGENT_ACTION',
        rooms: rooms.ofAgent(id),
        payload: { kind: 'agent', agent: updated, previousStatus: agent.status, action },
      });
      if (status !== agent.status) {
        tx.emit({
          type: 'AGENT_STATUS_CHANGED',
          rooms: rooms.ofAgent(id),
          payload: { kind: 'agent', agent: updated, previousStatus: agent.status, action },
        });
      }
      // Stryker disable next-line ConditionalExpression,LogicalOperator: an agent not ACTIVE is never the leader (it was replaced on leaving ACTIVE), so failover finds nothing to do
      if (agent.status === 'ACTIVE' && status !== 'ACTIVE') {
        await failoverIfLeader(tx, now, updated, action === 'PAUSE' ? 'was paused' : 'was stopped');
      }
      return updated;
    });
    return value;
  }
}
