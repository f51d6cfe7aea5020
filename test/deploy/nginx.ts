/**
 * Debian's nginx running the repository's own deploy/nginx.conf, unprivileged, in a temporary
 * prefix. Only the upstream addresses and the listen address are replaced; the main context around
 * it (pid, logs, temp paths) is what must differ to run without root on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/net.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export interface Nginx {
  url: string;
  port: number;
  /** nginx's error log so far (refused upstream connections it retried are logged here). */
  errorLog(): string;
  /** The access log so far: one line per request, with the upstream attempts and their statuses. */
  accessLog(): string;
  stop(): Promise<void>;
}

/** deploy/nginx.conf with `colony-N:4000` → 127.0.0.1:ports[N-1] and `listen 80` → the given port. */
export function siteConfig(upstreamPorts: number[], listenPort: number): string {
  let text = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
  const servers = [...text.matchAll(/server colony-(\d+):4000/g)];
  if (servers.length !== upstreamPorts.length) {
    throw new Error(
      `deploy/nginx.conf names ${servers.length} instances; the test starts ${upstreamPorts.length}`,
    );
  }
  upstreamPorts.forEach((port, i) => {
    text = text.replace(`server colony-${i + 1}:4000`, `server 127.0.0.1:${port}`);
  });
  if (!/^\s*listen 80;$/m.test(text)) throw new Error('deploy/nginx.conf does not `listen 80;`');
  return text.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${listenPort};`);
}

/** GET through a fresh connection; resolves with the status (or 0 when nothing answers). */
export function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

export async function startNginx(upstreamPorts: number[]): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`nginx is needed at ${NGINX}: run npm run setup:test`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'colony-nginx-'));
  writeFileSync(join(dir, 'colony.conf'), siteConfig(upstreamPorts, port));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `  ${name}_temp_path ${join(dir, name)};`)
    .join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      // As root, the workers would otherwise switch to `nobody` and not reach the temp paths.
      ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
      'worker_processes 2;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      // What the test prints when a request fails: which instance answered what, and when.
      "  log_format colony '$msec $status $request_method $uri upstream=$upstream_addr " +
        "upstream_status=$upstream_status time=$request_time';",
      `  access_log ${join(dir, 'access.log')} colony;`,
      temp,
      `  include ${join(dir, 'colony.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const read = (name: string) => () => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return '';
    }
  };
  const errorLog = read('error.log');
  const accessLog = read('access.log');
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    if ((await probe(`${url}/health`)) === 200) return { url, port, errorLog, accessLog, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = errorLog();
  await stop();
  throw new Error(`nginx did not start: ${stderr}${log}`);
}
