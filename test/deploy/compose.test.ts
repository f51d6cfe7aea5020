import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('docker-compose.yml', () => {
  it('is a valid Compose file with redis, two Colony instances and nginx', async () => {
    // No Docker engine runs here: `config` validates and resolves the file without one.
    const { stdout } = await promisify(execFile)('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: root,
    });
    for (const service of ['redis:', 'colony-1:', 'colony-2:', 'nginx:']) expect(stdout).toContain(service);
    expect(stdout).toContain('REDIS_URL: redis://redis:6379');
    expect(stdout).toMatch(/appendonly/);
  });
});
