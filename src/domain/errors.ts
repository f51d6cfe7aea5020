/**
 * The failures a client must handle, each with a code that the schema layer turns into
 * `extensions.code`. Anything thrown that is not a DomainError is a bug and gets masked.
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'INVALID_TRANSITION',
  'CONFLICT',
  'UNAVAILABLE',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CURSOR_EXPIRED',
  'RATE_LIMITED',
  'SLOW_CONSUMER',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, machine-readable facts for `extensions` (e.g. `{ reason: 'NO_CANDIDATE' }`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError('BAD_USER_INPUT', message, details);

export const notFound = (what: string, id: string) =>
  new DomainError('NOT_FOUND', `No ${what} has id "${id}".`, { id });

export const invalidTransition = (message: string, details?: Record<string, unknown>) =>
  new DomainError('INVALID_TRANSITION', message, details);

export const conflict = (message: string, details?: Record<string, unknown>) =>
  new DomainError('CONFLICT', message, details);

export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new DomainError('FORBIDDEN', message, details);

export const unauthenticated = (message: string, details?: Record<string, unknown>) =>
  new DomainError('UNAUTHENTICATED', message, details);
export const rateLimited = (message: string, details?: Record<string, unknown>) =>
  new DomainError('RATE_LIMITED', message, details);

export const unavailable = (message: string, details?: Record<string, unknown>) =>
  new DomainError('UNAVAILABLE', message, details);

/**
 * A subscriber that read slower than its events arrived, past the bytes the server holds for one
 * connection (`overflow: DISCONNECT`): how an SSE stream ends, where a WebSocket is closed with 4008.
 */
export const slowConsumer = () =>
  new DomainError(
    'SLOW_CONSUMER',
    'This subscriber read slower than its events arrived and the server will not hold more for it. ' +
      'Resume with `since` set to the last event id received, or subscribe with `overflow: DROP_OLDEST` or `COALESCE`.',
    { closeCode: 4008 },
  );

/**
 * Thrown by an engine's commit when a record changed since the transaction read it. The
 * transaction runner retries; clients never see it unless contention outlasts the retries.
 */
export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
  constructor(readonly key: string) {
    super(`version conflict on ${key}`);
  }
}

/**
 * Thrown by an engine's commit when the commit's idempotency key is already stored (a request with
 * the same key committed first). The runner answers with the stored outcome instead.
 */
export class IdempotencyKeyTaken extends Error {
  override readonly name = 'IdempotencyKeyTaken';
  constructor(readonly key: string) {
    super(`idempotency key ${key} is already stored`);
  }
}

/** A `since` that is not an event id at all. */
export const malformedCursor = (cursor: string) =>
  new DomainError('BAD_USER_INPUT', `"${cursor}" is not an event id (they look like 1700000000000-0).`, {
    reason: 'CURSOR_MALFORMED',
  });

/**
 * A `since` whose event the log no longer holds (trimmed, or the log itself was lost): replaying
 * from it could skip events silently, so the client must start over.
 */
export const expiredCursor = (cursor: string) =>
  new DomainError(
    'CURSOR_EXPIRED',
    `Event ${cursor} is no longer retained (or never existed here), so the events after it cannot be replayed. ` +
      'Query the current state again, then subscribe without `since`.',
    { reason: 'CURSOR_NOT_RETAINED' },
  );
