/** The new-connection rate cap, in virtual time. */
import { describe, expect, test } from 'vitest';
import { TokenBucket } from '../src/token-bucket.js';

describe('TokenBucket', () => {
  test('gives `burst` tokens at once, then one per 1/rate seconds, never more than `burst`', () => {
    const b = new TokenBucket(4, 2, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, false]);
    expect(b.take(249)).toBe(false);
    expect(b.take(250)).toBe(true);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(10_000)).toBe(false);
  });

  test('a clock that goes back adds nothing; Infinity never refuses', () => {
    const b = new TokenBucket(1, 1, 1_000);
    expect(b.take(1_000)).toBe(true);
    expect(b.take(0)).toBe(false);
    const open = new TokenBucket(Infinity, 1, 0);
    for (let i = 0; i < 1000; i++) expect(open.take(0)).toBe(true);
  });

  test('refuses a rate or burst that is not positive', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1, 0)).toThrow(RangeError);
  });
});
