/**
 * /metrics as `promtool check metrics` would judge it (prom-lint.ts has its rules), after traffic on
 * every transport so that the histograms and counters have series: counters typed counter with
 * `_total`, durations in `_seconds`, help on every family, no type or abbreviated unit in a name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broadcast, RealtimeStatsQuery } from '../api/operations.js';
import { startApp, type TestApp } from '../support/app.js';
import { collect, untilSubscribed } from '../support/subscriptions.js';
import { lintExposition, parseExposition } from './prom-lint.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

describe('/metrics', () => {
  it('passes the Prometheus lint, with the realtime totals typed counter', async () => {
    t = await startApp();
    const app = t;
    const sub = collect(app.ws(), 'subscription { events(rooms: ["m"]) { id } }');
    await untilSubscribed(async () => (await app.ok(RealtimeStatsQuery)).realtimeStats, 1);
    await app.ok(Broadcast, { room: 'm', data: 1 });
    await sub.waitFor(1);
    await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ fleet { term } }')}`);
    await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ nope }' }),
    });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(lintExposition(text)).toEqual([]);

    const types = new Map(parseExposition(text).families.map((f) => [f.name, f.type]));
    for (const name of [
      'colony_realtime_connections_total',
      'colony_realtime_disconnections_total',
      'colony_events_published_total',
      'colony_messages_delivered_total',
      'colony_slow_consumers_closed_total',
    ])
      expect(types.get(name), name).toBe('counter');
    expect(types.get('graphql_yoga_http_duration_seconds')).toBe('histogram');
    expect(text).toMatch(/^colony_events_published_total 1$/m);
    expect(text).toMatch(/^colony_messages_delivered_total 1$/m);
    sub.unsubscribe();
  });

  it('finds what promtool finds', () => {
    const bad = [
      '# HELP a_requests requests',
      '# TYPE a_requests counter',
      'a_requests 1',
      '# HELP b_total open now',
      '# TYPE b_total gauge',
      'b_total 2',
      '# HELP c_request_duration time',
      '# TYPE c_request_duration histogram',
      'c_request_duration_bucket{le="+Inf"} 1',
      'c_request_duration_sum 0.1',
      'c_request_duration_count 1',
      '# TYPE d_latency_ms gauge',
      'd_latency_ms 3',
    ].join('\n');
    expect(lintExposition(bad)).toEqual([
      'a_requests: counter metrics should have "_total" suffix',
      'b_total: non-counter metrics should not have "_total" suffix',
      'c_request_duration: a histogram or summary of time should be in seconds, named "…_seconds"',
      'd_latency_ms: no help text',
      'd_latency_ms: metric names should not contain abbreviated units (ms)',
    ]);
  });
});
