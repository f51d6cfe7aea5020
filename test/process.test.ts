/** The entry point as an operator runs it: configuration errors, and shutdown on a signal. */
import { spawn } from 'node:child_process';
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

describe('the colony process', () => {
  it('lists every bad variable and exits 1', async () => {
    const p = run({ PORT: 'eighty', EVENT_RETENTION: '0', LOG_LEVEL: 'loud', REDIS_URL: 'http://nope' });
    expect(await p.exited).toBe(1);
    for (const name of ['PORT', 'EVENT_RETENTION', 'LOG_LEVEL', 'REDIS_URL'])
      expect(p.stderr()).toContain(name);
  });

  it('on SIGTERM closes WebSockets with 1001 and exits 0', async () => {
    const port = await freePort();
    const p = run({ PORT: String(port), HOST: '127.0.0.1' });
    try {
      let socket: WebSocket | null = null;
      for (let i = 0; i < 400 && !socket; i++) {
        socket = await new Promise<WebSocket | null>((resolve) => {
          const s = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
          s.once('open', () => resolve(s));
          s.once('error', () => setTimeout(() => resolve(null), 25));
        });
      }
      expect(socket).not.toBeNull();
      const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
      socket!.send(JSON.stringify({ type: 'connection_init' }));
      await new Promise((resolve) => socket!.once('message', resolve));
      p.child.kill('SIGTERM');
      expect(await closed).toBe(1001);
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
