/**
 * Theory of operation: structural equality of recorded and recomputed
 * commands, and a compact diff of the two when they differ.
 *
 * Commands are plain data: objects, arrays, strings, numbers, booleans, null
 * and `Uint8Array` payloads. Equality is by value: byte arrays by their bytes,
 * NaN equals NaN (the record codec has one NaN), and a member that is absent
 * equals one that is `undefined` (a decoded record has no member where the
 * core wrote `undefined`). Key order never matters.
 *
 * `valuesEqual` is on the replay's hot path (every command of every record):
 * it allocates nothing. `differences` runs only once a divergence is found.
 */
import { showValue } from './summary.js';

/** Deep equality of two command values (see the module comment for the rules). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is the only value not equal to itself.
    return typeof a === 'number' && typeof b === 'number' && a !== a && b !== b;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ra) {
    const v = ra[k];
    if (v === undefined) continue;
    defined++;
    if (!valuesEqual(v, rb[k])) return false;
  }
  for (const k in rb) if (rb[k] !== undefined) defined--;
  return defined === 0;
}

/** Two command lists are equal when they have the same length and equal commands in order. */
export function commandListsEqual(expected: readonly unknown[], actual: readonly unknown[]): boolean {
  if (expected.length !== actual.length) return false;
  for (let i = 0; i < expected.length; i++) if (!valuesEqual(expected[i], actual[i])) return false;
  return true;
}

/** Index of the first command that differs (the shorter list's length when one is a prefix of the other), or -1. */
export function firstDifferentIndex(expected: readonly unknown[], actual: readonly unknown[]): number {
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) if (!valuesEqual(expected[i], actual[i])) return i;
  return expected.length === actual.length ? -1 : n;
}

/**
 * The leaf-level differences between two values, one line each:
 * `commands[2].answer.reason: expected "seniority", actual "profileInUse"`.
 * Stops after `limit` lines.
 */
export function differences(expected: unknown, actual: unknown, path: string, limit = 12): string[] {
  const out: string[] = [];
  walk(expected, actual, path, out, limit);
  return out;
}

function walk(e: unknown, a: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit || valuesEqual(e, a)) return;
  const bothObjects = typeof e === 'object' && e !== null && typeof a === 'object' && a !== null;
  if (!bothObjects || e instanceof Uint8Array || a instanceof Uint8Array || Array.isArray(e) !== Array.isArray(a)) {
    out.push(`${path}: expected ${showValue(e)}, actual ${showValue(a)}`);
    return;
  }
  if (Array.isArray(e) && Array.isArray(a)) {
    const n = Math.min(e.length, a.length);
    for (let i = 0; i < n; i++) walk(e[i], a[i], `${path}[${i}]`, out, limit);
    if (e.length !== a.length && out.length < limit) {
      const extra = e.length > a.length ? e.slice(n) : a.slice(n);
      out.push(`${path}: expected ${e.length} items, actual ${a.length} (${e.length > a.length ? 'missing' : 'extra'}: ${showValue(extra)})`);
    }
    return;
  }
  const re = e as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  // The `type` member says what a command or event is; when it differs, one line says it all.
  if (typeof re['type'] === 'string' && re['type'] !== ra['type']) {
    out.push(`${path}: expected ${showValue(e)}, actual ${showValue(a)}`);
    return;
  }
  const keys = [...new Set([...Object.keys(re), ...Object.keys(ra)])].sort();
  for (const k of keys) walk(re[k], ra[k], path === '' ? k : `${path}.${k}`, out, limit);
}
