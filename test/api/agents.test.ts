import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startApp, type TestApp } from '../support/app.js';
import {
  CreateAgent,
  DeleteAgent,
  GetAgent,
  ListAgents,
  PerformAgentAction,
  RealtimeStatsQuery,
  UpdateAgent,
} from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t.stop());

const published = async () => (await t.ok(RealtimeStatsQuery)).realtimeStats.eventsPublished;

async function agent(name = 'scout', extra: { capabilities?: string[]; type?: string } = {}) {
  return (
    await t.ok(CreateAgent, {
      input: { name, type: extra.type ?? 'crawler', capabilities: extra.capabilities },
    })
  ).createAgent;
}

describe('agents over HTTP', () => {
  it('creates an ACTIVE agent and reads it back', async () => {
    const created = await agent('a1', { capabilities: ['http', 'http', 'gpu'] });
    expect(created).toMatchObject({
      name: 'a1',
      type: 'crawler',
      status: 'ACTIVE',
      capabilities: ['http', 'gpu'],
    });
    expect((await t.ok(GetAgent, { id: created.id })).agent).toEqual(created);
  });

  it('answers null for an unknown id, never an error', async () => {
    const result = await t.request(GetAgent, { id: 'no-such-agent' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.agent).toBeNull();
  });

  it.each([
    [{ name: '', type: 't' }, 'name must not be empty'],
    [{ name: 'x'.repeat(201), type: 't' }, 'name must be at most 200 characters'],
    [{ name: 'n', type: 'x'.repeat(101) }, 'type must be at most 100 characters'],
    [
      { name: 'n', type: 't', capabilities: Array.from({ length: 51 }, (_, i) => `c${i}`) },
      'at most 50 capabilities',
    ],
    [{ name: 'n', type: 't', capabilities: ['x'.repeat(101)] }, 'at most 100 characters'],
    [{ name: 'n', type: 't', metadata: { blob: 'x'.repeat(17 * 1024) } }, 'metadata must be at most 16 KiB'],
  ])('refuses a bad createAgent input and stores nothing (%#)', async (input, message) => {
    const before = await published();
    const result = await t.request(CreateAgent, { input });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toContain(message);
    expect(await published()).toBe(before);
  });

  it('updates only the fields given, and clears metadata with null', async () => {
    const a = (await t.ok(CreateAgent, { input: { name: 'u1', type: 't', metadata: { zone: 'eu' } } }))
      .createAgent;
    const renamed = (await t.ok(UpdateAgent, { id: a.id, input: { name: 'u2' } })).updateAgent;
    expect(renamed).toMatchObject({ name: 'u2', type: 't', metadata: { zone: 'eu' } });
    const cleared = (await t.ok(UpdateAgent, { id: a.id, input: { metadata: null } })).updateAgent;
    expect(cleared.metadata).toBeNull();
    expect(codes(await t.request(UpdateAgent, { id: a.id, input: {} }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(UpdateAgent, { id: 'missing', input: { name: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('drives the state machine and refuses actions that do not apply', async () => {
    const a = await agent('sm');
    const act = (action: 'START' | 'PAUSE' | 'RESUME' | 'STOP') =>
      t.request(PerformAgentAction, { id: a.id, action });
    expect(codes(await act('START'))).toEqual(['INVALID_TRANSITION']); // ACTIVE
    expect(codes(await act('RESUME'))).toEqual(['INVALID_TRANSITION']);
    expect((await act('PAUSE')).data?.performAgentAction.status).toBe('PAUSED');
    expect(codes(await act('PAUSE'))).toEqual(['INVALID_TRANSITION']);
    expect(codes(await act('START'))).toEqual(['INVALID_TRANSITION']);
    expect((await act('RESUME')).data?.performAgentAction.status).toBe('ACTIVE');
    expect((await act('STOP')).data?.performAgentAction.status).toBe('OFFLINE');
    expect(codes(await act('PAUSE'))).toEqual(['INVALID_TRANSITION']);
    expect(codes(await act('RESUME'))).toEqual(['INVALID_TRANSITION']);
    const before = await published();
    expect((await act('STOP')).data?.performAgentAction.status).toBe('OFFLINE'); // STOP applies to any
    expect(await published()).toBe(before + 1); // AGENT_ACTION only: the status did not change
    expect((await act('START')).data?.performAgentAction.status).toBe('ACTIVE');
  });

  it('refuses a bad action without publishing', async () => {
    const a = await agent('quiet');
    const before = await published();
    expect(codes(await t.request(PerformAgentAction, { id: a.id, action: 'RESUME' }))).toEqual([
      'INVALID_TRANSITION',
    ]);
    expect(codes(await t.request(PerformAgentAction, { id: 'nope', action: 'STOP' }))).toEqual(['NOT_FOUND']);
    expect(await published()).toBe(before);
  });

  it('deletes an agent and answers NOT_FOUND afterwards', async () => {
    const a = await agent('gone');
    expect((await t.ok(DeleteAgent, { id: a.id })).deleteAgent.id).toBe(a.id);
    expect((await t.ok(GetAgent, { id: a.id })).agent).toBeNull();
    expect(codes(await t.request(DeleteAgent, { id: a.id }))).toEqual(['NOT_FOUND']);
  });

  it('lists with filters and Relay pagination, oldest first', async () => {
    const type = `pager-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await agent(`p${i}`, { type }));
    await t.ok(PerformAgentAction, { id: made[1]!.id, action: 'PAUSE' });
    const page1 = (await t.ok(ListAgents, { type, first: 2 })).agents;
    expect(page1.edges.map((e) => e.node?.name)).toEqual(['p0', 'p1']);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = (await t.ok(ListAgents, { type, first: 2, after: page1.pageInfo.endCursor })).agents;
    expect(page2.edges.map((e) => e.node?.name)).toEqual(['p2', 'p3']);
    const page3 = (await t.ok(ListAgents, { type, first: 2, after: page2.pageInfo.endCursor })).agents;
    expect(page3.edges.map((e) => e.node?.name)).toEqual(['p4']);
    expect(page3.pageInfo.hasNextPage).toBe(false);
    const paused = (await t.ok(ListAgents, { type, status: 'PAUSED' })).agents;
    expect(paused.edges.map((e) => e.node?.name)).toEqual(['p1']);
    expect(codes(await t.request(ListAgents, { first: 0 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.request(ListAgents, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });
});
