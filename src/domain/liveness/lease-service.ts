/**
 * Liveness: an agent holds a lease while it proves it is alive (a heartbeat, or an open connection
 * that names it), and an agent whose lease runs out is taken for dead: OFFLINE, its tasks requeued,
 * its leadership and its votes handed on, in one commit. Every deadline is set and decided on the
 * engine's one clock (Store.time, Redis TIME), so instances whose clocks disagree still agree on it.
 */
import type { LivenessApi, LiveAgent, LeaseHolderRef } from '../api.js';
import { requeueTasks, getAgentOrThrow } from '../agents/agent-service.js';
import { dropVoter } from '../consensus/consensus-service.js';
import { failoverIfLeader } from '../elections/election-service.js';
import { conflict } from '../errors.js';
import { rooms } from '../events/rooms.js';
import type { Agent, Lease, LeaseHolder } from '../model.js';
import type { Store, Versioned } from '../ports.js';
import type { TransactionRunner, Tx } from '../transaction.js';
import { idSchema, leaseTtlSchema, pageSchema, parseInput } from '../validation.js';
import { deadlineOf, isHeld } from './leases.js';

/** AGENT_LEASE_MS and its bounds, AGENT_LEASE_GRACE_MS. */
export interface LeaseSettings {
  /** The TTL of a lease whose agent asks for none. */
  ttlMs: number;
  /** The bounds of a TTL an agent may ask for. */
  minTtlMs: number;
  maxTtlMs: number;
  /** How long a lease held by connections outlives the last of them. */
  graceMs: number;
}

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = {
  ttlMs: 30_000,
  minTtlMs: 1_000,
  maxTtlMs: 300_000,
  graceMs: 10_000,
};

const iso = (ms: number) => new Date(ms).toISOString();

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A holder its instance renewed within the last TTL (else that instance died without closing it). */
const isFresh = (holder: LeaseHolder, nowMs: number, ttlMs: number) =>
  Date.parse(holder.renewedAt) > nowMs - ttlMs;

const sameHolder = (a: LeaseHolderRef, b: LeaseHolderRef) =>
  a.instanceId === b.instanceId && a.connectionId === b.connectionId;

