import type { Page } from './model.js';
import type { Versioned } from './ports.js';

/** Turns `first + 1` listed records into a page: the extra one only says that there is a next page. */
export function toPage<T>(
  records: Versioned<T>[],
  request: { first: number; after?: string | null | undefined },
): Page<T> {
  return {
    items: records.slice(0, request.first).map((r) => r.doc),
    hasNextPage: records.length > request.first,
    hasPreviousPage: Boolean(request.after),
  };
}
