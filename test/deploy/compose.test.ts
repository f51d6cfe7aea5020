import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The lines of one service in `docker-compose config` output (two-space indented service names). */
function service(config: string, name: string): string {
  const services = config.slice(config.indexOf('\nservices:\n'));
  const start = services.indexOf(`\n  ${name}:\n`);
  expect(start, `service ${name}`).toBeGreaterThanOrEqual(0);
  const rest = services.slice(start + name.length + 5);
  const end = rest.search(/\n( {2})?[a-z][\w-]*:\n/);
  return end < 0 ? rest : rest.slice(0, end);
}

const ms = (duration: string) => {
  const m = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

let config: string;
beforeAll(async () => {
  // No Docker engine runs here: `config` validates and resolves the file without one.
  config = (
    await promisify(execFile)('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: root,
      env: { ...process.env, JWT_SECRET: 'a-test-secret-of-at-least-32-characters' },
    })
  ).stdout;
});

describe('docker-compose.yml', () => {
  it('is a valid Compose file with redis, two Colony instances and nginx', () => {
    for (const name of ['redis', 'colony-1', 'colony-2', 'nginx']) service(config, name);
    expect(config).toContain('REDIS_URL: redis://redis:6379');
    expect(config).toMatch(/appendonly/);
    // The image runs in production mode, which needs a key; the file asks for it from the environment.
    expect(config).toContain('JWT_SECRET: a-test-secret-of-at-least-32-characters');
  });

  it('refuses to resolve without JWT_SECRET', async () => {
    const env = { ...process.env };
    delete env.JWT_SECRET;
    await expect(
      promisify(execFile)('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, env }),
    ).rejects.toThrow(/JWT_SECRET/);
  });

  it('builds one image for both instances and restarts every service', () => {
    const [one, two] = [service(config, 'colony-1'), service(config, 'colony-2')];
    expect(one).toMatch(/^ {4}build:/m);
    expect(two).not.toMatch(/^ {4}build:/m);
    expect(one).toContain('image: colony:local');
    expect(two).toContain('image: colony:local');
    expect(two).toContain('pull_policy: never');
    for (const name of ['redis', 'colony-1', 'colony-2', 'nginx'])
      expect(service(config, name), name).toContain('restart: unless-stopped');
  });

  it('starts nginx only once both instances are healthy, and the instances once Redis is', () => {
    const nginx = service(config, 'nginx');
    for (const name of ['colony-1', 'colony-2'])
      expect(nginx).toMatch(new RegExp(`${name}:\\n\\s+condition: service_healthy`));
    for (const name of ['colony-1', 'colony-2'])
      expect(service(config, name)).toMatch(/redis:\n\s+condition: service_healthy/);
  });

  it('gives a stopping instance more time than its drain and shutdown bound', () => {
    for (const name of ['colony-1', 'colony-2']) {
      const s = service(config, name);
      const grace = ms(/stop_grace_period: (\S+)/.exec(s)![1]!);
      const drain = Number(/SHUTDOWN_DRAIN_MS: '(\d+)'/.exec(s)![1]);
      const bound = Number(/SHUTDOWN_TIMEOUT_MS: '(\d+)'/.exec(s)![1]);
      // main.ts's last resort fires 1 s after drain + bound; Docker's SIGKILL must come later still.
      expect(grace).toBeGreaterThan(drain + bound + 1000);
    }
  });

  it('keeps each instance at a fixed address, outside the range Docker hands out', () => {
    const addresses = ['colony-1', 'colony-2'].map(
      (name) => /ipv4_address: 172\.28\.0\.(\d+)/.exec(service(config, name))?.[1],
    );
    expect(addresses).toEqual(['11', '12']);
    expect(config).toContain('subnet: 172.28.0.0/24');
    expect(config).toContain('ip_range: 172.28.0.128/25');
  });

  it('puts the same instances behind nginx as deploy/nginx.conf names', () => {
    const site = readFileSync(`${root}deploy/nginx.conf`, 'utf8');
    expect([...site.matchAll(/^\s*server (colony-\d+):4000 /gm)].map((m) => m[1])).toEqual([
      'colony-1',
      'colony-2',
    ]);
    expect(service(config, 'nginx')).toContain('/etc/nginx/conf.d/default.conf:ro');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

  it('runs on a Node LTS that Yoga supports, as the unprivileged node user, with a readiness HEALTHCHECK', () => {
    const major = Number(/^FROM node:(\d+)-slim$/m.exec(dockerfile)?.[1]);
    expect(major % 2, 'an even (LTS) line').toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/ready/m);
    expect(dockerfile).toMatch(/^CMD \["node", /m);
  });

  it('ships the built dashboard, without the dev dependencies that build it', () => {
    expect(dockerfile).toMatch(/^RUN node scripts\/build-dashboard\.mjs$/m);
    expect(dockerfile).toMatch(/^COPY --from=dashboard \/app\/dashboard\/dist \.\/dashboard\/dist$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});
