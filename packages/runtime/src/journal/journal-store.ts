/**
 * Theory of operation: the embedded default store (docs/runtime.md §3), a
 * write-ahead journal of inputs in the trace format plus snapshots, in one
 * data directory that one hub at a time may hold (the lock).
 *
 * - `append` writes all records of the call with one write and one
 *   `fdatasync`, and resolves only after it (group commit: the driver passes a
 *   whole batch). Calls are serialized in call order.
 * - `snapshot` writes `snapshot-<seq>.dhs` under a temporary name, syncs it,
 *   renames it, syncs the directory; only then does it delete what it made
 *   obsolete (older snapshots, segments whose records it includes), so a crash
 *   at any point leaves a recoverable directory. The file is written beside
 *   the appends (they go on meanwhile); the deletions are queued with them.
 * - `recover` takes the newest valid snapshot, then the records after it,
 *   verifying each (scan.ts); a torn tail of the last segment is dropped and
 *   truncated, anything else wrong is a `JournalError('corrupt')`.
 * - After a failed write or sync the store refuses all further work
 *   (`failed`): what the disk holds is then unknown, and retrying an fsync
 *   after a failure can report success for data the kernel already dropped.
 *
 * Records are journaled redacted (`redactInput`); a raw secret is refused.
 */
import { deserialize } from '@dialoghub/core';
import { join } from 'node:path';
import type { HubStore, JournalRecord, Recovered, RecoveryVisitor } from '../store.js';
import { assertRedacted, defaultRecordCodec, type RecordCodec } from './codec.js';
import { JournalError } from './errors.js';
import {
  MAX_RECORD_BYTES,
  encodeFileHeader,
  framePayloads,
  parseSegmentName,
  parseSnapshotName,
  segmentName,
  snapshotName,
  type FileHeaderJson,
} from './format.js';
import { isErrno, nodeIo, type JournalIo } from './io.js';
import { acquireLock, type DirLock } from './lock.js';
import { parseSnapshotFile, scanRecords } from './scan.js';
import type { FileHandle } from 'node:fs/promises';

/** The data directory used when none is given. */
export const DEFAULT_DATA_DIR = './.dialoghub';
/** A segment is closed and a new one started once it holds this many bytes. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const SNAPSHOT_CODEC = 'dialoghub-snapshot';
const WRITER = '@dialoghub/runtime JournalStore';

export interface JournalStoreOptions {
  /** The data directory, created if missing. Default `./.dialoghub`. */
  readonly dir?: string;
  /** The record payload codec. Default: the core's record codec. */
  readonly codec?: RecordCodec;
  /** File-system calls (tests inject counting or failing ones). Default: node:fs. */
  readonly io?: JournalIo;
  /** Start a new segment once the current one holds this many bytes. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Wall clock for the informational `createdAt` of file headers. Default `Date.now`. */
  readonly wallClock?: () => number;
  /** Hears about what recovery repaired (a truncated torn tail, an unreadable older snapshot). */
  readonly onWarning?: (message: string) => void;
}

/** What `JournalStore.recoverEach` reports (the `HubStore` interface's optional streaming recovery). */
export type { RecoveryVisitor };

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
}

interface OpenSegment extends Segment {
  readonly handle: FileHandle;
  size: number;
}

interface Meta {
  readonly config: unknown;
  readonly hubCreatedAt: number | null;
}

/**
 * The embedded default `HubStore`. Open it with `JournalStore.open` (which
 * takes the directory's lock), hand it to `Hub.open`, and `close` it (the
 * hub's `close` does) to release the lock.
 */
export class JournalStore implements HubStore {
  /** What recovery repaired, in order (also passed to `onWarning`). */
  readonly warnings: string[] = [];
  private readonly io: JournalIo;
  private readonly segmentBytes: number;
  private readonly wallClock: () => number;
  private segments: Segment[] = [];
  private current: OpenSegment | null = null;
  private lastSeq = 0;
  private snapSeq: number | null = null;
  private meta: Meta | null = null;
  private recovered = false;
  private closed = false;
  private failure: unknown = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** The snapshot being written, if any (its file is written beside the appends, not in their queue). */
  private snapshotting: Promise<void> | null = null;

