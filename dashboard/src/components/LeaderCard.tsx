import type { Rights } from '../auth.js';
import { TriggerElection } from '../documents.js';
import type { Run } from '../run.js';

export function LeaderCard({
  leader,
  term,
  rights,
  run,
}: {
  leader: { id: string; name: string } | null;
  term: number;
  rights: Rights;
  run: Run;
}) {
  return (
    <section className="card leader-card">
      <h2>Leader</h2>
      <div className="leader" data-testid="leader">
        {leader ? (
          <>
            <span className="leader-name">{leader.name}</span>
            <span className="pill">term {term}</span>
          </>
        ) : (
          <span className="muted">no leader yet{term ? ` (term ${term})` : ''}</span>
        )}
      </div>
      <button disabled={!rights.domain} onClick={() => void run(TriggerElection, {})}>
        Trigger election
      </button>
    </section>
  );
}
