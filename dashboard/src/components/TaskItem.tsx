/** One task: title, assignee, progress bar, and the actions its status allows. */
import type { Rights } from '../auth.js';
import { AssignTask, CancelTask, CompleteTask, FailTask, ReportProgress, StartTask } from '../documents.js';
import type { Agent, Task } from '../fleet-state.js';
import type { Run } from '../run.js';

export function TaskItem({
  task,
  active,
  rights,
  run,
}: {
  task: Task;
  active: Agent[];
  rights: Rights;
  run: Run;
}) {
  const progress = Math.round((task.progress ?? (task.status === 'COMPLETED' ? 1 : 0)) * 100);
  const open = !['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status);
  return (
    <div className={`item task ${task.status.toLowerCase()}`} data-testid="task" data-title={task.title}>
      <div className="item-title">{task.title}</div>
      <div className="muted small">
        {task.assignee ? `→ ${task.assignee.name}` : 'unassigned'} · priority {task.priority}
      </div>
      <div className="bar-row">
        <div
          className="bar"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress}
          aria-label={`${task.title} progress`}
        >
          <div className="fill" style={{ width: `${progress}%` }} />
        </div>
        <span className="small muted">{progress}%</span>
      </div>
      {task.error && <div className="small err">{task.error}</div>}
      {open && (
        <div className="actions">
          {task.status === 'PENDING' && (
            <select
              disabled={!rights.domain}
              value=""
              aria-label={`assign ${task.title}`}
              onChange={(e) =>
                void run(AssignTask, {
                  id: task.id,
                  agentId: e.target.value === 'auto' ? null : e.target.value,
                })
              }
            >
              <option value="" disabled>
                Assign…
              </option>
              <option value="auto">least loaded</option>
              {active.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
          {task.status === 'ASSIGNED' && (
            <button disabled={!rights.domain} onClick={() => void run(StartTask, { id: task.id })}>
              Start
            </button>
          )}
          {task.status === 'RUNNING' && (
            <>
              <button
                disabled={!rights.domain || progress >= 100}
                onClick={() =>
                  void run(ReportProgress, { id: task.id, progress: Math.min(1, progress / 100 + 0.25) })
                }
              >
                +25%
              </button>
              <button disabled={!rights.domain} onClick={() => void run(CompleteTask, { id: task.id })}>
                Complete
              </button>
              <button
                disabled={!rights.domain}
                onClick={() => void run(FailTask, { id: task.id, error: 'failed from the dashboard' })}
              >
                Fail
              </button>
            </>
          )}
          <button
            className="danger"
            disabled={!rights.domain}
            onClick={() => void run(CancelTask, { id: task.id })}
          >
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}
