/**
 * Theory of operation: the content of one mailbox file, and the codec that
 * turns it into bytes and back (docs/adapters/ftp.md §2).
 *
 * A mailbox file is one direction of one session: a header, the frames that
 * are not trimmed yet — each one `encodeFrame` output of the core's wire codec
 * (docs/wire-format.md), never a format of our own — and a CRC-32 over
 * everything before it. Frames are numbered from 1 in the writer's stream;
 * `base` says how many were trimmed off the front, so the frames in a file
 * are numbers `base + 1 … base + frames.length`. `peerAck` is how many frames
 * of the other direction the writer has consumed: the reader trims its own
 * file up to it (seed bug B21).
 *
 * The codec sits behind `MailboxFormat` so that another format — the original
 * Hub files (src/legacy/) — can be plugged in. `decode` takes bytes from a
 * peer and never throws; `encode` takes our own values and throws on misuse.
 */
import { decodeFrame, encodeFrame, type CodecLimits, type Frame, type Result } from '@dialoghub/core';
import { crc32 } from 'node:zlib';
import { isSessionId, type Direction, type SessionId } from './names.js';

/** One mailbox file, as values. */
export interface MailboxFile {
  readonly direction: Direction;
  /** The session whose stream this is (also in the file name; the two must agree). */
  readonly session: SessionId;
  /**
   * The hub instance: in a hub→client file, the writing transport's random
   * epoch; in a client→hub file, the epoch of the hub file whose frames
   * `peerAck` counts (all zeros before the client has read one).
   */
  readonly epoch: string;
  /** Upload counter of the writer, ≥ 1, one more on every upload. */
  readonly generation: number;
  /** Frames trimmed off the front: the first frame here is number `base + 1`. */
  readonly base: number;
  /** Frames of the other direction the writer has consumed. */
  readonly peerAck: number;
  /** The writer has ended the session and will write no more frames (the mailbox's FIN). */
  readonly ended: boolean;
  readonly frames: readonly Frame[];
  /**
   * Zero bytes between the last frame and the checksum (default 0). They mean
   * nothing; the hub uses them so that a new hub file never has the size of
   * one its reader may hold, which lets the reader find out whether the file
   * changed with a `SIZE` instead of a download (docs/adapters/ftp.md §5).
   * Only a format with `padding` can write them.
   */
  readonly padding?: number;
}

/** Why bytes are not a valid mailbox file. */
export interface FormatError {
  readonly code: 'truncated' | 'badMagic' | 'badVersion' | 'badChecksum' | 'badValue' | 'badFrame' | 'tooLarge';
  readonly message: string;
}

/** A mailbox file codec. */
export interface MailboxFormat {
  /** Short name for logs and docs. */
  readonly name: string;
  /**
   * True when `encode` honours `MailboxFile.padding`, so that the hub can give
   * every new file a fresh size. Readers of a format without it download the
   * hub file at every poll.
   */
  readonly padding?: boolean;
  /**
   * The file's bytes. @throws for a value with no encoding (a frame the
   * core's codec refuses, a bad session id, a count out of range).
   */
  encode(file: MailboxFile): Uint8Array;
  /** Parses a peer's file; never throws. `limits` bound every frame, `maxFileBytes` the whole. */
  decode(bytes: Uint8Array, limits: Readonly<CodecLimits>, maxFileBytes: number): Result<MailboxFile, FormatError>;
}

/** `DHMB`: the first four bytes of every file of format v1. */
export const MAGIC = Uint8Array.of(0x44, 0x48, 0x4d, 0x42);
/** The version byte of format v1. */
export const FORMAT_VERSION = 1;
/** Header bytes before the first frame. */
export const HEADER_BYTES = 52;
/** An epoch (or session) of all zeros: none. */
export const NO_EPOCH = '0000000000000000';

/** Direction codes and the `ended` flag, shared by every format's header (DHMB's, and legacy-hub/1's supplement). */
export const DIRECTION_CODE: Readonly<Record<Direction, number>> = { clientToHub: 1, hubToClient: 2 };
export const FLAG_ENDED = 0x01;
const FLAG_PADDED = 0x02;

function safeCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a safe non-negative integer, got ${n}`);
}

/** The checks every format's `encode` makes on the values it is given (a session id, safe counts, generation ≥ 1). */
export function checkFileValues(file: MailboxFile): void {
  if (!isSessionId(file.session)) throw new TypeError(`not a session id: ${JSON.stringify(file.session)}`);
  safeCount('generation', file.generation);
  safeCount('base', file.base);
  safeCount('peerAck', file.peerAck);
  if (file.generation < 1) throw new RangeError('generation must be at least 1');
}

/** 16 lower-case hex digits as a 64-bit value. @throws TypeError otherwise. */
export function hex64(name: string, s: string): bigint {
  if (typeof s !== 'string' || !/^[0-9a-f]{16}$/.test(s)) throw new TypeError(`${name} must be 16 lower-case hex digits, got ${JSON.stringify(s)}`);
  return BigInt(`0x${s}`);
}

/** A failed `decode`. */
export function formatFailure(code: FormatError['code'], message: string): { readonly ok: false; readonly error: FormatError } {
  return { ok: false, error: { code, message } };
}

const fail = formatFailure;

/**
 * Format v1 (`DHMB`), little-endian:
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 4 | magic `DHMB` |
 * | 4 | 1 | version (1) |
 * | 5 | 1 | direction: 1 client→hub, 2 hub→client |
 * | 6 | 1 | flags: bit 0 `ended`, bit 1 `padded`; other bits 0 |
 * | 7 | 1 | reserved, 0 |
 * | 8 | 8 | session id, big-endian (reads as the hex in the name) |
 * | 16 | 8 | epoch, big-endian |
 * | 24 | 8 | generation, u64 |
 * | 32 | 8 | base, u64 |
 * | 40 | 8 | peerAck, u64 |
 * | 48 | 4 | frame count, u32 |
 * | 52 | … | per frame: length u32, then `encodeFrame` bytes |
 * | … | … | when `padded`: zero bytes up to the checksum (`padding`) |
 * | end−4 | 4 | CRC-32 (IEEE, as zlib) of every byte before it |
 */
export const DHMB_FORMAT: MailboxFormat = Object.freeze({
  name: 'dhmb/1',
  padding: true,

  encode(file: MailboxFile): Uint8Array {
    checkFileValues(file);
    if (file.frames.length > 0xffff_ffff) throw new RangeError('too many frames for one file');
    const padding = file.padding ?? 0;
    safeCount('padding', padding);
    const payloads = file.frames.map((f) => encodeFrame(f));
    const size = HEADER_BYTES + payloads.reduce((n, p) => n + 4 + p.length, 0) + padding + 4;
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    bytes.set(MAGIC, 0);
    view.setUint8(4, FORMAT_VERSION);
    view.setUint8(5, DIRECTION_CODE[file.direction]);
    view.setUint8(6, (file.ended ? FLAG_ENDED : 0) | (padding > 0 ? FLAG_PADDED : 0));
    view.setUint8(7, 0);
    view.setBigUint64(8, hex64('session', file.session), false);
    view.setBigUint64(16, hex64('epoch', file.epoch), false);
    view.setBigUint64(24, BigInt(file.generation), true);
    view.setBigUint64(32, BigInt(file.base), true);
    view.setBigUint64(40, BigInt(file.peerAck), true);
    view.setUint32(48, payloads.length, true);
    let at = HEADER_BYTES;
    for (const p of payloads) {
      view.setUint32(at, p.length, true);
      bytes.set(p, at + 4);
      at += 4 + p.length;
    }
    at += padding; // already zero
    view.setUint32(at, crc32(bytes.subarray(0, at)), true);
    return bytes;
  },

  decode(bytes: Uint8Array, limits: Readonly<CodecLimits>, maxFileBytes: number): Result<MailboxFile, FormatError> {
    if (bytes.length > maxFileBytes) return fail('tooLarge', `a file of ${bytes.length} bytes exceeds maxFileBytes (${maxFileBytes})`);
    if (bytes.length < HEADER_BYTES + 4) return fail('truncated', `a file of ${bytes.length} bytes is shorter than a header and a checksum`);
    for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return fail('badMagic', 'the file does not start with DHMB');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = bytes.length - 4;
    // The checksum first: nothing of a partial or corrupt file is looked at.
    if (view.getUint32(end, true) !== crc32(bytes.subarray(0, end))) return fail('badChecksum', 'the CRC-32 does not match (a partial or corrupt file)');
    if (view.getUint8(4) !== FORMAT_VERSION) return fail('badVersion', `format version ${view.getUint8(4)} is not ${FORMAT_VERSION}`);
    const dirCode = view.getUint8(5);
    const direction: Direction | undefined = dirCode === 1 ? 'clientToHub' : dirCode === 2 ? 'hubToClient' : undefined;
    if (direction === undefined) return fail('badValue', `direction code ${dirCode}`);
    const flags = view.getUint8(6);
    if ((flags & ~(FLAG_ENDED | FLAG_PADDED)) !== 0 || view.getUint8(7) !== 0) return fail('badValue', 'unknown flags or a non-zero reserved byte');
    const session = view.getBigUint64(8, false).toString(16).padStart(16, '0');
    if (!isSessionId(session)) return fail('badValue', 'session id of zero');
    const epoch = view.getBigUint64(16, false).toString(16).padStart(16, '0');
    const counts: number[] = [];
    for (const at of [24, 32, 40]) {
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) return fail('badValue', `a counter at offset ${at} is beyond 2^53`);
      counts.push(Number(v));
    }
    const [generation, base, peerAck] = counts as [number, number, number];
    if (generation < 1) return fail('badValue', 'generation 0');
    const count = view.getUint32(48, true);
    const frames: Frame[] = [];
    let at = HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (at + 4 > end) return fail('truncated', `frame ${i + 1} of ${count}: no length`);
      const length = view.getUint32(at, true);
      if (length > limits.maxFrameBytes) return fail('tooLarge', `frame ${i + 1}: ${length} bytes exceeds maxFrameBytes (${limits.maxFrameBytes})`);
      if (at + 4 + length > end) return fail('truncated', `frame ${i + 1} of ${count}: ${length} bytes announced, fewer present`);
      const decoded = decodeFrame(bytes.subarray(at + 4, at + 4 + length), limits);
      if (!decoded.ok) return fail('badFrame', `frame ${i + 1}: ${decoded.error.code}: ${decoded.error.message}`);
      frames.push(decoded.value);
      at += 4 + length;
    }
    const padding = end - at;
    if (padding > 0) {
      if ((flags & FLAG_PADDED) === 0) return fail('badValue', `${padding} bytes after the last frame`);
      for (let i = at; i < end; i++) if (bytes[i] !== 0) return fail('badValue', `a non-zero byte in the padding at offset ${i}`);
    }
    const value: MailboxFile = { direction, session, epoch, generation, base, peerAck, ended: (flags & FLAG_ENDED) !== 0, frames };
    return { ok: true, value: padding > 0 ? { ...value, padding } : value };
  },
});
