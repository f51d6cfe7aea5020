/**
 * GraphiQL from Colony itself: a small page plus its script, stylesheet, Monaco workers and icon as
 * separate files. `@graphql-yoga/render-graphiql` ships these as strings and inlines all of them
 * (about 9 MB) into every page load; here each is served under a name that carries its content
 * hash, so a browser caches it for good (`immutable`), and compressed (br or gzip, as the client
 * accepts). Nothing is loaded from outside.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import {
  css,
  editorWorkerService,
  favicon,
  graphqlWorker,
  js,
  jsonWorker,
} from '@graphql-yoga/render-graphiql/graphiql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** Where the assets live; anything else under it is a 404. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

type Encoding = 'br' | 'gzip';

interface Asset {
  path: string;
  type: string;
  body: Buffer;
  hash: string;
  encoded: Map<Encoding, Promise<Buffer>>;
}

const compressors: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  // Quality 5: about 25% smaller than gzip at a second of one thread the first time the largest
  // file is asked for; 11 (the default) would take a minute for the 5 MB script.
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  gzip: (body) => promisify(gzip)(body),
};

function asset(name: string, extension: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return {
    path: `${GRAPHIQL_ASSETS_PATH}${name}-${hash}.${extension}`,
    type,
    body,
    hash,
    encoded: new Map(),
  };
}

const javascript = 'text/javascript; charset=utf-8';
const assets = {
  script: asset('graphiql', 'js', javascript, Buffer.from(js)),
  style: asset('graphiql', 'css', 'text/css; charset=utf-8', Buffer.from(css)),
  editorWorker: asset('editor.worker', 'js', javascript, Buffer.from(editorWorkerService)),
  jsonWorker: asset('json.worker', 'js', javascript, Buffer.from(jsonWorker)),
  graphqlWorker: asset('graphql.worker', 'js', javascript, Buffer.from(graphqlWorker)),
  // The package has the icon as a data URL; as a file it is cached like the rest.
  icon: asset(
    'favicon',
    'ico',
    'image/x-icon',
    Buffer.from(favicon.replace(/^data:[^,]*;base64,/, ''), 'base64'),
  ),
};
const byPath = new Map(Object.values(assets).map((a) => [a.path, a]));

/** The page GraphiQL starts from: a few hundred bytes that point at the assets above. */
export function renderGraphiQL(options: GraphiQLOptions): string {
  // Inside <script>, `<` is escaped so that no option value can close the element.
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  const title = (options.title ?? 'GraphiQL').replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
  const workers = {
    editorWorkerService: assets.editorWorker.path,
    json: assets.jsonWorker.path,
    graphql: assets.graphqlWorker.path,
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <link rel="icon" href="${assets.icon.path}" />
    <link rel="stylesheet" href="${assets.style.path}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${json(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${assets.script.path}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${json(options)});
    </script>
  </body>
</html>
`;
}

/** The best encoding the client accepts (q=0 refuses one), or null for the plain bytes. */
function negotiate(acceptEncoding: string | null): Encoding | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const wants = (e: Encoding) => (accepted.get(e) ?? accepted.get('*') ?? 0) > 0;
  if (wants('br')) return 'br';
  if (wants('gzip')) return 'gzip';
  return null;
}

function encodedBody(a: Asset, encoding: Encoding): Promise<Buffer> {
  let body = a.encoded.get(encoding);
  if (!body) {
    // Compressed once, on first demand, and kept: an instance that never serves GraphiQL pays nothing.
    body = compressors[encoding](a.body);
    a.encoded.set(encoding, body);
  }
  return body;
}

/** A Yoga plugin answering GET and HEAD under GRAPHIQL_ASSETS_PATH before any GraphQL handling. */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const a = byPath.get(url.pathname);
      if (!a || (request.method !== 'GET' && request.method !== 'HEAD')) {
        return endResponse(
          new fetchAPI.Response(a ? null : 'Not found', {
            status: a ? 405 : 404,
            headers: a ? { allow: 'GET, HEAD' } : { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
      }
      const encoding = negotiate(request.headers.get('accept-encoding'));
      const headers: Record<string, string> = {
        'content-type': a.type,
        // The name changes whenever the content does, so a copy never needs checking again.
        'cache-control': 'public, max-age=31536000, immutable',
        // One tag per representation (RFC 9110 §8.8.3); any of them proves the client has this file.
        etag: `"${a.hash}${encoding ? `-${encoding}` : ''}"`,
        vary: 'Accept-Encoding',
      };
      const known = request.headers.get('if-none-match') ?? '';
      if (known.includes(`"${a.hash}"`) || known.includes(`"${a.hash}-`)) {
        return endResponse(new fetchAPI.Response(null, { status: 304, headers }));
      }
      const body = encoding ? await encodedBody(a, encoding) : a.body;
      if (encoding) headers['content-encoding'] = encoding;
      headers['content-length'] = String(body.length);
      // A Buffer is a Uint8Array; Node's typings only disagree about its backing buffer's type.
      const bytes = request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>);
      endResponse(new fetchAPI.Response(bytes, { status: 200, headers }));
    },
  };
}
