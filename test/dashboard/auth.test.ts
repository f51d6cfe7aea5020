/**
 * The dashboard with authentication on, in headless Chromium: refused without a token, live with
 * one pasted in, buttons by role, and renewal over the open socket.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { startApp, type TestApp } from '../support/app.js';
import { hsToken, SECRET } from '../support/tokens.js';

let t: TestApp;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  t = await startApp({ JWT_SECRET: SECRET });
  browser = await launchChromium();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const indicator = () => page.getByTestId('connection');
const useToken = async (token: string) => {
  await page.getByLabel('token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
};

describe('the dashboard with authentication on', () => {
  it('says the socket is refused until a token is pasted, then goes live under its role', async () => {
    await page.goto(`${t.url}/dashboard/`);
    await expect.poll(() => indicator().innerText(), { timeout: 15_000 }).toContain('Refused');

    await useToken(await hsToken({ sub: 'ada', roles: ['operator'] }));
    await expect
      .poll(() => indicator().getAttribute('data-status'), { timeout: 15_000 })
      .toMatch(/connected|resumed/);
    expect(await page.getByTestId('role').innerText()).toContain('ada · operator');
    expect(await page.evaluate(() => sessionStorage.getItem('colony.token'))).toMatch(/^ey/);
    // An operator acts on the fleet, but may not broadcast.
    await page.getByLabel('agent name').fill('made-by-ada');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect
      .poll(() => page.locator('[data-testid="agent"][data-name="made-by-ada"]').count(), { timeout: 15_000 })
      .toBe(1);
    await page.getByLabel('broadcast message').fill('hello');
    expect(await page.getByRole('button', { name: 'Broadcast' }).isDisabled()).toBe(true);
  });

  it('renews the session over the open socket', async () => {
    await page
      .getByLabel('token')
      .fill(await hsToken({ sub: 'ada', roles: ['operator'], exp: Math.floor(Date.now() / 1000) + 900 }));
    await page.getByRole('button', { name: 'Renew' }).click();
    await expect
      .poll(() => page.locator('.auth').innerText(), { timeout: 15_000 })
      .toContain('Session renewed.');
    expect(await page.getByTestId('role').innerText()).toContain('expires in 15 min');
    expect(await indicator().getAttribute('data-status')).toMatch(/connected|resumed/);
  });

  it('disables every mutation for a viewer', async () => {
    await useToken(await hsToken({ sub: 'bob', roles: ['viewer'] }));
    await expect
      .poll(() => page.getByTestId('role').innerText(), { timeout: 15_000 })
      .toContain('bob · viewer');
    await expect
      .poll(() => indicator().getAttribute('data-status'), { timeout: 15_000 })
      .toMatch(/connected|resumed/);
    expect(await page.getByRole('button', { name: 'Trigger election' }).isDisabled()).toBe(true);
    const agent = page.locator('[data-testid="agent"][data-name="made-by-ada"]');
    expect(await agent.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    expect(await agent.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true);
  });
});
