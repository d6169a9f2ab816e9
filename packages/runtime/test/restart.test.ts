/**
 * A hub that restarts after an outage longer than `deadAfterMs`: the sessions
 * of the previous run end as lost connections (`hubRestarted`), stepped at the
 * last journaled time. They are not reported as heartbeat timeouts, and no
 * `close` goes to a link of the previous run.
 */
import { describe, expect, it } from 'vitest';
import type { ClientId, HubEvent, LinkId, ProfileId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, type HubTransport, type TransportCommand, type TransportEvent } from '../src/index.js';

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
