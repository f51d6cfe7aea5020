import type { ConsensusApi, ProposeConsensusInput } from '../api.js';
import { conflict, DomainError, invalidTransition, notFound } from '../errors.js';
import { rooms } from '../events/rooms.js';
import { newId } from '../ids.js';
import type { Page, PageRequest, Proposal, ProposalStatus, Vote } from '../model.js';
import { toPage } from '../paging.js';
import type { Store } from '../ports.js';
import type { Tx, TransactionRunner } from '../transaction.js';
import {
  idSchema,
  pageSchema,
  parseInput,
  proposalStatusSchema,
  proposeConsensusInput,
} from '../validation.js';
import { getAgentOrThrow } from '../agents/agent-service.js';
import { decide } from './consensus-rules.js';
import { liveOnly } from '../liveness/leases.js';
import { z } from 'zod';

function emit(
  tx: Tx,
  type: 'CONSENSUS_PROPOSED' | 'CONSENSUS_VOTED' | 'CONSENSUS_DECIDED',
  proposal: Proposal,
  vote: Vote | null,
) {
  tx.emit({ type, rooms: [rooms.coordination], payload: { kind: 'proposal', proposal, vote } });
}

/**
 * An agent taken for dead no longer blocks a quorum: it leaves the voters of every OPEN proposal it
 * has not voted on, and each such proposal is decided again on the voters left (CONSENSUS_DECIDED when
 * that decides it). A vote it cast stays. A proposal left with no voter at all EXPIRES: nobody could
 * approve it. One already past its expiry is left to the expiry sweep.
 */
export async function dropVoter(tx: Tx, now: string, agentId: string): Promise<void> {
  const open = await tx.list('proposal', { where: { status: 'OPEN' }, limit: 100_000 });
  for (const record of open) {
    const proposal = record.doc;
    if (!proposal.voterIds.includes(agentId) || proposal.votes.some((v) => v.agent.id === agentId)) continue;
    if (now >= proposal.expiresAt) continue;
    tx.guard('proposal', record);
    const fewer = { ...proposal, voterIds: proposal.voterIds.filter((id) => id !== agentId) };
    const status: ProposalStatus = fewer.voterIds.length ? decide(fewer) : 'EXPIRED';
    const updated: Proposal = status === 'OPEN' ? fewer : { ...fewer, status, decidedAt: now };
    tx.put('proposal', updated);
    if (status !== 'OPEN') emit(tx, 'CONSENSUS_DECIDED', updated, null);
  }
}

export class ConsensusService implements ConsensusApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
  ) {}

  private now(): Date {
    return this.runner.clock.now();
  }

  async get(id: string): Promise<Proposal | null> {
    return (await this.store.get('proposal', id))?.doc ?? null;
  }

  async list(filter: { status?: ProposalStatus | null }, page: PageRequest): Promise<Page<Proposal>> {
    const p = parseInput(pageSchema, page);
    const status = parseInput(proposalStatusSchema.nullish(), filter.status);
    return toPage(
      await this.store.list('proposal', {
        where: status ? { status } : {},
        after: p.after,
        limit: p.first + 1,
      }),
      p,
    );
  }

  async propose(input: ProposeConsensusInput): Promise<Proposal> {
    const data = parseInput(proposeConsensusInput, input);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      // The voters are the agents ACTIVE and live now: one whose lease ran out counts for nothing.
      const active = await liveOnly(
        tx,
        await tx.list('agent', { where: { status: 'ACTIVE' }, limit: 100_000 }),
      );
      if (!active.length) {
        throw conflict('No agent is ACTIVE and live, so nobody could vote. Start or resume an agent first.', {
          reason: 'NO_VOTERS',
        });
      }
      const proposal: Proposal = {
        id: newId(),
        topic: data.topic,
        value: data.value ?? null,
        status: 'OPEN',
        threshold: data.threshold ?? 0.5,
        voterIds: active.map((r) => r.doc.id),
        votes: [],
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + (data.ttlSeconds ?? 60) * 1000).toISOString(),
        decidedAt: null,
      };
      tx.create('proposal', proposal);
      emit(tx, 'CONSENSUS_PROPOSED', proposal, null);
      return proposal;
    });
    return value;
  }

  async vote(proposalId: string, agentId: string, approve: boolean): Promise<Proposal> {
    parseInput(idSchema, proposalId);
    parseInput(idSchema, agentId);
    parseInput(z.boolean(), approve);
    const { value } = await this.runner.run(async (tx) => {
      const now = this.now();
      const proposal = await tx.get('proposal', proposalId);
      if (!proposal) throw notFound('proposal', proposalId);
      const agent = await getAgentOrThrow(tx, agentId);
      if (proposal.status !== 'OPEN' || now.toISOString() >= proposal.expiresAt) {
        const status = proposal.status === 'OPEN' ? 'EXPIRED' : proposal.status;
        throw invalidTransition(`Proposal ${proposalId} is ${status}; votes are no longer taken.`, {
          status,
        });
      }
      if (!proposal.voterIds.includes(agentId)) {
        throw new DomainError(
          'FORBIDDEN',
          `Agent ${agentId} is not a voter on proposal ${proposalId}: only the agents ACTIVE when it was proposed may vote.`,
          { reason: 'NOT_A_VOTER' },
        );
      }
      if (proposal.votes.some((v) => v.agent.id === agentId)) {
        throw conflict(`Agent ${agentId} has already voted on proposal ${proposalId}.`, {
          reason: 'ALREADY_VOTED',
        });
      }
      const vote: Vote = { agent, approve, at: now.toISOString() };
      const voted = { ...proposal, votes: [...proposal.votes, vote] };
      const status = decide(voted);
      const updated: Proposal =
        status === 'OPEN' ? voted : { ...voted, status, decidedAt: now.toISOString() };
      tx.put('proposal', updated);
      emit(tx, 'CONSENSUS_VOTED', updated, vote);
      if (status !== 'OPEN') emit(tx, 'CONSENSUS_DECIDED', updated, null);
      return updated;
    });
    return value;
  }

  async expireDue(): Promise<number> {
    // Stryker disable next-line ObjectLiteral: the filter only narrows the candidates; each is checked again below
    const open = await this.store.list('proposal', { where: { status: 'OPEN' }, limit: 100_000 });
    const nowIso = this.now().toISOString();
    let expired = 0;
    for (const record of open) {
      // A proposal's expiry never changes: due when listed is due at commit.
      if (record.doc.expiresAt > nowIso) continue;
      const { value } = await this.runner.run(async (tx) => {
        const now = this.now().toISOString();
        const proposal = await tx.get('proposal', record.doc.id);
        // Another instance (or a vote) may have closed it since the list was read.
        if (!proposal || proposal.status !== 'OPEN') return false;
        const updated: Proposal = { ...proposal, status: 'EXPIRED', decidedAt: now };
        tx.put('proposal', updated);
        emit(tx, 'CONSENSUS_DECIDED', updated, null);
        return true;
      });
      if (value) expired++;
    }
    return expired;
  }
}
