/**
 * What one WebSocket may ask of the server: at most `maxOperations` operations in flight (open
 * subscriptions, mostly), and `subscribe` messages at a bounded rate (a token bucket). A message over
 * either bound gets an `error` for that operation (RATE_LIMITED); a client that keeps sending past
 * the rate anyway, a whole burst of refusals, is closed with 4429.
 */
import type { GraphQLError } from 'graphql';
import { RENEWAL_BURST, RENEWAL_RATE_PER_S } from './limits-renewal.js';
import { clientError } from '../schema/errors.js';

/** The close code for a client that floods the server with subscribe messages. */
export const SUBSCRIBE_FLOOD = { code: 4429, reason: 'Too many subscribe messages' } as const;

/** One clock for every bucket: a default of `() => performance.now()` would be a closure per bucket. */
const monotonicMs = (): number => performance.now();

/** A token bucket: `burst` tokens at most, refilled at `ratePerS`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerS);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is free. */
  waitMs(): number {
    return Math.ceil(Math.max(0, 1 - this.tokens) * (1000 / this.ratePerS));
  }
}

export interface SubscribeLimits {
  maxOperations: number;
  ratePerS: number;
  burst: number;
}

export type Admission =
  | { ok: true }
  | {
      ok: false;
      limit: 'ws_max_subscriptions' | 'ws_subscribe_rate' | 'ws_renewal_rate';
      errors: GraphQLError[];
    }
  | { ok: false; limit: 'ws_subscribe_flood'; errors: GraphQLError[]; close: typeof SUBSCRIBE_FLOOD };

/** One socket's subscribe guard. */
export class SubscribeGuard {
  private readonly rate: TokenBucket;
  /** Refusals a client may ignore before it is closed. */
  private readonly patience: TokenBucket;
  /** `renewSession`, which no other bound applies to. */
  private readonly renewals = new TokenBucket(RENEWAL_RATE_PER_S, RENEWAL_BURST);

  constructor(private readonly limits: SubscribeLimits) {
    this.rate = new TokenBucket(limits.ratePerS, limits.burst);
    this.patience = new TokenBucket(limits.ratePerS, limits.burst);
  }

  /**
   * Called for each subscribe message; `inFlight` counts the operations open, this one included.
   * A renewal (limits-renewal.ts) passes the cap and the subscribe rate, so that a socket at either
   * can renew its token before it expires; it has a small rate of its own.
   */
  admit(inFlight: number, renewal = false): Admission {
    if (renewal) {
      if (this.renewals.take()) return { ok: true };
      return {
        ok: false,
        limit: 'ws_renewal_rate',
        errors: [
          clientError(
            'RATE_LIMITED',
            `Too many renewals on this connection: at most ${RENEWAL_BURST} at once and ${RENEWAL_RATE_PER_S} a second.`,
            { reason: 'RENEWAL_RATE', retryAfterMs: this.renewals.waitMs() },
          ),
        ],
      };
    }
    if (!this.rate.take()) {
      if (!this.patience.take()) {
        const error = clientError('RATE_LIMITED', `${SUBSCRIBE_FLOOD.reason}: closing the connection.`, {
          reason: 'SUBSCRIBE_FLOOD',
        });
        return { ok: false, limit: 'ws_subscribe_flood', errors: [error], close: SUBSCRIBE_FLOOD };
      }
      const retryAfterMs = this.rate.waitMs();
      return {
        ok: false,
        limit: 'ws_subscribe_rate',
        errors: [
          clientError(
            'RATE_LIMITED',
            `Too many subscribe messages on this connection: at most ${this.limits.ratePerS} a second, ` +
              `${this.limits.burst} at once (WS_SUBSCRIBE_RATE_PER_S, WS_SUBSCRIBE_BURST).`,
            { reason: 'SUBSCRIBE_RATE', retryAfterMs },
          ),
        ],
      };
    }
    if (inFlight > this.limits.maxOperations) {
      return {
        ok: false,
        limit: 'ws_max_subscriptions',
        errors: [
          clientError(
            'RATE_LIMITED',
            `This connection already has ${this.limits.maxOperations} operations open (WS_MAX_SUBSCRIPTIONS): ` +
              'complete one, or open another connection.',
            { reason: 'TOO_MANY_SUBSCRIPTIONS', limit: this.limits.maxOperations },
          ),
        ],
      };
    }
    return { ok: true };
  }
}

/** The close code for a socket over its identity's WS_MAX_CONNECTIONS_PER_SUB. */
export const TOO_MANY_CONNECTIONS = {
  code: 4429,
  reason: 'Too many connections for this identity (WS_MAX_CONNECTIONS_PER_SUB)',
} as const;

/**
 * How many connections each token subject holds open on this instance (sockets, or SSE streams):
 * at most `max`. Over it the new one is refused and the old ones live on.
 */
export class ConnectionsPerSubject {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** A release function (idempotent), or null when `sub` already holds `max`. */
  acquire(sub: string): (() => void) | null {
    const held = this.open.get(sub) ?? 0;
    if (held >= this.max) return null;
    this.open.set(sub, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(sub) ?? 1) - 1;
      if (left > 0) this.open.set(sub, left);
      else this.open.delete(sub);
    };
  }

  held(sub: string): number {
    return this.open.get(sub) ?? 0;
  }
}
