/**
 * Presence by connection: a graphql-ws connection whose `connection_init` payload names an agent
 * (`{ agentId, leaseTtlMs? }`) holds that agent's lease while the socket is open and answers pings. Each tick the
 * socket is pinged, and the lease renewed only if the previous ping was answered, so a socket whose
 * peer is gone (no FIN, no pong) stops renewing at once, before any keep-alive closes it. When the
 * socket closes, the lease ends AGENT_LEASE_GRACE_MS later unless another connection (on any
 * instance) holds it: a reconnect or a rolling restart within the grace keeps it.
 *
 * Kept apart from ws-server.ts, which only calls `open` from onConnect and `close` on shutdown.
 */
import type { WebSocket } from 'ws';
import type { Identity } from '../domain/access/identity.js';
import { mayKeepLease } from '../domain/access/agent-identity.js';
import type { LivenessApi } from '../domain/api.js';
import { DomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** Close codes of a connection whose `agentId` cannot hold a lease. */
export enum PresenceCloseCode {
  /** `agentId` is not a usable id. */
  BadAgentId = 4400,
  /** The caller may not keep this agent's lease (neither operator nor the agent's own token). */
  NotThisAgent = 4403,
  /** No agent has this id. */
  UnknownAgent = 4404,
  /** The agent is OFFLINE or its lease ran out (START it, then connect again). */
  LeaseRefused = 4409,
  /** The engine is unavailable (Redis down): connect again shortly. */
  TryAgainLater = 1013,
}

export interface AgentPresenceOptions {
  liveness: LivenessApi;
  instanceId: string;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** The shortest renewal interval (ms), so that a tiny TTL cannot make a connection spin. */
  minRenewMs?: number;
}

export interface PresenceRefusal {
  code: PresenceCloseCode;
  reason: string;
}

const CODE_OF: Partial<Record<DomainError['code'], PresenceCloseCode>> = {
  BAD_USER_INPUT: PresenceCloseCode.BadAgentId,
  NOT_FOUND: PresenceCloseCode.UnknownAgent,
  CONFLICT: PresenceCloseCode.LeaseRefused,
  FORBIDDEN: PresenceCloseCode.NotThisAgent,
  UNAVAILABLE: PresenceCloseCode.TryAgainLater,
};

function refusalOf(error: DomainError): PresenceRefusal | null {
  const code = CODE_OF[error.code];
  // A close reason is at most 123 bytes.
  return code ? { code, reason: error.message.slice(0, 120) } : null;
}

export class AgentPresence {
  /** Detaches still in flight, so that shutdown can wait for them before the engine closes. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: AgentPresenceOptions) {}

  /**
   * Called once the connection is accepted: when `params.agentId` names an agent, attaches the
   * connection to its lease and keeps it renewed. Resolves to a refusal (close the socket with it)
   * when the connection cannot hold that lease; to null otherwise (also when it names no agent).
   */
  async open(
    socket: WebSocket,
    params: Readonly<Record<string, unknown>> | undefined,
    identity: Identity | null,
    connectionId: string,
  ): Promise<PresenceRefusal | null> {
    const agentId = params?.['agentId'];
    if (agentId === undefined || agentId === null) return null;
    if (typeof agentId !== 'string' || !agentId) {
      return { code: PresenceCloseCode.BadAgentId, reason: 'agentId must be an agent id (a string).' };
    }
    if (!mayKeepLease(identity, agentId)) {
      return {
        code: PresenceCloseCode.NotThisAgent,
        reason: `Forbidden: only an operator or "agent:${agentId}" may hold its lease.`.slice(0, 120),
      };
    }
    const holder = { instanceId: this.options.instanceId, connectionId };
    // The TTL it may ask for (`leaseTtlMs`, within AGENT_LEASE_MIN_MS..MAX_MS); a bad one is 4400.
    const asked = params?.['leaseTtlMs'];
    let ttlMs: number;
    try {
      ttlMs = (await this.options.liveness.attach(agentId, holder, asked as number | null | undefined)).ttlMs;
    } catch (error) {
      const refusal = error instanceof DomainError ? refusalOf(error) : null;
      if (refusal) return refusal;
      throw error;
    }
    if (socket.readyState !== socket.OPEN) {
      // It closed while the lease was being attached: let it go as any closed connection does.
      this.detach(agentId, holder);
      return null;
    }
    this.keep(socket, agentId, holder, ttlMs);
    return null;
  }

  /** Renews every third of the TTL while pings are answered; detaches when the socket closes. */
  private keep(
    socket: WebSocket,
    agentId: string,
    holder: { instanceId: string; connectionId: string },
    ttlMs: number,
  ) {
    const every = Math.max(this.options.minRenewMs ?? 10, Math.floor(ttlMs / 3));
    let answered = true;
    let closed = false;
    let timer: NodeJS.Timeout | null = null;
    const onPong = () => (answered = true);
    socket.on('pong', onPong);
    /** Since when pings have gone unanswered (null: the last one was answered). */
    let deafSince: number | null = null;
    const tick = async () => {
      if (closed) return;
      if (answered) {
        deafSince = null;
        try {
          await this.options.liveness.attach(agentId, holder);
        } catch (error) {
          const refusal = error instanceof DomainError ? refusalOf(error) : null;
          if (
            refusal?.code === PresenceCloseCode.LeaseRefused ||
            refusal?.code === PresenceCloseCode.UnknownAgent
          ) {
            // The lease is gone (it ran out, or the agent was stopped or deleted): say so and end.
            socket.close(refusal.code, refusal.reason);
            return;
          }
          this.options.logger.warn(
            { err: error, agentId },
            'could not renew a lease; retrying on the next tick',
          );
        }
      } else {
        deafSince ??= Date.now();
        // Unanswered for a whole TTL: the lease has run out by now. Say so, rather than wait for
        // the keep-alive to cut a connection that only holds a dead lease.
        if (Date.now() - deafSince >= ttlMs) {
          socket.close(
            PresenceCloseCode.LeaseRefused,
            'Pings went unanswered for the lease TTL: the lease ran out.',
          );
          return;
        }
      }
      if (closed) return;
      answered = false;
      try {
        socket.ping();
      } catch {
        // Closing: the close listener detaches.
      }
      timer = setTimeout(() => void tick(), every);
    };
    timer = setTimeout(() => void tick(), every);
    socket.once('close', () => {
      closed = true;
      if (timer) clearTimeout(timer);
      socket.off('pong', onPong);
      this.detach(agentId, holder);
    });
  }

  private detach(agentId: string, holder: { instanceId: string; connectionId: string }): void {
    const done = this.options.liveness
      .detach(agentId, holder)
      .catch((error: unknown) =>
        this.options.logger.info(
          { err: error, agentId },
          'could not detach a closed connection from its lease',
        ),
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Waits for the detaches in flight (the sockets were closed first), within `timeoutMs`. */
  async close(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}
