/**
 * Theory of operation: the read side of the trace format for tools
 * (`dialoghub replay`, `view`, `inspect`) and a small writer for traces (the
 * simulator, `dialoghub serve --trace`).
 *
 * Readers never change a file: a torn tail is reported (`tail`), not
 * truncated — only a store's recovery repairs. A path may name one file
 * (a journal segment or a trace) or a data directory, whose segments are then
 * read in seq order as one stream.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { assertRedacted, defaultRecordCodec, type RecordCodec, type TraceRecord } from './codec.js';
import { JournalError } from './errors.js';
import { encodeFileHeader, framePayloads, MAX_RECORD_BYTES, parseSegmentName, parseSnapshotName, segmentName, snapshotName, type FileHeaderJson, type FileKind } from './format.js';
import { nodeIo, type JournalIo } from './io.js';
import { checkHeader, parseSnapshotFile, scanRecords, type TornTail } from './scan.js';
import type { FileHandle } from 'node:fs/promises';

export interface ReadOptions {
  /** Default: the core's record codec. */
  readonly codec?: RecordCodec;
  readonly io?: JournalIo;
}

/** A file header as tools see it. */
export interface TraceHeader {
  readonly kind: 'journal' | 'trace';
  readonly version: number;
  readonly codec: string;
  /** Seq of the first record. */
  readonly firstSeq: number;
  readonly createdAt: string;
  /** `initialState(config, hubCreatedAt)` is the state before seq 1, when known. */
  readonly hubCreatedAt: number | null;
  /** The hub's resolved config, when known. */
  readonly config: unknown;
  /** The whole JSON header, unknown fields included. */
  readonly json: FileHeaderJson;
}

export interface OpenedTrace {
  readonly path: string;
  /** The first file's header. */
  readonly header: TraceHeader;
  /** The files read, in order (one for a file path). */
  readonly files: readonly string[];
  /**
   * The records in seq order. Throws `JournalError('corrupt')` on corruption;
   * stops before a torn tail, which `tail` then describes.
   */
  records(): AsyncIterableIterator<TraceRecord>;
  /** After `records()` finished: the torn tail of the last file, if any. */
  readonly tail: (TornTail & { readonly file: string }) | null;
}

function toHeader(kind: FileKind, version: number, json: FileHeaderJson): TraceHeader {
  if (kind === 'snapshot') throw new JournalError('unsupported', 'a snapshot file holds no records');
  return {
    kind,
    version,
    codec: json.codec,
    firstSeq: json.seq,
    createdAt: json.createdAt,
    hubCreatedAt: json.hubCreatedAt ?? null,
    config: json.config ?? null,
    json,
  };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

async function segmentFiles(dir: string, io: JournalIo): Promise<string[]> {
  const seqs = (await io.readdir(dir)).flatMap((n) => [parseSegmentName(n)].filter((s): s is number => s !== undefined)).sort((a, b) => a - b);
  return seqs.map((s) => join(dir, segmentName(s)));
}

/**
 * Opens a journal segment, a trace file, or a data directory (its segments in
 * order) for reading. Reads the first header at once; records are read file by
 * file as the iterator is consumed.
 */
export async function openTrace(path: string, options: ReadOptions = {}): Promise<OpenedTrace> {
  const io = options.io ?? nodeIo;
  const codec = options.codec ?? defaultRecordCodec();
  const directory = await isDirectory(path);
  const files = directory ? await segmentFiles(path, io) : [path];
  let header: TraceHeader;
  if (files.length > 0) {
    const first = checkHeader(await io.readFile(files[0]!), { path: files[0]!, codec, kinds: ['journal', 'trace'] });
    header = toHeader(first.kind, first.version, first.json);
  } else {
    // A data directory right after a snapshot (a hub closes with one) holds no segment: an empty journal after it.
    const snap = directory ? await readLatestSnapshot(path, { io }) : null;
    if (snap === null) throw new JournalError('corrupt', 'neither a journal segment (journal-<seq>.dhj) nor a snapshot in this directory', path);
    header = toHeader('journal', 1, { ...snap.header, codec: codec.name, seq: snap.seq + 1 });
  }
  let tail: OpenedTrace['tail'] = null;
  async function* records(): AsyncIterableIterator<TraceRecord> {
    let next: number | undefined;
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const got: TraceRecord[] = [];
      const scan = scanRecords(await io.readFile(file), { path: file, codec, kinds: ['journal', 'trace'], mayBeTorn: i === files.length - 1, onRecord: (r) => got.push(r) });
      if (next !== undefined && scan.firstSeq !== next) {
        throw new JournalError('corrupt', `file starts at seq ${scan.firstSeq} but the previous one ended at ${next - 1}`, file);
      }
      next = scan.firstSeq + scan.records;
      if (scan.torn !== null) tail = { ...scan.torn, file };
      yield* got;
    }
  }
  return {
    path,
    header,
    files,
    records,
    get tail() {
      return tail;
    },
  };
}

