import type { Election } from '../domain/model.js';
import { LIMITS } from '../domain/validation.js';
import { AgentRef } from './agent-schema.js';
import { builder } from './builder.js';
import { pageArgs, toConnection } from './paging.js';

export const ElectionRef = builder.objectRef<Election>('Election');
ElectionRef.implement({
  description:
    'One term of leadership. The leader is the ACTIVE agent with the fewest active tasks, then the oldest. Candidates are kept as they were when it ran.',
  fields: (t) => ({
    id: t.exposeID('id'),
    term: t.exposeInt('term'),
    reason: t.exposeString('reason', { nullable: true }),
    leader: t.field({
      type: AgentRef,
      nullable: true,
      resolve: (e) => e.candidates.find((a) => a.id === e.leaderId) ?? null,
    }),
    candidates: t.field({
      type: [AgentRef],
      description: `The ACTIVE agents it weighed, leader first, as they were then: at most ${LIMITS.listed}.`,
      // Older terms may have stored more.
      resolve: (e) => e.candidates.slice(0, LIMITS.listed),
    }),
    startedAt: t.field({ type: 'DateTime', resolve: (e) => e.startedAt }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.decidedAt }),
  }),
});

const ElectionConnection = builder.connectionObject(
  { type: ElectionRef, name: 'ElectionConnection' },
  { name: 'ElectionEdge' },
);

builder.queryFields((t) => ({
  leader: t.field({ type: AgentRef, nullable: true, resolve: (_, __, ctx) => ctx.colony.elections.leader() }),
  elections: t.field({
    type: ElectionConnection,
    description: 'Elections, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (_, args, ctx) => toConnection(await ctx.colony.elections.list(pageArgs(args))),
  }),
}));

builder.mutationFields((t) => ({
  triggerElection: t.field({
    type: ElectionRef,
    description:
      'Opens the next term among ACTIVE agents: ELECTION_TRIGGERED then LEADER_ELECTED. No ACTIVE agent is CONFLICT (reason NO_CANDIDATE) and consumes no term.',
    args: { reason: t.arg.string() },
    resolve: (_, args, ctx) => ctx.colony.elections.trigger(args.reason),
  }),
}));
