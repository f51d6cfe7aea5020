/**
 * An HTTP request's identity: the token of its `Authorization: Bearer` header, verified before
 * anything else is done with the request.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../domain/access/identity.js';
import { AuthError, bearerToken, type TokenVerifier } from './token-verifier.js';
import { clientError } from '../schema/errors.js';

/**
 * The identity an HTTP request (a query, a mutation, an SSE subscription) proves with its
 * `Authorization: Bearer` header. Refused with 401 and an UNAUTHENTICATED error before anything runs.
 */
export async function authenticateRequest(
  verifier: TokenVerifier | null,
  request: Request,
): Promise<Identity | null> {
  if (!verifier) return null;
  const token = bearerToken(request.headers.get('authorization'));
  const refuse = (message: string) =>
    clientError(
      'UNAUTHENTICATED',
      message,
      {},
      { http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="colony"' } } },
    );
  if (token === null) throw refuse('Authentication required: send `Authorization: Bearer <token>`.');
  if (!token) throw refuse('The Authorization header must be `Bearer <token>`.');
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof AuthError) throw refuse(error.message);
    throw error;
  }
}

/**
 * With authentication on, an HTTP request proves its token before anything else is done with it:
 * the body is not read, parsed or validated for a caller without a valid token, so that an
 * anonymous caller learns nothing of the schema (no "Cannot query field", no "Did you mean"). The
 * identity is kept for the context factory. GraphiQL's page is served before this (it holds no data).
 */
export function useAuthenticationFirst(
  verifier: TokenVerifier | null,
  identities: WeakMap<Request, Identity | null>,
): Plugin {
  return {
    async onRequestParse({ request, endResponse, fetchAPI }) {
      if (!verifier) return;
      try {
        identities.set(request, await authenticateRequest(verifier, request));
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        const { http, ...extensions } = error.extensions as {
          http?: { status: number; headers: Record<string, string> };
        };
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: error.message, extensions }] }), {
            status: http?.status ?? 401,
            headers: { 'content-type': 'application/json; charset=utf-8', ...http?.headers },
          }),
        );
      }
    },
  };
}
