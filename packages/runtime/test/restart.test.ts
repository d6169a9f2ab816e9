/**
 * A hub that restarts after an outage longer than `deadAfterMs`: the sessions
 * of the previous run end as lost connections (`hubRestarted`), stepped at the
 * last journaled time. They are not reported as heartbeat timeouts, and no
 * `close` goes to a link of the previous run.
 */
import { describe, expect, it } from 'vitest';
import type { ClientId, HubEvent, LinkId, ProfileId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, type HubStore, type HubTransport, type RecoveryVisitor, type TransportCommand, type TransportEvent } from '../src/index.js';

class TestTransport implements HubTransport {
  sink: (e: TransportEvent) => void = () => undefined;
  readonly executed: TransportCommand[] = [];
  async start(sink: (e: TransportEvent) => void): Promise<void> {
    this.sink = sink;
  }
  async execute(c: TransportCommand): Promise<void> {
    this.executed.push(c);
  }
  async stop(): Promise<void> {}
}

describe('restart after a long outage', () => {
  it('ends the previous run’s sessions as hubRestarted, not heartbeatTimeout, and closes no old link', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(1_000_000);
    const first = new TestTransport();
    const hub = await Hub.open({ transport: first, store, clock, entropy: { secret: () => 's3cret' }, config: { deadAfterMs: 30_000, syncAfterMs: 10_000 } });
    expect(await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' })).toMatchObject({ ok: true });
    first.sink({
      type: 'requestReceived',
      link: 7 as LinkId,
      request: { kind: 'register', requestId: 1, clientId: 42 as ClientId, profileId: 1 as ProfileId, contact: { name: 'n', phone: '', email: '' }, environment: {} },
    });
    await hub.drain();
    expect(hub.state.online.has(42)).toBe(true);

    // The process dies (no close), and comes back an hour later on the same store.
    clock.advanceTo(1_000_000 + 3_600_000);
    const second = new TestTransport();
    const events: HubEvent[] = [];
    const again = await Hub.open({
      transport: second,
      store,
      clock,
      setup: (h) => {
        h.onAny((e) => events.push(e));
      },
    });
    expect(events).toEqual([{ type: 'clientOffline', clientId: 42, link: 7, reason: 'connectionLost' }]);
    expect(second.executed).toEqual([]);
    expect(again.state.online.size).toBe(0);
    expect(again.state.clients.get(42 as ClientId)?.status).toBe('enabled');
    await again.close();
  });
});

describe('recovery through a streaming store', () => {
  /** A MemoryStore that can only be recovered record by record (as JournalStore can). */
  function streamingOnly(inner: MemoryStore, seen: number[]): HubStore {
    return {
      recover: () => Promise.reject(new Error('recover() must not be called when recoverEach exists')),
      async recoverEach(visitor: RecoveryVisitor) {
        const r = await inner.recover();
        visitor.snapshot(r.snapshot);
        for (const record of r.records) {
          seen.push(record.seq);
          visitor.record(record);
        }
      },
      append: (records) => inner.append(records),
      snapshot: (bytes, seq) => inner.snapshot(bytes, seq),
      close: () => inner.close(),
    };
  }

  it('Hub.open steps each record as the store reports it, and ends where a full recover() would', async () => {
    const inner = new MemoryStore();
    const clock = new ManualClock(5_000);
    const hub = await Hub.open({ transport: new TestTransport(), store: inner, clock });
    for (let p = 1; p <= 3; p++) expect(await hub.operate({ type: 'profileCreated', profileId: p as ProfileId, name: `p${p}` })).toMatchObject({ ok: true });
    const before = hub.state;
    const seqBefore = hub.journalSeq;
    // The process dies without a final snapshot: reopen from what was journaled.
    const seen: number[] = [];
    const again = await Hub.open({ transport: new TestTransport(), store: streamingOnly(inner, seen), clock });
    expect(seen).toEqual([1, 2, 3]);
    expect(again.journalSeq).toBe(seqBefore);
    expect([...again.state.profiles.values()]).toEqual([...before.profiles.values()]);
    await again.close();
  });

  it('a gap in the streamed records stops Hub.open with the gap named', async () => {
    const inner = new MemoryStore();
    const clock = new ManualClock(5_000);
    const hub = await Hub.open({ transport: new TestTransport(), store: inner, clock });
    await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'p' });
    await hub.operate({ type: 'profileCreated', profileId: 2 as ProfileId, name: 'q' });
    const gappy: HubStore = {
      ...streamingOnly(inner, []),
      async recoverEach(visitor: RecoveryVisitor) {
        const r = await inner.recover();
        visitor.snapshot(r.snapshot);
        visitor.record(r.records[1]!); // record 2 without record 1
      },
    };
    await expect(Hub.open({ transport: new TestTransport(), store: gappy, clock })).rejects.toThrow('journal gap: record 2 follows 0');
  });
});
