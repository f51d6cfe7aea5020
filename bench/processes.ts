/**
 * The processes a benchmark runs: a private redis-server on a free port, and a server under test
 * (bench/server.ts) in a process of its own, so that its CPU and memory can be read from /proc and
 * its event loop measured by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What a server reports as it stops: its longest event-loop turns since the last reset (SIGHUP). */
export interface LoopReport {
  maxMs: number;
  p99Ms: number;
}

/** A process's CPU time so far, user and system, in seconds (/proc/<pid>/stat; CLK_TCK is 100). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  // Ready when it answers a PING.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write('PING\r\n'));
      c.once('data', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500).unref();
    },
  };
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** The lines it printed after its URL (its loop report comes as it stops). */
  lines: string[];
}

/**
 * Starts `tsx bench/server.ts <system> [redis url]`; `port` (0: any) and `env` go to the server.
 * Resolves with its URL once it listens.
 */
export function startServer(
  system: string,
  redisUrl: string | null,
  options: { port?: number; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      // BENCH_CPU_PROFILE=<dir>: each server writes a V8 CPU profile there as it stops.
      ...(process.env.BENCH_CPU_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
        : []),
      '--import',
      'tsx',
      'bench/server.ts',
      system,
      ...(redisUrl ? [redisUrl] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...options.env, BENCH_PORT: String(options.port ?? 0) },
    },
  );
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout! });
    reader.on('line', (line) => {
      if (lines.length === 0 && !('url' in running)) {
        Object.assign(running, { url: (JSON.parse(line) as { url: string }).url });
        resolve(running as RunningServer);
      } else lines.push(line);
    });
    const running: Partial<RunningServer> = { child, lines };
    child.once('exit', (code) => reject(new Error(`${system} exited with ${code}`)));
  });
}

/** Stops a server (SIGTERM: it closes its sockets with 1001) and returns its loop report. */
export async function stopServer(server: RunningServer): Promise<LoopReport | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return null;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
  for (const line of server.lines.reverse()) {
    const parsed = JSON.parse(line) as { loop?: LoopReport };
    if (parsed.loop) return parsed.loop;
  }
  return null;
}
