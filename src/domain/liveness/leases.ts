/**
 * Leases inside a transaction: what the other services need to know about liveness (who is live,
 * a lease that ends or starts again with the agent's status). Every answer about time is taken on the
 * engine's clock and guarded at commit (`Tx.isBefore`), so it holds for the state that commits.
 */
import type { Agent, Lease } from '../model.js';
import type { Versioned } from '../ports.js';
import type { Tx } from '../transaction.js';

/** The lease's deadline on the engine's clock, in ms. */
export function deadlineOf(lease: Pick<Lease, 'expiresAt'>): number {
  return Date.parse(lease.expiresAt);
}

/**
 * Whether the lease still holds: HELD and its deadline not reached on the engine's clock. Once the
 * deadline is reached the lease is over, even before a sweep has made the agent OFFLINE: a renewal
 * then is refused, and nobody counts the agent as live.
 */
export async function isHeld(tx: Tx, lease: Lease | null): Promise<boolean> {
  return lease !== null && lease.state === 'HELD' && tx.isBefore(deadlineOf(lease));
}

/**
 * The agents of `records` that are live: those holding a lease that has not run out, and those that
 * never held one (they keep the behaviour of agents before leases existed). Guards the set of HELD
 * leases, and each answer on the engine's clock, so that a decision over the live agents (a
 * candidate, a leader, the voters) is taken on the state that commits.
 */
export async function liveOnly<T extends Versioned<Agent>>(tx: Tx, records: T[]): Promise<T[]> {
  const held = await tx.list('lease', { where: { state: 'HELD' }, limit: 100_000 });
  const deadlines = new Map(held.map((record) => [record.doc.id, deadlineOf(record.doc)]));
  // A fleet where none of these holds a lease pays no look at the clock.
  if (!records.some((record) => deadlines.has(record.doc.id))) return records;
  const now = await tx.time();
  // Two clock conditions guard every answer: the earliest deadline still ahead stays ahead, and the
  // latest one passed stays passed.
  let firstAhead = Infinity;
  let lastPassed = -Infinity;
  const live = records.filter((record) => {
    const deadline = deadlines.get(record.doc.id);
    if (deadline === undefined) return true;
    if (now < deadline) firstAhead = Math.min(firstAhead, deadline);
    else lastPassed = Math.max(lastPassed, deadline);
    return now < deadline;
  });
  if (firstAhead !== Infinity) await tx.isBefore(firstAhead);
  if (lastPassed !== -Infinity) await tx.isBefore(lastPassed);
  return live;
}

/**
 * Whether one agent counts as live, on the state that commits: it holds a lease that has not run
 * out, or it never held one. Reads the lease through `tx` (a renewal meanwhile makes the transaction
 * run again, which then finds the agent live all the same).
 */
export async function isLive(tx: Tx, agentId: string): Promise<boolean> {
  const lease = await tx.get('lease', agentId);
  return !lease || lease.state !== 'HELD' || tx.isBefore(deadlineOf(lease));
}

/** The agent leaves: its lease is deleted with it, or released (it went OFFLINE on request). */
export async function endLease(tx: Tx, agentId: string, how: 'delete' | 'release'): Promise<void> {
  const lease = await tx.get('lease', agentId);
  if (!lease) return;
  if (how === 'delete') tx.delete('lease', agentId);
  else if (lease.state === 'HELD') tx.put('lease', { ...lease, state: 'RELEASED' });
}

/** An agent started again holds a fresh lease of its TTL, if it held one before. */
export async function restartLease(tx: Tx, agentId: string): Promise<void> {
  const lease = await tx.get('lease', agentId);
  if (!lease || lease.state === 'HELD') return;
  const now = await tx.time();
  tx.put('lease', {
    ...lease,
    state: 'HELD',
    expiresAt: new Date(now + lease.ttlMs).toISOString(),
    lastSeenAt: new Date(now).toISOString(),
  });
}
