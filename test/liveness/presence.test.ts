/**
 * Presence by connection, over raw graphql-ws frames: a connection_init naming an agent holds its
 * lease while the socket answers pings, who may name which agent, what a refusal closes with, the
 * grace after a close, heartbeat by an agent's own token, and the /metrics figures.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApp, type TestApp } from '../support/app.js';
import { hsToken, SECRET } from '../support/tokens.js';
import { agentState, createAgent, SHORT_LEASES, until } from './support.js';

interface Opened {
  socket: WebSocket;
  /** The close code, once closed. */
  closed: Promise<number>;
  /** The first message's type (`connection_ack`), or null when it closed first. */
  acked: Promise<string | null>;
}

function open(app: TestApp, payload: Record<string, unknown>, options: { autoPong?: boolean } = {}): Opened {
  const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws', { autoPong: options.autoPong ?? true });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const acked = new Promise<string | null>((resolve) => {
    socket.once('message', (data) => resolve((JSON.parse(String(data)) as { type: string }).type));
    socket.once('close', () => resolve(null));
  });
  socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
  return { socket, closed, acked };
}

async function presence(app: TestApp, headers: Record<string, string> = {}) {
  const res = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      query:
        '{ presence { agent { id } lastSeenAt leaseExpiresAt connections { instanceId connectionId } } }',
    }),
  });
  const body = (await res.json()) as {
    data: {
      presence: { agent: { id: string }; leaseExpiresAt: string; connections: { instanceId: string }[] }[];
    };
  };
  return body.data.presence;
}

