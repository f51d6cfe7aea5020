/** The dashboard: one session (socket + HTTP client) for the page, the token, and the fleet view. */
import { useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { loadToken, rightsOf, saveToken } from './auth.js';
import { Fleet } from './components/Fleet.js';
import { useProblems } from './problems.js';
import { createSession } from './session.js';

export function App() {
  const [token, setToken] = useState(loadToken);
  const problems = useProblems();
  const { add, clear } = problems;
  // One session for the page's life; add and clear are stable.
  const session = useMemo(
    () => createSession(loadToken(), { onProblem: add, onSuccess: clear }),
    [add, clear],
  );
  useEffect(() => () => void session.colony.dispose(), [session]);

  const useToken = (next: string) => {
    saveToken(next);
    setToken(next);
    session.token.current = next;
    // Reconnect with the new token; the subscription resumes where it was.
    session.colony.ws.terminate();
  };

  return (
    <Provider value={session.urql}>
      <Fleet
        session={session}
        rights={rightsOf(token)}
        token={token}
        problems={problems}
        onToken={useToken}
        onRenewed={(t) => {
          saveToken(t);
          setToken(t);
          session.token.current = t;
        }}
      />
    </Provider>
  );
}
