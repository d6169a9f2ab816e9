/**
 * Theory of operation: turning option text into values, with one clear
 * message per mistake. Ranges the library itself validates (a fault
 * probability in [0, 1], a crash count) are left to it: the command maps its
 * `RangeError` to a `UsageError`, so the rule lives in one place.
 */
import { POLICIES, type Policy } from '@dialoghub/core';
import { UsageError } from './errors.js';

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new UsageError(`${name} needs a value`);
  return value.trim();
}

/** A decimal integer within [min, max]. */
export function integer(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const t = text(value, name);
  const n = /^[+-]?\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${name} must be an integer, got '${t}'`);
  if (n < min || n > max) throw new UsageError(`${name} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, got ${n}`);
  return n;
}

/** A finite decimal number greater than 0. */
export function positive(value: unknown, name: string): number {
  const t = text(value, name);
  const n = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got '${t}'`);
  if (!(n > 0)) throw new UsageError(`${name} must be greater than 0, got ${n}`);
  return n;
}

/** One of the core's re-login policies. */
export function policy(value: unknown, name = '--policy'): Policy {
  const t = text(value, name);
  if (!(POLICIES as readonly string[]).includes(t)) throw new UsageError(`unknown ${name} '${t}' (expected ${POLICIES.join(', ')})`);
  return t as Policy;
}

/**
 * `key=value,key=value` with numeric values and keys from `known`:
 * `loss=0.05,dup=0.01,reorder=0.05,crash=3`.
 */
export function keyValues<K extends string>(value: unknown, name: string, known: readonly K[]): Partial<Record<K, number>> {
  const t = text(value, name);
  const out: Partial<Record<K, number>> = {};
  if (t === '') throw new UsageError(`${name} is empty (expected key=value pairs such as ${known[0]}=0.05)`);
  for (const part of t.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*([^=,\s]+)\s*$/.exec(part);
    if (m === null) throw new UsageError(`malformed ${name} '${t}': '${part}' is not key=value`);
    const key = m[1]!;
    if (!(known as readonly string[]).includes(key)) throw new UsageError(`unknown ${name} key '${key}' (expected ${known.join(', ')})`);
    if (key in out) throw new UsageError(`${name} key '${key}' is given twice`);
    const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(m[2]!) ? Number(m[2]) : Number.NaN;
    if (!Number.isFinite(n)) throw new UsageError(`${name} ${key} must be a number, got '${m[2]}'`);
    out[key as K] = n;
  }
  return out;
}
