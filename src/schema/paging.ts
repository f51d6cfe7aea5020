import type { Page } from '../domain/model.js';

/** A domain page as a Relay connection whose cursors are the record ids. */
export function toConnection<T extends { id: string }>(page: Page<T>) {
  const edges = page.items.map((node) => ({ cursor: node.id, node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** The page size when `first` is omitted. */
export const DEFAULT_PAGE_SIZE = 20;

/** Relay's `first`/`after` as the domain takes them (DEFAULT_PAGE_SIZE by default). */
export function pageArgs(args: { first?: number | null; after?: string | null }) {
  return { first: args.first ?? DEFAULT_PAGE_SIZE, after: args.after ?? null };
}

/** The connections `presence` lists per live agent (the cost rule prices the list at this bound). */
export const MAX_LISTED_CONNECTIONS = 20;
