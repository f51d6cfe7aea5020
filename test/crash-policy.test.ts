/**
 * The stated policy for errors nobody handled (src/crash-policy.ts, docs/operations.md), on the real
 * server in a process of its own: an uncaught exception, and a promise rejection nobody handled, are
 * each logged as fatal, the app stops (its WebSockets close with 1001) and the process exits 1.
 * The error is raised inside the server by a module preloaded for the test, on SIGUSR2.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/net.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Raises the error on SIGUSR2, from a timer or a promise nobody waits on. */
const RAISE = {
  throw: "process.on('SIGUSR2', () => setTimeout(() => { throw new Error('raised for the test'); }));",
  reject: "process.on('SIGUSR2', () => { Promise.reject(new Error('raised for the test')); });",
};

function run(how: keyof typeof RAISE, port: number) {
  const preload = `data:text/javascript,${encodeURIComponent(RAISE[how])}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      METRICS_INTERVAL_MS: '0',
      SHUTDOWN_DRAIN_MS: '5000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
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

describe('an error nobody handled', { timeout: 120_000 }, () => {
  for (const [how, origin] of [
    ['throw', 'uncaughtException'],
    ['reject', 'unhandledRejection'],
  ] as const) {
    it(`(${origin}) is logged as fatal, the app stops without its drain, and the process exits 1`, async () => {
      const port = await freePort();
      const p = run(how, port);
      try {
        const socket = await openSocket(port);
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        p.child.kill('SIGUSR2');
        // Stopped as on SIGTERM, but at once: the 5 s drain is skipped.
        expect(await closed).toBe(1001);
        expect(await p.exited).toBe(1);
        const fatal = p
          .output()
          .split('\n')
          .filter((line) => line.includes('uncaught error'))
          .map((line) => JSON.parse(line) as { level: number; origin: string; err: { message: string } });
        expect(fatal).toHaveLength(1);
        expect(fatal[0]).toMatchObject({ level: 60, origin, err: { message: 'raised for the test' } });
      } finally {
        p.child.kill('SIGKILL');
      }
    });
  }
});
