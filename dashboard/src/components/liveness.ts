/**
 * What an agent's card says of its lease. An agent that never held one says nothing (it is never
 * taken for dead). Times come from the server; "N s ago" is counted on this page's clock, never
 * below 0 (the two clocks may differ a little).
 */
import { useEffect, useState } from 'react';
import type { Agent } from '../fleet-state.js';

export type Liveness =
  | { kind: 'none' }
  | { kind: 'live'; lastSeenAt: string | null }
  | { kind: 'expired'; at: string }
  | { kind: 'released' };

export function livenessOf(agent: Pick<Agent, 'leaseState' | 'lastSeenAt' | 'leaseExpiresAt'>): Liveness {
  switch (agent.leaseState) {
    case 'HELD':
      return { kind: 'live', lastSeenAt: agent.lastSeenAt ?? null };
    case 'EXPIRED':
      return agent.leaseExpiresAt ? { kind: 'expired', at: agent.leaseExpiresAt } : { kind: 'released' };
    case 'RELEASED':
      return { kind: 'released' };
    default:
      return { kind: 'none' };
  }
}

/** Whole seconds from `at` to `now`, at least 0. */
export function secondsSince(at: string, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(at)) / 1000));
}

/** This page's clock, ticking every `ms` while `on`; the same value while off. */
export function useNow(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [on, ms]);
  return now;
}
