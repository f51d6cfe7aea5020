/**
 * One GraphQL operation sent over each transport a client may use, for tests that check a limit holds
 * on all of them: HTTP POST, HTTP GET, SSE (graphql-sse's single-connection-free mode: a POST with
 * `Accept: text/event-stream`) and graphql-ws (raw frames, so nothing in a client library hides what
 * the server answered).
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { CSRF_HEADER } from '../../src/transport/limits-http.js';

export interface Answer {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export type Transport = 'POST' | 'GET' | 'SSE' | 'WS';
export const TRANSPORTS: Transport[] = ['POST', 'GET', 'SSE', 'WS'];

/** Opens a raw graphql-transport-ws socket and waits for the ack. */
export async function rawSocket(wsUrl: string, token?: string): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const acked = new Promise<void>((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      if ((JSON.parse(String(data)) as { type: string }).type !== 'connection_ack') return;
      socket.off('message', onMessage);
      resolve();
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => reject(new Error(`closed ${code} before the ack`)));
  });
  socket.send(
    JSON.stringify({
      type: 'connection_init',
      ...(token ? { payload: { authorization: `Bearer ${token}` } } : {}),
    }),
  );
  await acked;
  return socket;
}

/** The close code and reason of a socket, once it closes. */
export const closed = (socket: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve({ code: -1, reason: 'already closed' });
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });

let ids = 0;

/** Sends one operation on an open socket; resolves with its first `next` or `error`. */
export function overSocket(socket: WebSocket, query: string, variables?: unknown): Promise<Answer> {
  const id = `op${++ids}`;
  return new Promise((resolve, reject) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const message = JSON.parse(String(raw)) as { id?: string; type: string; payload?: unknown };
      if (message.id !== id) return;
      if (message.type === 'next') finish(message.payload as Answer);
      else if (message.type === 'error') finish({ errors: message.payload as Answer['errors'] });
    };
    const onClose = (code: number) => {
      socket.off('message', onMessage);
      reject(new Error(`socket closed ${code} before an answer to ${id}`));
    };
    const finish = (answer: Answer) => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(answer);
    };
    socket.on('message', onMessage);
    socket.once('close', onClose);
    socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  });
}

/** Sends `query` over `transport` and returns what came back first. */
export async function send(
  transport: Transport,
  app: { graphqlUrl: string; wsUrl: string },
  query: string,
  variables?: unknown,
  token?: string,
): Promise<Answer> {
  const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (transport === 'WS') {
    const socket = await rawSocket(app.wsUrl, token);
    try {
      return await overSocket(socket, query, variables);
    } finally {
      socket.close();
    }
  }
  if (transport === 'GET') {
    const url = new URL(app.graphqlUrl);
    url.searchParams.set('query', query);
    if (variables) url.searchParams.set('variables', JSON.stringify(variables));
    const res = await fetch(url, {
      headers: { accept: 'application/json', [CSRF_HEADER]: '1', ...authorization },
    });
    return (await res.json()) as Answer;
  }
  const res = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: transport === 'SSE' ? 'text/event-stream' : 'application/json',
      ...authorization,
    },
    body: JSON.stringify({ query, variables }),
  });
  if (!res.headers.get('content-type')?.includes('text/event-stream')) return (await res.json()) as Answer;
  // The first `data:` of the stream is the first result.
  const text = await res.text();
  const data = text.split('\n').find((line) => line.startsWith('data:'));
  if (!data) throw new Error(`no data in the event stream: ${text.slice(0, 200)}`);
  return JSON.parse(data.slice('data:'.length)) as Answer;
}

/** Resolves with /health's latency; fails past 1 s. */
export async function healthWithinOneSecond(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
  if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  return performance.now() - started;
}

/** Runs `work` while /health is asked every 20 ms; each answer must come within 1 s. */
export async function whileHealthy<T>(url: string, work: () => Promise<T>): Promise<T> {
  let running = true;
  let probes = 0;
  const probing = (async () => {
    while (running) {
      await healthWithinOneSecond(url);
      probes++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return await work();
  } finally {
    running = false;
    await probing;
    if (probes === 0) await healthWithinOneSecond(url);
  }
}

/**
 * Stops reading a socket for real: `ws` resumes its socket itself once its parser drains, so pausing
 * is not enough with large messages; its data listener is taken off until `resume` is called.
 */
export function stopReading(socket: WebSocket): { resume(): void } {
  const raw = (socket as unknown as { _socket: Socket })._socket;
  const listeners = raw.listeners('data') as ((chunk: Buffer) => void)[];
  raw.removeAllListeners('data');
  raw.pause();
  return {
    resume() {
      for (const listener of listeners) raw.on('data', listener);
      raw.resume();
    },
  };
}
