/**
 * rate-limiter-flexible behind the engine's RateLimiter port: RateLimiterMemory for the memory
 * engine, RateLimiterRedis (atomic, shared by every instance) for the Redis engine.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter } from '../domain/ports.js';

export function flexibleLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    take: (key, points = 1) =>
      limiter.consume(key, points).then(
        (res): RateDecision => ({
          allowed: true,
          remaining: res.remainingPoints,
          resetAfterMs: res.msBeforeNext,
        }),
        (rejection: unknown): RateDecision => {
          // Anything but a refusal is the store failing (the insurance limiter already ran): let the
          // request through, which then meets the engine's own error handling.
          if (!(rejection instanceof RateLimiterRes)) return { allowed: true };
          return {
            allowed: false,
            retryAfterMs: rejection.msBeforeNext,
            remaining: rejection.remainingPoints,
            resetAfterMs: rejection.msBeforeNext,
          };
        },
      ),
  };
}
