/**
 * A worker, as docs/liveness.md shows it: its connection names its agent and so holds the agent's
 * lease; it takes the tasks assigned to it, reports progress and completes them, naming the attempt
 * it was given, and drops a task it no longer holds (LEASE_LOST). The liveness tests run this file.
 *
 *   COLONY_URL=ws://localhost:4000/graphql AGENT_ID=<id> npx tsx test/liveness/worker.ts
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const agentId = process.env.AGENT_ID!;
/** What the worker does, a line each (the tests read them). */
const say = (line: string) => process.stdout.write(`${line}\n`);
const stepMs = Number(process.env.WORK_STEP_MS ?? 100);
const client = createClient({
  url: process.env.COLONY_URL ?? 'ws://localhost:4000/graphql',
  webSocketImpl: WebSocket,
  lazy: false,
  // The connection holds the lease (with a token: `authorization` too, its sub "agent:<id>").
  connectionParams: { agentId },
  // Reconnecting within AGENT_LEASE_GRACE_MS keeps the lease and the tasks.
  retryAttempts: Infinity,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 50)),
});

/** One operation over the same connection; rejects with the GraphQL errors. */
function call(query: string, variables: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    client.subscribe(
      { query, variables },
      {
        next: (result) => (result.errors ? reject(result.errors) : (data = result.data)),
        error: reject,
        complete: () => resolve(data),
      },
    );
  });
}

const leaseLost = (errors: unknown) =>
  Array.isArray(errors) && errors.some((e) => e?.extensions?.reason === 'LEASE_LOST');

async function work(id: string, attempt: number): Promise<void> {
  try {
    await call('mutation($id: ID!, $a: Int) { startTask(id: $id, attempt: $a) { id } }', { id, a: attempt });
    say(`started ${id} ${attempt}`);
    for (let progress = 0.1; progress < 1; progress += 0.1) {
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      await call(
        'mutation($id: ID!, $p: Float!, $a: Int) { reportTaskProgress(id: $id, progress: $p, attempt: $a) { id } }',
        {
          id,
          p: progress,
          a: attempt,
        },
      );
      say(`progress ${id} ${progress.toFixed(1)}`);
    }
    await call(
      'mutation($id: ID!, $a: Int) { completeTask(id: $id, result: { ok: true }, attempt: $a) { id } }',
      {
        id,
        a: attempt,
      },
    );
    say(`completed ${id}`);
  } catch (errors) {
    // The task was requeued (this worker was taken for dead) and may be someone else's now.
    if (leaseLost(errors)) say(`lost ${id}`);
    else say(`failed ${id} ${JSON.stringify(errors)}`);
  }
}

client.subscribe(
  {
    query: `subscription($rooms: [String!]) {
      eventStream(rooms: $rooms, types: [TASK_ASSIGNED]) {
        __typename
        ... on Event { payload { ... on TaskEventPayload { task { id attempt assignee { id } } } } }
      }
    }`,
    variables: { rooms: [`agent:${agentId}`] },
  },
  {
    next: ({ data }) => {
      const item = data?.eventStream as {
        __typename: string;
        payload?: { task: { id: string; attempt: number; assignee: { id: string } | null } };
      };
      // The first StreamPosition: from here on no assignment is missed.
      if (item.__typename === 'StreamPosition') say('ready');
      const task = item.payload?.task;
      if (task?.assignee?.id === agentId) void work(task.id, task.attempt);
    },
    error: (error) => say(`subscription ended ${String(error)}`),
    complete: () => undefined,
  },
);
