/**
 * Liveness on the dashboard, in a real headless Chromium against a real Colony with short leases:
 * an agent whose graphql-ws connection names it shows "live"; once the connection closes and the
 * grace ran out, its card greys out with "lease expired N s ago" (ticking), the feed shows the expiry
 * and the requeue it brought in the LIVENESS group, and its RUNNING task is PENDING again, marked
 * requeued. An agent whose lease begins after the page opened (by heartbeat, which publishes nothing)
 * shows live too, from `presence`. An agent that never held a lease shows nothing of the kind.
 */
import { mkdirSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AssignTask, CreateAgent, CreateTask, StartTask } from '../api/operations.js';
import { launchChromium } from '../support/browser.js';
import { startApp, type TestApp } from '../support/app.js';

const SHOTS = process.env.DASHBOARD_SCREENSHOTS ?? 'tmp';

let t: TestApp;
let browser: Browser;
let page: Page;
let holder: Client | null = null;
const pageErrors: string[] = [];

beforeAll(async () => {
  // A lease outlives its last connection by 300 ms, and each sweep looks every 50 ms.
  t = await startApp({ AGENT_LEASE_GRACE_MS: '300', LEASE_SWEEP_MS: '50' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});
afterAll(async () => {
  await holder?.dispose();
  await browser?.close();
  await t?.stop();
});

const card = (name: string) => page.locator(`[data-testid="agent"][data-name="${name}"]`);
const taskCard = (title: string) => page.locator(`[data-testid="task"][data-title="${title}"]`);
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 50 });
const leaseState = async (id: string) =>
  (
    await t.ok<{ agent: { leaseState: string | null } | null }, { id: string }>(
      'query($id: ID!) { agent(id: $id) { leaseState } }',
      { id },
    )
  ).agent?.leaseState;

describe('liveness on the dashboard', () => {
  it('shows a connected agent live, then greyed out with "lease expired", its expiry in the feed and its task requeued', async () => {
    const mortal = (await t.ok(CreateAgent, { input: { name: 'mortal', type: 'worker' } })).createAgent;
    await t.ok(CreateAgent, { input: { name: 'plain', type: 'worker' } });
    const task = (await t.ok(CreateTask, { input: { title: 'long job' } })).createTask;
    await t.ok(AssignTask, { id: task.id, agentId: mortal.id });
    await t.ok(StartTask, { id: task.id });

    // The agent's own connection holds its lease.
    holder = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { agentId: mortal.id },
    });
    await poll(() => leaseState(mortal.id)).toBe('HELD');

    await page.goto(`${t.url}/dashboard/`);
    await poll(() => card('mortal').getAttribute('data-liveness')).toBe('live');
    const live = await card('mortal').getByTestId('liveness').innerText();
    expect(live).toMatch(/^live · last seen \S/);
    expect(await page.locator('[data-column="ACTIVE"]').innerText()).toContain('mortal');
    await poll(() => page.locator('[data-column="RUNNING"]').innerText()).toContain('long job');
    // Never held a lease: nothing changes.
    expect(await card('plain').getAttribute('data-liveness')).toBe('none');
    expect(await card('plain').getByTestId('liveness').count()).toBe(0);
    await poll(() => page.getByTestId('agents-live').innerText()).toBe('1');

    // A lease that begins after the page opened publishes nothing: the page learns it from presence.
    const late = (await t.ok(CreateAgent, { input: { name: 'late', type: 'worker' } })).createAgent;
    await poll(() => card('late').getAttribute('data-liveness')).toBe('none');
    await t.ok('mutation($id: ID!) { heartbeat(agentId: $id, ttlMs: 60000) { id } }', { id: late.id });
    await poll(() => card('late').getAttribute('data-liveness')).toBe('live');
    expect(await page.getByTestId('agents-live').innerText()).toBe('2');

    // The connection goes away: after the grace and a sweep, the lease has run out.
    await holder.dispose();
    holder = null;
    await poll(() => card('mortal').getAttribute('data-liveness')).toBe('expired');
    expect(await card('mortal').getAttribute('class')).toContain('lease-expired');
    await poll(() => page.getByTestId('agents-live').innerText()).toBe('1');
    expect(await card('late').getAttribute('data-liveness')).toBe('live');
    expect(await page.locator('[data-column="OFFLINE"]').innerText()).toContain('mortal');
    const expired = card('mortal').getByTestId('liveness');
    expect(await expired.innerText()).toMatch(/^lease expired \d+ s ago$/);
    // It ticks: the same card, later, says more seconds (the page's clock; no event arrives).
    const seconds = async () => Number(/(\d+) s ago/.exec(await expired.innerText())?.[1]);
    const first = await seconds();
    await poll(seconds).toBeGreaterThanOrEqual(first + 1);

    // The feed: the expiry and its requeue, as liveness events, live.
    const livenessLines = page.locator('[data-testid="feed"] li[data-group="liveness"]');
    await poll(() => livenessLines.allInnerTexts()).toEqual([
      expect.stringContaining("long job requeued — agent mortal's lease expired"),
      expect.stringContaining('agent mortal lease expired — 1 task requeued'),
    ]);
    expect((await livenessLines.allInnerTexts())[1]).toContain('AGENT_STATUS_CHANGED');
    expect((await livenessLines.allInnerTexts())[0]).toContain('TASK_REQUEUED');

    // The task it was running is PENDING again, marked requeued.
    await poll(() => page.locator('[data-column="PENDING"]').innerText()).toContain('long job');
    expect(await taskCard('long job').getByTestId('requeued').innerText()).toBe('requeued after attempt 1');
    expect(await card('plain').getAttribute('data-liveness')).toBe('none');

    // The group is a filter like the others.
    const filter = page.getByRole('checkbox', { name: 'liveness' });
    await filter.uncheck();
    await poll(() => livenessLines.count()).toBe(0);
    await filter.check();
    await poll(() => livenessLines.count()).toBe(2);

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/dashboard-liveness.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
