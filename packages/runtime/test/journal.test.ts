/**
 * The journal store's write path: round trip, group commit (one write and one
 * fdatasync per append, resolved only after the sync), ordering of concurrent
 * appends, segment rollover, misuse and failure.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalError, JournalStore, nodeIo, type JournalIo } from '../src/index.js';
import { records } from './fixtures/records.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Counted {
  io: JournalIo;
  writes: number;
  datasyncs: number;
}

function countingIo(): Counted {
  const c: Counted = {
    writes: 0,
    datasyncs: 0,
    io: {
      ...nodeIo,
      write: async (h, d, p) => {
        c.writes++;
        return nodeIo.write(h, d, p);
      },
      datasync: async (h) => {
        c.datasyncs++;
        return nodeIo.datasync(h);
      },
    },
  };
  return c;
}

async function reopen(options: Partial<Parameters<typeof JournalStore.open>[0]> = {}) {
  const store = await JournalStore.open({ dir, ...options });
  const recovered = await store.recover();
  return { store, recovered };
}

describe('JournalStore: write path', () => {
  it('round-trips records across a close and a reopen', async () => {
    const { store, recovered } = await reopen();
    expect(recovered).toEqual({ snapshot: null, records: [] });
    await store.append(records(1, 3));
    await store.append(records(4, 10));
    expect(store.lastDurableSeq).toBe(10);
    await store.close();

    const again = await reopen();
    expect(again.recovered.snapshot).toBeNull();
    expect(again.recovered.records).toEqual(records(1, 10));
    await again.store.append(records(11, 12));
    await again.store.close();
    const third = await reopen();
    expect(third.recovered.records).toEqual(records(1, 12));
    await third.store.close();
    expect((await readdir(dir)).sort()).toEqual(['journal-1.dhj']);
  });

  it('group commit: each append is one write and one fdatasync, whatever its size', async () => {
    const counted = countingIo();
    const { store } = await reopen({ io: counted.io });
    await store.append(records(1, 1)); // creates the segment (its header is synced separately)
    for (const [from, to] of [
      [2, 2],
      [3, 100],
      [101, 4196],
    ] as const) {
      const before = { writes: counted.writes, datasyncs: counted.datasyncs };
      await store.append(records(from, to));
      expect({ writes: counted.writes - before.writes, datasyncs: counted.datasyncs - before.datasyncs }).toEqual({ writes: 1, datasyncs: 1 });
    }
    await store.close();
  });

  it('append resolves only after its fdatasync returned', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let gated = false;
    const io: JournalIo = {
      ...nodeIo,
      datasync: async (h) => {
        if (gated) await gate;
        return nodeIo.datasync(h);
      },
    };
    const { store } = await reopen({ io });
    await store.append(records(1, 1));
    gated = true;
    let resolved = false;
    const pending = store.append(records(2, 5)).then(() => (resolved = true));
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect(resolved).toBe(false);
    release();
    await pending;
    expect(resolved).toBe(true);
    await store.close();
  });

  it('serializes concurrent appends in call order, one sync each', async () => {
    const counted = countingIo();
    const { store } = await reopen({ io: counted.io });
    await store.append(records(1, 1));
    const syncsBefore = counted.datasyncs;
    const order: number[] = [];
    await Promise.all([
      store.append(records(2, 4)).then(() => order.push(1)),
      store.append(records(5, 5)).then(() => order.push(2)),
      store.append(records(6, 9)).then(() => order.push(3)),
    ]);
    expect(order).toEqual([1, 2, 3]);
    expect(counted.datasyncs - syncsBefore).toBe(3);
    await store.close();
    const again = await reopen();
    expect(again.recovered.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await again.store.close();
  });

  it('rolls over to a new segment once the current one is full, and reads them back in order', async () => {
    const { store } = await reopen({ segmentBytes: 300 });
    for (let s = 1; s <= 40; s += 4) await store.append(records(s, s + 3));
    await store.close();
    const names = (await readdir(dir)).filter((n) => n.endsWith('.dhj'));
    expect(names.length).toBeGreaterThan(3);
    expect(names).toContain('journal-1.dhj');
    const again = await reopen({ segmentBytes: 300 });
    expect(again.recovered.records).toEqual(records(1, 40));
    await again.store.append(records(41, 44));
    await again.store.close();
    const third = await reopen();
    expect(third.recovered.records.map((r) => r.seq)).toEqual(records(1, 44).map((r) => r.seq));
    await third.store.close();
  });

  it('refuses appends that do not continue the journal, and work before recover()', async () => {
    const store = await JournalStore.open({ dir });
    await expect(store.append(records(1, 1))).rejects.toMatchObject({ code: 'misuse' });
    await store.recover();
    await expect(store.append(records(2, 3))).rejects.toMatchObject({ code: 'misuse' });
    await store.append(records(1, 2));
    await expect(store.append([...records(3, 3), ...records(5, 5)])).rejects.toBeInstanceOf(JournalError);
    await expect(store.snapshot(new Uint8Array([1]), 3)).rejects.toMatchObject({ code: 'misuse' });
    await store.append(records(3, 3));
    await store.close();
    await expect(store.append(records(4, 4))).rejects.toMatchObject({ code: 'closed' });
  });

  it('after a failed sync, refuses all further work (what the disk holds is unknown)', async () => {
    let fail = false;
    const io: JournalIo = {
      ...nodeIo,
      datasync: async (h) => {
        if (fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        return nodeIo.datasync(h);
      },
    };
    const { store } = await reopen({ io });
    await store.append(records(1, 2));
    fail = true;
    await expect(store.append(records(3, 4))).rejects.toMatchObject({ code: 'failed' });
    fail = false;
    await expect(store.append(records(3, 4))).rejects.toMatchObject({ code: 'failed' });
    await expect(store.snapshot(new Uint8Array([1]), 2)).rejects.toMatchObject({ code: 'failed' });
    await store.close();
    // Reopening recovers what is on the disk (here the write went through before the sync failed).
    const again = await reopen();
    expect(again.recovered.records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    await again.store.close();
  });
});