describe('a connection naming an agent', () => {
  it('holds its lease while open and answering pings, and lists it in presence', async () => {
    const app = await startApp(SHORT_LEASES);
    try {
      const id = await createAgent(app, 'connected');
      const c = open(app, { agentId: id });
      expect(await c.acked).toBe('connection_ack');
      const first = await until(
        () => presence(app),
        (p) => p.length === 1,
      );
      expect(first[0]).toMatchObject({ agent: { id }, connections: [{ instanceId: 'test-instance' }] });
      // Renewed past the deadline it had when it was first listed, while the socket is open.
      const renewedPast = Date.parse(first[0]!.leaseExpiresAt) + 500;
      await until(
        () => agentState(app, id),
        (s) => Date.parse(s!.lastSeenAt!) > renewedPast,
      );
      expect(await agentState(app, id)).toMatchObject({ status: 'ACTIVE', leaseState: 'HELD' });
      c.socket.close();
    } finally {
      await app.stop();
    }
  });

  it('stops renewing once pings go unanswered, though the socket stays open', async () => {
    const app = await startApp(SHORT_LEASES);
    try {
      const id = await createAgent(app, 'deaf');
      const c = open(app, { agentId: id }, { autoPong: false });
      expect(await c.acked).toBe('connection_ack');
      await until(
        () => agentState(app, id),
        (s) => s?.status === 'OFFLINE',
      );
      expect(await agentState(app, id)).toMatchObject({ leaseState: 'EXPIRED' });
      // The next renewal finds the lease gone and says so.
      expect(await c.closed).toBe(4409);
    } finally {
      await app.stop();
    }
  });

  it('keeps the lease through a reconnect within the grace, and loses it without one', async () => {
    const app = await startApp({ ...SHORT_LEASES, AGENT_LEASE_GRACE_MS: '1500' });
    try {
      const id = await createAgent(app, 'flaky');
      const first = open(app, { agentId: id });
      await first.acked;
      first.socket.close();
      await first.closed;
      const closedAt = Date.now();
      const second = open(app, { agentId: id });
      expect(await second.acked).toBe('connection_ack');
      await until(
        () => agentState(app, id),
        (s) => Date.parse(s!.lastSeenAt!) > closedAt + 1500 + 500,
      );
      expect(await agentState(app, id)).toMatchObject({ status: 'ACTIVE', leaseState: 'HELD' });
      second.socket.close();
      await second.closed;
      await until(
        () => agentState(app, id),
        (s) => s?.status === 'OFFLINE',
      );
    } finally {
      await app.stop();
    }
  });

  it('is closed with a code that says why when it cannot hold the lease', async () => {
    const app = await startApp(SHORT_LEASES);
    try {
      const stopped = await createAgent(app, 'stopped');
      await app.ok('mutation($id: ID!) { performAgentAction(id: $id, action: STOP) { id } }', {
        id: stopped,
      });
      const cases: [Record<string, unknown>, number][] = [
        [{ agentId: 42 }, 4400],
        [{ agentId: 'no-such-agent' }, 4404],
        [{ agentId: stopped, leaseTtlMs: 5 }, 4400],
        [{ agentId: stopped }, 4409],
      ];
      for (const [payload, code] of cases) {
        const c = open(app, payload);
        expect(await c.acked).toBeNull();
        expect(await c.closed).toBe(code);
      }
      expect(await presence(app)).toEqual([]);
      // A TTL of its own, within the bounds.
      const own = await createAgent(app, 'own ttl');
      const asked = open(app, { agentId: own, leaseTtlMs: 5000 });
      expect(await asked.acked).toBe('connection_ack');
      const [held] = await until(
        () => presence(app),
        (p) => p.length === 1,
      );
      expect(Date.parse(held!.leaseExpiresAt) - Date.now()).toBeGreaterThan(2000);
      asked.socket.close();
      // Without agentId a connection is what it always was.
      const plain = open(app, {});
      expect(await plain.acked).toBe('connection_ack');
      plain.socket.close();
    } finally {
      await app.stop();
    }
  });

  it("with auth on: an agent's own token holds its lease, heartbeats and reports on its own tasks; another agent's are FORBIDDEN", async () => {
    const app = await startApp({ ...SHORT_LEASES, JWT_SECRET: SECRET });
    try {
      const operator = await hsToken({ sub: 'ops', roles: ['operator'] });
      const auth = { authorization: `Bearer ${operator}` };
      const call = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
        const res = await fetch(app.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as {
          data?: Record<string, unknown>;
          errors?: { extensions: Record<string, unknown> }[];
        };
      };
      const created = await call(
        operator,
        'mutation { a: createAgent(input: { name: "a", type: "w" }) { id } b: createAgent(input: { name: "b", type: "w" }) { id } }',
      );
      const a = (created.data!.a as { id: string }).id;
      const b = (created.data!.b as { id: string }).id;
      const own = await hsToken({ sub: `agent:${a}`, roles: ['viewer'] });

      const beat = 'mutation($id: ID!) { heartbeat(agentId: $id, ttlMs: 60000) { id leaseState } }';
      expect((await call(own, beat, { id: a })).data).toEqual({ heartbeat: { id: a, leaseState: 'HELD' } });
      expect((await call(own, beat, { id: b })).errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'NOT_THIS_AGENT',
      });
      // Its own token is no operator: other mutations stay closed to it.
      expect(
        (await call(own, 'mutation { createTask(input: { title: "x" }) { id } }')).errors?.[0]?.extensions
          ?.code,
      ).toBe('FORBIDDEN');

      // Its own token runs the worker's steps on its own tasks, not on another agent's.
      const task = async (agentId: string) => {
        const t = await call(operator, 'mutation { createTask(input: { title: "w" }) { id } }');
        const id = (t.data!.createTask as { id: string }).id;
        await call(operator, 'mutation($id: ID!, $a: ID) { assignTask(id: $id, agentId: $a) { id } }', {
          id,
          a: agentId,
        });
        return id;
      };
      const step = 'mutation($id: ID!) { startTask(id: $id, attempt: 1) { status } }';
      const ours = await task(a);
      expect((await call(own, step, { id: ours })).data).toEqual({ startTask: { status: 'RUNNING' } });
      const done = 'mutation($id: ID!) { completeTask(id: $id, attempt: 1) { status } }';
      expect((await call(own, done, { id: ours })).data).toEqual({ completeTask: { status: 'COMPLETED' } });
      const others = await task(b);
      expect((await call(own, step, { id: others })).errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'NOT_THIS_AGENT',
      });
      const viewer = await hsToken({ sub: 'vera', roles: ['viewer'] });
      expect((await call(viewer, step, { id: others })).errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'ROLE_REQUIRED',
      });

      const mine = open(app, { agentId: a, authorization: `Bearer ${own}` });
      expect(await mine.acked).toBe('connection_ack');
      const theirs = open(app, { agentId: b, authorization: `Bearer ${own}` });
      expect(await theirs.closed).toBe(4403);
      const ops = open(app, { agentId: b, authorization: `Bearer ${operator}` });
      expect(await ops.acked).toBe('connection_ack');
      const live = await until(
        () => presence(app, auth),
        (p) => p.length === 2,
      );
      expect(live.map((p) => p.agent.id).sort()).toEqual([a, b].sort());
      mine.socket.close();
      ops.socket.close();
    } finally {
      await app.stop();
    }
  });

  it('counts live agents and expirations on /metrics', async () => {
    const app = await startApp(SHORT_LEASES);
    try {
      const figures = async () => {
        const text = await (await fetch(`${app.url}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
        return { live: value('colony_live_agents'), expired: value('colony_lease_expirations_total') };
      };
      expect(await figures()).toEqual({ live: 0, expired: 0 });
      const id = await createAgent(app, 'short');
      await app.ok('mutation($id: ID!) { heartbeat(agentId: $id, ttlMs: 200) { id } }', { id });
      const during = await figures();
      // Live right after the heartbeat (unless the machine was slow enough for it to run out).
      expect(during.live + during.expired).toBe(1);
      await until(figures, (f) => f.expired === 1);
      expect(await figures()).toEqual({ live: 0, expired: 1 });
    } finally {
      await app.stop();
    }
  });
});