export class LeaseService implements LivenessApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
    readonly settings: LeaseSettings,
  ) {}

  async lease(agentId: string): Promise<Lease | null> {
    return (await this.store.get('lease', agentId))?.doc ?? null;
  }

  async heartbeat(agentId: string, ttlMs?: number | null): Promise<Agent> {
    parseInput(idSchema, agentId);
    const ttl = parseInput(leaseTtlSchema(this.settings.minTtlMs, this.settings.maxTtlMs), ttlMs);
    const { value } = await this.runner.run(async (tx) => {
      const { agent } = await this.renew(tx, agentId, ttl ?? null, (holders) => holders);
      return agent;
    });
    return value;
  }

  async attach(agentId: string, holder: LeaseHolderRef, ttlMs?: number | null): Promise<Lease> {
    parseInput(idSchema, agentId);
    const ttl = parseInput(leaseTtlSchema(this.settings.minTtlMs, this.settings.maxTtlMs), ttlMs);
    const { value } = await this.runner.run(async (tx) => {
      const { lease } = await this.renew(tx, agentId, ttl ?? null, (holders, now, ttlMs) => {
        const at = iso(now);
        const since = holders.find((h) => sameHolder(h, holder))?.since ?? at;
        // The others that are still renewed, and this one, renewed now.
        return [
          ...holders.filter((h) => !sameHolder(h, holder) && isFresh(h, now, ttlMs)),
          { ...holder, since, renewedAt: at },
        ];
      });
      return lease;
    });
    return value;
  }

  async detach(agentId: string, holder: LeaseHolderRef): Promise<Lease | null> {
    parseInput(idSchema, agentId);
    const { value } = await this.runner.run(async (tx) => {
      const lease = await tx.get('lease', agentId);
      if (!lease) return null;
      const now = await tx.time();
      const holders = lease.holders.filter((h) => !sameHolder(h, holder) && isFresh(h, now, lease.ttlMs));
      // A lease no connection holds any more ends a grace period after the last one closed, so a
      // reconnect (or a rolling restart) within the grace keeps it. One that already ran out stays so.
      const stillHeld = holders.length === 0 && (await isHeld(tx, lease));
      const updated: Lease = stillHeld
        ? { ...lease, holders, expiresAt: iso(now + this.settings.graceMs) }
        : { ...lease, holders };
      tx.put('lease', updated);
      return updated;
    });
    return value;
  }

  /**
   * Renews the agent's lease (beginning one if it never held one), refusing an agent that is
   * OFFLINE or whose lease has run out: once the deadline passes the agent is taken for dead, and it
   * comes back explicitly (START, which gives it a fresh lease), never by a renewal that happened
   * to race the sweep.
   */
  private async renew(
    tx: Tx,
    agentId: string,
    ttlMs: number | null,
    holders: (current: Lease['holders'], nowMs: number, ttlMs: number) => Lease['holders'],
  ): Promise<{ agent: Agent; lease: Lease }> {
    const agent = await getAgentOrThrow(tx, agentId);
    const lease = await tx.get('lease', agentId);
    if (agent.status === 'OFFLINE') {
      const expired = lease?.state === 'EXPIRED';
      throw conflict(
        expired
          ? `Agent ${agentId} lost its lease at ${lease.expiresAt} and is OFFLINE; its tasks went back to the queue. ` +
              'START it (performAgentAction) to take part again.'
          : `Agent ${agentId} is OFFLINE; START it (performAgentAction) before it renews a lease.`,
        { reason: expired ? 'LEASE_EXPIRED' : 'AGENT_OFFLINE' },
      );
    }
    if (lease && lease.state === 'HELD' && !(await isHeld(tx, lease))) {
      throw conflict(
        `Agent ${agentId}'s lease ran out at ${lease.expiresAt}: it is being taken for dead and its tasks ` +
          'requeued. START it again once it is OFFLINE.',
        { reason: 'LEASE_EXPIRED', expiredAt: lease.expiresAt },
      );
    }
    const now = await tx.time();
    const ttl = ttlMs ?? lease?.ttlMs ?? this.settings.ttlMs;
    const renewed: Lease = {
      id: agentId,
      state: 'HELD',
      ttlMs: ttl,
      expiresAt: iso(now + ttl),
      lastSeenAt: iso(now),
      holders: holders(lease?.holders ?? [], now, ttl),
    };
    if (lease) tx.put('lease', renewed);
    else tx.create('lease', renewed);
    return { agent, lease: renewed };
  }

  async expireDue(): Promise<number> {
    // The leases due by the engine's clock, from the ordered index: a sweep reads only what is due.
    const now = await this.store.time();
    const held = await this.store.listDue('lease', now, 10_000);
    let expired = 0;
    // In an order of its own on each instance: sweepers that walk the same list in the same order
    // collide on every record, and all but one of them retry each time.
    for (const record of shuffled(held)) {
      // Only a candidate: the commit decides on the engine's clock whether it is still due.
      if (deadlineOf(record.doc) > now) continue;
      const { value } = await this.runner.run((tx) => this.expire(tx, record.doc.id));
      if (value) expired++;
    }
    return expired;
  }

  /**
   * The agent is taken for dead, in one commit: OFFLINE (AGENT_STATUS_CHANGED, reason
   * LEASE_EXPIRED), each ASSIGNED and RUNNING task back to PENDING (TASK_REQUEUED, LEASE_EXPIRED),
   * an election if it led, and its vote dropped from the quorum of every proposal it has not voted
   * on. The commit lands only if the deadline is still passed on the engine's clock and nobody
   * changed the lease meanwhile: of two instances sweeping at once, or a renewal racing a sweep,
   * exactly one commits.
   */
  private async expire(tx: Tx, agentId: string): Promise<boolean> {
    const lease = await tx.get('lease', agentId);
    // Another instance swept it, or it was renewed, released or deleted since the list was read.
    if (!lease || lease.state !== 'HELD' || (await isHeld(tx, lease))) return false;
    const agent = await tx.get('agent', agentId);
    const ended: Lease = { ...lease, state: agent && agent.status !== 'OFFLINE' ? 'EXPIRED' : 'RELEASED' };
    tx.put('lease', ended);
    // Stryker disable next-line ConditionalExpression: a lease of an agent that is gone or OFFLINE is only closed
    if (!agent || agent.status === 'OFFLINE') return false;
    const now = this.runner.clock.now().toISOString();
    const { agent: offline, events } = await requeueTasks(
      tx,
      { ...agent, status: 'OFFLINE', updatedAt: now },
      ['ASSIGNED', 'RUNNING'],
      now,
      'LEASE_EXPIRED',
    );
    tx.put('agent', offline);
    tx.emit({
      type: 'AGENT_STATUS_CHANGED',
      rooms: rooms.ofAgent(agentId),
      payload: {
        kind: 'agent',
        agent: offline,
        previousStatus: agent.status,
        action: null,
        reason: 'LEASE_EXPIRED',
      },
    });
    events.forEach((event) => tx.emit(event));
    await failoverIfLeader(tx, now, agent, 'lost its lease');
    await dropVoter(tx, now, agentId);
    return true;
  }

  /** How many agents' leases hold now (read a batch at a time). */
  async countLive(): Promise<number> {
    const now = await this.store.time();
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const batch: Versioned<Lease>[] = await this.store.list('lease', {
        where: { state: 'HELD' },
        after,
        limit: 500,
      });
      count += batch.filter(({ doc }) => deadlineOf(doc) > now).length;
      if (batch.length < 500) return count;
      after = batch.at(-1)?.doc.id ?? null;
    }
  }

  /**
   * The live agents after the agent `after` (ids in creation order), at most `first` of them: the
   * leases are read a batch at a time, so a large fleet is never read whole for one page.
   */
  async presence(request: { first: number; after?: string | null }): Promise<LiveAgent[]> {
    const page = parseInput(pageSchema, request);
    const now = await this.store.time();
    const live: Lease[] = [];
    let after = page.after ?? null;
    for (;;) {
      const batch: Versioned<Lease>[] = await this.store.list('lease', {
        where: { state: 'HELD' },
        after,
        limit: 200,
      });
      for (const { doc: lease } of batch) {
        if (deadlineOf(lease) <= now) continue;
        live.push({ ...lease, holders: lease.holders.filter((h) => isFresh(h, now, lease.ttlMs)) });
        if (live.length === page.first) break;
      }
      if (live.length >= page.first || batch.length < 200) break;
      after = batch.at(-1)?.doc.id ?? null;
    }
    const agents = await Promise.all(live.map((lease) => this.store.get('agent', lease.id)));
    return live.flatMap((lease, i) => {
      const agent = agents[i]?.doc;
      return agent ? [{ agent, lease }] : [];
    });
  }
}
