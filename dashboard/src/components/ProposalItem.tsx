/** One open proposal: its tally against the threshold, and a vote button per voter yet to vote. */
import type { Rights } from '../auth.js';
import { CastVote } from '../documents.js';
import type { Agent, Proposal } from '../fleet-state.js';
import type { Run } from '../run.js';

/** Voters listed with buttons; a proposal put to a whole large fleet shows how many more there are. */
const VOTERS_SHOWN = 12;

export function ProposalItem({
  proposal: p,
  agents,
  rights,
  run,
}: {
  proposal: Proposal;
  agents: Map<string, Agent>;
  rights: Rights;
  run: Run;
}) {
  const approvals = p.votes.filter((v) => v.approve).length;
  const rejections = p.votes.length - approvals;
  const votes = new Map(p.votes.map((v) => [v.agent.id, v]));
  const voters = [...p.votes.map((v) => v.agent.id), ...p.voterIds.filter((id) => !votes.has(id))];
  const shown = voters.slice(0, VOTERS_SHOWN);
  return (
    <div className="item proposal" data-testid="proposal" data-topic={p.topic}>
      <div className="item-title">{p.topic}</div>
      <div
        className="tally"
        role="meter"
        aria-label={`${p.topic} tally`}
        aria-valuemin={0}
        aria-valuemax={p.voterCount}
        aria-valuenow={approvals}
      >
        <div className="yes" style={{ width: `${(approvals / Math.max(1, p.voterCount)) * 100}%` }} />
        <div className="no" style={{ width: `${(rejections / Math.max(1, p.voterCount)) * 100}%` }} />
        <div
          className="threshold"
          style={{ left: `${p.threshold * 100}%` }}
          title={`threshold ${p.threshold}`}
        />
      </div>
      <div className="small muted" data-testid="tally-text">
        {approvals} yes · {rejections} no · {p.voterCount - p.votes.length} to vote · needs{' '}
        {Math.round(p.threshold * 100)}%
      </div>
      <div className="voters">
        {shown.map((id) => {
          const vote = votes.get(id);
          const name = vote?.agent.name ?? agents.get(id)?.name ?? id.slice(-6);
          return (
            <span key={id} className={`voter ${vote ? (vote.approve ? 'yes' : 'no') : ''}`}>
              {name}
              {!vote && (
                <>
                  <button
                    className="mini"
                    disabled={!rights.domain}
                    title="approve"
                    onClick={() => void run(CastVote, { proposalId: p.id, agentId: id, approve: true })}
                  >
                    ✓
                  </button>
                  <button
                    className="mini"
                    disabled={!rights.domain}
                    title="reject"
                    onClick={() => void run(CastVote, { proposalId: p.id, agentId: id, approve: false })}
                  >
                    ✗
                  </button>
                </>
              )}
            </span>
          );
        })}
        {voters.length > shown.length && (
          <span className="muted small">+{voters.length - shown.length} more</span>
        )}
      </div>
    </div>
  );
}
