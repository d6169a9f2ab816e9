/**
 * Theory of operation: exponential backoff with full jitter, the cap applied
 * before the jitter (centrifuge-js; the order Streamlit's PR #15902 explains):
 *
 *     bound(n) = min(cap, base · 2^n)
 *     delay(n) = a uniform integer in [0, bound(n)]
 *
 * Capping first keeps every delay random: jittering first and capping after
 * (Socket.IO's backo2 order) pins every late retry of a fleet to exactly the
 * cap, and a hub that restarts is hit by all of them in the same instant.
 *
 * `n` is the engine's attempt counter: 0 for the first retry, one more for
 * each retry after, reset to 0 only after `minUptimeMs` online.
 */

/** The largest delay retry `attempt` may wait: `min(cap, base · 2^attempt)`. */
export function backoffBound(attempt: number, baseMs: number, capMs: number): number {
  // 2^1024 is Infinity; anything past the cap is the cap.
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 1023));
}

/**
 * The delay before retry `attempt`: `u` (a draw in [0, 1) from the injected
 * random source) scaled onto the integers [0, bound]. A `u` outside [0, 1) is
 * clamped into it.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, u: number): number {
  const bound = backoffBound(attempt, baseMs, capMs);
  const unit = Number.isFinite(u) ? Math.min(Math.max(u, 0), 1) : 0;
  return Math.min(bound, Math.floor(unit * (bound + 1)));
}
