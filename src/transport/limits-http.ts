/**
 * Which web pages may call the API from a browser. One list, ALLOWED_ORIGINS, for HTTP, SSE and the
 * WebSocket upgrade (ws-server.ts checks it there): a request whose Origin is not listed is refused
 * with 403 before anything runs. Without the list any origin may call, but never with credentials.
 * Cross-site request forgery is Yoga's CSRF prevention: a request executes only with a content type
 * a browser preflights (JSON) or with the `x-graphql-yoga-csrf` header, so a form or a plain GET from
 * another site cannot run anything.
 */
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { CORSOptions, Plugin } from 'graphql-yoga';

/** The header that lets a request without a preflighted content type execute (GET, curl). */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

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
    useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }),
  ];
}