  private constructor(
    /** The data directory. */
    readonly dir: string,
    private readonly lock: DirLock,
    private readonly codec: RecordCodec,
    private readonly options: JournalStoreOptions,
  ) {
    this.io = options.io ?? nodeIo;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.wallClock = options.wallClock ?? Date.now;
  }

  /**
   * Creates the data directory if needed and takes its lock (a stale lock of
   * a dead process is taken over; a live one throws `JournalError('locked')`).
   * Call `recover()` next (`Hub.open` does).
   */
  static async open(options: JournalStoreOptions = {}): Promise<JournalStore> {
    const io = options.io ?? nodeIo;
    const dir = options.dir ?? DEFAULT_DATA_DIR;
    const codec = options.codec ?? defaultRecordCodec();
    await io.mkdir(dir);
    const lock = await acquireLock(dir, io);
    return new JournalStore(dir, lock, codec, options);
  }

  /** Seq of the last durable record (0 when none). */
  get lastDurableSeq(): number {
    return this.lastSeq;
  }

  /** Seq of the newest durable snapshot, or null. */
  get snapshotSeq(): number | null {
    return this.snapSeq;
  }

  // ---- HubStore ----------------------------------------------------------------

  /**
   * Reads back the newest valid snapshot and the records after it, repairing
   * a torn tail (docs/runtime.md §4). Call it once, before `append` and
   * `snapshot`. Throws `JournalError('corrupt')` naming the file and offset
   * when the directory holds anything but a torn tail; the store stays
   * locked then, so `close()` it.
   */
  async recover(): Promise<Recovered> {
    let snapshot: Recovered['snapshot'] = null;
    const records: JournalRecord[] = [];
    await this.recoverEach({ snapshot: (s) => (snapshot = s), record: (r) => void records.push(r) });
    return { snapshot, records };
  }

  /**
   * Recovery without holding every record: calls `visitor.snapshot` once
   * with the newest valid snapshot (or null), then `visitor.record` with each
   * record after it, in order, as it is decoded — so a caller that restores
   * the snapshot and steps each record as it comes (a replay tool; a driver,
   * given a streaming store interface) keeps one record alive at a time. Same
   * checks and repairs as `recover()`, which is this plus an array. If it
   * throws, the visitor may have seen records before the corruption.
   */
  async recoverEach(visitor: RecoveryVisitor): Promise<void> {
    this.usable(false);
    if (this.recovered) throw new JournalError('misuse', 'recover() was already called on this store');
    await this.serialized(() => this.doRecover(visitor));
  }

  /** Appends the records (consecutive seqs, continuing the journal) with one write and one `fdatasync`; resolves once they are durable. */
  async append(records: readonly JournalRecord[]): Promise<void> {
    this.usable(true);
    if (records.length === 0) return;
    const payloads: Uint8Array[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      assertRedacted(r);
      const p = this.codec.encode(r);
      if (p.length === 0 || p.length > MAX_RECORD_BYTES) throw new JournalError('misuse', `record ${r.seq} encodes to ${p.length} bytes (1..${MAX_RECORD_BYTES} allowed)`);
      payloads[i] = p;
    }
    await this.serialized(async () => {
      this.usable(true);
      for (let i = 0; i < records.length; i++) {
        const want = this.lastSeq + 1 + i;
        if (records[i]!.seq !== want) throw new JournalError('misuse', `append: record seq ${records[i]!.seq} where ${want} was expected`);
      }
      const bytes = framePayloads(payloads);
      let segment = this.current;
      if (segment === null || segment.size >= this.segmentBytes) segment = await this.startSegment(this.lastSeq + 1);
      try {
        await this.io.write(segment.handle, bytes, segment.size);
        await this.io.datasync(segment.handle);
      } catch (e) {
        this.failure = e;
        throw new JournalError('failed', `append failed; the store refuses further work: ${String(e)}`, segment.path, segment.size, { cause: e });
      }
      segment.size += bytes.length;
      this.lastSeq += records.length;
    });
  }

