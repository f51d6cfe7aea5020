import { useState, type FormEvent } from 'react';
import type { Rights } from '../auth.js';
import { ProposeConsensus } from '../documents.js';
import type { Agent, Proposal } from '../fleet-state.js';
import type { Run } from '../run.js';
import { Card } from './Card.js';
import { ProposalItem } from './ProposalItem.js';

export function Proposals({
  proposals,
  more,
  agents,
  rights,
  run,
}: {
  proposals: Proposal[];
  /** The server has more open proposals than the first page showed. */
  more: boolean;
  agents: Map<string, Agent>;
  rights: Rights;
  run: Run;
}) {
  const [topic, setTopic] = useState('');
  const propose = (e: FormEvent) => {
    e.preventDefault();
    if (!topic.trim()) return;
    void run(ProposeConsensus, { input: { topic: topic.trim(), ttlSeconds: 300 } });
    setTopic('');
  };
  return (
    <Card title={`Open proposals · ${proposals.length}${more ? '+' : ''}`}>
      <form className="inline" onSubmit={propose}>
        <input
          placeholder="topic"
          value={topic}
          onChange={(e) => setTopic(e.target.value)}
          aria-label="proposal topic"
        />
        <button type="submit" disabled={!rights.domain || !topic.trim()}>
          Propose
        </button>
      </form>
      {proposals.length === 0 && <p className="muted">No open proposal.</p>}
      {proposals.map((p) => (
        <ProposalItem key={p.id} proposal={p} agents={agents} rights={rights} run={run} />
      ))}
    </Card>
  );
}
