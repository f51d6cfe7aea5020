/**
 * One column's pages: the first is queried once the page is ready (and again when the column is
 * mounted anew after CURSOR_EXPIRED), the next ones on demand. The nodes go into the fleet state,
 * where live events update them; the column keeps only where the next page starts.
 *
 * Queried imperatively rather than with useQuery: urql shares an operation between components that
 * ask the same thing and replays its last result to a new one, which after CURSOR_EXPIRED would
 * bring back records the restarted server no longer has.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables } from 'urql';

interface Page<N> {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: N }[];
}

export function usePages<R, V extends AnyVariables & { after?: string | null }, N>(
  document: TypedDocumentNode<R, V>,
  variables: V,
  pageOf: (data: R) => Page<N>,
  onNodes: (nodes: N[]) => void,
  ready: boolean,
) {
  const client = useClient();
  const [next, setNext] = useState<{ hasNextPage: boolean; endCursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const mounted = useRef(true);
  // The caller's functions of the latest render, for answers that arrive later.
  const latest = useRef({ pageOf, onNodes, variables });
  latest.current = { pageOf, onNodes, variables };

  const load = async (after: string | null) => {
    setLoading(true);
    const { variables: base } = latest.current;
    const result = await client.query(document, { ...base, after }).toPromise();
    if (!mounted.current) return;
    setLoading(false);
    if (!result.data) return; // the problem banner says why
    const page = latest.current.pageOf(result.data);
    latest.current.onNodes(page.edges.map((e) => e.node));
    setNext({ hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor ?? null });
  };

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    if (ready) void load(null);
    // Once, when the page is ready: a column mounted anew loads anew.
  }, [ready]);

  return {
    hasMore: Boolean(next?.hasNextPage),
    loading,
    loadMore: async () => {
      if (next?.endCursor && !loading) await load(next.endCursor);
    },
  };
}
