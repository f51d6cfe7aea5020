/**
 * A private redis-server for a test: a free port, its own directory, AOF on. Never the machine's
 * own Redis on 6379. `appendfsync` is everysec unless the test asks for `always` (the setting that
 * keeps "a SIGKILL of Redis loses nothing acknowledged": see the README's guarantees).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './net.js';

export interface RedisServer {
  url: string;
  port: number;
  /** A clean SHUTDOWN: Redis writes everything out first. */
  stop(): Promise<void>;
  /** SIGKILL: what the AOF did not have is lost. */
  kill(): Promise<void>;
  /** SIGSTOP: Redis keeps its connections but answers nothing, like a server that hangs. */
  freeze(): void;
  /** SIGCONT: it answers again, running whatever was sent meanwhile. */
  thaw(): void;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** A plain client, for the test's own looks and faults (e.g. CLIENT KILL). */
  client(): Redis;
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  appendfsync?: 'always' | 'everysec';
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'colony-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const clients: Redis[] = [];
  let child: ChildProcess | null = null;

  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        options.appendfsync ?? 'everysec',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<never>((_, reject) => {
      child?.once('error', (error) =>
        reject(
          new Error(`redis-server could not start (is it installed? npm run setup:test): ${error.message}`),
        ),
      );
    });
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    probe.on('error', () => undefined);
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      throw new Error(`redis-server did not answer on port ${port}`);
    })();
    try {
      await Promise.race([ready, exited]);
    } finally {
      probe.disconnect();
    }
  };

  const waitExit = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
    });

  // If the test process ends without dispose() (a crash, an aborted run), take Redis down with it.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  try {
    await launch();
  } catch (error) {
    process.off('exit', onExit);
    onExit();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    async stop() {
      const c = new Redis(url, { maxRetriesPerRequest: 0 });
      c.on('error', () => undefined);
      await c.call('SHUTDOWN').catch(() => undefined);
      c.disconnect();
      await waitExit();
    },
    async kill() {
      child?.kill('SIGKILL');
      await waitExit();
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    restart: launch,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async dispose() {
      process.off('exit', onExit);
      // A stopped process does not act on SIGKILL until it runs again.
      child?.kill('SIGCONT');
      for (const c of clients) c.disconnect();
      child?.kill('SIGKILL');
      await waitExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
