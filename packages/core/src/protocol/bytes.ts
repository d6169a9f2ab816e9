/**
 * Theory of operation: the primitive layer of the wire codec
 * (docs/wire-format.md §2): a growable {@link ByteWriter} and a bounds-checked
 * {@link ByteReader}. They know byte layouts (little-endian integers, LEB128,
 * length-prefixed bytes and UTF-8 strings) and nothing about frames.
 *
 * Writing is local misuse territory: a value that has no encoding (a negative
 * varuint, a non-string) throws `HubUsageError('invalidInput')`, naming the
 * field the caller passed in. Reading is peer territory and never throws.
 *
 * The reader uses a sticky error: the first failed read records a
 * {@link ReadError} (code, message, offset of the field) and returns a neutral
 * value (0, false, '' or an empty array); every read after it also fails
 * quietly and the first error is kept. A decoder can therefore read a whole
 * structure straight through and check `reader.error` once, at a loop boundary
 * or at the end, without a branch after every field. Values read after a
 * failure are meaningless and must be discarded.
 *
 * Canonical forms only: a varuint must use its shortest encoding and a
 * boolean must be 0 or 1, so every value has exactly one byte form and
 * decode-then-encode reproduces the input bytes.
 */
import { HubUsageError } from '../errors.js';
import { decodeUtf8, utf8Length, writeUtf8 } from './utf8.js';

/** Largest value a varuint may carry: 2^53 - 1, so it fits a JS number exactly. */
export const MAX_VARUINT = Number.MAX_SAFE_INTEGER;
/** Largest unsigned 32-bit value. */
export const U32_MAX = 0xffffffff;

const TWO_32 = 4294967296;

/** Scratch for `f64`: an 8-byte buffer seen as bytes and as a little-endian double. Never observable between calls. */
const F64_BYTES = new Uint8Array(8);
const F64_VIEW = new DataView(F64_BYTES.buffer);
/** The one NaN the `f64` layout allows: the quiet NaN 0x7FF8000000000000. */
const CANONICAL_NAN_HI = 0x7ff80000;

/**
 * Why a read failed. `unknownKind` is for a discriminant byte that selects no
 * known layout; the others describe a single field.
 */
export type ReadErrorCode = 'truncated' | 'badValue' | 'badUtf8' | 'limitExceeded' | 'unknownKind';

/** The first failure a {@link ByteReader} met. `offset` indexes the reader's input array. */
export interface ReadError {
  readonly code: ReadErrorCode;
  readonly message: string;
  readonly offset: number;
}

function invalid(field: string, expected: string, got: unknown): HubUsageError {
  return new HubUsageError('invalidInput', `${field} must be ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`, {
    field,
  });
}

/** Capacity from which {@link ByteWriter} grows by half instead of doubling (16 MiB). */
const LARGE_BUFFER = 1 << 24;

