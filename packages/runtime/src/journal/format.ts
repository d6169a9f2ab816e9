/**
 * Theory of operation: the bytes of the trace format (docs/trace-format.md),
 * as pure functions over buffers — no file access here.
 *
 * Every file starts with the same file header: an 8-byte magic, a format
 * version, a kind, and a CRC-protected JSON header. A journal segment or a
 * trace then holds records framed as `[u32 length][u32 CRC-32][payload]`; a
 * snapshot file holds exactly one such frame whose payload is the core's
 * `serialize` bytes. All integers are little-endian, as in the wire format.
 *
 * The frame scanner only classifies bytes (good frame, bad frame, incomplete
 * frame); deciding whether a bad frame is a torn tail or corruption is the
 * reader's job (segments.ts), because it depends on where the file sits.
 */
import { crc32 } from 'node:zlib';

/** "\x89DHT\r\n\x1a\n": journal segments and traces. The high byte and the CR LF / SUB catch text-mode mangling, as PNG's. */
export const TRACE_MAGIC: readonly number[] = [0x89, 0x44, 0x48, 0x54, 0x0d, 0x0a, 0x1a, 0x0a];
/** "\x89DHS\r\n\x1a\n": snapshot files. */
export const SNAPSHOT_MAGIC: readonly number[] = [0x89, 0x44, 0x48, 0x53, 0x0d, 0x0a, 0x1a, 0x0a];

/** The trace format's version. Bump only for a layout change a v1 reader would misread (docs/trace-format.md §6). */
export const TRACE_FORMAT_VERSION = 1;

/** Byte 10 of the file header. */
export const FILE_KINDS = { journal: 1, trace: 2, snapshot: 3 } as const;
export type FileKind = keyof typeof FILE_KINDS;

/** Bytes before the JSON header: magic, version (u16), kind (u8), flags (u8), JSON length (u32), JSON CRC-32 (u32). */
export const FIXED_HEADER_BYTES = 20;
/** Bytes before each record's payload: length (u32), CRC-32 of the payload (u32). */
export const FRAME_HEADER_BYTES = 8;
/** Largest record payload a reader accepts (and a writer writes): 64 MiB. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** Largest JSON header a reader accepts: 1 MiB. */
export const MAX_HEADER_JSON_BYTES = 1024 * 1024;

/** The JSON part of a file header. Readers ignore fields they do not know (docs/trace-format.md §2). */
export interface FileHeaderJson {
  /** The record payload encoding; `dialoghub-record` is the core's record codec. */
  readonly codec: string;
  /** Journal and trace: seq of the first record the file holds (or would hold). Snapshot: the last seq the snapshot includes. */
  readonly seq: number;
  /** Wall-clock time the file was written (ISO 8601, informational). */
  readonly createdAt: string;
  /** The `now` of the hub's initial state (`initialState(config, hubCreatedAt)`), when known. */
  readonly hubCreatedAt: number | null;
  /** The hub's resolved config (core `ResolvedConfig`), when known. */
  readonly config: unknown;
  /** Free-form name of the program that wrote the file. */
  readonly writer?: string;
  readonly [extra: string]: unknown;
}

export interface FileHeader {
  readonly version: number;
  readonly kind: FileKind;
  readonly json: FileHeaderJson;
  /** Where the first frame starts. */
  readonly bodyOffset: number;
}

export type HeaderProblem = { readonly offset: number; readonly message: string };

/** The file header's bytes. */
export function encodeFileHeader(kind: FileKind, json: FileHeaderJson): Buffer {
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  if (text.length > MAX_HEADER_JSON_BYTES) throw new RangeError(`file header of ${text.length} bytes exceeds ${MAX_HEADER_JSON_BYTES}`);
  const out = Buffer.allocUnsafe(FIXED_HEADER_BYTES + text.length);
  const magic = kind === 'snapshot' ? SNAPSHOT_MAGIC : TRACE_MAGIC;
  for (let i = 0; i < 8; i++) out[i] = magic[i]!;
  out.writeUInt16LE(TRACE_FORMAT_VERSION, 8);
  out.writeUInt8(FILE_KINDS[kind], 10);
  out.writeUInt8(0, 11);
  out.writeUInt32LE(text.length, 12);
  out.writeUInt32LE(crc32(text), 16);
  text.copy(out, FIXED_HEADER_BYTES);
  return out;
}

