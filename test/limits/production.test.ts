/**
 * NODE_ENV=production: no introspection and no "Did you mean" on any transport (graphql-ws skips
 * Yoga's request hooks, so it is checked there too), no GraphiQL, no stack traces. The same requests
 * in development show what each of these would give away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { hsToken, inSeconds, SECRET } from '../support/tokens.js';
import { send as sendAs, TRANSPORTS, type Transport } from './transports.js';

let production: TestApp;
let development: TestApp;
let token: string;
beforeAll(async () => {
  // Production needs a key; an admin may do everything, so only production mode refuses here.
  production = await startApp({ NODE_ENV: 'production', JWT_SECRET: SECRET });
  development = await startApp({ NODE_ENV: 'development' });
  token = await hsToken({ sub: 'ops', roles: ['admin'], exp: inSeconds(3600) });
});

const send = (transport: Transport, app: TestApp, query: string, variables?: unknown) =>
  sendAs(transport, app, query, variables, app === production ? token : undefined);
afterAll(async () => {
  await production?.stop();
  await development?.stop();
});

const introspection = '{ __schema { queryType { name } } }';
const typeLookup = '{ __type(name: "Agent") { fields { name } } }';
const misspelled = [
  '{ agentz { edges { node { id } } } }',
  '{ agents(statuz: ACTIVE) { edges { node { id } } } }',
  '{ agents(status: ACTIV) { edges { node { id } } } }',
];

describe('production mode', () => {
  it.each(TRANSPORTS)('refuses introspection over %s', async (transport) => {
    for (const query of [introspection, typeLookup]) {
      const answer = await send(transport, production, query);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.[0]?.message).toMatch(/introspection/i);
      expect(await send(transport, development, query)).toHaveProperty('data');
    }
  });

  it.each(TRANSPORTS)('suggests no field, argument or value names over %s', async (transport) => {
    for (const query of misspelled) {
      const hidden = await send(transport, production, query);
      expect(hidden.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(hidden)).not.toMatch(/Did you mean/);
      expect(JSON.stringify(await send(transport, development, query))).toMatch(/Did you mean/);
    }
    // Nor in a variable's value, which is checked at execution rather than validation.
    const variable = await send(
      transport,
      production,
      'query ($s: AgentStatus) { agents(status: $s) { edges { node { id } } } }',
      { s: 'ACTIV' },
    );
    expect(variable.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(variable)).not.toMatch(/Did you mean/);
  });

  it('serves no GraphiQL', async () => {
    const page = await fetch(production.graphqlUrl, {
      headers: { accept: 'text/html', authorization: `Bearer ${token}` },
    });
    expect(await page.text()).not.toContain('<title>Colony</title>');
    const dev = await fetch(development.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await dev.text()).toContain('<title>Colony</title>');
  });

  it('sends no stack trace or original error with an error', async () => {
    const answer = await send('POST', production, 'mutation { deleteAgent(id: "nope") { id } }');
    expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(answer)).not.toMatch(/stack|originalError|at .*\.ts:/);
  });
});
