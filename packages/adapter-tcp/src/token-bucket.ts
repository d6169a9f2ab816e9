/**
 * Theory of operation: the new-connection rate cap. A token bucket holding at
 * most `burst` tokens, refilled continuously at `ratePerSecond`; each accepted
 * connection takes one. Time is an argument (the transport passes its
 * injected clock's `now`), so the cap is exact under a manual clock.
 *
 * Pure: no clock of its own, no timers.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  /**
   * @param ratePerSecond tokens added per second; `Infinity` never refuses.
   * @param burst the bucket's size (tokens available at once); default `ratePerSecond`.
   * @throws RangeError for a rate or burst that is not positive.
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${String(ratePerSecond)}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, got ${String(burst)}`);
    this.tokens = burst;
    this.at = now;
  }

  /** Takes a token at time `now` (ms); false when none is left. A clock that goes back adds nothing. */
  take(now: number): boolean {
    if (this.ratePerSecond === Infinity) return true;
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.ratePerSecond) / 1000);
      this.at = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
