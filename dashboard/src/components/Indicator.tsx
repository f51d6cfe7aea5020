/** The connection, and whether anything failed: a page with a failed request never just says "live". */
import type { ConnectionState } from '@colony/client';

export function Indicator({
  state,
  expiredAt,
  problems,
}: {
  state: ConnectionState;
  expiredAt: Date | null;
  problems: number;
}) {
  let text: string;
  switch (state.status) {
    case 'idle':
    case 'connecting':
      text = 'Connecting…';
      break;
    case 'connected':
      text = 'Connected · live';
      break;
    case 'reconnecting':
      text =
        state.closed?.code === 4403
          ? `Refused: ${state.closed.reason || 'the token is missing, invalid or expired'} — paste a valid token`
          : `Reconnecting… (attempt ${state.attempt})`;
      break;
    case 'resumed':
      text = `Resumed · caught up ${state.caughtUp} event${state.caughtUp === 1 ? '' : 's'}`;
      break;
  }
  if (problems) text += ` · ${problems} request${problems === 1 ? '' : 's'} failed`;
  return (
    <div
      className={`indicator ${state.status}${problems ? ' degraded' : ''}`}
      data-testid="connection"
      data-status={state.status}
      title={expiredAt ? 'Cursor expired earlier: views were re-queried' : ''}
    >
      <span className="dot" /> {text}
    </div>
  );
}