/**
 * A growable byte buffer. Create one (or `reset()` one you keep), call the
 * writers in layout order, then take the bytes with {@link ByteWriter.toBytes}.
 * Capacity doubles when full (grows by half from 16 MiB), so writing n bytes costs O(n) amortised and
 * there is no allocation per byte or per field.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  /** @param initialCapacity bytes to allocate up front (at least 16). */
  constructor(initialCapacity: number = 256) {
    this.buf = new Uint8Array(initialCapacity > 16 ? initialCapacity : 16);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Bytes allocated; a caller that keeps a writer may drop it when this grows too large. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forgets what was written, keeping the allocation for the next frame. */
  reset(): void {
    this.pos = 0;
  }

  /** A fresh array holding exactly the bytes written (safe to keep after `reset`). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * The bytes written, for a writer that is done with: shares the buffer (no
   * copy) when it is at least 3/4 full, else a right-sized copy, so a large
   * result is not copied once more and never holds more than a third extra.
   * Neither write to nor `reset` the writer afterwards.
   */
  take(): Uint8Array {
    return this.pos * 4 >= this.buf.length * 3 ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos);
  }

  private reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    // Doubling, then half again once the buffer is large (a snapshot of a big hub): still O(n)
    // amortised, and a large result overshoots by at most half, so `take` can usually keep it.
    const factor = this.buf.length < LARGE_BUFFER ? 2 : 1.5;
    let cap = Math.ceil(this.buf.length * factor);
    while (cap < this.pos + n) cap = Math.ceil(cap * factor);
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** One byte; `v` must be an integer in [0, 255]. */
  u8(v: number, field: string = 'u8'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw invalid(field, 'an integer in [0, 255]', v);
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  /** Two bytes, little-endian; `v` must be an integer in [0, 65535]. */
  u16(v: number, field: string = 'u16'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw invalid(field, 'an integer in [0, 65535]', v);
    this.reserve(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  /** Four bytes, little-endian; `v` must be an integer in [0, 2^32). */
  u32(v: number, field: string = 'u32'): void {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw invalid(field, 'an integer in [0, 2^32)', v);
    this.reserve(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  /**
   * Eight bytes: a signed 64-bit two's-complement integer, little-endian.
   * `v` must be a safe integer (|v| ≤ 2^53 - 1); -0 is written as 0.
   */
  i64(v: number, field: string = 'i64'): void {
    if (!Number.isSafeInteger(v)) throw invalid(field, 'a safe integer', v);
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    this.reserve(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo & 0xff;
    b[p + 1] = (lo >>> 8) & 0xff;
    b[p + 2] = (lo >>> 16) & 0xff;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi & 0xff;
    b[p + 5] = (hi >>> 8) & 0xff;
    b[p + 6] = (hi >>> 16) & 0xff;
    b[p + 7] = (hi >>> 24) & 0xff;
    this.pos = p + 8;
  }

  /** One byte, 1 for true and 0 for false. */
  bool(v: boolean, field: string = 'bool'): void {
    if (v !== true && v !== false) throw invalid(field, 'a boolean', v);
    this.reserve(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /**
   * Unsigned LEB128 in its shortest form (1 to 8 bytes): 7 bits per byte, low
   * group first, high bit set on every byte but the last. `v` must be an
   * integer in [0, max], and max is at most 2^53 - 1.
   */
  varuint(v: number, field: string = 'varuint', max: number = MAX_VARUINT): void {
    if (!Number.isSafeInteger(v) || v < 0 || v > max) throw invalid(field, `an integer in [0, ${max}]`, v);
    this.reserve(8);
    const b = this.buf;
    let p = this.pos;
    // Bit operators are 32-bit: peel the high groups arithmetically first.
    while (v > 0x7fffffff) {
      b[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** A varuint length, then the bytes of `v` (copied). */
  bytes(v: Uint8Array, field: string = 'bytes'): void {
    if (!(v instanceof Uint8Array)) throw invalid(field, 'a Uint8Array', v);
    this.varuint(v.length, field);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** A varuint byte length, then `v` in UTF-8 (lone surrogates become U+FFFD). */
  string(v: string, field: string = 'string'): void {
    if (typeof v !== 'string') throw invalid(field, 'a string', v);
    const n = v.length;
    if (n <= 42) {
      // At most 3 bytes per UTF-16 unit, so ≤ 126 bytes: a one-byte length. Write once, then fill the length in.
      this.reserve(1 + 3 * n);
      const start = this.pos;
      const end = writeUtf8(v, this.buf, start + 1);
      this.buf[start] = end - start - 1;
      this.pos = end;
      return;
    }
    const len = utf8Length(v);
    this.varuint(len, field);
    this.reserve(len);
    this.pos = writeUtf8(v, this.buf, this.pos);
  }

  /**
   * Eight bytes: `v` as an IEEE 754 binary64, little-endian. Every number is
   * written exactly (-0, infinities and subnormals included); NaN is always
   * written in its one canonical form `00 00 00 00 00 00 F8 7F`.
   */
  f64(v: number, field: string = 'f64'): void {
    if (typeof v !== 'number') throw invalid(field, 'a number', v);
    this.reserve(8);
    const b = this.buf;
    const p = this.pos;
    if (v !== v) {
      b.fill(0, p, p + 6);
      b[p + 6] = 0xf8;
      b[p + 7] = 0x7f;
    } else {
      F64_VIEW.setFloat64(0, v, true);
      b.set(F64_BYTES, p);
    }
    this.pos = p + 8;
  }
}

/** What {@link ByteReader.view} returns for zero bytes (nothing in it can be changed). */
const EMPTY_VIEW = new Uint8Array(0);

/**
 * A cursor over untrusted bytes. Every read checks bounds and canonical form
 * and never throws; see the module comment for the sticky-error contract.
 * Check {@link ByteReader.error} before trusting anything read.
 */
export class ByteReader {
  /** The first failure, or undefined while every read has succeeded. */
  error: ReadError | undefined = undefined;
  private pos: number;
  private end: number;

  /**
   * @param input the bytes to read; offsets in errors index this array.
   * @param start index of the first byte to read.
   * @param end index after the last byte to read (default: the whole array).
   */
  constructor(
    private readonly input: Uint8Array,
    start: number = 0,
    end: number = input.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Index in the input of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left before the end (0 once a read has failed). */
  get remaining(): number {
    return this.end - this.pos;
  }

  /**
   * Records a failure found by the caller (a semantic check on a value read
   * successfully). Only the first failure is kept; reading stops either way.
   */
  fail(code: ReadErrorCode, message: string, offset: number): void {
    if (this.error === undefined) this.error = { code, message, offset };
    this.end = this.pos;
  }

  private truncated(at: number, n: number, what: string): 0 {
    if (this.error === undefined) this.fail('truncated', `${what}: needs ${n} byte(s) at offset ${at}, ${this.end - at} left`, at);
    else this.end = this.pos;
    return 0;
  }

  private bad(at: number, message: string): 0 {
    this.fail('badValue', message, at);
    return 0;
  }

  /** One byte. */
  u8(what: string = 'u8'): number {
    const p = this.pos;
    if (p >= this.end) return this.truncated(p, 1, what);
    this.pos = p + 1;
    return this.input[p]!;
  }

  /** Two bytes, little-endian. */
  u16(what: string = 'u16'): number {
    const p = this.pos;
    if (p + 2 > this.end) return this.truncated(p, 2, what);
    const b = this.input;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  /** Four bytes, little-endian, unsigned. */
  u32(what: string = 'u32'): number {
    const p = this.pos;
    if (p + 4 > this.end) return this.truncated(p, 4, what);
    const b = this.input;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Eight bytes, little-endian two's complement; a value outside the safe-integer range is `badValue`. */
  i64(what: string = 'i64'): number {
    const p = this.pos;
    if (p + 8 > this.end) return this.truncated(p, 8, what);
    const b = this.input;
    const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const hi = b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24);
    const v = hi * TWO_32 + lo;
    // |hi| > 2^21 gives |v| ≥ 2^53, which rounding cannot bring back into the safe range.
    if (!Number.isSafeInteger(v)) return this.bad(p, `${what}: 64-bit value outside the safe-integer range`);
    this.pos = p + 8;
    return v;
  }

  /** One byte that must be 0 (false) or 1 (true); anything else is `badValue`. */
  bool(what: string = 'bool'): boolean {
    const p = this.pos;
    if (p >= this.end) return this.truncated(p, 1, what) !== 0;
    const v = this.input[p]!;
    if (v > 1) return this.bad(p, `${what}: expected 0 or 1, got ${v}`) !== 0;
    this.pos = p + 1;
    return v === 1;
  }

  /**
   * Unsigned LEB128 in [0, max] (max ≤ 2^53 - 1). A non-shortest form
   * (a last byte of 0 after the first) or a value above `max` is `badValue`;
   * running out of bytes is `truncated`.
   */
  varuint(max: number = MAX_VARUINT, what: string = 'varuint'): number {
    const b = this.input;
    const start = this.pos;
    const end = this.end;
    if (start < end) {
      const first = b[start]!;
      if (first < 0x80) {
        if (first > max) return this.bad(start, `${what}: ${first} exceeds ${max}`);
        this.pos = start + 1;
        return first;
      }
    }
    let p = start;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) return this.truncated(start, p - start + 1, what);
      const byte = b[p++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) return this.bad(start, `${what}: varuint not in its shortest form`);
        if (v > max) return this.bad(start, `${what}: ${v} exceeds ${max}`);
        this.pos = p;
        return v;
      }
      scale *= 128;
    }
    return this.bad(start, `${what}: varuint longer than 8 bytes`);
  }

  private length(max: number, what: string): number {
    const at = this.pos;
    const len = this.varuint(MAX_VARUINT, `${what} length`);
    if (len > max) {
      this.fail('limitExceeded', `${what}: length ${len} exceeds the limit ${max}`, at);
      return -1;
    }
    const left = this.end - this.pos;
    if (len > left) {
      this.fail('truncated', `${what}: needs ${len} byte(s) after its length at offset ${at}, ${left} left`, at);
      return -1;
    }
    return len;
  }

  /**
   * A varuint length (at most `maxBytes`, else `limitExceeded`), then that
   * many bytes, returned as a fresh plain `Uint8Array` that shares no memory
   * with the input (never `input.slice`: on a Node Buffer that is a view).
   */
  bytes(maxBytes: number, what: string = 'bytes'): Uint8Array {
    const len = this.length(maxBytes, what);
    const out = new Uint8Array(len < 0 ? 0 : len);
    if (len > 0) {
      const p = this.pos;
      out.set(this.input.subarray(p, p + len));
      this.pos = p + len;
    }
    return out;
  }

  /**
   * As {@link ByteReader.bytes}, but the bytes are a view into the input, not
   * a copy: for a caller that decodes them on the spot and keeps nothing of
   * the view (the input may be reused afterwards). Empty on error.
   */
  view(maxBytes: number, what: string = 'bytes'): Uint8Array {
    const len = this.length(maxBytes, what);
    if (len <= 0) return EMPTY_VIEW;
    const p = this.pos;
    this.pos = p + len;
    return this.input.subarray(p, p + len);
  }

  /** A varuint byte length (at most `maxBytes`, else `limitExceeded`), then that many bytes of strict UTF-8 (else `badUtf8`). */
  string(maxBytes: number, what: string = 'string'): string {
    const len = this.length(maxBytes, what);
    if (len <= 0) return '';
    const p = this.pos;
    const decoded = decodeUtf8(this.input, p, p + len);
    if (!decoded.ok) {
      this.fail('badUtf8', `${what}: ${decoded.error.reason}`, decoded.error.offset);
      return '';
    }
    this.pos = p + len;
    return decoded.value;
  }

  /**
   * Eight bytes: an IEEE 754 binary64, little-endian. A NaN other than the
   * canonical `00 00 00 00 00 00 F8 7F` is `badValue` (one byte form per value).
   */
  f64(what: string = 'f64'): number {
    const p = this.pos;
    if (p + 8 > this.end) return this.truncated(p, 8, what);
    const b = this.input;
    for (let i = 0; i < 8; i++) F64_BYTES[i] = b[p + i]!;
    const v = F64_VIEW.getFloat64(0, true);
    if (v !== v && (F64_VIEW.getUint32(4, true) !== CANONICAL_NAN_HI || F64_VIEW.getUint32(0, true) !== 0)) {
      return this.bad(p, `${what}: NaN not in its canonical form`);
    }
    this.pos = p + 8;
    return v;
  }
}
