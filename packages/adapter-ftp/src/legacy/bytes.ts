/**
 * Theory of operation: the primitive layer of the legacy codec: .NET
 * `BinaryWriter`/`BinaryReader` layouts (little-endian integers, one-byte
 * booleans, 7-bit length-prefixed UTF-8 strings, `DateTime` as int64 ticks)
 * and nothing about files.
 *
 * {@link LegacyWriter} validates every value and throws a `TypeError` or
 * `RangeError` naming the field. {@link LegacyReader} throws only
 * {@link LegacyDecodeFailure}, which {@link decodeAll} turns into a result,
 * so a structure reader can read straight through without a branch after
 * every field. Any other exception escaping a reader is a bug in this module.
 *
 * Strict where .NET's reader is lenient, because .NET's writer never produces
 * the lenient forms, and strictness makes the encoding canonical
 * (decode-then-encode gives back the input bytes):
 * - a 7-bit length must use the fewest bytes (.NET accepts overlong forms);
 * - a boolean must be 0 or 1 (.NET reads any non-zero byte as true);
 * - string bytes must be UTF-8 (.NET substitutes U+FFFD);
 * - no bytes may follow the last field (.NET ignores them).
 */
import { err, ok } from '@dialoghub/core';
import { decodeError, type LegacyDecodeError, type LegacyDecodeErrorCode, type LegacyLimits, type LegacyResult } from './errors.js';
import { DOTNET_MAX_TICKS, isDotNetTicks, type DotNetTicks } from './ticks.js';

const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Carries the first problem a {@link LegacyReader} met out of a structure reader. Caught by {@link decodeAll} only. */
export class LegacyDecodeFailure extends Error {
  override readonly name = 'LegacyDecodeFailure';
  constructor(readonly error: LegacyDecodeError) {
    super(error.message);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/** Bounds-checked little-endian reader over one byte array; fails by throwing {@link LegacyDecodeFailure}. */
export class LegacyReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly limits: LegacyLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Index of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws a {@link LegacyDecodeFailure}. */
  fail(code: LegacyDecodeErrorCode, message: string, offset: number, field?: string): never {
    throw new LegacyDecodeFailure(decodeError(code, message, offset, field));
  }

  private need(n: number, field: string): number {
    if (this.remaining < n) this.fail('truncated', `${field}: needs ${n} bytes, ${this.remaining} left`, this.pos, field);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The exact bytes `expected`, or `badSignature`. */
  signature(expected: Uint8Array, field: string = 'signature'): void {
    const at = this.pos;
    const n = Math.min(expected.length, this.remaining);
    for (let i = 0; i < n; i++) {
      if (this.bytes[at + i] !== expected[i]) this.fail('badSignature', `${field}: expected "${new TextDecoder().decode(expected)}"`, at + i, field);
    }
    this.need(expected.length, field);
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }

  bool(field: string): boolean {
    const at = this.need(1, field);
    const b = this.view.getUint8(at);
    if (b > 1) this.fail('corrupt', `${field}: a boolean must be 0 or 1, got ${b}`, at, field);
    return b === 1;
  }

  u32(field: string): number {
    return this.view.getUint32(this.need(4, field), true);
  }

  i32(field: string): number {
    return this.view.getInt32(this.need(4, field), true);
  }

  i64(field: string): bigint {
    return this.view.getBigInt64(this.need(8, field), true);
  }

  /** A non-zero uint32 id. */
  id(field: string): number {
    const at = this.pos;
    const v = this.u32(field);
    if (v === 0) this.fail('corrupt', `${field}: must not be 0`, at, field);
    return v;
  }

  /** A `DateTime` as int64 ticks, in the range `new DateTime(ticks)` accepts. */
  ticks(field: string): DotNetTicks {
    const at = this.pos;
    const v = this.i64(field);
    if (!isDotNetTicks(v)) this.fail('corrupt', `${field}: ticks ${v} outside the .NET DateTime range [0, ${DOTNET_MAX_TICKS}]`, at, field);
    return v;
  }

  /** An int32 count in [0, limit]: negative is `corrupt`, above the limit `oversize`. */
  count(field: string, limit: number): number {
    const at = this.pos;
    const v = this.i32(field);
    if (v < 0) this.fail('corrupt', `${field}: negative count ${v}`, at, field);
    if (v > limit) this.fail('oversize', `${field}: ${v} exceeds the limit ${limit}`, at, field);
    return v;
  }

  /** `count` raw bytes, copied (the result never aliases the input). */
  raw(count: number, field: string): Uint8Array {
    const at = this.need(count, field);
    return this.bytes.slice(at, at + count);
  }

  /** .NET `Read7BitEncodedInt`: 1 to 5 bytes, low groups first, shortest form only, value in [0, 2^31). */
  private varLength(field: string): number {
    const at = this.pos;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8(field);
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (i > 0 && b === 0) this.fail('corrupt', `${field}: overlong 7-bit length`, at, field);
        if (value > I32_MAX) this.fail('corrupt', `${field}: 7-bit length ${value} exceeds int32`, at, field);
        return value;
      }
    }
    return this.fail('corrupt', `${field}: 7-bit length longer than 5 bytes`, at, field);
  }

