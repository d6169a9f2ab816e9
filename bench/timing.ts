/**
 * Theory of operation: the few measuring tools every suite shares.
 *
 * Time is read with `process.hrtime.bigint()` (monotonic, nanoseconds) around
 * the measured code only. Heap figures need `global.gc`, which the `bench`
 * script provides with `--expose-gc`; without it they cannot be measured and
 * the suite says so instead of guessing.
 */

/** Monotonic nanoseconds. */
export function clock(): bigint {
  return process.hrtime.bigint();
}

export function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const gcFn = (globalThis as { gc?: () => void }).gc;

/** True when the process runs with `--expose-gc` (the `bench` npm script does). */
export const canCollect = typeof gcFn === 'function';

/** A full collection (twice: the first may only queue finalisers), then the heap in use. */
export function collectedHeapUsed(): number {
  if (gcFn === undefined) throw new Error('heap figures need node --expose-gc (use `npm run bench`)');
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

/** A full collection when available, so a timed run does not pay for the garbage of the one before. */
export function collect(): void {
  if (gcFn !== undefined) gcFn();
}

/** Rounds to `digits` significant digits: figures, not noise. */
export function sig(x: number, digits = 3): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const p = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}
