/**
 * Theory of operation: reading a journal segment, a trace or a snapshot file
 * back, verifying every byte that matters.
 *
 * Records are walked frame by frame; each must have a plausible length, a
 * matching CRC-32, decode, and carry the next seq (no gap, no repeat). The
 * first frame that does not is either
 * - a torn tail: the file is the last of its journal (`mayBeTorn`) and no
 *   valid record can be found at any byte offset after it — the remains of a
 *   write that was cut short, which was never acknowledged (an `append`
 *   resolves only after its sync). The caller drops it (recovery truncates);
 * - or corruption: anything else, reported with the file and the offset.
 *   Nothing is ever skipped silently.
 */
import { crc32 } from 'node:zlib';
import type { RecordCodec, TraceRecord } from './codec.js';
import { JournalError } from './errors.js';
import {
  FRAME_HEADER_BYTES,
  MAX_RECORD_BYTES,
  findValidFrameAfter,
  frameAt,
  parseFileHeader,
  type FileHeader,
  type FileKind,
  type FrameAt,
} from './format.js';

export interface TornTail {
  /** Where the torn bytes start (the end of the last valid record). */
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface ScanOptions {
  readonly path: string;
  /** Decodes and checks every record; null only counts CRC-valid frames (statistics). */
  readonly codec: RecordCodec | null;
  /** Kinds the caller accepts. */
  readonly kinds: readonly FileKind[];
  /** The file is the last of its journal (or a lone trace), so it may end in a torn tail. */
  readonly mayBeTorn: boolean;
  /** The first seq the file name announces; the header must agree. */
  readonly expectSeq?: number;
  readonly onRecord?: (record: TraceRecord) => void;
}

export interface ScanResult {
  readonly header: FileHeader;
  /** Number of valid records. */
  readonly records: number;
  /** Seq of the first record (the header's `seq`). */
  readonly firstSeq: number;
  /** End of the last valid record. */
  readonly validEnd: number;
  readonly size: number;
  readonly torn: TornTail | null;
}

function describe(f: FrameAt): string {
  switch (f.kind) {
    case 'badCrc':
      return 'record CRC-32 mismatch';
    case 'badLength':
      return `impossible record length ${f.length}`;
    case 'incomplete':
      return 'record cut short by the end of the file';
    case 'good':
    case 'end':
      return 'valid record';
    default: {
      const never: never = f;
      return String(never);
    }
  }
}

/** Parses and checks a file header; throws `JournalError` naming the file. */
export function checkHeader(buf: Buffer, o: Pick<ScanOptions, 'path' | 'codec' | 'kinds' | 'expectSeq'>): FileHeader {
  const parsed = parseFileHeader(buf);
  if (!parsed.ok) {
    const code = parsed.error.message.startsWith('format version') ? 'unsupported' : 'corrupt';
    throw new JournalError(code, `bad file header: ${parsed.error.message}`, o.path, parsed.error.offset);
  }
  const h = parsed.value;
  if (!o.kinds.includes(h.kind)) throw new JournalError('unsupported', `a ${h.kind} file where a ${o.kinds.join(' or ')} file was expected`, o.path, 10);
  if (o.codec !== null && h.kind !== 'snapshot' && h.json.codec !== o.codec.name) {
    throw new JournalError('unsupported', `records are encoded with codec "${h.json.codec}"; this reader uses "${o.codec.name}"`, o.path);
  }
  if (o.expectSeq !== undefined && h.json.seq !== o.expectSeq) {
    throw new JournalError('corrupt', `the header says seq ${h.json.seq} but the file name says ${o.expectSeq}`, o.path);
  }
  return h;
}

/** Walks a journal segment's or a trace's records (see the theory above). */
export function scanRecords(buf: Buffer, o: ScanOptions): ScanResult {
  const header = checkHeader(buf, o);
  if (header.kind === 'snapshot') throw new JournalError('unsupported', 'a snapshot file holds no records', o.path);
  const { codec, onRecord, path } = o;
  const size = buf.length;
  const firstSeq = header.json.seq;
  let seq = firstSeq;
  let at = header.bodyOffset;
  for (;;) {
    // The hot path: a complete frame with a matching CRC.
    if (at + FRAME_HEADER_BYTES <= size) {
      const length = buf.readUInt32LE(at);
      const end = at + FRAME_HEADER_BYTES + length;
      if (length !== 0 && length <= MAX_RECORD_BYTES && end <= size) {
        const payload = buf.subarray(at + FRAME_HEADER_BYTES, end);
        if (crc32(payload) === buf.readUInt32LE(at + 4)) {
          if (codec !== null) {
            const decoded = codec.decode(payload);
            if (!decoded.ok) throw new JournalError('corrupt', `a record with a valid CRC does not decode: ${decoded.error.message}`, path, at);
            if (decoded.value.seq !== seq) {
              throw new JournalError('corrupt', `record seq ${decoded.value.seq} where ${seq} was expected (a gap or a repeat)`, path, at);
            }
            onRecord?.(decoded.value);
          }
          seq++;
          at = end;
          continue;
        }
      }
    }
    const records = seq - firstSeq;
    if (at === size) return { header, records, firstSeq, validEnd: at, size, torn: null };
    const what = describe(frameAt(buf, at));
    if (!o.mayBeTorn) throw new JournalError('corrupt', `${what}, and this is not the end of the journal (records follow in a later file)`, path, at);
    const expected = seq;
    const later = findValidFrameAfter(buf, at, (p) => {
      if (codec === null) return true;
      const d = codec.decode(p);
      return d.ok && d.value.seq >= expected;
    });
    if (later >= 0) throw new JournalError('corrupt', `${what}, followed by a valid record at offset ${later}: corruption, not a torn tail`, path, at);
    return { header, records, firstSeq, validEnd: at, size, torn: { offset: at, bytes: size - at, reason: what } };
  }
}

export interface SnapshotFile {
  readonly header: FileHeader;
  readonly seq: number;
  /** The core's `serialize` bytes. */
  readonly bytes: Uint8Array;
}

/** Reads a snapshot file: header, one frame, nothing after it. Throws `JournalError` when it is not valid. */
export function parseSnapshotFile(buf: Buffer, path: string, expectSeq?: number): SnapshotFile {
  const header = checkHeader(buf, { path, codec: null, kinds: ['snapshot'], ...(expectSeq === undefined ? {} : { expectSeq }) });
  const f = frameAt(buf, header.bodyOffset, 0xffffffff);
  if (f.kind !== 'good') throw new JournalError('corrupt', `snapshot body: ${f.kind === 'end' ? 'missing' : describe(f)}`, path, header.bodyOffset);
  if (f.end !== buf.length) throw new JournalError('corrupt', `${buf.length - f.end} byte(s) after the snapshot body`, path, f.end);
  return { header, seq: header.json.seq, bytes: new Uint8Array(buf.buffer, buf.byteOffset + f.start, f.end - f.start) };
}