  /** .NET `ReadString`: a 7-bit byte length, then that many bytes of UTF-8. */
  string(field: string): string {
    const at = this.pos;
    const n = this.varLength(field);
    if (n > this.limits.maxStringBytes) this.fail('oversize', `${field}: ${n} bytes exceeds maxStringBytes ${this.limits.maxStringBytes}`, at, field);
    const start = this.need(n, field);
    try {
      return UTF8.decode(this.bytes.subarray(start, start + n));
    } catch {
      return this.fail('badUtf8', `${field}: not UTF-8`, start, field);
    }
  }

  /** Refuses any byte left after the last field. */
  end(): void {
    if (this.remaining > 0) this.fail('trailingBytes', `${this.remaining} bytes after the last field`, this.pos);
  }
}

/**
 * Runs `read` over all of `bytes` and returns its value, or the first
 * problem. `bytes` longer than `limits.maxFileBytes` is refused before
 * anything is read; bytes left over are `trailingBytes`. Never throws on any
 * input.
 */
export function decodeAll<T>(bytes: Uint8Array, limits: LegacyLimits, read: (r: LegacyReader) => T): LegacyResult<T> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (bytes.length > limits.maxFileBytes) {
    return err(decodeError('oversize', `${bytes.length} bytes exceeds maxFileBytes ${limits.maxFileBytes}`, 0));
  }
  const r = new LegacyReader(bytes, limits);
  try {
    const value = read(r);
    r.end();
    return ok(value);
  } catch (e) {
    if (e instanceof LegacyDecodeFailure) return err(e.error);
    throw e;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  return typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : String(v);
}

