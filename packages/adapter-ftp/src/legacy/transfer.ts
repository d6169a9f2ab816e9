/**
 * Theory of operation: the transfer encoding of every file the legacy peers
 * put on the FTP server (hub-protocol.md §2): gzip, then every byte inverted
 * (`~b`, which the original's `XorStream` computes: XOR with 0xFF). Decoding
 * inverts, then gunzips. Local copies are plain.
 *
 * Gunzip is bounded by `maxOutputLength = limits.maxFileBytes`, so a gzip
 * bomb stops at the limit (`oversize`) instead of filling memory; the wire
 * bytes themselves are bounded a little above it (deflate never grows data by
 * more than a few bytes per 64 KiB block). This module uses `node:zlib`'s
 * synchronous calls: it belongs to an adapter, not to the pure core.
 *
 * The compressed bytes differ from what .NET's `GZipStream` writes (another
 * deflate implementation); only their decompression is defined, so encode is
 * checked by decoding, never by comparing compressed bytes.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { err, ok } from '@dialoghub/core';
import { rangeError, typeError } from './bytes.js';
import { decodeError, resolveLegacyLimits, type LegacyLimits, type LegacyResult } from './errors.js';

/** Most wire bytes accepted for `maxFileBytes` plain bytes: room for deflate's worst case and the gzip frame. */
export function maxTransferBytes(maxFileBytes: number): number {
  return maxFileBytes + Math.ceil(maxFileBytes / 1024) + 1024;
}

/** A new array with every byte of `bytes` inverted (`~b & 0xff`). Its own inverse. */
export function invertLegacyBytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw typeError('bytes', 'a Uint8Array', bytes);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ~bytes[i]! & 0xff;
  return out;
}

/**
 * The bytes to upload for a plain legacy file: gzip, then invert. Throws a
 * `TypeError` for a non-`Uint8Array` and a `RangeError` when `plain` exceeds
 * `limits.maxFileBytes` (the peer's decoder would refuse it).
 */
export function encodeLegacyTransfer(plain: Uint8Array, limits?: Partial<LegacyLimits>): Uint8Array {
  if (!(plain instanceof Uint8Array)) throw typeError('plain', 'a Uint8Array', plain);
  const l = resolveLegacyLimits(limits);
  if (plain.length > l.maxFileBytes) throw rangeError('plain', `at most ${l.maxFileBytes} bytes (maxFileBytes)`, `${plain.length} bytes`);
  const gz = gzipSync(plain);
  // gzipSync returns a fresh buffer: invert it in place rather than copy it.
  for (let i = 0; i < gz.length; i++) gz[i] = ~gz[i]! & 0xff;
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.length);
}

/**
 * The plain bytes of a downloaded legacy file: invert, then gunzip, stopping
 * at `limits.maxFileBytes`. Never throws on any bytes: `oversize` for too
 * many wire bytes or a plain file over the limit, `badGzip` for anything
 * gunzip refuses (including an empty or cut file).
 */
export function decodeLegacyTransfer(wire: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<Uint8Array> {
  if (!(wire instanceof Uint8Array)) throw typeError('wire', 'a Uint8Array', wire);
  const l = resolveLegacyLimits(limits);
  const maxWire = maxTransferBytes(l.maxFileBytes);
  if (wire.length > maxWire) return err(decodeError('oversize', `${wire.length} wire bytes exceeds ${maxWire} (maxFileBytes ${l.maxFileBytes} compressed)`, 0));
  const gz = invertLegacyBytes(wire);
  try {
    // zlib refuses a maxOutputLength above the largest Buffer; no plain file can be larger anyway.
    const plain = gunzipSync(gz, { maxOutputLength: Math.min(l.maxFileBytes, bufferConstants.MAX_LENGTH) });
    return ok(new Uint8Array(plain.buffer, plain.byteOffset, plain.length));
  } catch (e) {
    if (e instanceof RangeError && (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return err(decodeError('oversize', `gunzipped file exceeds maxFileBytes ${l.maxFileBytes}`, 0));
    }
    const reason = e instanceof Error ? e.message : String(e);
    return err(decodeError('badGzip', `not a gzip stream once inverted: ${reason}`, 0));
  }
}
