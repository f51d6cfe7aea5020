/**
 * How failures reach clients, built here alone. A DomainError becomes a GraphQLError whose
 * `extensions.code` is one of ERROR_CODES (with its details beside it); the transports and limits
 * raise theirs with `clientError` (the same codes: UNAUTHENTICATED, RATE_LIMITED, BAD_USER_INPUT, …,
 * and an HTTP status where one applies); GraphQL's own errors (syntax, validation) pass as they are;
 * anything else is a bug, logged by the caller and masked as "Unexpected error.".
 */
import { GraphQLError, type ASTNode } from 'graphql';
import { DomainError, type ErrorCode } from '../domain/errors.js';

/** The codes a client may see: the domain's, and the masked bug's. */
export type ClientErrorCode = ErrorCode | 'INTERNAL_SERVER_ERROR';

export interface ClientErrorOptions {
  /** Over HTTP: the status and headers of the response (Yoga reads `extensions.http`). */
  http?: { status: number; headers?: Record<string, string> };
  nodes?: readonly ASTNode[] | ASTNode | undefined;
  path?: readonly (string | number)[] | undefined;
}

/** An error for the client: `extensions.code`, then the machine-readable `details` beside it. */
export function clientError(
  code: ClientErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  options: ClientErrorOptions = {},
): GraphQLError {
  return new GraphQLError(message, {
    nodes: options.nodes,
    path: options.path,
    extensions: { code, ...details, ...(options.http ? { http: options.http } : {}) },
  });
}

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
      error: clientError(domain.code, domain.message, domain.details, {
        nodes: graphql?.nodes,
        path: graphql?.path,
      }),
      unexpected: false,
    };
  }
  if (graphql && !graphql.originalError) return { error: graphql, unexpected: false };
  if (graphql?.originalError instanceof GraphQLError)
    return { error: graphql.originalError, unexpected: false };
  return {
    error: clientError(
      'INTERNAL_SERVER_ERROR',
      'Unexpected error.',
      {},
      {
        nodes: graphql?.nodes,
        path: graphql?.path,
      },
    ),
    unexpected: true,
  };
}

/**
 * A subscription's source stream whose failures reach the client as they would from a resolver
 * (a FORBIDDEN keeps its code), since graphql-ws reports a failing stream outside the masking.
 */
export function withClientErrors<T>(iterable: AsyncIterable<T>): AsyncIterableIterator<T> {
  return new ClientErrors(iterable[Symbol.asyncIterator]());
}

/** A class rather than an object of closures: one is held per open subscription. */
class ClientErrors<T> implements AsyncIterableIterator<T> {
  constructor(private readonly source: AsyncIterator<T>) {}

  next(): Promise<IteratorResult<T>> {
    return this.source.next().catch(rethrowForClient);
  }

  return(): Promise<IteratorResult<T>> {
    return this.source.return?.() ?? Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.source.throw?.(error) ?? Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

function rethrowForClient(error: unknown): never {
  throw toClientError(error).error;
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** Strips graphql-js's "Did you mean …?" hints, which spell out the schema to a probing client. */
export function withoutSuggestions<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !error.message.includes('Did you mean')) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/**
 * Drops `extensions.originalError`, which Yoga's request parser sets itself (an invalid JSON body
 * answers the SyntaxError's name, message and, in development, its stack): no response carries it.
 */
export function withoutOriginalError(error: GraphQLError): GraphQLError {
  if (!error.extensions || !('originalError' in error.extensions)) return error;
  const { originalError: _dropped, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}

/**
 * Gives a code to an error that has none: graphql-js's own errors outside any field (variables it
 * could not coerce, such as an Int out of range) are the request's fault, BAD_USER_INPUT; one inside
 * a field (a null for a non-null field) is the server's, INTERNAL_SERVER_ERROR.
 */
export function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: error.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT' },
  });
}