/** A `TypeError` for a value of the wrong kind. */
export function typeError(field: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${field} must be ${expected}, got ${describe(got)}`);
}

/** A `RangeError` for a value of the right kind out of range. */
export function rangeError(field: string, expected: string, got: unknown): RangeError {
  return new RangeError(`${field} must be ${expected}, got ${describe(got)}`);
}

/** Throws a `TypeError` unless `v` is a non-null, non-array object; returns it as a record. */
export function expectObject(v: unknown, field: string): Readonly<Record<string, unknown>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw typeError(field, 'an object', v);
  return v as Readonly<Record<string, unknown>>;
}

/** Throws a `TypeError` unless `v` is an array; returns it. */
export function expectArray(v: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(v)) throw typeError(field, 'an array', v);
  return v;
}

/** True when `s` has no lone UTF-16 surrogate (ES2024's `isWellFormed`, which lib ES2022 lacks). */
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/**
 * A growable little-endian byte buffer with .NET `BinaryWriter` layouts. Every
 * method validates its value first and throws a `TypeError` or `RangeError`
 * naming `field`; nothing is written for a refused value.
 */
export class LegacyWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(readonly limits: LegacyLimits) {}

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /**
   * Makes room for `n` bytes and returns their offset. Callers take the
   * offset before touching `view`: in `this.view.setX(this.reserve(n), v)` the
   * old view is read before `reserve` replaces it (a property test found it).
   */
  private reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.pos + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Raw bytes, as is (a signature, a payload). */
  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }

  u8(v: unknown, field: string): void {
    if (typeof v !== 'number') throw typeError(field, 'a number', v);
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw rangeError(field, 'an integer in [0, 255]', v);
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }

  bool(v: unknown, field: string): void {
    if (typeof v !== 'boolean') throw typeError(field, 'a boolean', v);
    const at = this.reserve(1);
    this.view.setUint8(at, v ? 1 : 0);
  }

  u32(v: unknown, field: string): void {
    if (typeof v !== 'number') throw typeError(field, 'a number', v);
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw rangeError(field, 'an integer in [0, 2^32)', v);
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }

  /** A non-zero uint32 id. */
  id(v: unknown, field: string): void {
    if (typeof v !== 'number') throw typeError(field, 'a number', v);
    if (!Number.isInteger(v) || v < 1 || v > U32_MAX) throw rangeError(field, 'an integer in [1, 2^32) (ids are never 0)', v);
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }

  i32(v: unknown, field: string): void {
    if (typeof v !== 'number') throw typeError(field, 'a number', v);
    if (!Number.isInteger(v) || v < -I32_MAX - 1 || v > I32_MAX) throw rangeError(field, 'an integer in [-2^31, 2^31)', v);
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }

  i64(v: unknown, field: string): void {
    if (typeof v !== 'bigint') throw typeError(field, 'a bigint', v);
    if (v < I64_MIN || v > I64_MAX) throw rangeError(field, 'an int64', v);
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, true);
  }

  /** A `DateTime` as ticks: a bigint in [0, DOTNET_MAX_TICKS]. */
  ticks(v: unknown, field: string): void {
    if (typeof v !== 'bigint') throw typeError(field, 'a bigint (DateTime ticks)', v);
    if (!isDotNetTicks(v)) throw rangeError(field, `ticks in [0, ${DOTNET_MAX_TICKS}]`, v);
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, true);
  }

  /** An int32 count `n`, at most `limit`. */
  count(n: number, limit: number, field: string): void {
    if (n > limit) throw rangeError(field, `at most ${limit} items`, n);
    this.i32(n, field);
  }

  /** .NET `Write7BitEncodedInt`: low 7-bit groups first, high bit set on all but the last byte. */
  private varLength(n: number): void {
    let v = n;
    while (v >= 0x80) {
      const at = this.reserve(1);
      this.view.setUint8(at, (v & 0x7f) | 0x80);
      v = Math.floor(v / 0x80);
    }
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }

  /** .NET `Write(string)`: a 7-bit byte length, then UTF-8. The string must be well-formed UTF-16 and fit `maxStringBytes`. */
  string(v: unknown, field: string): void {
    if (typeof v !== 'string') throw typeError(field, 'a string', v);
    if (!isWellFormed(v)) throw rangeError(field, 'well-formed UTF-16 (no lone surrogate)', v);
    const bytes = UTF8_ENCODER.encode(v);
    if (bytes.length > this.limits.maxStringBytes) {
      throw rangeError(field, `at most ${this.limits.maxStringBytes} UTF-8 bytes`, `${bytes.length} bytes`);
    }
    this.varLength(bytes.length);
    this.raw(bytes);
  }

  /** An int32 byte length and the bytes, at most `maxDataLength`. */
  data(v: unknown, field: string): void {
    if (!(v instanceof Uint8Array)) throw typeError(field, 'a Uint8Array', v);
    if (v.length > this.limits.maxDataLength) throw rangeError(field, `at most ${this.limits.maxDataLength} bytes`, `${v.length} bytes`);
    this.i32(v.length, `${field}.length`);
    this.raw(v);
  }

  /** A fresh array with exactly the bytes written. Throws a `RangeError` beyond `maxFileBytes`. */
  finish(what: string): Uint8Array {
    if (this.pos > this.limits.maxFileBytes) throw rangeError(what, `at most ${this.limits.maxFileBytes} bytes (maxFileBytes)`, `${this.pos} bytes`);
    return this.buf.slice(0, this.pos);
  }
}

/** Looks up the byte of an enumeration name; a `TypeError` for a non-string, a `RangeError` for an unknown name. */
export function enumCode<T extends string>(table: Readonly<Record<T, number>>, v: unknown, field: string): number {
  if (typeof v !== 'string') throw typeError(field, 'a string', v);
  if (!Object.prototype.hasOwnProperty.call(table, v)) throw rangeError(field, `one of ${Object.keys(table).join(', ')}`, v);
  return table[v as T];
}

/** The reverse table of an enumeration: byte → name. */
export function enumNames<T extends string>(table: Readonly<Record<T, number>>): ReadonlyMap<number, T> {
  const m = new Map<number, T>();
  for (const name of Object.keys(table) as T[]) m.set(table[name], name);
  return m;
}
