import { ReplyError } from 'ioredis';
import { DomainError, unavailable, VersionConflict } from '../../domain/errors.js';

/**
 * Replies by which Redis says "not now" rather than "wrong": loading its data, a script running too
 * long, out of memory, unable to persist, a replica or cluster not serving. Any other error reply is
 * a bug of ours (a bad script or command) and must stay visible, not pass for an outage.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|MISCONF|READONLY|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN)\b/;

/** A MULTI that Redis discarded is as transient as the errors that made it discard it. */
function isTransientReply(error: Error & { previousErrors?: Error[] }): boolean {
  if (error.message.startsWith('EXECABORT') && error.previousErrors?.length)
    return error.previousErrors.every((e) => TRANSIENT_REPLY.test(e.message));
  return TRANSIENT_REPLY.test(error.message);
}

/**
 * Runs a Redis call, turning a failure to reach Redis (down, connection dropped, command timed out,
 * Redis not serving) into UNAVAILABLE, so that requests fail fast with a code clients can retry on.
 * A command in flight when the connection dropped may or may not have been applied: the caller
 * cannot tell, which is why the message says to retry, and why creates should be re-read first.
 */
export async function orUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError || error instanceof VersionConflict) throw error;
    if (error instanceof ReplyError && !isTransientReply(error as Error)) throw error;
    throw Object.assign(unavailable('Redis is unavailable; retry shortly.'), { cause: error });
  }
}

/**
 * The results of a MULTI/EXEC (or pipeline), throwing the first command's error: ioredis resolves
 * with per-command `[error, result]` pairs, and null when EXEC was aborted.
 */
export async function execAll(
  exec: () => Promise<[error: Error | null, result: unknown][] | null>,
): Promise<unknown[]> {
  const results = await exec();
  if (!results) throw new Error('Redis aborted the transaction');
  return results.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
