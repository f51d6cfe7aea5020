/**
 * What cross-site request forgery could do here, and the rule that stops it.
 *
 * A page on another site can make a browser send two kinds of request without asking the server
 * first (no CORS preflight): a GET, and a POST whose body is a form, multipart or text/plain. Auth
 * is a bearer token in a header, never a cookie, so such a request carries no credentials; what it
 * could still do is change something on a server that runs without authentication.
 *
 * - A GET runs only queries (and SSE subscriptions): Yoga refuses a mutation over GET with 405
 *   before anything runs, as the GraphQL-over-HTTP spec requires. Reading is not what CSRF is about,
 *   and the page cannot read the answer unless CORS lets it. So a GET passes without a header, which
 *   is what urql (GET for short queries), browsers and caches expect.
 * - A POST runs mutations, so it must be one a browser preflights: a JSON content type
 *   (application/json, application/graphql-response+json), or any content type with the
 *   `x-graphql-yoga-csrf` header. A form, multipart or text/plain POST without it is refused with
 *   403 (FORBIDDEN, reason CSRF) before it is parsed.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** The header that lets a POST with a simple content type through (a deliberate non-browser client). */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Whether a browser could have sent this request cross-site without a preflight, with a body. */
export function unpreflightedWrite(method: string, headers: Headers): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  if (headers.has(CSRF_HEADER)) return false;
  const type = headers.get('content-type')?.toLowerCase();
  return !type || SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple));
}

export function useCsrfRule(): Plugin {
  return {
    onRequestParse({ request }) {
      if (!unpreflightedWrite(request.method, request.headers)) return;
      throw createGraphQLError(
        `A POST needs a JSON content type (application/json) or the ${CSRF_HEADER} header: a form, multipart or text/plain body could come from another site (CSRF).`,
        { extensions: { code: 'FORBIDDEN', reason: 'CSRF', http: { status: 403 } } },
      );
    },
  };
}
