/**
 * The dashboard in a real headless Chromium against a real Colony on a private Redis: changes made
 * elsewhere (HTTP) show without reload, and a restart of the server is bridged by the client with the
 * events made meanwhile, once each. Needs Debian's chromium (npm run setup:test) and the dashboard's
 * build (npm install makes it); without either this test fails, never skips.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTask,
  CancelTask,
  CastVote,
  CompleteTask,
  CreateAgent,
  CreateTask,
  ProposeConsensus,
  RaiseAlert,
  ReportTaskProgress,
  StartTask,
  TriggerElection,
} from '../api/operations.js';
import { launchChromium } from '../support/browser.js';
import { startApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/net.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const SHOTS = process.env.DASHBOARD_SCREENSHOTS ?? 'tmp';

let redis: RedisServer;
let t: TestApp;
let other: TestApp;
let env: Record<string, string>;
let browser: Browser;
let page: Page;
const external: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'dash', PORT: String(await freePort()) };
  t = await startApp(env);
  // A second instance of the same fleet, to make changes while the first one is down.
  other = await startApp({ ...env, PORT: '0' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(t.url) && !url.startsWith(t.wsUrl) && !url.startsWith('data:')) external.push(url);
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});
afterAll(async () => {
  await browser?.close();
  await other?.stop();
  await t?.stop();
  await redis?.dispose();
});

const status = () => page.getByTestId('connection').getAttribute('data-status');
const agentCard = (name: string) => page.locator(`[data-testid="agent"][data-name="${name}"]`);
const until = (fn: () => Promise<unknown>, value: unknown) =>
  expect.poll(fn, { timeout: 15_000, interval: 50 }).toEqual(value);

describe('the dashboard', () => {
  it('is served by Colony with the right content types and loads nothing from elsewhere', async () => {
    const index = await fetch(`${t.url}/dashboard`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${t.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
    }
    expect((await fetch(`${t.url}/dashboard/../package.json`)).status).not.toBe(200);
    expect((await fetch(`${t.url}/dashboard/%2e%2e/package.json`)).status).toBe(404);

    await page.goto(`${t.url}/dashboard/`);
    await until(status, 'connected');
    expect(await page.getByTestId('role').innerText()).toContain('no token');
  });

  it('shows an agent created over HTTP without a reload', async () => {
    await t.ok(CreateAgent, { input: { name: 'scout-1', type: 'crawler', capabilities: ['http'] } });
    await expect.poll(() => agentCard('scout-1').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator('[data-column="ACTIVE"]').innerText()).toContain('scout-1');
  });

  it("moves a task's progress bar as progress is reported", async () => {
    const agent = (await t.ok(CreateAgent, { input: { name: 'builder-1', type: 'builder' } })).createAgent;
    const task = (await t.ok(CreateTask, { input: { title: 'index the docs' } })).createTask;
    await t.ok(AssignTask, { id: task.id, agentId: agent.id });
    await t.ok(StartTask, { id: task.id });
    const bar = page.locator('[data-testid="task"][data-title="index the docs"] [role="progressbar"]');
    await until(() => bar.getAttribute('aria-valuenow'), '0');
    await t.ok(ReportTaskProgress, { id: task.id, progress: 0.4 });
    await until(() => bar.getAttribute('aria-valuenow'), '40');
    await t.ok(ReportTaskProgress, { id: task.id, progress: 0.75 });
    await until(() => bar.getAttribute('aria-valuenow'), '75');
    expect(await page.locator('[data-column="RUNNING"]').innerText()).toContain('builder-1');
    // A fuller board for the screenshot.
    const done = (await t.ok(CreateTask, { input: { title: 'crawl the changelog' } })).createTask;
    await t.ok(AssignTask, { id: done.id, agentId: agent.id });
    await t.ok(StartTask, { id: done.id });
    await t.ok(CompleteTask, { id: done.id, result: { pages: 12 } });
    const dropped = (await t.ok(CreateTask, { input: { title: 'mirror old site' } })).createTask;
    await t.ok(CancelTask, { id: dropped.id, reason: 'not needed' });
    await t.ok(CreateTask, { input: { title: 'write release notes', priority: 8 } });
    await expect
      .poll(() => page.locator('[data-column="COMPLETED"]').innerText(), { timeout: 15_000 })
      .toContain('crawl the changelog');
  });

  it('shows the leader after an election', async () => {
    const election = (await t.ok(TriggerElection, { reason: 'test' })).triggerElection;
    await expect
      .poll(() => page.getByTestId('leader').innerText(), { timeout: 15_000 })
      .toContain(`term ${election.term}`);
    expect(await page.getByTestId('leader').innerText()).toContain(election.leader!.name);
  });

  it('fills a vote tally as votes arrive, and acts from its own buttons', async () => {
    const voters = await Promise.all(
      ['voter-a', 'voter-b'].map(
        async (name) => (await t.ok(CreateAgent, { input: { name, type: 'voter' } })).createAgent,
      ),
    );
    const proposal = (await t.ok(ProposeConsensus, { input: { topic: 'ship it', threshold: 0.9 } }))
      .proposeConsensus;
    const tally = page.locator('[data-testid="proposal"][data-topic="ship it"] [role="meter"]');
    await until(() => tally.getAttribute('aria-valuenow'), '0');
    await t.ok(CastVote, { proposalId: proposal.id, agentId: voters[0]!.id, approve: true });
    await until(() => tally.getAttribute('aria-valuenow'), '1');
    await t.ok(CastVote, { proposalId: proposal.id, agentId: voters[1]!.id, approve: true });
    await until(() => tally.getAttribute('aria-valuenow'), '2');
    await t.ok(RaiseAlert, { level: 'WARNING', message: 'disk 91% on builder-1' });
    await expect.poll(() => page.locator('.alerts').innerText(), { timeout: 15_000 }).toContain('disk 91%');

    // A button on the page: pause an agent, and it moves to the PAUSED column.
    await agentCard('voter-b').getByRole('button', { name: 'Pause' }).click();
    await expect
      .poll(() => page.locator('[data-column="PAUSED"]').innerText(), { timeout: 15_000 })
      .toContain('voter-b');
    // The counts follow from the server.
    await until(() => page.getByTestId('count-PAUSED').innerText(), '1');
    await until(() => page.getByTestId('count-ACTIVE').innerText(), '3');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
  });

  it('bridges a server restart: reconnecting, then resumed with the events made meanwhile, once each', async () => {
    await t.stop();
    await until(status, 'reconnecting');
    const made = [];
    for (const name of ['while-down-1', 'while-down-2', 'while-down-3']) {
      made.push((await other.ok(CreateAgent, { input: { name, type: 'late' } })).createAgent);
    }
    t = await startApp(env);
    await until(status, 'resumed');
    const indicator = await page.getByTestId('connection').innerText();
    const caughtUp = Number(/caught up (\d+) event/.exec(indicator)?.[1]);
    // Three AGENT_CREATED events, at least: the fleet's timers may add a few of their own.
    expect(caughtUp).toBeGreaterThanOrEqual(3);
    for (const agent of made) await expect.poll(() => agentCard(agent.name).count()).toBe(1);
    // Each event once in the feed, however the reconnect went.
    const ids = await page
      .locator('[data-testid="feed"] li')
      .evaluateAll((items) => items.map((li) => li.getAttribute('data-event-id')));
    expect(new Set(ids).size).toBe(ids.length);
    // And live again.
    await t.ok(CreateAgent, { input: { name: 'after-restart', type: 'late' } });
    await expect.poll(() => agentCard('after-restart').count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: `${SHOTS}/dashboard-resumed.png` });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows the role of a pasted token and disables what a viewer may not do', async () => {
    const viewer = await browser.newPage();
    await viewer.goto(`${t.url}/dashboard/`);
    const payload = Buffer.from(
      JSON.stringify({ sub: 'ada', roles: ['viewer'], exp: Math.floor(Date.now() / 1000) + 3600 }),
    ).toString('base64url');
    // The page decodes the token for display only; the server decides what it allows.
    await viewer.evaluate((token) => sessionStorage.setItem('colony.token', token), `e30.${payload}.sig`);
    await viewer.reload();
    await expect.poll(() => viewer.getByTestId('role').innerText()).toContain('ada · viewer');
    expect(await viewer.getByRole('button', { name: 'Trigger election' }).isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Broadcast' }).isDisabled()).toBe(true);
    await viewer.close();
  });
});
