import type { Alert } from '../fleet-state.js';
import { Card } from './Card.js';

export function Alerts({ alerts }: { alerts: Alert[] }) {
  return (
    <Card title="Alerts">
      {alerts.length === 0 && <p className="muted">No alert.</p>}
      <ul className="alerts">
        {alerts.map((a) => (
          <li key={a.id} className={`alert ${a.level.toLowerCase()}`}>
            <span className="pill">{a.level}</span> {a.message}
            <span className="muted small"> · {new Date(a.at).toLocaleTimeString()}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
