/**
 * How failures reach clients. A DomainError becomes a GraphQLError whose `extensions.code` is one of
 * ERROR_CODES (with its details beside it); GraphQL's own errors (syntax, validation) pass as they
 * are; anything else is a bug, logged by the caller and masked as "Unexpected error.".
 */
import { GraphQLError } from 'graphql';
import { DomainError } from '../domain/errors.js';

function findDomainError(error: unknown): DomainError | null {
  for (let e: unknown = error, depth = 0; e && depth < 10; depth++) {
    if (e instanceof DomainError) return e;
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Returns the error to send, and whether it was unexpected (to be logged). */
export function toClientError(error: unknown): { error: GraphQLError; unexpected: boolean } {
  const domain = findDomainError(error);
  const graphql = error instanceof GraphQLError ? error : null;
  if (domain) {
    return {
      error: new GraphQLError(domain.message, {
        nodes: graphql?.nodes,
        path: graphql?.path,
        extensions: { ...domain.details, code: domain.code },
      }),
      unexpected: false,
    };
  }
  if (graphql && !graphql.originalError) return { error: graphql, unexpected: false };
  if (graphql?.originalError instanceof GraphQLError)
    return { error: graphql.originalError, unexpected: false };
  return {
    error: new GraphQLError('Unexpected error.', {
      nodes: graphql?.nodes,
      path: graphql?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    }),
    unexpected: true,
  };
}

/**
 * A subscription's source stream whose failures reach the client as they would from a resolver
 * (a FORBIDDEN keeps its code), since graphql-ws reports a failing stream outside the masking.
 */
export function withClientErrors<T>(iterable: AsyncIterable<T>): AsyncIterableIterator<T> {
  const source = iterable[Symbol.asyncIterator]();
  const mapped: AsyncIterableIterator<T> = {
    next: () =>
      source.next().catch((error: unknown) => {
        throw toClientError(error).error;
      }),
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}