  /**
   * Makes `bytes` (core `serialize` output including every record up to
   * `seq`) the restart point, then deletes the segments and snapshots it made
   * obsolete. The previous snapshot stays until the new one is durable.
   *
   * The file is written and synced beside the journal, not in the queue of
   * `append` calls: appends made while it is written are not held up by it
   * (a large hub's snapshot takes seconds to write and sync). Only the
   * compaction that follows is queued with them. One snapshot at a time: a
   * second call while one is being written is a `misuse` error.
   */
  async snapshot(bytes: Uint8Array, seq: number): Promise<void> {
    this.usable(true);
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.lastSeq) {
      throw new JournalError('misuse', `snapshot at seq ${seq}, but the journal's last record is ${this.lastSeq}`);
    }
    if (this.snapSeq !== null && seq < this.snapSeq) throw new JournalError('misuse', `snapshot at seq ${seq} is older than the current one (${this.snapSeq})`);
    if (this.snapshotting !== null) throw new JournalError('misuse', `snapshot at seq ${seq} while another snapshot is being written`);
    const write = async (): Promise<void> => {
      if (this.meta === null || this.meta.config === null) this.meta = metaOf(bytes, seq, this.meta);
      const path = join(this.dir, snapshotName(seq));
      const header = encodeFileHeader('snapshot', this.headerJson(SNAPSHOT_CODEC, seq));
      await this.writeAtomically(path, [header, framePayloads([bytes])]);
      // Durable: what it makes obsolete can go, in turn with the appends (the compaction reads and
      // changes the segment list they extend).
      await this.serialized(async () => {
        this.usable(true);
        this.snapSeq = seq;
        await this.compact(seq);
      });
    };
    const run = write();
    this.snapshotting = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
    } finally {
      this.snapshotting = null;
    }
  }

  /** Waits for pending work, closes the open segment and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.snapshotting;
    await this.chain.catch(() => undefined);
    this.closed = true;
    const seg = this.current;
    this.current = null;
    try {
      if (seg !== null) await this.io.close(seg.handle);
    } finally {
      await this.lock.release();
    }
  }

  // ---- recovery ----------------------------------------------------------------

  private async doRecover(visitor: RecoveryVisitor): Promise<void> {
    const names = await this.io.readdir(this.dir);
    for (const n of names) {
      // Leftovers of a snapshot or segment creation cut short.
      if (/^(journal|snapshot)-\d+\.(dhj|dhs)\.tmp$/.test(n)) await this.io.unlink(join(this.dir, n));
    }
    const snapSeqs = names.flatMap((n) => (n.endsWith('.tmp') ? [] : [parseSnapshotName(n)].filter((s): s is number => s !== undefined))).sort((a, b) => b - a);
    const segSeqs = names.flatMap((n) => [parseSegmentName(n)].filter((s): s is number => s !== undefined)).sort((a, b) => a - b);

    let snapshot: { bytes: Uint8Array; seq: number; meta: Meta } | null = null;
    for (const seq of snapSeqs) {
      const path = join(this.dir, snapshotName(seq));
      try {
        const file = parseSnapshotFile(await this.io.readFile(path), path, seq);
        snapshot = { bytes: file.bytes, seq, meta: { config: file.header.json.config ?? null, hubCreatedAt: file.header.json.hubCreatedAt ?? null } };
        break;
      } catch (e) {
        if (!(e instanceof JournalError)) throw e;
        this.warn(`ignoring an unreadable snapshot: ${e.message}`);
      }
    }
    if (snapSeqs.length > 0 && snapshot === null) {
      throw new JournalError('corrupt', `none of the ${snapSeqs.length} snapshot file(s) is valid; refusing to guess a starting state`, this.dir);
    }
    const base = snapshot?.seq ?? 0;
    visitor.snapshot(snapshot === null ? null : { bytes: snapshot.bytes, seq: snapshot.seq });

    // A segment whose successor starts at or before base + 1 holds only records the snapshot includes.
    const obsolete: number[] = [];
    const kept: number[] = [];
    segSeqs.forEach((s, i) => (i + 1 < segSeqs.length && segSeqs[i + 1]! <= base + 1 ? obsolete : kept).push(s));
    if (kept.length > 0 && kept[0]! > base + 1) {
      throw new JournalError('corrupt', `the journal resumes at seq ${kept[0]} but ${snapshot === null ? 'there is no snapshot' : `the newest snapshot ends at seq ${base}`}: records are missing`, join(this.dir, segmentName(kept[0]!)));
    }

    let next = kept[0] ?? base + 1;
    let meta: Meta | null = snapshot?.meta ?? null;
    let last: { seq: number; path: string; validEnd: number; torn: boolean } | null = null;
    for (let i = 0; i < kept.length; i++) {
      const firstSeq = kept[i]!;
      const path = join(this.dir, segmentName(firstSeq));
      if (firstSeq !== next) {
        throw new JournalError('corrupt', `segment starts at seq ${firstSeq} but the previous one ended at ${next - 1}: a gap in the journal`, path);
      }
      const scan = scanRecords(await this.io.readFile(path), {
        path,
        codec: this.codec,
        kinds: ['journal'],
        mayBeTorn: i === kept.length - 1,
        expectSeq: firstSeq,
        onRecord: (r) => {
          if (r.seq > base) visitor.record(r);
        },
      });
      next = firstSeq + scan.records;
      meta = { config: scan.header.json.config ?? meta?.config ?? null, hubCreatedAt: scan.header.json.hubCreatedAt ?? meta?.hubCreatedAt ?? null };
      last = { seq: firstSeq, path, validEnd: scan.validEnd, torn: scan.torn !== null };
      if (scan.torn !== null) {
        this.warn(`${path}: dropping a torn tail of ${scan.torn.bytes} byte(s) at offset ${scan.torn.offset} (${scan.torn.reason}); it was never acknowledged`);
      }
    }
    this.lastSeq = Math.max(base, next - 1);
    this.snapSeq = snapshot?.seq ?? null;
    this.meta = meta;

    if (last !== null && last.torn) {
      const handle = await this.io.open(last.path, 'r+');
      try {
        await this.io.truncate(handle, last.validEnd);
        await this.io.datasync(handle);
      } finally {
        await this.io.close(handle);
      }
    }
    // The last segment holds only records the snapshot includes: a compaction was cut short.
    if (last !== null && next - 1 <= base) {
      obsolete.push(last.seq);
      kept.pop();
      last = null;
    }
    const staleSnapshots = snapSeqs.filter((s) => s < base);
    if (obsolete.length > 0 || staleSnapshots.length > 0) {
      await this.io.syncDir(this.dir); // the chosen snapshot's rename is durable before anything it replaces goes
      for (const s of obsolete) await this.unlinkQuietly(join(this.dir, segmentName(s)));
      for (const s of staleSnapshots) await this.unlinkQuietly(join(this.dir, snapshotName(s)));
      await this.io.syncDir(this.dir);
    }
    this.segments = kept.map((firstSeq) => ({ firstSeq, path: join(this.dir, segmentName(firstSeq)) }));
    if (last !== null) {
      const handle = await this.io.open(last.path, 'r+');
      this.current = { firstSeq: last.seq, path: last.path, handle, size: last.validEnd };
    }
    this.recovered = true;
  }

  // ---- writing -----------------------------------------------------------------

  private async startSegment(firstSeq: number): Promise<OpenSegment> {
    if (this.current !== null) {
      const done = this.current;
      this.current = null;
      await this.io.close(done.handle);
    }
    const path = join(this.dir, segmentName(firstSeq));
    const header = encodeFileHeader('journal', this.headerJson(this.codec.name, firstSeq));
    const handle = await this.writeAtomically(path, [header], true);
    const segment: OpenSegment = { firstSeq, path, handle, size: header.length };
    this.segments.push({ firstSeq, path });
    this.current = segment;
    return segment;
  }

  /** Writes `parts` to `<path>.tmp`, syncs, renames to `path`, syncs the directory. Returns the open handle when asked to keep it. */
  private async writeAtomically(path: string, parts: readonly Uint8Array[], keepOpen: true): Promise<FileHandle>;
  private async writeAtomically(path: string, parts: readonly Uint8Array[]): Promise<void>;
  private async writeAtomically(path: string, parts: readonly Uint8Array[], keepOpen = false): Promise<FileHandle | void> {
    const tmp = `${path}.tmp`;
    const handle = await this.io.open(tmp, 'w');
    let open = true;
    try {
      let at = 0;
      for (const p of parts) {
        await this.io.write(handle, p, at);
        at += p.length;
      }
      await this.io.datasync(handle);
      if (!keepOpen) {
        open = false;
        await this.io.close(handle);
      }
      await this.io.rename(tmp, path);
      await this.io.syncDir(this.dir);
    } catch (e) {
      if (open) await this.io.close(handle).catch(() => undefined);
      await this.io.unlink(tmp).catch(() => undefined);
      throw e;
    }
    return keepOpen ? handle : undefined;
  }

  /** Deletes the segments whose records all lie at or before `seq`, and every other snapshot. */
  private async compact(seq: number): Promise<void> {
    if (this.current !== null && seq === this.lastSeq) {
      const done = this.current;
      this.current = null;
      await this.io.close(done.handle);
    }
    const keep: Segment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const lastOf = (this.segments[i + 1]?.firstSeq ?? this.lastSeq + 1) - 1;
      if (lastOf <= seq && s.path !== this.current?.path) await this.unlinkQuietly(s.path);
      else keep.push(s);
    }
    this.segments = keep;
    for (const n of await this.io.readdir(this.dir)) {
      const s = parseSnapshotName(n);
      if (s !== undefined && s !== seq) await this.unlinkQuietly(join(this.dir, n));
    }
    await this.io.syncDir(this.dir);
  }

  private headerJson(codec: string, seq: number): FileHeaderJson {
    return {
      codec,
      seq,
      createdAt: new Date(this.wallClock()).toISOString(),
      hubCreatedAt: this.meta?.hubCreatedAt ?? null,
      config: this.meta?.config ?? null,
      writer: WRITER,
    };
  }

  // ---- plumbing ----------------------------------------------------------------

  private usable(needsRecovery: boolean): void {
    if (this.closed) throw new JournalError('closed', 'the journal store is closed', this.dir);
    if (this.failure !== null) throw new JournalError('failed', `an earlier write failed (${String(this.failure)}); reopen the store to recover`, this.dir);
    if (needsRecovery && !this.recovered) throw new JournalError('misuse', 'call recover() before append() or snapshot()', this.dir);
  }

  /** Runs `task` after every earlier call finished (in call order). */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async unlinkQuietly(path: string): Promise<void> {
    try {
      await this.io.unlink(path);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) this.warn(`could not delete ${path}: ${String(e)}`);
    }
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }
}

/** The hub's config and creation time, read from a snapshot (cheap for the genesis snapshot, which the driver writes first). */
function metaOf(bytes: Uint8Array, seq: number, known: Meta | null): Meta {
  const state = deserialize(bytes, { verify: false });
  if (!state.ok) return known ?? { config: null, hubCreatedAt: null };
  return { config: state.value.config, hubCreatedAt: seq === 0 ? state.value.now : (known?.hubCreatedAt ?? null) };
}
