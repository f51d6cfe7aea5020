/** Failed or refused requests, as the page shows them until they succeed again or are dismissed. */
import { useCallback, useState } from 'react';

export interface Problem {
  /** The operation's name (DashboardOverview, DashboardCreateAgent, …). */
  operation: string;
  /** What the server said. */
  message: string;
  /** extensions.code, or HTTP <status> / NETWORK_ERROR when no GraphQL error came back. */
  code: string;
  reason: string | null;
}

export interface Problems {
  list: Problem[];
  add(problem: Problem): void;
  /** The operation worked: its problem, if any, is over. */
  clear(operation: string): void;
  dismiss(problem: Problem): void;
}

export function useProblems(): Problems {
  const [list, setList] = useState<Problem[]>([]);
  const add = useCallback(
    (problem: Problem) =>
      setList((current) => [...current.filter((p) => p.operation !== problem.operation), problem]),
    [],
  );
  const clear = useCallback(
    (operation: string) =>
      setList((current) =>
        current.some((p) => p.operation === operation)
          ? current.filter((p) => p.operation !== operation)
          : current,
      ),
    [],
  );
  const dismiss = useCallback(
    (problem: Problem) => setList((current) => current.filter((p) => p !== problem)),
    [],
  );
  return { list, add, clear, dismiss };
}