/** The records of a journal segment, a trace file or a data directory, in order (see `openTrace`). */
export async function* readTrace(path: string, options: ReadOptions = {}): AsyncGenerator<TraceRecord> {
  const trace = await openTrace(path, options);
  yield* trace.records();
}

/** The newest valid snapshot of a data directory, without locking or changing anything. */
export async function readLatestSnapshot(dir: string, options: Pick<ReadOptions, 'io'> = {}): Promise<{ seq: number; bytes: Uint8Array; header: FileHeaderJson } | null> {
  const io = options.io ?? nodeIo;
  const seqs = (await io.readdir(dir)).flatMap((n) => [parseSnapshotName(n)].filter((s): s is number => s !== undefined)).sort((a, b) => b - a);
  for (const seq of seqs) {
    const path = join(dir, snapshotName(seq));
    try {
      const f = parseSnapshotFile(await io.readFile(path), path, seq);
      return { seq, bytes: f.bytes, header: f.header.json };
    } catch (e) {
      if (!(e instanceof JournalError)) throw e;
    }
  }
  return null;
}

export interface SegmentStats {
  readonly file: string;
  readonly firstSeq: number;
  /** firstSeq − 1 for an empty segment. */
  readonly lastSeq: number;
  readonly records: number;
  readonly bytes: number;
  readonly torn: TornTail | null;
}

export interface JournalStats {
  readonly dir: string;
  readonly segments: readonly SegmentStats[];
  /** Records in all segments. */
  readonly records: number;
  /** Bytes of all segments and snapshots. */
  readonly bytes: number;
  /** The newest valid snapshot, if any. */
  readonly snapshot: { readonly file: string; readonly seq: number; readonly bytes: number } | null;
  readonly snapshotFiles: number;
}

/**
 * Segments, records, bytes and the snapshot seq of a data directory. Read
 * only (no lock is taken, nothing is repaired); checks every CRC but decodes
 * nothing, so it also works on files of an unknown codec.
 */
export async function journalStats(dir: string, options: Pick<ReadOptions, 'io'> = {}): Promise<JournalStats> {
  const io = options.io ?? nodeIo;
  const files = await segmentFiles(dir, io);
  const segments: SegmentStats[] = [];
  let bytes = 0;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const buf = await io.readFile(file);
    const scan = scanRecords(buf, { path: file, codec: null, kinds: ['journal'], mayBeTorn: i === files.length - 1, expectSeq: parseSegmentName(basename(file))! });
    segments.push({ file: basename(file), firstSeq: scan.firstSeq, lastSeq: scan.firstSeq + scan.records - 1, records: scan.records, bytes: buf.length, torn: scan.torn });
    bytes += buf.length;
  }
  const snapNames = (await io.readdir(dir)).filter((n) => parseSnapshotName(n) !== undefined);
  const sizes = await Promise.all(snapNames.map(async (n) => (await stat(join(dir, n))).size));
  bytes += sizes.reduce((a, b) => a + b, 0);
  const snap = await readLatestSnapshot(dir, { io });
  return {
    dir,
    segments,
    records: segments.reduce((a, s) => a + s.records, 0),
    bytes,
    snapshot: snap === null ? null : { file: snapshotName(snap.seq), seq: snap.seq, bytes: sizes[snapNames.indexOf(snapshotName(snap.seq))] ?? 0 },
    snapshotFiles: snapNames.length,
  };
}

