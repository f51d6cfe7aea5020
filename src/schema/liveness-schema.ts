/** Liveness: the lease fields of an agent, `heartbeat`, and `presence`. */
import type { LiveAgent } from '../domain/api.js';
import { checkMayKeepLease } from '../domain/access/agent-identity.js';
import { LEASE_STATES, type Agent, type Lease, type LeaseHolder } from '../domain/model.js';
import type { ColonyContext } from './context.js';
import { AgentRef } from './agent-schema.js';
import { builder } from './builder.js';
import { MAX_LISTED_CONNECTIONS, pageArgs } from './paging.js';

export const LeaseState = builder.enumType('LeaseState', {
  values: LEASE_STATES,
  description:
    'HELD: the agent proves it is alive. EXPIRED: it stopped proving it, and was taken OFFLINE. RELEASED: it went OFFLINE on request.',
});

/**
 * The agent's lease, read once for the three fields of one agent object in one operation (keyed by
 * both, weakly: a subscription's context lives long, and each event brings its own agent object).
 */
const leases = new WeakMap<Agent, WeakMap<ColonyContext, Promise<Lease | null>>>();
function leaseOf(agent: Agent, ctx: ColonyContext): Promise<Lease | null> {
  let byContext = leases.get(agent);
  if (!byContext) leases.set(agent, (byContext = new WeakMap()));
  let lease = byContext.get(ctx);
  if (!lease) byContext.set(ctx, (lease = ctx.colony.liveness.lease(agent.id)));
  return lease;
}

builder.objectFields(AgentRef, (t) => ({
  lastSeenAt: t.field({
    type: 'DateTime',
    nullable: true,
    description: "When the agent last renewed its lease (Colony's clock); null if it never held one.",
    resolve: async (agent, _, ctx) => (await leaseOf(agent, ctx))?.lastSeenAt ?? null,
  }),
  leaseExpiresAt: t.field({
    type: 'DateTime',
    nullable: true,
    description:
      'When its lease runs out unless renewed (HELD), or ran out (EXPIRED); null for an agent that never held one, which is never taken for dead.',
    resolve: async (agent, _, ctx) => (await leaseOf(agent, ctx))?.expiresAt ?? null,
  }),
  leaseState: t.field({
    type: LeaseState,
    nullable: true,
    description: 'null for an agent that never held a lease.',
    resolve: async (agent, _, ctx) => (await leaseOf(agent, ctx))?.state ?? null,
  }),
}));

const PresenceConnectionRef = builder.objectRef<LeaseHolder>('PresenceConnection').implement({
  description: 'An open connection that names the agent in its connection_init and holds its lease.',
  fields: (t) => ({
    instanceId: t.exposeString('instanceId', { description: 'The Colony instance it is open on.' }),
    connectionId: t.exposeString('connectionId'),
    since: t.field({ type: 'DateTime', resolve: (h) => h.since }),
    renewedAt: t.field({
      type: 'DateTime',
      description: 'When its instance last renewed the lease for it (pings answered).',
      resolve: (h) => h.renewedAt,
    }),
  }),
});

const AgentPresenceRef = builder.objectRef<LiveAgent>('AgentPresence').implement({
  description: 'A live agent: its lease holds now.',
  fields: (t) => ({
    agent: t.field({ type: AgentRef, resolve: (p) => p.agent }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (p) => p.lease.lastSeenAt }),
    leaseExpiresAt: t.field({ type: 'DateTime', resolve: (p) => p.lease.expiresAt }),
    connections: t.field({
      type: [PresenceConnectionRef],
      description: `Its connections across every instance (empty for an agent kept by heartbeat), at most ${MAX_LISTED_CONNECTIONS}.`,
      resolve: (p) => p.lease.holders.slice(0, MAX_LISTED_CONNECTIONS),
    }),
  }),
});

builder.queryFields((t) => ({
  presence: t.field({
    type: [AgentPresenceRef],
    description:
      'The agents whose lease holds now, oldest first, with their connections: `first` of them (1–100, default 20) after the agent `after`.',
    args: {
      first: t.arg.int({ description: '1–100, default 20.' }),
      after: t.arg.id({ description: 'The id of the last agent of the page before.' }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.liveness.presence(pageArgs({ first: args.first, after: args.after && String(args.after) })),
  }),
}));

builder.mutationFields((t) => ({
  heartbeat: t.field({
    type: AgentRef,
    skipTypeScopes: true,
    authScopes: { authenticated: true },
    description:
      "Renews the agent's lease (begins one on the first call) for ttlMs, or the TTL it holds, or AGENT_LEASE_MS. " +
      'An operator may renew any agent, an agent\'s own token (sub "agent:<id>") its own. ' +
      'An OFFLINE agent is CONFLICT (AGENT_OFFLINE, or LEASE_EXPIRED after its lease ran out: START it again); ' +
      'so is a renewal after the deadline, even before the sweep ran (LEASE_EXPIRED). Publishes nothing.',
    args: {
      agentId: t.arg.id({ required: true }),
      ttlMs: t.arg.int({ description: 'AGENT_LEASE_MIN_MS to AGENT_LEASE_MAX_MS (default 1 000–300 000).' }),
    },
    resolve: (_, args, ctx) => {
      checkMayKeepLease(ctx.identity, String(args.agentId));
      return ctx.colony.liveness.heartbeat(String(args.agentId), args.ttlMs);
    },
  }),
}));
