/** The pasted token: who it says the caller is, when it expires, and renewal over the open socket. */
import { print } from 'graphql';
import { useEffect, useState, type FormEvent } from 'react';
import { decodeToken, type Rights } from '../auth.js';
import { RenewSession } from '../documents.js';
import type { Session } from '../session.js';

export function AuthPanel(props: {
  token: string;
  rights: Rights;
  onToken: (t: string) => void;
  onRenewed: (t: string) => void;
  session: Session;
}) {
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  // Re-rendered every 10 s, so that the time left stays current.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(timer);
  }, []);
  const info = props.token ? decodeToken(props.token) : null;
  const left = info?.exp ? info.exp - Date.now() / 1000 : null;

  const renew = () => {
    // Over the open socket, so that live subscriptions go on without a gap under the new token.
    props.session.colony.ws.subscribe(
      { query: print(RenewSession), variables: { token: draft.trim() } },
      {
        next: (result) => {
          if (result.errors?.length) setMessage(`Not renewed: ${result.errors[0]?.message ?? ''}`);
          else {
            props.onRenewed(draft.trim());
            setDraft('');
            setMessage('Session renewed.');
          }
        },
        error: () => setMessage('Not renewed: the socket closed.'),
        complete: () => undefined,
      },
    );
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onToken(draft.trim());
    setDraft('');
    setMessage(null);
  };

  return (
    <form className="auth" onSubmit={submit}>
      <span className="role" data-testid="role">
        {props.rights.role === 'none'
          ? 'no token (auth off)'
          : `${info?.sub ?? 'token'} · ${props.rights.role}`}
        {left !== null && (
          <span className={left < 120 ? 'warn' : 'muted'}>
            {left > 0 ? ` · expires in ${Math.ceil(left / 60)} min` : ' · expired'}
          </span>
        )}
      </span>
      <input
        type="password"
        placeholder={props.token ? 'paste a new token' : 'bearer token (optional)'}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-label="token"
      />
      <button type="submit" disabled={!draft.trim() && !props.token}>
        {draft.trim() || !props.token ? 'Use token' : 'Sign out'}
      </button>
      {props.token && (
        <button
          type="button"
          disabled={!draft.trim()}
          onClick={renew}
          title="renewSession over the open socket"
        >
          Renew
        </button>
      )}
      {message && <span className="muted">{message}</span>}
    </form>
  );
}
