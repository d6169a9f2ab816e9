/**
 * A store that fails (disk full, I/O error) stops the hub: nothing of the
 * failed batch is revealed (no `ok` answer reaches the transport), pending
 * and later actions are refused, the transport is stopped, `onFailure` is
 * told once, and no promise rejection goes unhandled.
 *
 * Also: the loop batches the inputs a transport emits in one turn into one
 * commit (theory of operation, point 7).
 */
import { describe, expect, it } from 'vitest';
import { deserialize, type ClientId, type LinkId, type ProfileId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, SNAPSHOT_SLICE, type HubTransport, type JournalRecord, type TransportCommand, type TransportEvent } from '../src/index.js';

class TestTransport implements HubTransport {
  sink: (e: TransportEvent) => void = () => undefined;
  readonly executed: TransportCommand[] = [];
  stops = 0;
  async start(sink: (e: TransportEvent) => void): Promise<void> {
    this.sink = sink;
  }
  async execute(c: TransportCommand): Promise<void> {
    this.executed.push(c);
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}

/** A MemoryStore whose appends fail once `failing` is set. */
class FlakyStore extends MemoryStore {
  failing = false;
  appended = 0;
  override async append(records: readonly JournalRecord[]): Promise<void> {
    if (this.failing) throw new Error('ENOSPC: no space left on device');
    this.appended += records.length;
    return super.append(records);
  }
}

/** A MemoryStore whose snapshots, once `hold` is set, wait for `release` (or fail with `fail`). */
class SlowSnapshotStore extends MemoryStore {
  hold = false;
  readonly snapshots: number[] = [];
  private gate: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private reachedResolve: (() => void) | null = null;
  readonly reached = new Promise<void>((r) => (this.reachedResolve = r));
  override async snapshot(bytes: Uint8Array, seq: number): Promise<void> {
    if (this.hold) {
      this.reachedResolve?.();
      await new Promise<void>((resolve, reject) => (this.gate = { resolve, reject }));
    }
    this.snapshots.push(seq);
    return super.snapshot(bytes, seq);
  }
  release(): void {
    this.gate?.resolve();
  }
  fail(): void {
    this.gate?.reject(new Error('EIO: i/o error'));
  }
}

/** Runs `f` while collecting unhandled promise rejections, for it to assert there were none. */
async function collectingUnhandled(f: (unhandled: unknown[]) => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await f(unhandled);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

const register = (link: number, clientId: number): TransportEvent => ({
  type: 'requestReceived',
  link: link as LinkId,
  request: { kind: 'register', requestId: 1, clientId: clientId as ClientId, profileId: 1 as ProfileId, contact: { name: 'n', phone: '', email: '' }, environment: {} },
});

describe('store failure', () => {
  it('stops the hub without revealing the failed batch', async () => {
    const store = new FlakyStore();
    const transport = new TestTransport();
    const failures: Error[] = [];
    await collectingUnhandled(async (unhandled) => {
      const hub = await Hub.open({
        transport,
        store,
        clock: new ManualClock(1_000),
        entropy: { secret: () => 's3cret' },
        onFailure: (e) => failures.push(e),
      });
      expect(await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' })).toMatchObject({ ok: true });

      store.failing = true;
      const pending = hub.operate({ type: 'profileCreated', profileId: 2 as ProfileId, name: 'q' });
      transport.sink(register(7, 42));
      await hub.drain();

      expect(await pending).toMatchObject({ ok: false, reason: 'storeFailed' });
      expect(transport.executed).toEqual([]); // the registration's `ok` was never sent
      expect(transport.stops).toBe(1);
      expect(failures).toHaveLength(1);
      expect(failures[0]?.message).toMatch(/ENOSPC/);
      expect(hub.failed).toBe(failures[0]);
      await expect(hub.operate({ type: 'profileCreated', profileId: 3 as ProfileId, name: 'r' })).rejects.toThrow(/store failed/);
      transport.sink(register(8, 43)); // ignored, not stepped
      await hub.drain();
      await hub.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);

      // What was journaled before the failure is all a restart sees.
      store.failing = false;
      const again = await Hub.open({ transport: new TestTransport(), store, clock: new ManualClock(2_000) });
      expect(again.state.profiles.has(1)).toBe(true);
      expect(again.state.profiles.has(2)).toBe(false);
      expect(again.state.clients.has(42)).toBe(false);
      await again.close();
    });
  });

  it('steps the inputs a transport emits in one turn as one batch, one commit', async () => {
    const store = new FlakyStore();
    const transport = new TestTransport();
    const hub = await Hub.open({ transport, store, clock: new ManualClock(1_000), entropy: { secret: () => 's3cret' } });
    await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' });
    const before = store.flushes;
    for (let i = 0; i < 10; i++) transport.sink(register(100 + i, 1000 + i));
    await hub.drain();
    expect(store.flushes - before).toBe(1);
    expect(transport.executed.filter((c) => c.type === 'reply')).toHaveLength(10);
    await hub.close();
  });

  it('goes on stepping, committing and answering while a periodic snapshot is stored; drain and close wait for it', async () => {
    const store = new SlowSnapshotStore();
    const transport = new TestTransport();
    const hub = await Hub.open({ transport, store, clock: new ManualClock(1_000), entropy: { secret: () => 's3cret' }, snapshotEvery: 2 });
    store.hold = true;
    await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' });
    await hub.operate({ type: 'profileCreated', profileId: 2 as ProfileId, name: 'q' });
    await store.reached; // the snapshot after input 2 is being stored, and is held
    // Meanwhile inputs are still committed and answered.
    expect(await hub.operate({ type: 'profileCreated', profileId: 3 as ProfileId, name: 'r' })).toMatchObject({ ok: true });
    transport.sink(register(7, 42));
    let drained = false;
    const draining = hub.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.executed.filter((c) => c.type === 'reply')).toHaveLength(1); // the registration's answer went out
    expect(drained).toBe(false); // drain also waits for the snapshot
    expect(store.snapshots).toEqual([0]);
    store.hold = false;
    store.release();
    await draining;
    expect(store.snapshots).toEqual([0, 2]);
    await hub.close();
    expect(store.snapshots).toEqual([0, 2, 4]); // the final snapshot, after the last input
    const again = await Hub.open({ transport: new TestTransport(), store, clock: new ManualClock(2_000) });
    expect(again.state.profiles.has(3)).toBe(true);
    expect(again.state.clients.has(42)).toBe(true);
    await again.close();
  });

  it('a periodic snapshot that fails stops the hub, as a failed append does', async () => {
    const store = new SlowSnapshotStore();
    const transport = new TestTransport();
    const failures: Error[] = [];
    await collectingUnhandled(async (unhandled) => {
      const hub = await Hub.open({ transport, store, clock: new ManualClock(1_000), snapshotEvery: 1, onFailure: (e) => failures.push(e) });
      store.hold = true;
      await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' });
      await store.reached;
      store.fail();
      await hub.drain();
      expect(failures).toHaveLength(1);
      expect(failures[0]?.message).toMatch(/EIO/);
      expect(hub.failed).toBe(failures[0]);
      expect(transport.stops).toBe(1);
      await expect(hub.operate({ type: 'profileCreated', profileId: 2 as ProfileId, name: 'q' })).rejects.toThrow(/store failed/);
      await hub.close();
      expect(store.snapshots).toEqual([0]); // no final snapshot after the failure
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    });
  });

  it('serializes a large periodic snapshot in slices, stepping and committing inputs between them; the snapshot is of the state it started from', async () => {
    const seen: { seq: number; recordsAtCall: number; profiles: number }[] = [];
    class WatchingStore extends MemoryStore {
      override async snapshot(bytes: Uint8Array, seq: number): Promise<void> {
        const restored = deserialize(bytes);
        seen.push({ seq, recordsAtCall: (await this.recover()).records.length, profiles: restored.ok ? restored.value.profiles.size : -1 });
        return super.snapshot(bytes, seq);
      }
    }
    const store = new WatchingStore();
    const n = SNAPSHOT_SLICE.entries! + 50; // two slices of table entries (these profiles are far below the byte limit)
    const hub = await Hub.open({ transport: new TestTransport(), store, clock: new ManualClock(1_000), snapshotEvery: n, maxBatch: n });
    // One batch of n inputs: the snapshot after it is due at once.
    await Promise.all(Array.from({ length: n }, (_, i) => hub.operate({ type: 'profileCreated', profileId: (i + 1) as ProfileId, name: `p${i + 1}` })));
    // This input arrives while the first slice has been written, and is committed before the second.
    expect(await hub.operate({ type: 'profileCreated', profileId: (n + 1) as ProfileId, name: 'late' })).toMatchObject({ ok: true });
    await hub.drain();
    expect(seen).toEqual([
      { seq: 0, recordsAtCall: 0, profiles: 0 },
      { seq: n, recordsAtCall: n + 1, profiles: n },
    ]);
    await hub.close();
  });
});
