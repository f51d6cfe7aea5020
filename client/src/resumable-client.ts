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
  /**
   * Events the server dropped (the subscription asked for `overflow: DROP_OLDEST` or `COALESCE`).
   * Absent: the report reaches the sink as it came (an `EventsDropped` item, or the result's
   * `extensions.dropped`). A function: it is handed the gap and the report is not passed on. A
   * `GapQuery`: the client fetches the dropped events from `eventLog` and delivers them, in order,
   * before anything that came after the gap (meant for DROP_OLDEST: with COALESCE the newest state
   * of an entity may already have been delivered).
   */
  onDropped?: ((gap: DroppedEvents) => void) | GapQuery;
}

/**
 * Events the server dropped for this subscription (an `overflow` policy that drops): `count` of
 * them, the oldest `fromId`, the newest `toId`. From `EventsDropped` on `eventStream`, from
 * `extensions.dropped` on `events`.
 */
export interface DroppedEvents {
  count: number;
  fromId: string;
  toId: string;
  /** The newest event id delivered before the gap (null: none yet). */
  after: string | null;
}

/**
 * How to fetch a dropped range: a query over the same socket whose variables `$after: String` and
 * `$first: Int` page `eventLog` (with the subscription's rooms and types), selecting on each
 * `edges.node` what the subscription selects on its events, and `pageInfo { hasNextPage endCursor }`.
 */
export interface GapQuery {
  query: string;
  variables?: Record<string, unknown>;
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
  | { kind: 'dropped'; count: number; fromId: string; toId: string }
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
  if (root.__typename === 'EventsDropped') {
    return {
      kind: 'dropped',
      count: Number(root.count),
      fromId: String(root.fromId),
      toId: String(root.toId),
    };
  }
  if (typeof root.id === 'string') return { kind: 'event', id: root.id };
  return { kind: 'other' };
}

function rootField(data: unknown): string | null {
  return data && typeof data === 'object' ? (Object.keys(data)[0] ?? null) : null;
}

/** The gap an `events` result carries in its extensions, if any. */
function droppedExtension(result: {
  extensions?: unknown;
}): { count: number; fromId: string; toId: string } | null {
  const dropped = (
    result.extensions as { dropped?: { count?: unknown; fromId?: unknown; toId?: unknown } } | undefined
  )?.dropped;
  if (!dropped || typeof dropped.fromId !== 'string' || typeof dropped.toId !== 'string') return null;
  return { count: Number(dropped.count), fromId: dropped.fromId, toId: dropped.toId };
}

interface LogPage {
  edges: { node: Record<string, unknown> & { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Runs one query over the socket. */
function query<T>(ws: Client, request: { query: string; variables: Record<string, unknown> }): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<T, unknown> | null = null;
    ws.subscribe<T>(request, {
      next: (value) => (result = value),
      error: reject,
      complete: () =>
        result?.data && !result.errors?.length
          ? resolve(result.data)
          : reject(new Error(JSON.stringify(result?.errors ?? 'no result'))),
    });
  });
}

/**
 * The retained events of a dropped range, oldest first, as `eventLog` pages them: from after the
 * last event delivered before the gap up to `toId`.
 */
async function fetchRange(ws: Client, gap: DroppedEvents, how: GapQuery): Promise<Record<string, unknown>[]> {
  const nodes: Record<string, unknown>[] = [];
  let after = gap.after;
  for (;;) {
    const data = await query<Record<string, LogPage>>(ws, {
      query: how.query,
      variables: { ...how.variables, after, first: 100 },
    });
    const page = Object.values(data)[0] as LogPage;
    for (const { node } of page.edges) {
      if (compareEventIds(node.id, gap.toId) > 0) return nodes;
      if (compareEventIds(node.id, gap.fromId) >= 0) nodes.push(node);
    }
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) return nodes;
    after = page.pageInfo.endCursor;
  }
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
    /** Results that came after a gap being fetched (null: none is). */
    let healing: ExecutionResult<Data>[] | null = null;
    /** The subscription's root field, as its results name it. */
    let rootKey = 'events';

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
      /** One result, in order; `gaps`: a gap it reports is acted on (false: it is passed on as it came). */
      const handle = (result: ExecutionResult<Data>, gaps = true): void => {
        // A subscription refused before it started comes as a result with errors only.
        const refused = result.data == null ? cursorExpired(result.errors) : null;
        if (refused !== null) return expire(refused);
        rootKey = rootField(result.data) ?? rootKey;
        const item = classify(result.data);
        const gap = item.kind === 'dropped' ? item : droppedExtension(result);
        if (gap && gaps && resume.onDropped) {
          const dropped: DroppedEvents = { ...gap, after: cursor };
          if (typeof resume.onDropped === 'function') {
            resume.onDropped(dropped);
            if (item.kind === 'dropped') return;
            delete (result as { extensions?: Record<string, unknown> }).extensions?.dropped;
          } else {
            heal(dropped, resume.onDropped, result, item.kind === 'event');
            return;
          }
        }
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
      };
      /**
       * Fetches a dropped range and delivers it, then what came after the report, in order (on
       * `events` the report came with the first event after the gap, `carries`). A failed fetch
       * passes the report on as it came.
       */
      const heal = (gap: DroppedEvents, how: GapQuery, report: ExecutionResult<Data>, carries: boolean) => {
        healing = [];
        const root = rootField(report.data) ?? rootKey;
        const goOn = (first: () => void) => {
          const waiting = healing ?? [];
          healing = null;
          first();
          for (const result of waiting) {
            // Another gap being fetched: the rest waits behind it.
            if (healing) (healing as ExecutionResult<Data>[]).push(result);
            else handle(result);
          }
        };
        fetchRange(ws, gap, how).then(
          (nodes) =>
            goOn(() => {
              for (const node of nodes) handle({ data: { [root]: node } as Data });
              if (!carries) return;
              const { extensions, ...rest } = report as ExecutionResult<Data> & {
                extensions?: Record<string, unknown>;
              };
              const { dropped: _dropped, ...others } = extensions ?? {};
              handle(Object.keys(others).length ? { ...rest, extensions: others } : rest);
            }),
          () => goOn(() => handle(report, false)),
        );
      };
      stop = ws.subscribe<Data>(payload, {
        next: (result: ExecutionResult<Data>) => {
          if (superseded) return;
          // While a gap is being fetched, what follows it waits, in order.
          if (healing) {
            healing.push(result);
            return;
          }
          handle(result);
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
