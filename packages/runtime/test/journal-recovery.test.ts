/**
 * The journal store's recovery: a torn tail at every byte offset of the last
 * record is dropped and truncated; corruption anywhere else is an error naming
 * the file and the offset; snapshots, compaction, and crashes in between.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRecordCodec, JournalError, JournalStore, nodeIo, type JournalIo } from '../src/index.js';
import { encodeFileHeader, framePayloads } from '../src/journal/format.js';
import { records } from './fixtures/records.js';

const codec = defaultRecordCodec();

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dh-recovery-'));
  dir = join(root, 'data');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function open(at = dir, options: { io?: JournalIo; segmentBytes?: number } = {}) {
  const store = await JournalStore.open({ dir: at, ...options });
  const recovered = await store.recover();
  return { store, recovered };
}

/** Writes records 1..n (in appends of 3) and closes; returns the offset where record n starts. */
async function journalOf(n: number): Promise<{ lastStart: number; size: number; file: string }> {
  const { store } = await open();
  for (let s = 1; s <= n; s += 3) await store.append(records(s, Math.min(n, s + 2)));
  await store.close();
  const file = join(dir, 'journal-1.dhj');
  const size = (await stat(file)).size;
  const lastLen = codec.encode(records(n, n)[0]!).length + 8;
  return { lastStart: size - lastLen, size, file };
}

describe('JournalStore: torn tails', () => {
  it('drops and truncates a last record cut at every byte offset', async () => {
    const n = 7;
    const { lastStart, size } = await journalOf(n);
    expect(size - lastStart).toBeGreaterThan(20);
    for (let cut = lastStart; cut < size; cut++) {
      const copy = join(root, `cut-${cut}`);
      await cp(dir, copy, { recursive: true });
      await truncate(join(copy, 'journal-1.dhj'), cut);
      const { store, recovered } = await open(copy);
      expect(recovered.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await stat(join(copy, 'journal-1.dhj'))).size).toBe(lastStart);
      if (cut > lastStart) expect(store.warnings.join()).toMatch(/torn tail/);
      // The journal continues where the torn record would have been.
      await store.append(records(7, 8));
      await store.close();
      const again = await open(copy);
      expect(again.recovered.records).toEqual(records(1, 8));
      await again.store.close();
      await rm(copy, { recursive: true });
    }
  });

  it('drops and truncates a last record with a damaged byte at every offset (bad CRC or length)', async () => {
    const n = 5;
    const { lastStart, size, file } = await journalOf(n);
    const original = await readFile(file);
    for (let at = lastStart; at < size; at++) {
      const copy = join(root, `flip-${at}`);
      await cp(dir, copy, { recursive: true });
      const damaged = Buffer.from(original);
      damaged[at] = damaged[at]! ^ 0x5a;
      await writeFile(join(copy, 'journal-1.dhj'), damaged);
      const { store, recovered } = await open(copy);
      expect(recovered.records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect((await stat(join(copy, 'journal-1.dhj'))).size).toBe(lastStart);
      await store.close();
      await rm(copy, { recursive: true });
    }
  });

  it('drops garbage after the last record (a write that extended the file but never landed)', async () => {
    const { size, file } = await journalOf(4);
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.alloc(4096)]));
    const { store, recovered } = await open();
    expect(recovered.records).toEqual(records(1, 4));
    expect((await stat(file)).size).toBe(size);
    await store.close();
  });
});

