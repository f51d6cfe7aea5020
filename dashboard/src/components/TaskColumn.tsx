import type { Dispatch } from 'react';
import type { Rights } from '../auth.js';
import { DashboardTasks } from '../documents.js';
import type { Agent, FleetAction, Task } from '../fleet-state.js';
import type { TaskStatus } from '../gql/graphql.js';
import type { Run } from '../run.js';
import { ColumnFoot } from './ColumnFoot.js';
import { usePages } from './paging.js';
import { TaskItem } from './TaskItem.js';

export function TaskColumn({
  status,
  count,
  tasks,
  active,
  ready,
  dispatch,
  rights,
  run,
}: {
  status: TaskStatus;
  count: number | null;
  tasks: Task[];
  active: Agent[];
  ready: boolean;
  dispatch: Dispatch<FleetAction>;
  rights: Rights;
  run: Run;
}) {
  const pages = usePages(
    DashboardTasks,
    { status },
    (data) => data.tasks,
    (nodes) => dispatch({ type: 'tasks', nodes }),
    ready,
  );
  const list = [...tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (
    <div className="column" data-column={status}>
      <h3>
        {status.toLowerCase()}{' '}
        <span className="count" data-testid={`count-${status}`}>
          {count ?? '–'}
        </span>
      </h3>
      <div className="column-list">
        {list.map((task) => (
          <TaskItem key={task.id} task={task} active={active} rights={rights} run={run} />
        ))}
      </div>
      <ColumnFoot shown={list.length} count={count} pages={pages} />
    </div>
  );
}
