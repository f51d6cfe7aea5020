import { approvalRate } from '../domain/consensus/consensus-rules.js';
import { PROPOSAL_STATUSES, type Proposal, type Vote } from '../domain/model.js';
import { LIMITS, proposeConsensusInput } from '../domain/validation.js';
import { AgentRef } from './agent-schema.js';
import { builder } from './builder.js';
import { pageArgs, toConnection } from './paging.js';

export const ProposalStatus = builder.enumType('ProposalStatus', { values: PROPOSAL_STATUSES });

export const VoteRef = builder.objectRef<Vote>('Vote');
VoteRef.implement({
  fields: (t) => ({
    agent: t.field({
      type: AgentRef,
      description: 'The voter as it was when it voted.',
      resolve: (v) => v.agent,
    }),
    approve: t.exposeBoolean('approve'),
    at: t.field({ type: 'DateTime', resolve: (v) => v.at }),
  }),
});

export const ProposalRef = builder.objectRef<Proposal>('Proposal');
ProposalRef.implement({
  description:
    'A question put to the agents ACTIVE when it was proposed. APPROVED once approvals/voters ≥ threshold, REJECTED once that can no longer happen, EXPIRED at expiresAt.',
  fields: (t) => ({
    id: t.exposeID('id'),
    topic: t.exposeString('topic'),
    value: t.field({ type: 'JSON', nullable: true, resolve: (p) => p.value }),
    status: t.field({ type: ProposalStatus, resolve: (p) => p.status }),
    threshold: t.exposeFloat('threshold'),
    approvalRate: t.float({
      description: 'Approvals divided by the number of voters.',
      resolve: (p) => approvalRate(p),
    }),
    votes: t.field({
      type: [VoteRef],
      description: `The first ${LIMITS.listed} votes cast, oldest first (voterCount and approvalRate count them all).`,
      resolve: (p) => p.votes.slice(0, LIMITS.listed),
    }),
    voterIds: t.idList({ resolve: (p) => p.voterIds }),
    voterCount: t.int({ resolve: (p) => p.voterIds.length }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    expiresAt: t.field({ type: 'DateTime', resolve: (p) => p.expiresAt }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.decidedAt }),
  }),
});

const ProposalConnection = builder.connectionObject(
  { type: ProposalRef, name: 'ProposalConnection' },
  { name: 'ProposalEdge' },
);

const ProposeConsensusInput = builder.inputType('ProposeConsensusInput', {
  fields: (t) => ({
    topic: t.string({ required: true, description: '1–200 characters.' }),
    value: t.field({ type: 'JSON', description: 'At most 16 KiB as JSON and 32 levels deep.' }),
    threshold: t.float({ description: 'In (0, 1], default 0.5.' }),
    ttlSeconds: t.int({ description: '1–86400, default 60.' }),
  }),
  validate: proposeConsensusInput,
});

builder.queryFields((t) => ({
  proposal: t.field({
    type: ProposalRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => ctx.colony.consensus.get(String(id)),
  }),
  proposals: t.field({
    type: ProposalConnection,
    description: 'Proposals, oldest first.',
    args: { status: t.arg({ type: ProposalStatus }), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_, args, ctx) =>
      toConnection(await ctx.colony.consensus.list({ status: args.status }, pageArgs(args))),
  }),
}));

builder.mutationFields((t) => ({
  proposeConsensus: t.field({
    type: ProposalRef,
    description: 'Publishes CONSENSUS_PROPOSED. No ACTIVE agent is CONFLICT (reason NO_VOTERS).',
    args: { input: t.arg({ type: ProposeConsensusInput, required: true }) },
    resolve: (_, { input }, ctx) => ctx.colony.consensus.propose(input),
  }),
  castVote: t.field({
    type: ProposalRef,
    description:
      'One vote per voter: CONSENSUS_VOTED, then CONSENSUS_DECIDED when it settles. A second vote is CONFLICT (ALREADY_VOTED); an agent that is not a voter is FORBIDDEN (NOT_A_VOTER); a closed proposal is INVALID_TRANSITION.',
    args: {
      proposalId: t.arg.id({ required: true }),
      agentId: t.arg.id({ required: true }),
      approve: t.arg.boolean({ required: true }),
    },
    resolve: (_, args, ctx) =>
      ctx.colony.consensus.vote(String(args.proposalId), String(args.agentId), args.approve),
  }),
}));
