/** The agents by status: a column each, counted by the server, loaded a page at a time. */
import { useState, type Dispatch, type FormEvent } from 'react';
import type { Rights } from '../auth.js';
import { CreateAgent } from '../documents.js';
import type { Agent, Counts, FleetAction } from '../fleet-state.js';
import type { Run } from '../run.js';
import { AgentColumn } from './AgentColumn.js';
import { Card } from './Card.js';

const AGENT_COLUMNS = ['ACTIVE', 'PAUSED', 'OFFLINE'] as const;

export function Agents({
  agents,
  counts,
  ready,
  generation,
  dispatch,
  rights,
  run,
}: {
  agents: Agent[];
  counts: Counts['agents'] | null;
  /** The stream is in place: the columns may load (nothing changes unseen between). */
  ready: boolean;
  /** Changes when every view must load again (CURSOR_EXPIRED). */
  generation: number;
  dispatch: Dispatch<FleetAction>;
  rights: Rights;
  run: Run;
}) {
  const [name, setName] = useState('');
  const [type, setType] = useState('worker');
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    void run(CreateAgent, { input: { name: name.trim(), type: type.trim() || 'worker' } });
    setName('');
  };
  // Unknown until the server answers (or while it refuses): never a made-up 0.
  const total = counts ? AGENT_COLUMNS.reduce((n, s) => n + (counts[s] ?? 0), 0) : '–';
  return (
    <Card
      title={
        <>
          Agents · <span data-testid="agents-total">{total}</span>
        </>
      }
      className="wide"
    >
      <form className="inline" onSubmit={create}>
        <input
          placeholder="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="agent name"
        />
        <input
          placeholder="type"
          value={type}
          onChange={(e) => setType(e.target.value)}
          aria-label="agent type"
        />
        <button type="submit" disabled={!rights.domain || !name.trim()}>
          Create agent
        </button>
      </form>
      <div className="columns three">
        {AGENT_COLUMNS.map((status) => (
          <AgentColumn
            key={`${status}-${generation}`}
            status={status}
            count={counts?.[status] ?? null}
            agents={agents.filter((a) => a.status === status)}
            ready={ready}
            dispatch={dispatch}
            rights={rights}
            run={run}
          />
        ))}
      </div>
    </Card>
  );
}
