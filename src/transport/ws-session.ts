/**
 * A WebSocket connection's identity: proven by the token in `connection_init`, replaced by
 * `renewSession`, and ended with close 4403 when the token expires (its `exp` plus the tolerance).
 */
import { AuthError, type TokenVerifier } from '../auth/token-verifier.js';
import { expiresInMs } from '../auth/expiry.js';
import type { Identity } from '../domain/access/identity.js';
import type { ReadAccess } from '../domain/access/read-access.js';
import { readAccessFor } from '../domain/access/room-rights.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import type { Session } from '../schema/context.js';

/** graphql-ws's Forbidden close code: a missing, invalid or expired token. */
export const TOKEN_CLOSE_CODE = 4403;

/** How tokens are checked: one for every socket of a server. */
export interface WsSessionOptions {
  verifier: TokenVerifier | null;
  clockToleranceS: number;
}

/** What a session acts on: its socket's connection. */
export interface SessionClient {
  /** Applies new read rights to the connection's open subscriptions. */
  reauthorize(access: ReadAccess): void;
  /** Closes the socket. */
  close(code: number, reason: string): void;
}

export class WsSession implements Session {
  private current: Identity | null;
  private rights: ReadAccess;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly options: WsSessionOptions,
    private readonly client: SessionClient,
    identity: Identity | null,
  ) {
    this.current = identity;
    this.rights = readAccessFor(identity);
    this.schedule();
  }

  /** The session a `connection_init` token proves; rejects with AuthError when it proves none. */
  static async open(
    options: WsSessionOptions,
    client: SessionClient,
    token: string | null,
  ): Promise<WsSession> {
    if (!options.verifier) return new WsSession(options, client, null);
    if (!token)
      throw new AuthError(
        'Authentication required: send `authorization: "Bearer <token>"` in connection_init.',
      );
    return new WsSession(options, client, await options.verifier.verify(token));
  }

  get identity(): Identity | null {
    return this.current;
  }

  get access(): ReadAccess {
    return this.rights;
  }

  async renew(token: string): Promise<Identity> {
    if (!this.options.verifier || !this.current) {
      throw unauthenticated('Authentication is off on this server: there is no token to renew.', {
        reason: 'AUTH_OFF',
      });
    }
    let next: Identity;
    try {
      next = await this.options.verifier.verify(token);
    } catch (error) {
      if (error instanceof AuthError) throw unauthenticated(error.message, { reason: 'INVALID_TOKEN' });
      throw error;
    }
    if (next.sub !== this.current.sub) {
      throw forbidden(`The new token is for "${next.sub}", this connection for "${this.current.sub}".`, {
        reason: 'SUBJECT_MISMATCH',
      });
    }
    this.current = next;
    this.rights = readAccessFor(next);
    this.schedule();
    this.client.reauthorize(this.rights);
    return next;
  }

  /** Stops the expiry timer (the socket closed). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.dispose();
    const exp = this.current?.exp;
    if (exp == null) return;
    const wait = expiresInMs(exp, this.options.clockToleranceS);
    // setTimeout holds at most ~24.8 days; a longer token is checked again then.
    this.timer = setTimeout(
      () => {
        if (expiresInMs(exp, this.options.clockToleranceS) > 0) return this.schedule();
        this.client.close(TOKEN_CLOSE_CODE, 'Forbidden: the token has expired');
      },
      Math.min(wait, 2 ** 31 - 1),
    );
    this.timer.unref();
  }
}
