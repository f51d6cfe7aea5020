import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { Broadcast, CreateAgent, Leadership, RaiseAlert, RealtimeStatsQuery } from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ METRICS_INTERVAL_MS: '100' });
});
afterAll(() => t.stop());

describe('alerts, broadcasts and the fleet', () => {
  it('raises an alert to the system room', async () => {
    const sub = collect<{ events: { type: string; payload: { alert: { message: string } } } }>(
      t.ws(),
      'subscription { events(rooms: ["system"], types: [ALERT_TRIGGERED]) { type payload { ... on AlertEventPayload { alert { message } } } } }',
    );
    await untilSubscribed(async () => (await t.ok(RealtimeStatsQuery)).realtimeStats, 1);
    const raised = await t.ok(RaiseAlert, {
      level: 'WARNING',
      message: 'disk at 90%',
      details: { disk: '/var' },
    });
    expect(raised.raiseAlert).toMatchObject({
      level: 'WARNING',
      message: 'disk at 90%',
      details: { disk: '/var' },
    });
    expect((await sub.waitFor(1))[0]?.events.payload.alert.message).toBe('disk at 90%');
    expect((await sub.waitFor(1))[0]?.events.type).toBe('ALERT_TRIGGERED');
    sub.unsubscribe();
  });

  it('refuses bad alerts and broadcasts', async () => {
    expect(codes(await t.request(RaiseAlert, { level: 'INFO', message: '' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(RaiseAlert, { level: 'INFO', message: 'x'.repeat(1001) }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      codes(await t.request(RaiseAlert, { level: 'INFO', message: 'm', details: 'x'.repeat(17 * 1024) })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(Broadcast, { room: 'has space', data: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(Broadcast, { room: 'r'.repeat(129), data: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(Broadcast, { room: 'big', data: 'x'.repeat(65 * 1024) }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const ok = (await t.ok(Broadcast, { room: 'a:b_c.d-e', data: { hello: 'world' } })).broadcast;
    expect(ok).toMatchObject({
      type: 'CUSTOM',
      rooms: ['a:b_c.d-e'],
      source: 'test-instance',
      payload: { data: { hello: 'world' } },
    });
  });

  it('publishes METRICS_UPDATED with the fleet figures on its interval', async () => {
    await t.ok(CreateAgent, { input: { name: 'counted', type: 't' } });
    const sub = collect<{
      events: { payload: { fleet: { agentsByStatus: { status: string; count: number }[] } } };
    }>(
      t.ws(),
      'subscription { events(rooms: ["system"], types: [METRICS_UPDATED]) { payload { ... on MetricsEventPayload { fleet { agentsByStatus { status count } } } } } }',
    );
    const [first] = await sub.waitFor(1);
    expect(first?.events.payload.fleet.agentsByStatus).toContainEqual({ status: 'ACTIVE', count: 1 });
    const fleet = (await t.ok(Leadership)).fleet;
    expect(fleet.tasksByStatus.map((s) => s.status)).toEqual([
      'PENDING',
      'ASSIGNED',
      'RUNNING',
      'COMPLETED',
      'FAILED',
      'CANCELLED',
    ]);
  });
});
