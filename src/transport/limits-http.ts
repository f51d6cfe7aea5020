/**
 * Which web pages may call the API from a browser. One list, ALLOWED_ORIGINS, for HTTP, SSE and the
 * WebSocket upgrade (ws-server.ts checks it there): a request whose Origin is not listed is refused
 * with 403 before anything runs. Without the list any origin may call, but never with credentials.
 * Cross-site request forgery: csrf.ts (a POST executes only with a content type a browser preflights,
 * or the `x-graphql-yoga-csrf` header; a GET runs queries only).
 */
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { CSRF_HEADER, useCsrfRule } from './csrf.js';

export { CSRF_HEADER };

/** Whether a request from `origin` (absent for non-browser clients) may be served. */
export function originAllowed(origin: string | null | undefined, allowed: string[] | null): boolean {
  return !origin || !allowed || allowed.includes(origin);
}

/** Yoga's `cors` option: listed origins get credentials; without a list, any origin, none. */
export function corsOptions(allowed: string[] | null) {
  return (request: Request): CORSOptions | false => {
    const origin = request.headers.get('origin');
    if (!allowed) return { origin: '*', credentials: false };
    if (!origin || !allowed.includes(origin)) return false;
    return { origin: [origin], credentials: true };
  };
}

export function httpProtections(allowed: string[] | null): Plugin[] {
  return [
    {
      onRequest({ request, fetchAPI, endResponse }) {
        if (originAllowed(request.headers.get('origin'), allowed)) return;
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({
              errors: [
                {
                  message: 'This origin may not call the API (ALLOWED_ORIGINS).',
                  extensions: { code: 'FORBIDDEN', reason: 'ORIGIN_NOT_ALLOWED' },
                },
              ],
            }),
            { status: 403, headers: { 'content-type': 'application/json; charset=utf-8' } },
          ),
        );
      },
    },
    // What it protects, and why a GET passes: csrf.ts.
    useCsrfRule(),
  ];
}