describe('JournalStore: corruption is an error, never skipped', () => {
  it('a damaged record followed by good ones names the file and offset, and changes nothing', async () => {
    const { file } = await journalOf(9);
    const original = await readFile(file);
    // Find record 4's frame: walk the frames from the header.
    const headerLen = 20 + original.readUInt32LE(12);
    let at = headerLen;
    for (let i = 1; i < 4; i++) at += 8 + original.readUInt32LE(at);
    const damaged = Buffer.from(original);
    damaged[at + 12] = damaged[at + 12]! ^ 0xff;
    await writeFile(file, damaged);
    const store = await JournalStore.open({ dir });
    const error = await store.recover().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ code: 'corrupt', file, offset: at });
    expect((error as Error).message).toContain(`${file} at offset ${at}`);
    expect((error as Error).message).toMatch(/followed by a valid record/);
    await store.close();
    expect(await readFile(file)).toEqual(damaged);
  });

  it('a damaged length in the middle of the last segment is found by resynchronising', async () => {
    const { file } = await journalOf(9);
    const original = await readFile(file);
    const headerLen = 20 + original.readUInt32LE(12);
    const damaged = Buffer.from(original);
    damaged.writeUInt32LE(0x7fffff, headerLen + 8 + original.readUInt32LE(headerLen)); // record 2's length
    await writeFile(file, damaged);
    const store = await JournalStore.open({ dir });
    await expect(store.recover()).rejects.toMatchObject({ code: 'corrupt', file });
    await store.close();
  });

  it('a torn record in a segment that is not the last one is corruption', async () => {
    const { store } = await open(dir, { segmentBytes: 300 });
    for (let s = 1; s <= 30; s += 3) await store.append(records(s, s + 2));
    await store.close();
    const segs = (await readdir(dir)).filter((n) => n.endsWith('.dhj')).sort((a, b) => Number(a.split(/[-.]/)[1]) - Number(b.split(/[-.]/)[1]));
    expect(segs.length).toBeGreaterThan(2);
    const first = join(dir, segs[0]!);
    await truncate(first, (await stat(first)).size - 3);
    const again = await JournalStore.open({ dir });
    await expect(again.recover()).rejects.toMatchObject({ code: 'corrupt', file: first });
    await again.close();
  });

  it('a missing segment (a gap in seq) is corruption', async () => {
    const { store } = await open(dir, { segmentBytes: 300 });
    for (let s = 1; s <= 30; s += 3) await store.append(records(s, s + 2));
    await store.close();
    const segs = (await readdir(dir)).filter((n) => n.endsWith('.dhj')).sort((a, b) => Number(a.split(/[-.]/)[1]) - Number(b.split(/[-.]/)[1]));
    await rm(join(dir, segs[1]!));
    const again = await JournalStore.open({ dir });
    await expect(again.recover()).rejects.toThrow(/gap/);
    await again.close();
  });

  it('a record whose seq does not follow (a gap inside a file) is corruption', async () => {
    await nodeIo.mkdir(dir);
    const header = encodeFileHeader('journal', { codec: codec.name, seq: 1, createdAt: new Date(0).toISOString(), hubCreatedAt: null, config: null });
    const body = framePayloads([...records(1, 2), ...records(4, 5)].map((r) => codec.encode(r)));
    const file = join(dir, 'journal-1.dhj');
    await writeFile(file, Buffer.concat([header, body]));
    const store = await JournalStore.open({ dir });
    await expect(store.recover()).rejects.toThrow(/record seq 4 where 3 was expected/);
    await store.close();
  });

  it('a file written with another codec is refused', async () => {
    await journalOf(2);
    const other = { ...codec, name: 'another' };
    const store = await JournalStore.open({ dir, codec: other });
    await expect(store.recover()).rejects.toMatchObject({ code: 'unsupported' });
    await store.close();
  });
});

