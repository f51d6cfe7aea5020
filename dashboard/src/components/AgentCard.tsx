/** One agent: name, type, load, and the actions its status allows. */
import type { Rights } from '../auth.js';
import { AgentAction, DeleteAgent } from '../documents.js';
import type { Agent } from '../fleet-state.js';
import type { Run } from '../run.js';

export function AgentCard({ agent, rights, run }: { agent: Agent; rights: Rights; run: Run }) {
  const status = agent.status;
  const act = (action: 'START' | 'PAUSE' | 'RESUME' | 'STOP') =>
    void run(AgentAction, { id: agent.id, action });
  return (
    <div className={`item agent ${status.toLowerCase()}`} data-testid="agent" data-name={agent.name}>
      <div className="item-title">{agent.name}</div>
      <div className="muted small">
        {agent.type} · {agent.activeTaskCount} active task{agent.activeTaskCount === 1 ? '' : 's'}
      </div>
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
