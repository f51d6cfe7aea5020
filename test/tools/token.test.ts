/** `npm run token`: a development token the server, started with the same JWT_SECRET, accepts. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { ROOT } from '../support/consumer.js';
import { SECRET } from '../support/tokens.js';

const run = promisify(execFile);
const token = async (args: string[], env: Record<string, string> = { JWT_SECRET: SECRET }) =>
  (
    await run(process.execPath, ['scripts/token.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    })
  ).stdout.trim();

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ JWT_SECRET: SECRET });
});
afterAll(() => t?.stop());

async function post(query: string, bearer: string) {
  const res = await fetch(t.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
}

describe('npm run token', () => {
  it('mints a token of the role asked for, signed with JWT_SECRET', async () => {
    const operator = await token(['--role', 'operator', '--sub', 'ada']);
    const session = await post('{ session { sub roles } }', operator);
    expect(session.errors).toBeUndefined();
    expect(session.data).toEqual({ session: { sub: 'ada', roles: ['operator'] } });
    expect(
      (await post('mutation { createAgent(input: { name: "a", type: "t" }) { id } }', operator)).errors,
    ).toBeUndefined();
    const viewer = await token(['--role', 'viewer']);
    const refused = await post('mutation { createAgent(input: { name: "b", type: "t" }) { id } }', viewer);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('says what is wrong without a secret or with a role that does not exist', async () => {
    await expect(token([], { JWT_SECRET: '' })).rejects.toThrow(/JWT_SECRET is not set/);
    await expect(token(['--role', 'root'])).rejects.toThrow(/--role must be one of viewer, operator, admin/);
  });
});
