/** One agent: name, type, load, its lease (when it holds or held one), and the actions its status allows. */
import type { Rights } from '../auth.js';
import { AgentAction, DeleteAgent } from '../documents.js';
import type { Agent } from '../fleet-state.js';
import type { Run } from '../run.js';
import { livenessOf, secondsSince, useNow } from './liveness.js';

export function AgentCard({ agent, rights, run }: { agent: Agent; rights: Rights; run: Run }) {
  const status = agent.status;
  const act = (action: 'START' | 'PAUSE' | 'RESUME' | 'STOP') =>
    void run(AgentAction, { id: agent.id, action });
  const liveness = livenessOf(agent);
  // Only an expired lease's "N s ago" ticks; a live card changes with events and presence answers.
  const now = useNow(liveness.kind === 'expired');
  return (
    <div
      className={`item agent ${status.toLowerCase()}${liveness.kind === 'expired' ? ' lease-expired' : ''}`}
      data-testid="agent"
      data-name={agent.name}
      data-liveness={liveness.kind}
    >
      <div className="item-title">{agent.name}</div>
      <div className="muted small">
        {agent.type} · {agent.activeTaskCount} active task{agent.activeTaskCount === 1 ? '' : 's'}
      </div>
      {liveness.kind === 'live' && (
        <div className="small liveness live" data-testid="liveness">
          live
          {liveness.lastSeenAt && (
            <span className="muted"> · last seen {new Date(liveness.lastSeenAt).toLocaleTimeString()}</span>
          )}
        </div>
      )}
      {liveness.kind === 'expired' && (
        <div
          className="small liveness expired"
          data-testid="liveness"
          title={`lease ran out at ${new Date(liveness.at).toLocaleString()}`}
        >
          lease expired {secondsSince(liveness.at, now)} s ago
        </div>
      )}
      {liveness.kind === 'released' && (
        <div className="small liveness muted" data-testid="liveness">
          lease released
        </div>
      )}
      <div className="actions">
        {status === 'ACTIVE' && (
          <button disabled={!rights.domain} onClick={() => act('PAUSE')}>
            Pause
          </button>
        )}
        {status === 'PAUSED' && (
          <button disabled={!rights.domain} onClick={() => act('RESUME')}>
            Resume
          </button>
        )}
        {status === 'OFFLINE' ? (
          <button disabled={!rights.domain} onClick={() => act('START')}>
            Start
          </button>
        ) : (
          <button disabled={!rights.domain} onClick={() => act('STOP')}>
            Stop
          </button>
        )}
        <button
          className="danger"
          disabled={!rights.domain}
          onClick={() => void run(DeleteAgent, { id: agent.id })}
        >
          Delete
        </button>
      </div>
    </div>
  );
}
