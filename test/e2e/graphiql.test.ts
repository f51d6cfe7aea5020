/**
 * A person's first five minutes: open GraphiQL in a real headless Chromium, start a subscription,
 * create an agent from elsewhere (HTTP), and see the event arrive in GraphiQL's result pane.
 * Needs Debian's chromium (npm run setup:test installs it); without it this test fails, never skips.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { untilSubscribed } from '../support/subscriptions.js';
import { CreateAgent, RealtimeStatsQuery } from '../api/operations.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  expect(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM}: run npm run setup:test`).toBe(true);
  t = await startApp();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe('GraphiQL', () => {
  it('shows a live event from a mutation made elsewhere', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (request) => {
      if (
        !request.url().startsWith(t.url) &&
        !request.url().startsWith('data:') &&
        !request.url().startsWith('blob:')
      ) {
        external.push(request.url());
      }
    });
    await page.goto(t.graphqlUrl);
    // The page opens on Colony's tour: a `Live` subscription and a `CreateAgent` mutation. Run `Live`.
    await page.locator('.graphiql-query-editor .view-line', { hasText: 'subscription Live' }).click();
    await page.locator('.graphiql-execute-button').click();
    await page.getByText('Live', { exact: true }).last().click();

    await untilSubscribed(async () => (await t.ok(RealtimeStatsQuery)).realtimeStats, 1);
    await t.ok(CreateAgent, { input: { name: 'seen-in-graphiql', type: 'browser' } });

    const response = page.locator('.graphiql-response');
    await expect
      .poll(() => response.innerText(), { timeout: 15_000, interval: 100 })
      .toContain('seen-in-graphiql');
    const text = await response.innerText();
    expect(text).toContain('AGENT_CREATED');
    // Everything GraphiQL needed came from Colony itself.
    expect(external).toEqual([]);
    await page.screenshot({ path: 'tmp/graphiql-live-event.png' }).catch(() => undefined);
  });
});
