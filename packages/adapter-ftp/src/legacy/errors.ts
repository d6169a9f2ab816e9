/**
 * Theory of operation: what the legacy codec refuses, and how much it accepts.
 *
 * Two error regimes, as in the core's wire codec (h11's split):
 * - bytes come from a peer (an FTP server anyone may write to), so every
 *   decoder returns a {@link LegacyResult} and never throws on any input;
 * - values come from our own code, so an encoder given a value that has no
 *   encoding throws a `TypeError` (wrong kind of value) or a `RangeError`
 *   (right kind, out of range), naming the field.
 *
 * Limits bound the memory and work a file can cause. An encoder checks the
 * same limits, so it never writes a file the decoder (with the same limits)
 * would refuse.
 */
import type { Result } from '@dialoghub/core';

/**
 * Machine-readable reasons a byte string is not a valid legacy file, structure
 * or payload (docs/adapters/ftp-legacy.md §6).
 */
export type LegacyDecodeErrorCode =
  /** The file does not start with its signature (`HMSG1`, `GMSG1`, ...). */
  | 'badSignature'
  /** The bytes end inside a field. */
  | 'truncated'
  /** A field holds a value the original reader refuses (id 0, undefined enum code, negative count, ...). */
  | 'corrupt'
  /** A string's bytes are not UTF-8. */
  | 'badUtf8'
  /** A size exceeds a {@link LegacyLimits} bound (file, count, string or data length). */
  | 'oversize'
  /** Bytes remain after the last field. */
  | 'trailingBytes'
  /** Transfer decoding: the bytes, once inverted, are not a gzip stream. */
  | 'badGzip'
  /** Payload decoding: the message code does not belong on this channel (e.g. `log` in `cxnreq.hub`, B8). */
  | 'wrongChannel';

/** Why a decoder refused its input. */
export interface LegacyDecodeError {
  readonly code: LegacyDecodeErrorCode;
  /** For people: what was wrong, with the field's name. */
  readonly message: string;
  /**
   * Byte offset of the offending field in the decoder's input (for a payload:
   * in the message's `data`; for transfer decoding: 0).
   */
  readonly offset: number;
  /** The field, as a path (`messages[2].code`), when one field is at fault. */
  readonly field?: string;
}

/** The outcome of every legacy decoder. */
export type LegacyResult<T> = Result<T, LegacyDecodeError>;

/**
 * What a decoder accepts (and an encoder may write). Every field is a number
 * of bytes or items; all must be positive integers.
 */
export interface LegacyLimits {
  /** Largest file, in bytes, after gunzip: the guard against gzip bombs, checked before parsing. */
  readonly maxFileBytes: number;
  /** Most messages (or profiles) in one file or dialog. */
  readonly maxCount: number;
  /** Longest string, in UTF-8 bytes. */
  readonly maxStringBytes: number;
  /** Largest `Data` of one message, in bytes. */
  readonly maxDataLength: number;
}

/**
 * Limits used when none are given: 16 MiB files (`cxnreq.hub` and
 * `<ID>.gov` grow for as long as the legacy peers run, B21), 100 000
 * messages, 64 KiB strings (a log line with a stack trace), 1 MiB message data.
 */
export const DEFAULT_LEGACY_LIMITS: Readonly<LegacyLimits> = Object.freeze({
  maxFileBytes: 16 * 1024 * 1024,
  maxCount: 100_000,
  maxStringBytes: 64 * 1024,
  maxDataLength: 1024 * 1024,
});

const LIMIT_KEYS = ['maxFileBytes', 'maxCount', 'maxStringBytes', 'maxDataLength'] as const;

/**
 * The limits to use: the defaults overridden by `limits`. Throws a
 * `RangeError` when a given limit is not a positive safe integer (local
 * misuse, not bad bytes).
 */
export function resolveLegacyLimits(limits: Partial<LegacyLimits> = {}): LegacyLimits {
  const out = { ...DEFAULT_LEGACY_LIMITS };
  for (const key of LIMIT_KEYS) {
    const v = limits[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`limits.${key} must be a positive safe integer, got ${String(v)}`);
    out[key] = v;
  }
  return out;
}

/** Builds a {@link LegacyDecodeError}; `field` is left out when empty. */
export function decodeError(code: LegacyDecodeErrorCode, message: string, offset: number, field?: string): LegacyDecodeError {
  return field === undefined || field === '' ? { code, message, offset } : { code, message, offset, field };
}
