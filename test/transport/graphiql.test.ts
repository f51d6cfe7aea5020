/** GraphiQL's page is small and its assets are separate files, cached for good and compressed. */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t?.stop());

async function page(): Promise<{ html: string; assets: string[] }> {
  const res = await fetch(t.graphqlUrl, { headers: { accept: 'text/html' } });
  expect(res.status).toBe(200);
  const html = await res.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"|"(\/graphiql\/[^"]+)"/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
  return { html, assets };
}

describe('GraphiQL', () => {
  it('is a small page that loads its script, style, icon and workers from /graphiql/', async () => {
    const { html, assets } = await page();
    expect(Buffer.byteLength(html)).toBeLessThan(8 * 1024);
    expect(html).toContain('subscription Live');
    expect(assets.filter((a) => a.endsWith('.js'))).toHaveLength(4);
    expect(assets.filter((a) => a.endsWith('.css'))).toHaveLength(1);
    expect(assets.filter((a) => a.endsWith('.ico'))).toHaveLength(1);
    for (const asset of assets) expect(asset).toMatch(/^\/graphiql\/[a-z.]+-[0-9a-f]{16}\.(js|css|ico)$/);
  });

  it('serves each asset with a year of immutable caching, an ETag and Vary: Accept-Encoding', async () => {
    for (const asset of (await page()).assets) {
      const res = await fetch(t.url + asset, { headers: { 'accept-encoding': 'identity' } });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(Number(res.headers.get('content-length'))).toBe((await res.arrayBuffer()).byteLength);
    }
  });

  it('compresses with br or gzip, as the client accepts, to the same bytes', async () => {
    const script = (await page()).assets.find((a) => a.includes('/graphiql-') && a.endsWith('.js'))!;
    // undici's fetch would decode on its own; read the raw bytes with node:http instead.
    const { request } = await import('node:http');
    const raw = (encoding: string) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        request(t.url + script, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
          .on('error', reject)
          .end();
      });
    const plain = await raw('identity');
    const br = await raw('gzip, deflate, br');
    const gzip = await raw('gzip;q=1, br;q=0');
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    // The 5 MB script goes over the wire at about a quarter of its size.
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);
    expect(br.headers.etag).not.toBe(plain.headers.etag);
  });

  it('answers a revalidation with 304 and an unknown asset with 404', async () => {
    const [asset] = (await page()).assets;
    const first = await fetch(t.url + asset!);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    const again = await fetch(t.url + asset!, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${t.url}/graphiql/graphiql-0000000000000000.js`)).status).toBe(404);
    expect((await fetch(`${t.url}/graphiql/../package.json`)).status).toBe(404);
  });
});
