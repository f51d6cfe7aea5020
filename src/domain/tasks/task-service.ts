import type { CreateTaskInput, TasksApi, WorkerFence } from '../api.js';
import { byLoadThenAge, missingCapabilities } from '../agents/agent-rules.js';
import { getAgentOrThrow } from '../agents/agent-service.js';
import { badInput, conflict, type DomainError, forbidden, notFound } from '../errors.js';
import { rooms } from '../events/rooms.js';
import type { EventTypeOfKind } from '../events/event-types.js';
import { newId } from '../ids.js';
import type { Agent, Json, Page, PageRequest, Task, TaskStatus } from '../model.js';
import { toPage } from '../paging.js';
import type { Store } from '../ports.js';
import type { Tx, TransactionRunner } from '../transaction.js';
import { isLive, liveOnly } from '../liveness/leases.js';
import {
  attemptSchema,
  createTaskInput,
  idSchema,
  LIMITS,
  optionalText,
  pageSchema,
  parseInput,
  progressSchema,
  taskErrorSchema,
  taskResultSchema,
  taskStatusSchema,
} from '../validation.js';
import { checkStep, HELD_STATUSES } from './task-rules.js';

async function getTaskOrThrow(tx: Tx, id: string): Promise<Task> {
  const task = await tx.get('task', id);
  if (!task) throw notFound('task', id);
  return task;
}

/**
 * CONFLICT, not UNAVAILABLE: it is the fleet's current state that refuses, not Colony, so a blind
 * retry would not help. The message names what is missing and what would make it work.
 */
function noCandidate(task: Task, active: Agent[]): DomainError {
  const required = task.requiredCapabilities;
  const nobodyHas = required.filter((c) => !active.some((a) => a.capabilities.includes(c)));
  const what = !active.length
    ? 'No agent is ACTIVE'
    : nobodyHas.length
      ? `No ACTIVE agent has the capabilities ${nobodyHas.join(', ')}`
      : `No single ACTIVE agent holds all of ${required.join(', ')}`;
  return conflict(
    `${what}, so task ${task.id} cannot be assigned automatically. Start or resume an agent that can do it ` +
      '(or add the capabilities to one), then assign again, or assign it to an agent explicitly.',
    { reason: 'NO_CANDIDATE', requiredCapabilities: required, missingCapabilities: nobodyHas },
  );
}

/**
 * A worker's step names the attempt it was given: when the task has been requeued since (PENDING
 * again) or assigned again (a higher attempt), the worker no longer holds it, and its report must not
 * overwrite the new assignee's work.
 */
function checkFence(task: Task, attempt: number): void {
  const current = task.attempt ?? 0;
  if (attempt === current && task.status !== 'PENDING') return;
  throw conflict(
    `Attempt ${attempt} of task ${task.id} no longer holds it: the task was ${
      attempt === current ? 'requeued' : `assigned again (attempt ${current})`
    }, most likely because its assignee's lease ran out. Drop this work; do not report it.`,
    { reason: 'LEASE_LOST', attempt: current, status: task.status },
  );
}