describe('JournalStore: snapshots and compaction', () => {
  const snap = (s: string) => new Uint8Array(Buffer.from(s));

  it('recovers the newest snapshot and only the records after it; compaction deletes what it covers', async () => {
    const { store } = await open();
    await store.snapshot(snap('genesis'), 0);
    await store.append(records(1, 10));
    await store.snapshot(snap('at-10'), 10);
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'snapshot-10.dhs']);
    await store.append(records(11, 15));
    await store.snapshot(snap('at-13'), 13); // mid-segment: the segment stays, it holds 14 and 15
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'journal-11.dhj', 'snapshot-13.dhs']);
    await store.append(records(16, 16));
    await store.close();

    const again = await open();
    expect(again.recovered.snapshot?.seq).toBe(13);
    expect(Buffer.from(again.recovered.snapshot!.bytes).toString()).toBe('at-13');
    expect(again.recovered.records).toEqual(records(14, 16));
    await again.store.snapshot(snap('at-16'), 16);
    await again.store.close();
    expect((await readdir(dir)).sort()).toEqual(['snapshot-16.dhs']);
    const third = await open();
    expect(third.recovered).toEqual({ snapshot: { seq: 16, bytes: snap('at-16') }, records: [] });
    await third.store.append(records(17, 17));
    await third.store.close();
    expect((await readdir(dir)).sort()).toEqual(['journal-17.dhj', 'snapshot-16.dhs']);
  });

  /** An io whose snapshot files wait before their sync until `release` (appends are untouched). */
  function heldSnapshotIo() {
    const snapshotHandles = new Set<unknown>();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const syncReached = new Promise<void>((r) => (reached = r));
    const io: JournalIo = {
      ...nodeIo,
      open: async (path, flags) => {
        const handle = await nodeIo.open(path, flags);
        if (path.includes('snapshot-')) snapshotHandles.add(handle);
        return handle;
      },
      datasync: async (handle) => {
        if (snapshotHandles.has(handle)) {
          reached();
          await released;
        }
        return nodeIo.datasync(handle);
      },
    };
    return { io, release, syncReached };
  }

  it('appends go on while a snapshot is written; its compaction then keeps the records after it', async () => {
    const held = heldSnapshotIo();
    const { store } = await open(dir, { io: held.io });
    await store.append(records(1, 4));
    let written = false;
    const snapping = store.snapshot(snap('at-4'), 4).then(() => (written = true));
    await held.syncReached;
    // The snapshot's file is not durable yet, and appends are not held up by it.
    await store.append(records(5, 6));
    await store.append(records(7, 8));
    expect(written).toBe(false);
    await expect(store.snapshot(snap('at-8'), 8)).rejects.toMatchObject({ code: 'misuse', message: expect.stringMatching(/another snapshot/) });
    held.release();
    await snapping;
    // The segment holding 1..8 stays: it also holds the records after the snapshot.
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'journal-1.dhj', 'snapshot-4.dhs']);
    await store.append(records(9, 9));
    await store.close();
    const again = await open();
    expect(again.recovered.snapshot).toEqual({ seq: 4, bytes: snap('at-4') });
    expect(again.recovered.records).toEqual(records(5, 9));
    await again.store.close();
  });

  it('close waits for a snapshot being written', async () => {
    const held = heldSnapshotIo();
    const { store } = await open(dir, { io: held.io });
    await store.append(records(1, 3));
    const snapping = store.snapshot(snap('at-3'), 3);
    await held.syncReached;
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    held.release();
    await Promise.all([snapping, closing]);
    expect((await readdir(dir)).sort()).toEqual(['snapshot-3.dhs']);
    const again = await open();
    expect(again.recovered).toEqual({ snapshot: { seq: 3, bytes: snap('at-3') }, records: [] });
    await again.store.close();
  });

  it('keeps the previous snapshot when writing the new one fails', async () => {
    let failRename = false;
    const io: JournalIo = {
      ...nodeIo,
      rename: async (a, b) => {
        if (failRename) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeIo.rename(a, b);
      },
    };
    const { store } = await open(dir, { io });
    await store.append(records(1, 4));
    await store.snapshot(snap('at-4'), 4);
    await store.append(records(5, 8));
    failRename = true;
    await expect(store.snapshot(snap('at-8'), 8)).rejects.toThrow(/ENOSPC/);
    failRename = false;
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'journal-5.dhj', 'snapshot-4.dhs']);
    await store.append(records(9, 9)); // a failed snapshot does not stop the journal
    await store.close();
    const again = await open();
    expect(again.recovered.snapshot?.seq).toBe(4);
    expect(again.recovered.records).toEqual(records(5, 9));
    await again.store.close();
  });

  it('a crash while writing a snapshot leaves a temporary file that recovery deletes', async () => {
    const { store } = await open();
    await store.append(records(1, 4));
    await store.snapshot(snap('at-2'), 2);
    await store.close();
    await writeFile(join(dir, 'snapshot-4.dhs.tmp'), Buffer.from('half a snapshot'));
    const again = await open();
    expect(again.recovered.snapshot?.seq).toBe(2);
    expect(again.recovered.records).toEqual(records(3, 4));
    expect(await readdir(dir)).not.toContain('snapshot-4.dhs.tmp');
    await again.store.close();
  });

  it('finishes a compaction a crash interrupted (segments the snapshot covers are still there)', async () => {
    const { store } = await open();
    await store.append(records(1, 10));
    await cp(join(dir, 'journal-1.dhj'), join(root, 'saved.dhj'));
    await store.snapshot(snap('at-10'), 10);
    await store.close();
    await cp(join(root, 'saved.dhj'), join(dir, 'journal-1.dhj'));
    const again = await open();
    expect(again.recovered).toEqual({ snapshot: { seq: 10, bytes: snap('at-10') }, records: [] });
    expect(await readdir(dir)).not.toContain('journal-1.dhj');
    await again.store.append(records(11, 11));
    await again.store.close();
    const third = await open();
    expect(third.recovered.records).toEqual(records(11, 11));
    await third.store.close();
  });

  it('falls back to an older snapshot when the newest is damaged and the journal still covers it', async () => {
    const { store } = await open();
    await store.append(records(1, 10));
    await store.snapshot(snap('at-5'), 5);
    await store.close();
    const good = await readFile(join(dir, 'snapshot-5.dhs'));
    const bad = Buffer.from(good);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    await writeFile(join(dir, 'snapshot-8.dhs'), bad);
    const again = await open();
    expect(again.recovered.snapshot?.seq).toBe(5);
    expect(again.recovered.records).toEqual(records(6, 10));
    expect(again.store.warnings.join()).toMatch(/snapshot-8\.dhs/);
    await again.store.close();
  });

  it('refuses to start when no snapshot is valid', async () => {
    const { store } = await open();
    await store.append(records(1, 3));
    await store.snapshot(snap('at-3'), 3);
    await store.close();
    const file = join(dir, 'snapshot-3.dhs');
    const bytes = await readFile(file);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    await writeFile(file, bytes);
    const again = await JournalStore.open({ dir });
    await expect(again.recover()).rejects.toMatchObject({ code: 'corrupt' });
    await again.close();
  });
});
