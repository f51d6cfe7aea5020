/** Helpers of the liveness tests: the worker process, and short leases on real apps. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestApp } from '../support/app.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Short leases, so that the suite stays fast: 300 ms of grace after a connection closes and a sweep
 * every 20 ms; leases of 2 s, so that a busy test machine does not let a live connection's run out.
 */
export const SHORT_LEASES = {
  AGENT_LEASE_MS: '2000',
  AGENT_LEASE_GRACE_MS: '300',
  AGENT_LEASE_MIN_MS: '100',
  LEASE_SWEEP_MS: '20',
};

export interface Worker {
  child: ChildProcess;
  /** Resolves with the first stdout line that matches. */
  line(match: RegExp): Promise<string>;
  lines: string[];
  kill(): void;
}

/** Starts test/liveness/worker.ts (the docs' worker) as a process of its own, for `agentId`. */
export function startWorker(wsUrl: string, agentId: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/liveness/worker.ts'], {
    cwd: root,
    env: { ...process.env, COLONY_URL: wsUrl, AGENT_ID: agentId, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk) => {
    buffered += String(chunk);
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      waiters = waiters.filter((w) => (w.match.test(line) ? (w.resolve(line), false) : true));
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  return {
    child,
    lines,
    line: (match) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => match.test(l));
        if (found) return resolve(found);
        waiters.push({ match, resolve });
        child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ${match}: ${stderr}`)));
      }),
    kill: () => child.kill('SIGKILL'),
  };
}

/** Polls a query until `done` holds for its data (or fails after `ms`): waits on state, not on time. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function createAgent(app: TestApp, name: string, capabilities: string[] = []): Promise<string> {
  const data = await app.ok<{ createAgent: { id: string } }, unknown>(
    'mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }',
    { input: { name, type: 'worker', capabilities } },
  );
  return data.createAgent.id;
}

export async function agentState(app: TestApp, id: string) {
  const data = await app.ok<
    {
      agent: {
        status: string;
        activeTaskCount: number;
        leaseState: string | null;
        leaseExpiresAt: string | null;
        lastSeenAt: string | null;
      } | null;
    },
    unknown
  >('query($id: ID!) { agent(id: $id) { status activeTaskCount leaseState leaseExpiresAt lastSeenAt } }', {
    id,
  });
  return data.agent;
}

export async function taskState(app: TestApp, id: string) {
  const data = await app.ok<
    { task: { status: string; attempt: number; progress: number | null; assignee: { id: string } | null } },
    unknown
  >('query($id: ID!) { task(id: $id) { status attempt progress assignee { id } } }', { id });
  return data.task;
}

/** Every event of the fleet's rooms, as a subscriber sees them. */
export const ALL_EVENTS = `subscription {
  events(rooms: ["agents", "tasks", "coordination"]) {
    id type
    payload {
      ... on AgentEventPayload { agent { id status } previousStatus reason }
      ... on TaskEventPayload { task { id status attempt } previousTaskStatus: previousStatus reason }
      ... on ElectionEventPayload { election { term leader { id } } }
    }
  }
}`;

export interface SeenEvent {
  events: {
    id: string;
    type: string;
    payload: {
      agent?: { id: string; status: string };
      previousStatus?: string | null;
      previousTaskStatus?: string | null;
      reason?: string | null;
      task?: { id: string; status: string; attempt: number };
      election?: { term: number; leader: { id: string } | null };
    };
  };
}
