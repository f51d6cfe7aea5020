/**
 * Checks a history (the event log, oldest first) against the rules the README states, by folding it
 * into the state it implies and asking, at each event, whether a serial execution could have
 * produced it there. Returns the violations found, as sentences; none is the passing result.
 */
import { byLoadThenAge, missingCapabilities } from '../../src/domain/agents/agent-rules.js';
import { compareEventIds, type StoredEvent } from '../../src/domain/events/event-types.js';
import type { Agent, Proposal, Task } from '../../src/domain/model.js';

export interface HistoryOptions {
  /** Tasks assigned without naming an agent: each must have gone to the least-loaded fit agent. */
  autoAssigned?: ReadonlySet<string>;
}

export interface Folded {
  agents: Map<string, Agent>;
  tasks: Map<string, Task>;
  proposals: Map<string, Proposal>;
  term: number;
  leaderId: string | null;
}

const HELD = ['ASSIGNED', 'RUNNING'];
const STEPS: Record<string, { from: string[]; to: string }> = {
  TASK_ASSIGNED: { from: ['PENDING'], to: 'ASSIGNED' },
  TASK_STARTED: { from: ['ASSIGNED'], to: 'RUNNING' },
  TASK_PROGRESS: { from: ['RUNNING'], to: 'RUNNING' },
  TASK_COMPLETED: { from: ['RUNNING'], to: 'COMPLETED' },
  TASK_FAILED: { from: ['RUNNING'], to: 'FAILED' },
  TASK_CANCELLED: { from: ['PENDING', 'ASSIGNED', 'RUNNING'], to: 'CANCELLED' },
  TASK_REQUEUED: { from: ['ASSIGNED', 'RUNNING'], to: 'PENDING' },
};

export function checkHistory(
  events: readonly StoredEvent[],
  options: HistoryOptions = {},
): { violations: string[]; state: Folded } {
  const violations: string[] = [];
  const state: Folded = {
    agents: new Map(),
    tasks: new Map(),
    proposals: new Map(),
    term: 0,
    leaderId: null,
  };
  const load = (agentId: string) =>
    [...state.tasks.values()].filter((t) => t.assigneeId === agentId && HELD.includes(t.status)).length;
  const active = () => [...state.agents.values()].filter((a) => a.status === 'ACTIVE');
  const ids = (list: { id: string }[]) => list.map((a) => a.id).sort();
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const withLoad = (a: Agent): Agent => ({ ...a, activeTaskCount: load(a.id) });
  let previous: StoredEvent | null = null;
  const decided = new Set<string>();

  for (const event of events) {
    const at = `${event.type} ${event.id}`;
    if (previous && compareEventIds(previous.id, event.id) >= 0)
      violations.push(`${at}: id does not follow ${previous.id}`);
    previous = event;
    const p = event.payload;
    switch (p.kind) {
      case 'agent': {
        const before = state.agents.get(p.agent.id);
        if (event.type === 'AGENT_CREATED') {
          if (before) violations.push(`${at}: agent ${p.agent.id} created twice`);
        } else if (!before) {
          violations.push(`${at}: agent ${p.agent.id} is unknown`);
        } else if (event.type === 'AGENT_ACTION' && p.previousStatus !== before.status) {
          violations.push(`${at}: previous status ${p.previousStatus}, but the log says ${before.status}`);
        }
        if (event.type === 'AGENT_DELETED') state.agents.delete(p.agent.id);
        else state.agents.set(p.agent.id, p.agent);
        if (p.agent.activeTaskCount !== load(p.agent.id))
          violations.push(`${at}: activeTaskCount ${p.agent.activeTaskCount}, ${load(p.agent.id)} held`);
        break;
      }
      case 'task': {
        const before = state.tasks.get(p.task.id);
        const step = STEPS[event.type];
        if (event.type === 'TASK_CREATED') {
          if (before) violations.push(`${at}: task ${p.task.id} created twice`);
        } else if (!before) {
          violations.push(`${at}: task ${p.task.id} is unknown`);
        } else if (step && (!step.from.includes(before.status) || p.task.status !== step.to)) {
          violations.push(`${at}: ${before.status} → ${p.task.status} is not a step`);
        }
        if (event.type === 'TASK_ASSIGNED' && before) {
          const agent = p.assignee && state.agents.get(p.assignee.id);
          if (!agent || agent.status !== 'ACTIVE') {
            violations.push(`${at}: assigned to ${p.assignee?.id}, which is ${agent?.status ?? 'unknown'}`);
          } else if (missingCapabilities(agent, p.task.requiredCapabilities).length) {
            violations.push(`${at}: assigned to ${agent.id}, which lacks a required capability`);
          } else if (options.autoAssigned?.has(p.task.id)) {
            const [best] = active()
              .filter((a) => !missingCapabilities(a, p.task.requiredCapabilities).length)
              .map(withLoad)
              .sort(byLoadThenAge);
            if (best && best.id !== agent.id)
              violations.push(
                `${at}: auto-assigned to ${agent.id} (load ${load(agent.id)}), not to ${best.id} (load ${best.activeTaskCount})`,
              );
          }
        }
        state.tasks.set(p.task.id, p.task);
        if (p.assignee) {
          if (state.agents.has(p.assignee.id)) state.agents.set(p.assignee.id, p.assignee);
          if (p.assignee.activeTaskCount !== load(p.assignee.id))
            violations.push(
              `${at}: assignee's activeTaskCount ${p.assignee.activeTaskCount}, ${load(p.assignee.id)} held`,
            );
        }
        break;
      }
      case 'proposal': {
        const before = state.proposals.get(p.proposal.id);
        if (event.type === 'CONSENSUS_PROPOSED') {
          const voters = [...p.proposal.voterIds].sort();
          const expected = ids(active());
          if (!same(voters, expected))
            violations.push(
              `${at}: voters [${voters.join(' ')}], but ACTIVE were [${expected.join(' ')}] at that point`,
            );
        } else if (!before) {
          violations.push(`${at}: proposal ${p.proposal.id} is unknown`);
        } else if (event.type === 'CONSENSUS_DECIDED') {
          // Once per proposal: right after the vote that settled it (same status), or on expiry.
          if (decided.has(p.proposal.id)) violations.push(`${at}: proposal ${p.proposal.id} decided twice`);
          if (before.status !== 'OPEN' && before.status !== p.proposal.status)
            violations.push(`${at}: proposal ${p.proposal.id} was ${before.status}`);
          decided.add(p.proposal.id);
        } else if (before.status !== 'OPEN') {
          violations.push(`${at}: proposal ${p.proposal.id} was already ${before.status}`);
        } else if (event.type === 'CONSENSUS_VOTED' && p.vote) {
          if (!before.voterIds.includes(p.vote.agent.id))
            violations.push(`${at}: a vote from ${p.vote.agent.id}, not a voter`);
          if (before.votes.some((v) => v.agent.id === p.vote?.agent.id))
            violations.push(`${at}: a second vote from ${p.vote.agent.id}`);
        }
        state.proposals.set(p.proposal.id, p.proposal);
        break;
      }
      case 'election': {
        const election = p.election;
        if (event.type === 'ELECTION_TRIGGERED') {
          if (election.term !== state.term + 1)
            violations.push(`${at}: term ${election.term} after term ${state.term}`);
          const expected = ids(active());
          if (!same(ids(election.candidates), expected))
            violations.push(
              `${at}: candidates [${ids(election.candidates).join(' ')}], but ACTIVE were [${expected.join(' ')}]`,
            );
          const [best] = active().map(withLoad).sort(byLoadThenAge);
          const [chosen] = [...election.candidates].sort(byLoadThenAge);
          if (best && chosen && best.activeTaskCount !== chosen.activeTaskCount)
            violations.push(`${at}: candidates' loads are not the loads the log implies`);
        } else {
          if (election.term !== state.term + 1)
            violations.push(`${at}: leader of term ${election.term} after term ${state.term}`);
          const leader = election.leaderId ? state.agents.get(election.leaderId) : undefined;
          if (leader?.status !== 'ACTIVE')
            violations.push(`${at}: leader ${election.leaderId} is ${leader?.status ?? 'unknown'}`);
          const [best] = active().map(withLoad).sort(byLoadThenAge);
          if (best && best.id !== election.leaderId)
            violations.push(`${at}: leader ${election.leaderId}, but ${best.id} had the least load`);
          state.term = election.term;
          state.leaderId = election.leaderId;
        }
        break;
      }
      default:
        break;
    }
  }
  return { violations, state };
}