export class TaskService implements TasksApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
  ) {}

  private now(): string {
    return this.runner.clock.now().toISOString();
  }

  async get(id: string): Promise<Task | null> {
    return (await this.store.get('task', id))?.doc ?? null;
  }

  async list(
    filter: { status?: TaskStatus | null; assigneeId?: string | null },
    page: PageRequest,
  ): Promise<Page<Task>> {
    const p = parseInput(pageSchema, page);
    const status = parseInput(taskStatusSchema.nullish(), filter.status);
    const where: { status?: string; assigneeId?: string } = {};
    if (status) where.status = status;
    if (filter.assigneeId) where.assigneeId = filter.assigneeId;
    return toPage(await this.store.list('task', { where, after: p.after, limit: p.first + 1 }), p);
  }

  async create(input: CreateTaskInput): Promise<Task> {
    const data = parseInput(createTaskInput, input);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      const task: Task = {
        id: newId(),
        title: data.title,
        priority: data.priority ?? 5,
        status: 'PENDING',
        requiredCapabilities: data.requiredCapabilities ?? [],
        assigneeId: null,
        input: data.input ?? null,
        progress: null,
        progressMessage: null,
        result: null,
        error: null,
        reason: null,
        attempt: 0,
        createdAt: now,
        updatedAt: now,
      };
      tx.create('task', task);
      this.emit(tx, 'TASK_CREATED', task, null, null);
      return task;
    });
    return value;
  }

  async assign(id: string, agentId?: string | null): Promise<Task> {
    parseInput(idSchema, id);
    if (agentId != null) parseInput(idSchema, agentId);
    const { value } = await this.runner.run(async (tx) => {
      const task = await getTaskOrThrow(tx, id);
      checkStep('assign', task.status);
      const agent = agentId
        ? await this.explicitAssignee(tx, agentId, task)
        : await this.pickAssignee(tx, task);
      const now = this.now();
      const updatedAgent: Agent = { ...agent, activeTaskCount: agent.activeTaskCount + 1 };
      // Each assignment is a new attempt: the number fences off the reports of an earlier assignee.
      const updated: Task = {
        ...task,
        status: 'ASSIGNED',
        assigneeId: agent.id,
        attempt: (task.attempt ?? 0) + 1,
        updatedAt: now,
      };
      tx.put('agent', updatedAgent);
      tx.put('task', updated);
      this.emit(tx, 'TASK_ASSIGNED', updated, updatedAgent, task.status);
      return updated;
    });
    return value;
  }

  private async explicitAssignee(tx: Tx, agentId: string, task: Task): Promise<Agent> {
    const agent = await getAgentOrThrow(tx, agentId);
    if (agent.status !== 'ACTIVE') {
      throw conflict(`Agent ${agentId} is ${agent.status}; only an ACTIVE agent can take a task.`, {
        reason: 'AGENT_NOT_ACTIVE',
        status: agent.status,
      });
    }
    if (!(await isLive(tx, agentId))) {
      throw conflict(`Agent ${agentId}'s lease has run out; only a live agent can take a task.`, {
        reason: 'LEASE_EXPIRED',
      });
    }
    const missing = missingCapabilities(agent, task.requiredCapabilities);
    if (missing.length) {
      throw conflict(`Agent ${agentId} lacks the capabilities this task requires: ${missing.join(', ')}.`, {
        reason: 'MISSING_CAPABILITIES',
        missing,
      });
    }
    return agent;
  }

  /** The least-loaded ACTIVE agent holding every required capability, the oldest on a tie. */
  private async pickAssignee(tx: Tx, task: Task): Promise<Agent> {
    // ACTIVE and live: an agent whose lease ran out is about to be taken for dead.
    const active = await liveOnly(
      tx,
      await tx.list('agent', { where: { status: 'ACTIVE' }, limit: 100_000 }),
    );
    const fit = active
      .filter((r) => missingCapabilities(r.doc, task.requiredCapabilities).length === 0)
      .sort((a, b) => byLoadThenAge(a.doc, b.doc));
    const chosen = fit[0];
    if (!chosen)
      throw noCandidate(
        task,
        active.map((r) => r.doc),
      );
    // The choice weighs every fit agent's load, so a change to any of them (not only to the chosen
    // one) makes the assignment run again on fresh loads; the list itself guards who is ACTIVE.
    for (const record of fit) tx.guard('agent', record);
    return tx.guard('agent', chosen);
  }

  async start(id: string, fence?: WorkerFence): Promise<Task> {
    return this.step(
      id,
      'start',
      (task) => ({ ...task, status: 'RUNNING', progress: 0 }),
      'TASK_STARTED',
      fence,
    );
  }

  async reportProgress(
    id: string,
    progress: number,
    message?: string | null,
    fence?: WorkerFence,
  ): Promise<Task> {
    const value = parseInput(progressSchema, progress);
    const note = parseInput(optionalText('message', LIMITS.text), message) ?? null;
    return this.step(
      id,
      'progress',
      (task) => {
        if (task.progress !== null && value < task.progress) {
          throw badInput(`progress may not decrease: it is ${task.progress}, and ${value} was reported.`, {
            reason: 'PROGRESS_DECREASED',
            current: task.progress,
          });
        }
        return { ...task, progress: value, progressMessage: note };
      },
      'TASK_PROGRESS',
      fence,
    );
  }

  async complete(id: string, result?: Json, fence?: WorkerFence): Promise<Task> {
    const data = parseInput(taskResultSchema, result);
    return this.step(
      id,
      'complete',
      (task) => ({ ...task, status: 'COMPLETED', progress: 1, result: data ?? null }),
      'TASK_COMPLETED',
      fence,
    );
  }

  async fail(id: string, error: string, fence?: WorkerFence): Promise<Task> {
    const message = parseInput(taskErrorSchema, error);
    return this.step(
      id,
      'fail',
      (task) => ({ ...task, status: 'FAILED', error: message }),
      'TASK_FAILED',
      fence,
    );
  }

  async cancel(id: string, reason?: string | null): Promise<Task> {
    const why = parseInput(optionalText('reason', LIMITS.text), reason) ?? null;
    return this.step(
      id,
      'cancel',
      (task) => ({ ...task, status: 'CANCELLED', reason: why }),
      'TASK_CANCELLED',
    );
  }

  /** One transition of one task, keeping its assignee's load right when the task stops being held. */
  private async step(
    id: string,
    step: 'start' | 'progress' | 'complete' | 'fail' | 'cancel',
    change: (task: Task) => Task,
    type: EventTypeOfKind<'task'>,
    fence: WorkerFence = {},
  ): Promise<Task> {
    parseInput(idSchema, id);
    const attempt = parseInput(attemptSchema, fence.attempt);
    const { value } = await this.runner.run(async (tx) => {
      const task = await getTaskOrThrow(tx, id);
      if (attempt != null) checkFence(task, attempt);
      if (fence.agentId && task.assigneeId !== fence.agentId) {
        throw forbidden(
          `Task ${id} is not assigned to agent ${fence.agentId}: an agent's own token reports on its own tasks only.`,
          { reason: 'NOT_THIS_AGENT' },
        );
      }
      checkStep(step, task.status);
      const updated = { ...change(task), updatedAt: this.now() };
      let assignee = task.assigneeId ? await tx.get('agent', task.assigneeId) : null;
      if (assignee && HELD_STATUSES.includes(task.status) && !HELD_STATUSES.includes(updated.status)) {
        assignee = { ...assignee, activeTaskCount: Math.max(0, assignee.activeTaskCount - 1) };
        tx.put('agent', assignee);
      }
      tx.put('task', updated);
      this.emit(tx, type, updated, assignee, task.status);
      return updated;
    });
    return value;
  }

  private emit(
    tx: Tx,
    type: EventTypeOfKind<'task'>,
    task: Task,
    assignee: Agent | null,
    previousStatus: TaskStatus | null,
  ): void {
    tx.emit({ type, rooms: rooms.ofTask(task), payload: { kind: 'task', task, assignee, previousStatus } });
  }
}
