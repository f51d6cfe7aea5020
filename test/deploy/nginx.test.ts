/**
 * What deploy/nginx.conf does, checked against Debian's nginx with two small upstream servers that
 * record what reaches them: keep-alive, forwarded headers, WebSocket upgrades, unbuffered SSE, gzip,
 * and which failures are retried (never a POST that reached an instance).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.js';
import { startNginx, type Nginx } from './nginx.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  socket: Socket;
}

interface Upstream {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

async function upstream(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, socket: req.socket });
    handle(req, res);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    seen.push({ method: 'UPGRADE', url: req.url ?? '', headers: req.headers, socket: req.socket });
    socket.on('message', (data) => socket.send(`echo ${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** One request through a connection of its own, body read raw (no automatic decompression). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

let nginx: Nginx | null = null;
let upstreams: Upstream[] = [];
afterEach(async () => {
  await nginx?.stop();
  await Promise.all(upstreams.map((u) => u.close()));
  nginx = null;
  upstreams = [];
});

async function setUp(a: Upstream | number, b: Upstream | number): Promise<Nginx> {
  upstreams = [a, b].filter((u): u is Upstream => typeof u !== 'number');
  nginx = await startNginx([a, b].map((u) => (typeof u === 'number' ? u : u.port)));
  return nginx;
}

describe('deploy/nginx.conf', () => {
  it('keeps upstream connections alive for plain requests and forwards Host and the client address', async () => {
    const handler = (_req: IncomingMessage, res: ServerResponse) => json(res, { ok: true });
    const [a, b] = [await upstream(handler), await upstream(handler)];
    const { url } = await setUp(a, b);
    for (let i = 0; i < 20; i++) expect((await raw(`${url}/graphql?query=%7Bx%7D`)).status).toBe(200);
    const seen = [...a.seen, ...b.seen].filter((s) => s.url.startsWith('/graphql'));
    expect(seen).toHaveLength(20);
    for (const s of seen) {
      expect(s.headers.connection).toBeUndefined();
      expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(s.headers.host).toBe('127.0.0.1');
      expect(s.headers['x-forwarded-proto']).toBe('http');
    }
    // 20 requests over far fewer connections: nginx reuses them (two workers, two instances).
    expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(4);
  });

  it('passes a WebSocket upgrade through with Connection: upgrade', async () => {
    const handler = (_req: IncomingMessage, res: ServerResponse) => json(res, {});
    const [a, b] = [await upstream(handler), await upstream(handler)];
    const { url } = await setUp(a, b);
    const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('ping');
    expect(String(await new Promise((resolve) => socket.once('message', resolve)))).toBe('echo ping');
    socket.close();
    const upgrade = [...a.seen, ...b.seen].find((s) => s.method === 'UPGRADE')!;
    expect(upgrade.headers.connection).toMatch(/upgrade/i);
    expect(upgrade.headers.upgrade).toBe('websocket');
    expect(upgrade.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('delivers each SSE event as it is written, uncompressed', async () => {
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (!req.headers.accept?.includes('text/event-stream')) return json(res, {});
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: next\ndata: ${JSON.stringify({ n: 1, pad: 'x'.repeat(2000) })}\n\n`);
      void released.then(() => res.end('event: complete\ndata:\n\n'));
    };
    const [a, b] = [await upstream(handler), await upstream(handler)];
    const { url } = await setUp(a, b);
    const first = await new Promise<{ headers: IncomingMessage['headers']; chunk: string }>(
      (resolve, reject) => {
        const req = request(
          `${url}/graphql`,
          {
            method: 'POST',
            agent: false,
            headers: {
              accept: 'text/event-stream',
              'accept-encoding': 'gzip',
              'content-type': 'application/json',
            },
          },
          (res) => res.once('data', (c: Buffer) => resolve({ headers: res.headers, chunk: String(c) })),
        );
        req.on('error', reject);
        req.end('{"query":"subscription { events { id } }"}');
      },
    );
    // The first event arrived while the upstream still holds the response open.
    expect(first.chunk).toContain('event: next');
    expect(first.headers['content-encoding']).toBeUndefined();
    release();
  });

  it('compresses JSON for clients that accept gzip', async () => {
    const body = { items: Array.from({ length: 200 }, (_, i) => ({ id: `agent-${i}`, status: 'ACTIVE' })) };
    const handler = (_req: IncomingMessage, res: ServerResponse) => json(res, body);
    const [a, b] = [await upstream(handler), await upstream(handler)];
    const { url } = await setUp(a, b);
    const res = await raw(`${url}/graphql?query=%7Bx%7D`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(String(gunzipSync(res.body)))).toEqual(body);
    expect(res.body.length).toBeLessThan(JSON.stringify(body).length / 4);
  });

  it('retries a refused connection on the other instance, even for a POST', async () => {
    const live = await upstream((_req, res) => json(res, { data: { ok: true } }));
    const { url } = await setUp(await freePort(), live);
    for (let i = 0; i < 6; i++) {
      const res = await raw(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"mutation { m }"}',
      });
      expect(res.status).toBe(200);
    }
    expect(live.seen.filter((s) => s.method === 'POST')).toHaveLength(6);
  });

  it('never passes on a POST that reached an instance, but retries a GET', async () => {
    // One instance drops every request after reading it, as a crashing process would.
    const broken = await upstream((req) => req.socket.destroy());
    const healthy = await upstream((_req, res) => json(res, { data: { ok: true } }));
    const { url } = await setUp(broken, healthy);
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await raw(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"query":"mutation { m${i} }"}`,
      });
      statuses.push(res.status);
    }
    // Round robin sent one of the two to the broken instance: that client gets 502, and the mutation
    // reached exactly one instance (it may have run there; running it again elsewhere could be wrong).
    expect(statuses.sort()).toEqual([200, 502]);
    const posts = [...broken.seen, ...healthy.seen].filter((s) => s.method === 'POST');
    expect(posts.map((s) => s.url)).toHaveLength(2);
    // A GET that meets the broken instance is passed on: every one succeeds.
    for (let i = 0; i < 2; i++) expect((await raw(`${url}/graphql?query=%7Bx%7D`)).status).toBe(200);
    expect(
      broken.seen.filter((s) => s.method === 'GET' && s.url.startsWith('/graphql')).length,
    ).toBeGreaterThan(0);
  });
});