/** Compares what the log implies with the records an instance shows now (through the API). */
export function checkFinalState(
  state: Folded,
  final: { agents: Agent[]; tasks: Task[]; proposals?: Proposal[] },
  who: string,
): string[] {
  const violations: string[] = [];
  const agents = new Map(final.agents.map((a) => [a.id, a]));
  const tasks = new Map(final.tasks.map((t) => [t.id, t]));
  for (const [id, agent] of state.agents) {
    const now = agents.get(id);
    if (!now) violations.push(`${who}: agent ${id} is in the log but not stored`);
    else if (now.status !== agent.status || now.activeTaskCount !== agent.activeTaskCount)
      violations.push(
        `${who}: agent ${id} is ${now.status}/${now.activeTaskCount}, the log says ${agent.status}/${agent.activeTaskCount}`,
      );
  }
  for (const id of agents.keys())
    if (!state.agents.has(id)) violations.push(`${who}: agent ${id} is stored but not in the log`);
  for (const [id, task] of state.tasks) {
    const now = tasks.get(id);
    // The API shows an assignee that was deleted since as none.
    const assigneeId = task.assigneeId && agents.has(task.assigneeId) ? task.assigneeId : null;
    if (!now) violations.push(`${who}: task ${id} is in the log but not stored`);
    else if (now.status !== task.status || now.assigneeId !== assigneeId)
      violations.push(
        `${who}: task ${id} is ${now.status}/${now.assigneeId}, the log says ${task.status}/${task.assigneeId}`,
      );
  }
  for (const id of tasks.keys())
    if (!state.tasks.has(id)) violations.push(`${who}: task ${id} is stored but not in the log`);
  for (const proposal of final.proposals ?? []) {
    const logged = state.proposals.get(proposal.id);
    if (!logged) violations.push(`${who}: proposal ${proposal.id} is stored but not in the log`);
    else if (logged.status !== proposal.status || logged.votes.length !== proposal.votes.length)
      violations.push(`${who}: proposal ${proposal.id} differs from the log`);
  }
  return violations;
}
