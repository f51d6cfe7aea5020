/** Runs a mutation from a button. Its failure, if any, reaches the problem banner through the session. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback } from 'react';
import { useClient } from 'urql';

export function useRun() {
  const client = useClient();
  return useCallback(
    <R, V extends object>(doc: TypedDocumentNode<R, V>, variables: V) =>
      client.mutation(doc, variables).toPromise(),
    [client],
  );
}

export type Run = ReturnType<typeof useRun>;
