import type { Dispatch } from 'react';
import type { Rights } from '../auth.js';
import { DashboardAgents } from '../documents.js';
import type { Agent, FleetAction } from '../fleet-state.js';
import type { AgentStatus } from '../gql/graphql.js';
import type { Run } from '../run.js';
import { AgentCard } from './AgentCard.js';
import { ColumnFoot } from './ColumnFoot.js';
import { usePages } from './paging.js';

export function AgentColumn({
  status,
  count,
  agents,
  ready,
  dispatch,
  rights,
  run,
}: {
  status: AgentStatus;
  count: number | null;
  agents: Agent[];
  ready: boolean;
  dispatch: Dispatch<FleetAction>;
  rights: Rights;
  run: Run;
}) {
  const pages = usePages(
    DashboardAgents,
    { status },
    (data) => data.agents,
    (nodes) => dispatch({ type: 'agents', nodes }),
    ready,
  );
  const list = [...agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (
    <div className="column" data-column={status}>
      <h3>
        {status.toLowerCase()}{' '}
        <span className="count" data-testid={`count-${status}`}>
          {count ?? '–'}
        </span>
      </h3>
      <div className="column-list">
        {list.map((agent) => (
          <AgentCard key={agent.id} agent={agent} rights={rights} run={run} />
        ))}
      </div>
      <ColumnFoot shown={list.length} count={count} pages={pages} />
    </div>
  );
}
