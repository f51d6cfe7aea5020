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
import { RealtimeStatsQuery } from '../api/operations.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  expect(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM}: run npm run setup:test`).toBe(true);
  t = await startApp({ METRICS_INTERVAL_MS: '100' });
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
  it('runs the tour as the README tells it, in two tabs of a fresh browser, with readable errors', async () => {
    // One browser context: a fresh browser, whose tabs share GraphiQL's localStorage.
    const context = await browser.newContext();
    const external: string[] = [];
    context.on('request', (request) => {
      if (
        !request.url().startsWith(t.url) &&
        !request.url().startsWith('data:') &&
        !request.url().startsWith('blob:')
      ) {
        external.push(request.url());
      }
    });
    const page = await context.newPage();
    await page.goto(t.graphqlUrl);
    // GraphiQL opens on the tour's two tabs, Live first; ▶ there subscribes.
    const tabs = page.locator('.graphiql-tabs');
    await expect.poll(() => tabs.innerText(), { timeout: 15_000 }).toMatch(/Live[\s\S]*CreateAgent/);
    await page.locator('.graphiql-query-editor .view-line', { hasText: 'subscription Live' }).click();
    await page.locator('.graphiql-execute-button').click();
    await untilSubscribed(async () => (await t.ok(RealtimeStatsQuery)).realtimeStats, 1);

    // A second browser tab: same tabs; pick CreateAgent and press ▶.
    const second = await context.newPage();
    await second.goto(t.graphqlUrl);
    // GraphiQL's tabs can be dragged: a synthetic click selects one without starting a drag.
    const pick = (title: string) =>
      second.getByRole('tab', { name: title }).locator('button').first().dispatchEvent('click');
    await pick('CreateAgent');
    await second.locator('.graphiql-query-editor .view-line', { hasText: 'mutation CreateAgent' }).click();
    await second.locator('.graphiql-execute-button').click();
    await expect
      .poll(() => second.locator('.graphiql-response').innerText(), { timeout: 15_000 })
      .toContain('scout-1');

    const response = page.locator('.graphiql-response');
    await expect
      .poll(() => response.innerText(), { timeout: 15_000, interval: 100 })
      .toContain('AGENT_CREATED');
    expect(await response.innerText()).toContain('scout-1');
    // Live listens to the agents room only: the fleet's METRICS_UPDATED (every 100 ms here) does not
    // replace the event the tour promises.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await response.innerText()).toContain('AGENT_CREATED');

    // An error from the server reads as a message and a code, without a stack trace.
    await second.locator('.graphiql-query-editor .view-line', { hasText: 'mutation CreateAgent' }).click();
    await second.keyboard.press('ControlOrMeta+A');
    await second.keyboard.insertText('mutation CreateAgent { deleteAgent(id: "no-such-agent") { id } }');
    await second.locator('.graphiql-execute-button').click();
    const answer = second.locator('.graphiql-response');
    await expect.poll(() => answer.innerText(), { timeout: 15_000 }).toContain('NOT_FOUND');
    // GraphiQL lays the answer out with non-breaking spaces.
    const text = (await answer.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('No agent has id');
    expect(text).not.toMatch(/stack|\bat \S+ \(/);
    // **+** opens an empty tab, as the README says.
    await second.locator('button.graphiql-tab-add').click();
    await expect.poll(() => second.getByRole('tab').count()).toBeGreaterThan(2);
    expect((await second.locator('.graphiql-query-editor').innerText()).trim()).toMatch(/^1?$/);
    // Everything GraphiQL needed came from Colony itself.
    expect(external).toEqual([]);
    await page.screenshot({ path: 'tmp/graphiql-live-event.png' }).catch(() => undefined);
    await context.close();
  });
});
