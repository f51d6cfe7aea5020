/**
 * A graphql-ws client whose Colony subscriptions resume by themselves.
 *
 * Each subscription keeps its cursor: the newest event id it received, or the newer cursor of a
 * `StreamPosition` (from `eventStream`). When the socket drops, graphql-ws reconnects and sends the
 * subscription again; its `since` variable is read at that moment, so the server replays exactly
 * what was missed. Events already seen are dropped by id. When the server answers CURSOR_EXPIRED
 * (the cursor fell out of retention), the caller is told to re-query its state, and the
 * subscription goes on live without `since`.
 *
 * The operation must declare `$since: ID` and pass it to the field, and select `id` on events
 * (and `cursor` and `live` on `StreamPosition`).
 */
import {
  createClient,
  type Client,
  type ClientOptions,
  type ExecutionResult,
  type FormattedExecutionResult,
  type Sink,
} from 'graphql-ws';

/** Where the connection stands, for an indicator. */
export type ConnectionState =
  | { status: 'idle' }
  | { status: 'connecting' }
  | { status: 'connected' }
  /**
   * The socket dropped; graphql-ws is reconnecting (attempt counts from 1). `closed` is why it
   * last closed, when the server said (e.g. 4403: the token is missing, invalid or expired).
   */
  | { status: 'reconnecting'; attempt: number; closed: { code: number; reason: string } | null }
  /** Reconnected, and every resuming `eventStream` said it is live again. */
  | { status: 'resumed'; caughtUp: number };

export interface SubscribeRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

export interface ResumeOptions {
  /** Start after this event id (e.g. the newest one a query showed). */
  since?: string | null;
  /**
   * Called when the server no longer retains the cursor: what happened since is unknown, so query
   * the state again. The subscription then goes on live by itself.
   */
  onCursorExpired?: (error: CursorExpired) => void;
}

/** What the client tells on CURSOR_EXPIRED. */
export interface CursorExpired {
  cursor: string | null;
  message: string;
}

export interface ResumableClientOptions extends Omit<ClientOptions, 'retryAttempts' | 'shouldRetry'> {
  /** How many reconnects in a row before giving up; default: never give up. */
  retryAttempts?: number;
  /** How many recent event ids each subscription remembers to drop repeats (default 4096). */
  dedupeWindow?: number;
}

export interface ResumableClient {
  /** Subscribes; returns the function that unsubscribes. */
  subscribe<Data = Record<string, unknown>>(
    request: SubscribeRequest,
    sink: Sink<FormattedExecutionResult<Data>>,
    options?: ResumeOptions,
  ): () => void;
  /** The connection state now. */
  readonly state: ConnectionState;
  /** Listens to connection states; returns the function that stops listening. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Listens to every CURSOR_EXPIRED, whichever subscription it hit. */
  onCursorExpired(listener: (error: CursorExpired) => void): () => void;
  /** The graphql-ws client underneath (for queries and mutations over the same socket). */
  readonly ws: Client;
  /** Closes the socket and ends every subscription. */
  dispose(): Promise<void>;
}

/** Compares Colony event ids (`<ms>-<seq>`): negative when a comes first. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am - bm || an - bn;
}

/** The newer of two cursors (null: none). */
export function laterCursor(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareEventIds(a, b) >= 0 ? a : b;
}

type Item =
  | { kind: 'event'; id: string }
  | { kind: 'position'; cursor: string | null; live: boolean }
  | { kind: 'other' };

/** What a result carries: its root field is an event (with `id`) or a stream position. */
export function classify(data: unknown): Item {
  if (!data || typeof data !== 'object') return { kind: 'other' };
  const root = Object.values(data)[0] as Record<string, unknown> | null | undefined;
  if (!root || typeof root !== 'object') return { kind: 'other' };
  if (root.__typename === 'StreamPosition' || ('live' in root && 'cursor' in root && !('id' in root))) {
    return { kind: 'position', cursor: (root.cursor as string | null) ?? null, live: Boolean(root.live) };
  }
  if (typeof root.id === 'string') return { kind: 'event', id: root.id };
  return { kind: 'other' };
}

function cursorExpired(error: unknown): string | null {
  if (!Array.isArray(error)) return null;
  const hit = (error as { message?: string; extensions?: { code?: unknown } }[]).find(
    (e) => e?.extensions?.code === 'CURSOR_EXPIRED',
  );
  return hit ? (hit.message ?? 'The cursor is no longer retained.') : null;
}

/** A bounded set of recent ids. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly size: number) {}
  /** False when the id was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

interface Resuming {
  /** Waiting for this subscription's live position after a reconnect. */
  waiting: boolean;
  caughtUp: number;
}

