/**
 * Serves the dashboard's build (dashboard/dist, made by `npm install` or `npm run dashboard:build`)
 * at /dashboard: static files with their content types, nothing from elsewhere. Hashed assets are
 * cached for good; the page itself is revalidated, so a new build shows on the next load.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = '/dashboard';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const DEFAULT_ROOT = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/** Whether a request path is the dashboard's. */
export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export async function serveDashboard(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  root: string = DEFAULT_ROOT,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return plain(res, 405, 'Method not allowed');
  }
  let relative: string;
  try {
    relative = decodeURIComponent(path.slice(DASHBOARD_PATH.length)).replace(/^\/+/, '');
  } catch {
    return plain(res, 400, 'Bad path');
  }
  const file = normalize(join(root, relative || 'index.html'));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return plain(res, 404, 'Not found');
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    const page = await stat(join(root, 'index.html')).catch(() => null);
    if (!page) {
      return plain(
        res,
        503,
        'The dashboard is not built: run `npm install` (it builds it) or `npm run dashboard:build`.',
      );
    }
    return plain(res, 404, 'Not found');
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const hashed = relative.startsWith('assets/');
  res.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
