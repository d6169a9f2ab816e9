/**
 * Theory of operation: UTF-8 for the wire codec (docs/wire-format.md §2),
 * written by hand because the core's lib is ES2022 without DOM: there is no
 * `TextEncoder`/`TextDecoder` and no `Buffer` in a pure core.
 *
 * Encoding is total: a lone UTF-16 surrogate (which no UTF-8 can carry) is
 * written as U+FFFD, exactly as `TextEncoder` does. Encoding is two passes:
 * {@link utf8Length} sizes the output, {@link writeUtf8} fills it, so the
 * byte writer can reserve space once and never build an intermediate array.
 *
 * Decoding is strict (RFC 3629 / Unicode §3.9 table 3-7): overlong forms,
 * encoded surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray
 * continuation bytes and truncated sequences are errors, never replaced.
 * Strictness is what makes the wire encoding canonical: every string has
 * exactly one byte form, so decode-then-encode gives back the same bytes.
 *
 * Sorting strings by their UTF-8 bytes equals sorting them by code point,
 * which is NOT JavaScript's default (UTF-16 code unit) order; see
 * {@link compareCodePoints}.
 */
import { err, ok, type Result } from '../result.js';

/** Why a byte string is not UTF-8, and where the offending sequence starts. */
export interface Utf8Error {
  /** Index in the input array of the first byte of the invalid sequence. */
  readonly offset: number;
  readonly reason: string;
}

/** Code units decoded before they are turned into a string, so long strings cost O(n / CHUNK) `fromCharCode` calls. */
const CHUNK = 4096;
/**
 * Scratch for decoded UTF-16 units, flushed while it still has room for a
 * surrogate pair. Never observable between calls. A plain array of small
 * integers: `fromCharCode.apply` on it is several times faster than on a
 * typed array.
 */
const scratch: number[] = [];

/**
 * Scratch arrays of exact lengths 0..SHORT for the all-ASCII fast path of
 * {@link decodeUtf8}: most strings on the wire and in snapshots (names,
 * phone numbers, environment entries) are short ASCII, and an array of the
 * exact length needs no `length` change before `fromCharCode.apply`.
 */
const SHORT = 64;
const SHORT_SCRATCH: number[][] = Array.from({ length: SHORT + 1 }, (_, n) => new Array<number>(n).fill(0));

/** `bytes[start, end)` as a string when every byte is ASCII and there are at most SHORT of them, else undefined. */
function shortAscii(bytes: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  if (n > SHORT) return undefined;
  const codes = SHORT_SCRATCH[n]!;
  for (let i = 0; i < n; i++) {
    const b = bytes[start + i]!;
    if (b >= 0x80) return undefined;
    codes[i] = b;
  }
  return String.fromCharCode.apply(null, codes);
}

function flush(n: number): string {
  scratch.length = n;
  return String.fromCharCode.apply(null, scratch);
}

/**
 * The number of bytes `s` takes in UTF-8, counting each lone surrogate as the
 * 3 bytes of U+FFFD. Call it before {@link writeUtf8} to size the output.
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      len += 1;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // Two code units, four bytes.
        len += 2;
        i++;
        continue;
      }
    }
    // Three-byte BMP character, or a lone surrogate written as U+FFFD.
    len += 2;
  }
  return len;
}

/**
 * Writes `s` as UTF-8 into `out` from index `at` and returns the index after
 * the last byte written. The caller must have reserved `utf8Length(s)` bytes;
 * nothing is checked here (this is the writer's inner loop).
 */
export function writeUtf8(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  let p = at;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[p++] = 0xf0 | (cp >> 18);
        out[p++] = 0x80 | ((cp >> 12) & 0x3f);
        out[p++] = 0x80 | ((cp >> 6) & 0x3f);
        out[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/** `s` as a fresh UTF-8 byte array (lone surrogates become U+FFFD). For one-off use; the codec writes in place. */
export function encodeUtf8(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  writeUtf8(s, out, 0);
  return out;
}

/**
 * Strictly decodes `bytes[start, end)` as UTF-8. Returns the string, or the
 * offset (an index into `bytes`) of the first invalid sequence. Never throws.
 * Call it on untrusted input; it does not replace bad sequences with U+FFFD.
 */
export function decodeUtf8(bytes: Uint8Array, start: number = 0, end: number = bytes.length): Result<string, Utf8Error> {
  const ascii = shortAscii(bytes, start, end);
  if (ascii !== undefined) return ok(ascii);
  let out = '';
  let n = 0;
  let i = start;
  while (i < end) {
    if (n > CHUNK - 2) {
      out += flush(n);
      n = 0;
    }
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      scratch[n++] = b0;
      i++;
      continue;
    }
    // Table 3-7: the lead byte fixes the length and the range of the second byte.
    let need: number;
    let cp: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0; // overlong below U+0800
      else if (b0 === 0xed) hi = 0x9f; // surrogates U+D800..U+DFFF
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90; // overlong below U+10000
      else if (b0 === 0xf4) hi = 0x8f; // above U+10FFFF
    } else {
      return err({ offset: i, reason: `invalid UTF-8 lead byte 0x${b0.toString(16)}` });
    }
    if (end - i <= need) return err({ offset: i, reason: 'truncated UTF-8 sequence' });
    const b1 = bytes[i + 1]!;
    if (b1 < lo || b1 > hi) return err({ offset: i, reason: 'invalid UTF-8 sequence (overlong, surrogate, out of range or bad continuation)' });
    cp = (cp << 6) | (b1 & 0x3f);
    for (let k = 2; k <= need; k++) {
      const b = bytes[i + k]!;
      if ((b & 0xc0) !== 0x80) return err({ offset: i, reason: 'invalid UTF-8 continuation byte' });
      cp = (cp << 6) | (b & 0x3f);
    }
    i += need + 1;
    if (cp < 0x10000) {
      scratch[n++] = cp;
    } else {
      cp -= 0x10000;
      scratch[n++] = 0xd800 | (cp >> 10);
      scratch[n++] = 0xdc00 | (cp & 0x3ff);
    }
  }
  if (n > 0) out += flush(n);
  return ok(out);
}

/**
 * `s` with every lone surrogate replaced by U+FFFD: the string a receiver will
 * decode from `encodeUtf8(s)`. Returns `s` itself when it is already well formed.
 */
export function toWellFormed(s: string): string {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return replaceLoneSurrogates(s);
  }
  return s;
}

function replaceLoneSurrogates(s: string): string {
  let out = '';
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? '\ufffd' : s[i]!;
  }
  return out;
}

/** Maps a UTF-16 code unit so that unit order matches code point order (surrogates above U+E000..U+FFFF). */
function codePointRank(u: number): number {
  if (u < 0xd800) return u;
  return u >= 0xe000 ? u - 0x800 : u + 0x2000;
}

/**
 * Compares two well-formed strings by code point, which is the order of their
 * UTF-8 bytes: negative if `a` sorts first, 0 if equal, positive otherwise.
 * Use it wherever the wire format says "sorted" (environment keys), never
 * the default `<`, which compares UTF-16 code units.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}
