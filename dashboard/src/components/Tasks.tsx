/** The tasks by status: a column each, counted by the server, loaded a page at a time. */
import { useState, type Dispatch, type FormEvent } from 'react';
import type { Rights } from '../auth.js';
import { CreateTask } from '../documents.js';
import type { Agent, Counts, FleetAction, Task } from '../fleet-state.js';
import type { Run } from '../run.js';
import { Card } from './Card.js';
import { TaskColumn } from './TaskColumn.js';

const TASK_COLUMNS = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

export function Tasks({
  tasks,
  agents,
  counts,
  ready,
  generation,
  dispatch,
  rights,
  run,
}: {
  tasks: Task[];
  agents: Agent[];
  counts: Counts['tasks'] | null;
  ready: boolean;
  generation: number;
  dispatch: Dispatch<FleetAction>;
  rights: Rights;
  run: Run;
}) {
  const [title, setTitle] = useState('');
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    void run(CreateTask, { input: { title: title.trim() } });
    setTitle('');
  };
  // Agents to assign to by hand: the ACTIVE ones loaded (or "least loaded", which the server picks).
  const active = agents.filter((a) => a.status === 'ACTIVE').slice(0, 50);
  const total = counts ? TASK_COLUMNS.reduce((n, s) => n + (counts[s] ?? 0), 0) : '–';
  return (
    <Card
      title={
        <>
          Tasks · <span data-testid="tasks-total">{total}</span>
        </>
      }
      className="full"
    >
      <form className="inline" onSubmit={create}>
        <input
          placeholder="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-label="task title"
        />
        <button type="submit" disabled={!rights.domain || !title.trim()}>
          Create task
        </button>
      </form>
      <div className="columns six">
        {TASK_COLUMNS.map((status) => (
          <TaskColumn
            key={`${status}-${generation}`}
            status={status}
            count={counts?.[status] ?? null}
            tasks={tasks.filter((t) => t.status === status)}
            active={active}
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
