/** Every request that failed or was refused, with what the server said, until it works again. */
import type { Problems } from '../problems.js';

export function ProblemBanner({ problems }: { problems: Problems }) {
  if (problems.list.length === 0) return null;
  return (
    <div className="problems" role="alert" data-testid="problems">
      {problems.list.map((p) => (
        <div
          key={`${p.operation}:${p.code}:${p.message}`}
          className="problem"
          data-testid="problem"
          data-code={p.code}
        >
          <span className="pill">{p.code}</span>
          {p.reason && <span className="pill muted">{p.reason}</span>} <strong>{p.operation}</strong>:{' '}
          {p.message}
          <button type="button" className="mini" title="dismiss" onClick={() => problems.dismiss(p)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
