/** Production mode refuses to run without authentication; development runs open, with one warning. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('production mode', () => {
  it('refuses to start without a key: exit 1 and one clear line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', JWT_SECRET: '', JWT_JWKS_URL: '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/NODE_ENV=production needs JWT_SECRET or JWT_JWKS_URL/);
  });

  it('starts with a key, and turns auth on whenever a key is set', () => {
    const config = parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }, 'i');
    expect(config.production).toBe(true);
    expect(config.auth).toMatchObject({ secret: 'x'.repeat(32), clockToleranceS: 5 });
    expect(parseConfig({}, 'i').auth).toBeNull();
  });

  it('refuses a short HS256 secret and a JWKS URL that is not http(s)', () => {
    expect(() => parseConfig({ JWT_SECRET: 'short' }, 'i')).toThrow(/JWT_SECRET/);
    expect(() => parseConfig({ JWT_JWKS_URL: 'file:///etc/passwd' }, 'i')).toThrow(/JWT_JWKS_URL/);
  });
});
