import { DomainError, unavailable, VersionConflict } from '../../domain/errors.js';

/**
 * Runs a Redis call, turning a connection failure or timeout into UNAVAILABLE so that requests fail
 * fast with a code clients can retry on. Note that a command in flight when the connection dropped
 * may or may not have been applied.
 */
export async function orUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError || error instanceof VersionConflict) throw error;
    throw Object.assign(unavailable('Redis is unavailable; retry shortly.'), { cause: error });
  }
}
