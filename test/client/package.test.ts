/**
 * @colony/client as a package: built to JavaScript with declarations (npm install builds it), its
 * `exports` resolve in plain Node (no TypeScript loader), and its types check in a user's
 * TypeScript project. The script subscribes to a real Colony and gets an event.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broadcast } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { createConsumer, ROOT, type Consumer } from '../support/consumer.js';

let t: TestApp;
let consumer: Consumer;
beforeAll(async () => {
  t = await startApp();
  consumer = createConsumer();
});
afterAll(async () => {
  consumer?.dispose();
  await t?.stop();
});

describe('@colony/client as a package', () => {
  it('exports JavaScript and declarations, not TypeScript sources', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'client/package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      types: string;
    };
    expect(pkg.types).toBe('./dist/index.d.ts');
    for (const entry of Object.values(pkg.exports)) {
      expect(entry.default).toMatch(/^\.\/dist\/.*\.js$/);
      expect(entry.types).toMatch(/^\.\/dist\/.*\.d\.ts$/);
      expect(readFileSync(join(ROOT, 'client', entry.default), 'utf8')).not.toMatch(/^import type /m);
    }
  });

  it('runs in plain node: every entry point imports, and a subscription gets an event', async () => {
    const script = consumer.write(
      'subscribe.mjs',
      `
import WebSocket from 'ws';
import { createResumableClient } from '@colony/client';
import { resumableExchange } from '@colony/client/urql';
import { ResumableLink } from '@colony/client/apollo';

if (typeof resumableExchange !== 'function' || typeof ResumableLink !== 'function') throw new Error('missing export');
const colony = createResumableClient({ url: process.env.WS_URL, webSocketImpl: WebSocket });
const stop = colony.subscribe(
  { query: 'subscription ($since: ID) { eventStream(rooms: ["pkg"], since: $since) { __typename ... on Event { id type } ... on StreamPosition { cursor live } } }' },
  {
    next: ({ data }) => {
      if (data.eventStream.__typename === 'StreamPosition') console.log('live');
      else {
        console.log(data.eventStream.type);
        stop();
        void colony.dispose();
      }
    },
    error: (e) => { console.error(e); process.exit(1); },
    complete: () => {},
  },
);
`,
    );
    const output = consumer.node(script, { WS_URL: t.wsUrl });
    // Sent once the stream is there: the script prints `live` first.
    await expect
      .poll(async () => (await fetch(`${t.url}/metrics`)).text(), { timeout: 20_000, interval: 50 })
      .toMatch(/^colony_realtime_active_subscriptions 1$/m);
    await t.ok(Broadcast, { room: 'pkg', data: { hello: 1 } });
    expect((await output).trim().split('\n')).toEqual(['live', 'CUSTOM']);
  });

  it("type-checks in a user's TypeScript project against the declarations", async () => {
    consumer.write(
      'check.ts',
      `
import { createResumableClient, type ConnectionState } from '@colony/client';
import { resumableExchange } from '@colony/client/urql';
import { ResumableLink } from '@colony/client/apollo';

const colony = createResumableClient({ url: 'ws://localhost:4000/graphql' });
const status: ConnectionState['status'] = colony.state.status;
export const parts = [status, resumableExchange(colony), new ResumableLink(colony)];
// @ts-expect-error: the options are typed
createResumableClient({ url: 1 });
`,
    );
    consumer.write(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
          lib: ['ES2023', 'DOM'],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', consumer.dir], { cwd: consumer.dir });
  });
});