export interface TraceWriterOptions {
  /** Default `trace`. */
  readonly kind?: 'journal' | 'trace';
  /** Seq of the first record. Default 1. */
  readonly firstSeq?: number;
  /** The hub's resolved config (so that a replay can start from `initialState`). */
  readonly config?: unknown;
  /** The `now` of the hub's initial state. */
  readonly hubCreatedAt?: number | null;
  readonly codec?: RecordCodec;
  readonly io?: JournalIo;
  /** Extra JSON header fields (seed, scenario…); readers ignore what they do not know. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Name of the writing program. */
  readonly writer?: string;
  /** `fdatasync` after every `write` (default false: a trace is a record, not a journal). */
  readonly sync?: boolean;
}

/**
 * Writes a trace file: records in seq order, optionally with the commands
 * each step produced (redacted: a raw secret is refused). Creates the file
 * (refusing to overwrite) and writes each `write` call as one write.
 */
export class TraceWriter {
  private size: number;
  private nextSeq: number;
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly io: JournalIo,
    private readonly codec: RecordCodec,
    private readonly sync: boolean,
    headerBytes: number,
    firstSeq: number,
  ) {
    this.size = headerBytes;
    this.nextSeq = firstSeq;
  }

  static async create(path: string, options: TraceWriterOptions = {}): Promise<TraceWriter> {
    const io = options.io ?? nodeIo;
    const codec = options.codec ?? defaultRecordCodec();
    const firstSeq = options.firstSeq ?? 1;
    const header = encodeFileHeader(options.kind ?? 'trace', {
      ...(options.extra ?? {}),
      codec: codec.name,
      seq: firstSeq,
      createdAt: new Date().toISOString(),
      hubCreatedAt: options.hubCreatedAt ?? null,
      config: options.config ?? null,
      writer: options.writer ?? '@dialoghub/runtime TraceWriter',
    });
    const handle = await io.open(path, 'wx');
    try {
      await io.write(handle, header, 0);
    } catch (e) {
      await io.close(handle);
      throw e;
    }
    return new TraceWriter(path, handle, io, codec, options.sync ?? false, header.length, firstSeq);
  }

  /** Appends records (consecutive seqs). Calls are written in call order. */
  async write(records: readonly TraceRecord[]): Promise<void> {
    const payloads = records.map((r, i) => {
      if (r.seq !== this.nextSeq + i) throw new JournalError('misuse', `trace record seq ${r.seq} where ${this.nextSeq + i} was expected`, this.path);
      assertRedacted(r);
      const p = this.codec.encode(r);
      if (p.length === 0 || p.length > MAX_RECORD_BYTES) throw new JournalError('misuse', `record ${r.seq} encodes to ${p.length} bytes`, this.path);
      return p;
    });
    this.nextSeq += records.length;
    const bytes = framePayloads(payloads);
    const at = this.size;
    this.size += bytes.length;
    const run = this.pending.then(async () => {
      await this.io.write(this.handle, bytes, at);
      if (this.sync) await this.io.datasync(this.handle);
    });
    this.pending = run.catch(() => undefined);
    await run;
  }

  /** Waits for the writes, syncs and closes the file. */
  async close(): Promise<void> {
    await this.pending;
    try {
      await this.io.datasync(this.handle);
    } finally {
      await this.io.close(this.handle);
    }
  }
}
