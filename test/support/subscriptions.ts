/** Collects what a subscription receives, with promises to wait for a count (no sleeps). */
import type { Client, ExecutionResult } from 'graphql-ws';

export interface Collected<T> {
  items: T[];
  errors: unknown[];
  /** Resolves once `n` items arrived (rejects on a subscription error). */
  waitFor(n: number): Promise<T[]>;
  /** Resolves when the server completes the subscription or sends an error. */
  ended: Promise<void>;
  unsubscribe(): void;
}

export function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Collected<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  let waiters: { n: number; resolve: (v: T[]) => void; reject: (e: unknown) => void }[] = [];
  let endResolve!: () => void;
  const ended = new Promise<void>((resolve) => (endResolve = resolve));
  const check = () => {
    waiters = waiters.filter((w) => {
      if (items.length >= w.n) w.resolve(items.slice(0, w.n));
      else if (errors.length) w.reject(errors[0]);
      else return true;
      return false;
    });
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result: ExecutionResult<T>) => {
        if (result.errors?.length) errors.push(result.errors);
        else if (result.data) items.push(result.data);
        check();
      },
      error: (error) => {
        errors.push(error);
        check();
        endResolve();
      },
      complete: () => endResolve(),
    },
  );
  return {
    items,
    errors,
    ended,
    unsubscribe,
    waitFor: (n) =>
      new Promise<T[]>((resolve, reject) => {
        waiters.push({ n, resolve, reject });
        check();
      }),
  };
}

/** Resolves once the hub has `n` active subscriptions: the live side is registered, so nothing is missed. */
export async function untilSubscribed(
  stats: () => Promise<{ activeSubscriptions: number }>,
  n: number,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await stats()).activeSubscriptions >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never reached ${n} active subscriptions`);
}
