/**
 * Full jitter after the cap: every delay lies in [0, min(cap, base·2^n)],
 * whatever the draw; the bound grows by doubling until the cap and never
 * passes it; the draw is used whole (0 gives 0, a draw just under 1 gives the
 * bound). No failing seed so far.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { backoffBound, backoffDelay } from '../src/index.js';

const arbBase = fc.integer({ min: 1, max: 60_000 });
const arbAttempt = fc.integer({ min: 0, max: 2_000 });
const arbUnit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff', () => {
  test.prop([arbAttempt, arbBase, fc.integer({ min: 0, max: 600_000 }), arbUnit])('delay ∈ [0, min(cap, base·2^n)], an integer', (n, base, extra, u) => {
    const cap = base + extra;
    const d = backoffDelay(n, base, cap, u);
    expect(Number.isInteger(d)).toBe(true);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(Math.min(cap, base * 2 ** Math.min(n, 1023)));
    expect(d).toBeLessThanOrEqual(backoffBound(n, base, cap));
  });

  test.prop([arbAttempt, arbBase, fc.integer({ min: 0, max: 600_000 })])('the bound doubles until the cap, then stays there', (n, base, extra) => {
    const cap = base + extra;
    const b = backoffBound(n, base, cap);
    const next = backoffBound(n + 1, base, cap);
    expect(next).toBe(Math.min(cap, 2 * b));
    expect(backoffBound(0, base, cap)).toBe(base);
  });

  test.prop([arbAttempt, arbBase, fc.integer({ min: 0, max: 600_000 })])('the jitter spans the whole range (applied after the cap)', (n, base, extra) => {
    const cap = base + extra;
    expect(backoffDelay(n, base, cap, 0)).toBe(0);
    expect(backoffDelay(n, base, cap, 1 - Number.EPSILON)).toBe(backoffBound(n, base, cap));
  });

  test.prop([fc.oneof(fc.constant(Number.NaN), fc.constant(-1), fc.constant(2), fc.constant(Number.POSITIVE_INFINITY))])('a draw outside [0, 1) is clamped', (u) => {
    const d = backoffDelay(3, 100, 10_000, u);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(800);
  });
});
