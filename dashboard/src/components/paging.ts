/**
 * One column's pages: the first is queried once the page is ready, the next ones on demand. The
 * nodes go into the fleet state (where live events update them); the column keeps only where the
 * next page starts.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useEffect, useState } from 'react';
import { useClient, useQuery, type AnyVariables } from 'urql';

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
  const [first] = useQuery({ query: document, variables, pause: !ready });
  const [next, setNext] = useState<{ hasNextPage: boolean; endCursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    if (!first.data) return;
    const page = pageOf(first.data);
    onNodes(page.edges.map((e) => e.node));
    setNext({ hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor ?? null });
    // Only a new answer matters (pageOf and onNodes are plain functions, new on each render).
  }, [first.data]);
  const loadMore = async () => {
    if (!next?.endCursor || loading) return;
    setLoading(true);
    const result = await client.query(document, { ...variables, after: next.endCursor }).toPromise();
    setLoading(false);
    if (!result.data) return; // the problem banner says why
    const page = pageOf(result.data);
    onNodes(page.edges.map((e) => e.node));
    setNext({ hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor ?? null });
  };
  return { hasMore: Boolean(next?.hasNextPage), loading: loading || first.fetching, loadMore };
}
