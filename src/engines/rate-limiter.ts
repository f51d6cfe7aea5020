/**
 * rate-limiter-flexible behind the engine's RateLimiter port: RateLimiterMemory for the memory
 * engine, RateLimiterRedis (atomic, shared by every instance) for the Redis engine.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter } from '../domain/ports.js';

export function flexibleLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    take: (key) =>
      limiter.consume(key).then(
        () => ({ allowed: true }),
        (rejection: unknown) => {
          // Anything but a refusal is the store failing (the insurance limiter already ran): let the
          // request through, which then meets the engine's own error handling.
          if (!(rejection instanceof RateLimiterRes)) return { allowed: true };
          return { allowed: false, retryAfterMs: rejection.msBeforeNext };
        },
      ),
  };
}