/** Parses a file header, or says what is wrong with it (and where). */
export function parseFileHeader(bytes: Uint8Array): { ok: true; value: FileHeader } | { ok: false; error: HeaderProblem } {
  const fail = (offset: number, message: string) => ({ ok: false as const, error: { offset, message } });
  if (bytes.length < FIXED_HEADER_BYTES) return fail(0, `file of ${bytes.length} bytes is shorter than a file header`);
  const isTrace = TRACE_MAGIC.every((b, i) => bytes[i] === b);
  const isSnapshot = !isTrace && SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b);
  if (!isTrace && !isSnapshot) return fail(0, 'not a dialoghub journal, trace or snapshot file (bad magic)');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.readUInt16LE(8);
  if (version !== TRACE_FORMAT_VERSION) return fail(8, `format version ${version} is not supported (this build reads ${TRACE_FORMAT_VERSION})`);
  const kindCode = view.readUInt8(10);
  const kind = (Object.keys(FILE_KINDS) as FileKind[]).find((k) => FILE_KINDS[k] === kindCode);
  if (kind === undefined) return fail(10, `unknown file kind ${kindCode}`);
  if ((kind === 'snapshot') !== isSnapshot) return fail(10, `file kind ${kind} does not match the magic`);
  const flags = view.readUInt8(11);
  if (flags !== 0) return fail(11, `unknown header flags 0x${flags.toString(16)}`);
  const length = view.readUInt32LE(12);
  if (length > MAX_HEADER_JSON_BYTES) return fail(12, `JSON header of ${length} bytes exceeds ${MAX_HEADER_JSON_BYTES}`);
  if (bytes.length < FIXED_HEADER_BYTES + length) return fail(FIXED_HEADER_BYTES, `JSON header of ${length} bytes is cut short`);
  const text = view.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + length);
  if (crc32(text) !== view.readUInt32LE(16)) return fail(16, 'JSON header CRC-32 mismatch');
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (e) {
    return fail(FIXED_HEADER_BYTES, `JSON header does not parse: ${(e as Error).message}`);
  }
  const j = json as Partial<FileHeaderJson> | null;
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return fail(FIXED_HEADER_BYTES, 'JSON header is not an object');
  if (typeof j.codec !== 'string') return fail(FIXED_HEADER_BYTES, 'JSON header lacks "codec"');
  if (typeof j.seq !== 'number' || !Number.isSafeInteger(j.seq) || j.seq < 0) return fail(FIXED_HEADER_BYTES, 'JSON header lacks a valid "seq"');
  return { ok: true, value: { version, kind, json: j as FileHeaderJson, bodyOffset: FIXED_HEADER_BYTES + length } };
}

/** Frames payloads into one buffer: `[u32 length][u32 CRC-32][payload]` each. */
export function framePayloads(payloads: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const p of payloads) total += FRAME_HEADER_BYTES + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out.writeUInt32LE(p.length, at);
    out.writeUInt32LE(crc32(p), at + 4);
    out.set(p, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + p.length;
  }
  return out;
}

/** What sits at an offset of a file body. */
export type FrameAt =
  /** A complete frame whose CRC matches: its payload is `[start, end)`. */
  | { readonly kind: 'good'; readonly offset: number; readonly start: number; readonly end: number }
  /** A complete frame whose CRC does not match; the next frame would start at `next`. */
  | { readonly kind: 'badCrc'; readonly offset: number; readonly next: number }
  /** A length that no writer writes (0 or above the limit): nothing after it can be found by walking. */
  | { readonly kind: 'badLength'; readonly offset: number; readonly length: number }
  /** The frame runs past the end of the bytes (header or payload cut short). */
  | { readonly kind: 'incomplete'; readonly offset: number }
  /** Exactly at the end. */
  | { readonly kind: 'end'; readonly offset: number };

/** Classifies the frame at `offset` of `buf` (a file's bytes). */
export function frameAt(buf: Buffer, offset: number, maxLength: number = MAX_RECORD_BYTES): FrameAt {
  if (offset === buf.length) return { kind: 'end', offset };
  if (offset + FRAME_HEADER_BYTES > buf.length) return { kind: 'incomplete', offset };
  const length = buf.readUInt32LE(offset);
  if (length === 0 || length > maxLength) return { kind: 'badLength', offset, length };
  const start = offset + FRAME_HEADER_BYTES;
  const end = start + length;
  if (end > buf.length) return { kind: 'incomplete', offset };
  if (crc32(buf.subarray(start, end)) !== buf.readUInt32LE(offset + 4)) return { kind: 'badCrc', offset, next: end };
  return { kind: 'good', offset, start, end };
}

/**
 * The first offset after `from` where a complete frame with a matching CRC
 * starts and `accept(payload)` holds, or -1. Used to tell a torn tail (nothing
 * valid after the bad bytes) from corruption (valid records after them). Cost:
 * a CRC per byte offset whose length field is plausible, so it is meant for
 * the short stretch between a bad frame and the end of the file.
 */
export function findValidFrameAfter(buf: Buffer, from: number, accept: (payload: Buffer) => boolean, maxLength: number = MAX_RECORD_BYTES): number {
  for (let at = from + 1; at + FRAME_HEADER_BYTES < buf.length; at++) {
    const length = buf.readUInt32LE(at);
    if (length === 0 || length > maxLength || at + FRAME_HEADER_BYTES + length > buf.length) continue;
    const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
    if (crc32(payload) === buf.readUInt32LE(at + 4) && accept(payload)) return at;
  }
  return -1;
}

const SEGMENT_RE = /^journal-(\d+)\.dhj$/;
const SNAPSHOT_RE = /^snapshot-(\d+)\.dhs$/;

/** `journal-<firstSeq>.dhj` (seq in decimal, no padding). */
export const segmentName = (firstSeq: number): string => `journal-${firstSeq}.dhj`;
/** `snapshot-<seq>.dhs`. */
export const snapshotName = (seq: number): string => `snapshot-${seq}.dhs`;

export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m === null ? undefined : safeSeq(m[1]!);
}

export function parseSnapshotName(name: string): number | undefined {
  const m = SNAPSHOT_RE.exec(name);
  return m === null ? undefined : safeSeq(m[1]!);
}

function safeSeq(digits: string): number | undefined {
  if (digits.length > 1 && digits.startsWith('0')) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}