export function createResumableClient(options: ResumableClientOptions): ResumableClient {
  const { dedupeWindow = 4096, retryAttempts = Number.POSITIVE_INFINITY, ...wsOptions } = options;
  let state: ConnectionState = { status: 'idle' };
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const expiredListeners = new Set<(error: CursorExpired) => void>();
  const active = new Set<{ resuming: Resuming; usesPositions: boolean }>();
  let attempt = 0;
  let dropped = false;
  let lastClose: { code: number; reason: string } | null = null;

  const setState = (next: ConnectionState) => {
    // One report per change: a drop is seen both as `closed` and as the retry's `connecting`.
    if (JSON.stringify(next) === JSON.stringify(state)) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  };
  const checkResumed = () => {
    if (state.status !== 'connected' || !dropped) return;
    let caughtUp = 0;
    for (const sub of active) {
      if (sub.resuming.waiting) return;
      caughtUp += sub.resuming.caughtUp;
    }
    dropped = false;
    setState({ status: 'resumed', caughtUp });
  };

  const ws = createClient({
    ...wsOptions,
    retryAttempts,
    // Every close that is not fatal by the protocol is worth another try: a restart (1001), a
    // dropped network (1006), or a slow-consumer close (4008) that a resume with `since` repairs.
    shouldRetry: () => true,
    on: {
      ...wsOptions.on,
      connecting: (isRetry) => {
        wsOptions.on?.connecting?.(isRetry);
        if (isRetry || dropped) setState({ status: 'reconnecting', attempt: ++attempt, closed: lastClose });
        else setState({ status: 'connecting' });
      },
      connected: (socket, payload, wasRetry) => {
        wsOptions.on?.connected?.(socket, payload, wasRetry);
        attempt = 0;
        lastClose = null;
        setState({ status: 'connected' });
        checkResumed();
      },
      closed: (event) => {
        wsOptions.on?.closed?.(event);
        const { code, reason } = (event ?? {}) as { code?: unknown; reason?: unknown };
        lastClose =
          typeof code === 'number' && code !== 1006
            ? { code, reason: typeof reason === 'string' ? reason : '' }
            : null;
        if (active.size === 0) {
          setState({ status: 'idle' });
          return;
        }
        dropped = true;
        for (const sub of active) sub.resuming = { waiting: sub.usesPositions, caughtUp: 0 };
        // A retry that failed is reported by the next attempt's `connecting`, not here again.
        if (state.status !== 'reconnecting')
          setState({ status: 'reconnecting', attempt: attempt || 1, closed: lastClose });
      },
    },
  });

  const subscribe = <Data>(
    request: SubscribeRequest,
    sink: Sink<FormattedExecutionResult<Data>>,
    resume: ResumeOptions = {},
  ): (() => void) => {
    let cursor: string | null = resume.since ?? null;
    const seen = new RecentIds(dedupeWindow);
    const entry = { resuming: { waiting: false, caughtUp: 0 }, usesPositions: false };
    let stop: (() => void) | null = null;
    let ended = false;

    const { since: _ignored, ...baseVariables } = request.variables ?? {};
    // Read by graphql-ws each time it (re)sends the subscription: a reconnect asks for what came
    // after the newest cursor, not after the first one.
    const payload = {
      query: request.query,
      ...(request.operationName ? { operationName: request.operationName } : {}),
      ...(request.extensions ? { extensions: request.extensions } : {}),
      get variables() {
        return cursor === null ? baseVariables : { ...baseVariables, since: cursor };
      },
    };

    const start = () => {
      active.add(entry);
      // One graphql-ws subscription; a CURSOR_EXPIRED replaces it with a fresh one (without `since`).
      let superseded = false;
      const expire = (message: string) => {
        superseded = true;
        const expired = { cursor, message };
        // The events after the cursor are unknown: the caller re-queries, then we go on live.
        cursor = null;
        entry.resuming = { waiting: false, caughtUp: 0 };
        // graphql-ws ends the refused subscription itself; the new one starts before that, so the
        // socket stays open (a lazy client would otherwise close it with no subscription left).
        resume.onCursorExpired?.(expired);
        for (const listener of expiredListeners) listener(expired);
        if (!ended) start();
        checkResumed();
      };
      stop = ws.subscribe<Data>(payload, {
        next: (result: ExecutionResult<Data>) => {
          if (superseded) return;
          // A subscription refused before it started comes as a result with errors only.
          const refused = result.data == null ? cursorExpired(result.errors) : null;
          if (refused !== null) return expire(refused);
          const item = classify(result.data);
          if (item.kind === 'event') {
            if (!seen.add(item.id)) return;
            cursor = laterCursor(cursor, item.id);
            if (entry.resuming.waiting) entry.resuming.caughtUp++;
          } else if (item.kind === 'position') {
            entry.usesPositions = true;
            cursor = laterCursor(cursor, item.cursor);
            if (item.live && entry.resuming.waiting) {
              entry.resuming.waiting = false;
              checkResumed();
            }
          }
          sink.next(result as FormattedExecutionResult<Data>);
        },
        error: (error) => {
          if (superseded) return;
          const refused = cursorExpired(error);
          if (refused !== null) return expire(refused);
          finish();
          sink.error(error);
        },
        complete: () => {
          if (superseded) return;
          finish();
          sink.complete();
        },
      });
    };
    const finish = () => {
      ended = true;
      active.delete(entry);
      checkResumed();
    };
    start();
    return () => {
      if (ended) return;
      finish();
      stop?.();
    };
  };

  return {
    subscribe,
    get state() {
      return state;
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onCursorExpired(listener) {
      expiredListeners.add(listener);
      return () => expiredListeners.delete(listener);
    },
    ws,
    dispose: async () => {
      for (const sub of active) sub.resuming.waiting = false;
      active.clear();
      await ws.dispose();
    },
  };
}
