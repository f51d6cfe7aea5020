/** The agent state machine, without I/O. */
import { invalidTransition } from '../errors.js';
import type { Agent, AgentAction, AgentStatus } from '../model.js';

const TRANSITIONS: Record<AgentAction, { from: readonly AgentStatus[] | 'any'; to: AgentStatus }> = {
  START: { from: ['OFFLINE'], to: 'ACTIVE' },
  PAUSE: { from: ['ACTIVE'], to: 'PAUSED' },
  RESUME: { from: ['PAUSED'], to: 'ACTIVE' },
  STOP: { from: 'any', to: 'OFFLINE' },
};

/** The status an action leads to, or INVALID_TRANSITION when it does not apply to `status`. */
export function applyAction(status: AgentStatus, action: AgentAction): AgentStatus {
  const rule = TRANSITIONS[action];
  if (rule.from !== 'any' && !rule.from.includes(status)) {
    throw invalidTransition(
      `${action} does not apply to an agent that is ${status} (it needs ${rule.from.join(' or ')}).`,
      {
        action,
        status,
      },
    );
  }
  return rule.to;
}

/** Every capability in `required` that the agent lacks. */
export function missingCapabilities(
  agent: Pick<Agent, 'capabilities'>,
  required: readonly string[],
): string[] {
  return required.filter((c) => !agent.capabilities.includes(c));
}

/**
 * Orders candidates for work and for leadership: fewest active (assigned + running) tasks first,
 * then the oldest agent (earliest createdAt, then smallest id). Deterministic on every instance.
 */
export function byLoadThenAge(a: Agent, b: Agent): number {
  return (
    a.activeTaskCount - b.activeTaskCount ||
    a.createdAt.localeCompare(b.createdAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
