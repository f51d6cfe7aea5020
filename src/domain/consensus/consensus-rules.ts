/** When a proposal is decided, without I/O. */
import type { Proposal, ProposalStatus } from '../model.js';

export function approvals(proposal: Pick<Proposal, 'votes'>): number {
  return proposal.votes.filter((v) => v.approve).length;
}

/** approvals / voters: the share of all voters (not of votes cast) that approved. */
export function approvalRate(proposal: Pick<Proposal, 'votes' | 'voterIds'>): number {
  return proposal.voterIds.length ? approvals(proposal) / proposal.voterIds.length : 0;
}

/**
 * APPROVED as soon as approvals reach the threshold; REJECTED as soon as they no longer can, even if
 * every voter still to vote approved; otherwise still OPEN.
 */
export function decide(proposal: Pick<Proposal, 'votes' | 'voterIds' | 'threshold'>): ProposalStatus {
  const voters = proposal.voterIds.length;
  const yes = approvals(proposal);
  const outstanding = voters - proposal.votes.length;
  // A small epsilon keeps 2/3 ≥ 0.6666666666666666 and friends on the right side of the line.
  const needed = proposal.threshold * voters - 1e-9;
  // Stryker disable next-line EqualityOperator: `needed` sits an epsilon below a multiple of the threshold, never on a whole count, so >= and > agree
  if (yes >= needed) return 'APPROVED';
  // Stryker disable next-line EqualityOperator: as above, < and <= agree
  if (yes + outstanding < needed) return 'REJECTED';
  return 'OPEN';
}
