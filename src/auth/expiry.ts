/** Milliseconds until a token expiring at `exp` (epoch seconds) stops being accepted, tolerance included. */
export function expiresInMs(exp: number, clockToleranceS: number, now = Date.now()): number {
  return Math.max(0, (exp + clockToleranceS) * 1000 - now);
}
