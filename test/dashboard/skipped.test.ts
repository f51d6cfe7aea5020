/**
 * The dashboard says how many events it skipped while it was behind, in a real headless Chromium
 * against a real Colony. The page's main thread is kept busy (it polls the server with synchronous
 * requests until told to stop), so it takes no WebSocket message and Chromium stops reading the
 * socket: the server sees a reader that fell behind. A burst of broadcasts is published meanwhile; the
 * dashboard's `eventStream` (overflow: COALESCE) drops the oldest, and once the page reads again it
 * shows "n events skipped", n being exactly what the server dropped for it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { startApp, type TestApp } from '../support/app.js';

let t: TestApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // A small bound, so that a burst of small events is enough to put the page behind.
  t = await startApp({ SUBSCRIBER_MAX_QUEUE_BYTES: String(64 * 1024) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const dropped = () => t.app.realtime.snapshot().eventsDropped ?? 0;

describe('a dashboard that fell behind', () => {
  it('shows how many events it skipped, exactly as many as the server dropped for it', async () => {
    await page.goto(`${t.url}/dashboard/`);
    await expect
      .poll(() => page.getByTestId('connection').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('connected');
    expect(await page.getByTestId('events-skipped').count()).toBe(0);

    // The page stops taking messages until a broadcast to "resume" is in the log.
    const busy = page.evaluate(() => {
      const ask = JSON.stringify({
        query: '{ eventLog(rooms: ["resume"], last: 1) { edges { node { id } } } }',
      });
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const request = new XMLHttpRequest();
        request.open('POST', '/graphql', false);
        request.setRequestHeader('content-type', 'application/json');
        request.send(ask);
        if (request.responseText.includes('"id"')) return 'resumed';
        const spin = Date.now() + 20;
        while (Date.now() < spin);
      }
      return 'gave up';
    });

    // A burst, until the server drops for the page, and as much again.
    const colony = t.app.colony;
    let published = 0;
    let more = -1;
    while (published < 200_000 && more !== 0) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => colony.system.broadcast('burst', { k: published + k })),
      );
      published += 100;
      if (more < 0 && dropped() > 0) more = 2_000;
      else if (more > 0) more -= 100;
    }
    expect(dropped()).toBeGreaterThan(0);
    await colony.system.broadcast('resume', {});
    expect(await busy).toBe('resumed');

    const notice = page.getByTestId('events-skipped');
    await expect.poll(() => notice.count(), { timeout: 30_000 }).toBe(1);
    // Every drop reported to it joins the notice (one report for one fall behind).
    await expect
      .poll(async () => Number(/^(\d+) events? skipped/.exec(await notice.innerText())?.[1]), {
        timeout: 30_000,
      })
      .toBe(dropped());
    await notice.getByRole('button', { name: '✕' }).click();
    expect(await notice.count()).toBe(0);
  }, 120_000);
});
