/** The entry point as an operator runs it: configuration errors, and shutdown on a signal. */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/net.js';

const root = fileURLToPath(new URL('../', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', METRICS_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** One request on a connection of its own: the status, or 0 when the connection is refused or reset. */
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    // The CSRF header lets a plain GET query through (transport/limits-http.ts).
    const headers = { 'x-graphql-yoga-csrf': '1' };
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function openSocket(port: number): Promise<WebSocket> {
  // Generous: on a loaded machine tsx takes many seconds to start the app.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const socket = await new Promise<WebSocket | null>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
      s.once('open', () => resolve(s));
      s.once('error', () => setTimeout(() => resolve(null), 25));
    });
    if (socket) {
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await new Promise((resolve) => socket.once('message', resolve));
      return socket;
    }
  }
  throw new Error('the server never accepted a WebSocket');
}

describe('the colony process', { timeout: 120_000 }, () => {
  it('lists every bad variable and exits 1', async () => {
    const p = run({ PORT: 'eighty', EVENT_RETENTION: '0', LOG_LEVEL: 'loud', REDIS_URL: 'http://nope' });
    expect(await p.exited).toBe(1);
    for (const name of ['PORT', 'EVENT_RETENTION', 'LOG_LEVEL', 'REDIS_URL'])
      expect(p.stderr()).toContain(name);
    // Each says what form is expected, not only that it is wrong.
    expect(p.stderr()).toContain('REDIS_URL: must be redis:// or rediss://');
  });

  it('says in one line that the port is in use, and exits 1', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    try {
      const p = run({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      expect(await p.exited).toBe(1);
      expect(p.stderr().trim().split('\n')).toEqual([
        `Port ${port} is already in use on 127.0.0.1: stop what holds it, or start with PORT set to another port.`,
      ]);
    } finally {
      holder.close();
    }
  });

  it('on Ctrl-C in a terminal (SIGINT to tsx and the server, relayed again) drains once and exits 0', async () => {
    const port = await freePort();
    // `npm start` is tsx, which runs the server in a child process. detached: a process group of
    // its own, as a terminal's foreground job is, so that one kill reaches both, as Ctrl-C does.
    const child = spawn(
      fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url)),
      ['src/main.ts'],
      {
        cwd: root,
        detached: true,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          METRICS_INTERVAL_MS: '0',
          SHUTDOWN_DRAIN_MS: '500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await openSocket(port).then((s) => s.terminate());
      // The log line with the server's pid may reach the pipe after the socket opened.
      await expect.poll(() => /"pid":(\d+)/.test(output), { timeout: 10_000 }).toBe(true);
      const server = Number(/"pid":(\d+)/.exec(output)?.[1]);
      expect(server).not.toBe(child.pid);
      process.kill(-child.pid!, 'SIGINT');
      // What tsx (or npm) does when the server's own report of the signal is slow: the same SIGINT
      // relayed to it once more.
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.kill(server, 'SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('draining: /ready answers 503');
      expect(output).toContain('"msg":"stopped"');
      expect(output).not.toContain('second signal');
      expect(output.match(/"msg":"shutting down"/g)).toHaveLength(1);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('under `npm start`, on Ctrl-C drains and npm itself exits 0', async () => {
    const port = await freePort();
    // npm runs the script through sh; `exec` leaves no shell to die of the signal, so npm reports the
    // server's own exit. The whole group gets the SIGINT, as from a terminal.
    const child = spawn('npm', ['start'], {
      cwd: root,
      detached: true,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_MS: '200' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (code, signal) => resolve([code, signal])),
    );
    try {
      await openSocket(port).then((s) => s.terminate());
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toEqual([0, null]);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('on SIGTERM without a drain closes WebSockets with 1001 and exits 0', async () => {
    const port = await freePort();
    const p = run({ PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_MS: '0' });
    try {
      const socket = await openSocket(port);
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      p.child.kill('SIGTERM');
      expect(await closed).toBe(1001);
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('on SIGTERM answers /ready 503 at once, serves through the drain, then closes and exits 0', async () => {
    const port = await freePort();
    const drainMs = 5000;
    const p = run({ PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_MS: String(drainMs) });
    try {
      const socket = await openSocket(port);
      let closedAt = 0;
      const closed = new Promise<number>((resolve) =>
        socket.once('close', (code) => {
          closedAt = Date.now();
          resolve(code);
        }),
      );
      expect(await get(port, '/ready')).toBe(200);
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      // Unready within moments, while requests and new WebSockets are still served.
      let ready = 200;
      while (ready === 200 && Date.now() - signalled < 1000) ready = await get(port, '/ready');
      expect(ready).toBe(503);
      expect(await get(port, '/health')).toBe(200);
      expect(await get(port, '/graphql?query=%7B__typename%7D')).toBe(200);
      const late = await openSocket(port);
      expect(Date.now() - signalled).toBeLessThan(drainMs);
      // Then every socket gets 1001, new connections are refused, and the process ends.
      expect(await closed).toBe(1001);
      expect(closedAt - signalled).toBeGreaterThanOrEqual(drainMs);
      expect(late.readyState === WebSocket.CLOSING || late.readyState === WebSocket.CLOSED).toBe(true);
      expect(await get(port, '/health')).toBe(0);
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('exits within SHUTDOWN_TIMEOUT_MS after the drain when a request never completes', async () => {
    const port = await freePort();
    const p = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      SHUTDOWN_DRAIN_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '1000',
    });
    try {
      await openSocket(port).then((s) => s.terminate());
      // A client that sends half a request and then nothing: the request stays in flight for good.
      const stuck = connect(port, '127.0.0.1');
      await new Promise((resolve) => stuck.once('connect', resolve));
      stuck.write(
        'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      );
      stuck.on('error', () => undefined);
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(1200);
      expect(took).toBeLessThan(1200 + 4000);
      stuck.destroy();
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
