/**
 * How an agent's own token names it: its `sub` is `agent:<the agent's id>`. Such a token may keep
 * that agent's lease (heartbeat, or a connection that names the agent) whatever its roles; keeping
 * any other agent's lease needs the operator role.
 */
import { forbidden } from '../errors.js';
import type { Identity } from './identity.js';
import { hasRole } from './room-rights.js';

export const AGENT_SUBJECT_PREFIX = 'agent:';

/** Whether the caller may keep `agentId`'s lease. Without auth (null) everyone may. */
export function mayKeepLease(identity: Identity | null, agentId: string): boolean {
  return hasRole(identity, 'operator') || identity?.sub === `${AGENT_SUBJECT_PREFIX}${agentId}`;
}

/** FORBIDDEN unless the caller may keep `agentId`'s lease. */
export function checkMayKeepLease(identity: Identity | null, agentId: string): void {
  if (mayKeepLease(identity, agentId)) return;
  throw forbidden(
    `Only an operator, or the agent itself (a token whose sub is "agent:${agentId}"), may keep agent ${agentId}'s lease.`,
    { reason: 'NOT_THIS_AGENT' },
  );
}

/** The agent an identity's token is bound to (sub `agent:<id>`), or null. */
export function agentOfSubject(identity: Identity | null): string | null {
  const sub = identity?.sub;
  return sub?.startsWith(AGENT_SUBJECT_PREFIX) ? sub.slice(AGENT_SUBJECT_PREFIX.length) || null : null;
}
