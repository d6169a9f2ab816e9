/**
 * The client engine against a real `Hub` over the memory network, both in one
 * virtual time (a `SteppingClock`): register, a message each way, two minutes
 * of idle heartbeats with the hub's liveness running, then an operator kick,
 * which is terminal. Run with and without the wire codec on the memory links.
 * (Moved here from the client package: it needs the runtime and the memory
 * adapter, which the client package does not depend on.)
 */
import { describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '@dialoghub/adapter-memory';
import { Hub } from '@dialoghub/runtime';
import { profileId, clientId } from '@dialoghub/core';
import { connect, memoryCredentials, memoryTransport, type DialogClient } from '@dialoghub/client';
import { runtimeClockOf, SteppingClock } from './helpers/clock.js';

describe('e2e memory', () => {
  for (const wireCodec of [false, true])
    it(`register, send, receive, survive idle heartbeats, stop on a kick (wireCodec ${wireCodec})`, async () => {
      const clock = new SteppingClock();
      const network = createMemoryNetwork({ wireCodec });
      const got: string[] = [];
      const hub = await Hub.open({ transport: network.transport, clock: runtimeClockOf(clock), config: { appMessageTypes: ['chat'] } });
      try {
        hub.handle('chat', (d) => {
          got.push(new TextDecoder().decode(d.payload));
        });
        await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'p' });
        const creds = memoryCredentials({ register: { profileId: 1, contact: { name: 'a', phone: '', email: '' } } });
        let client: DialogClient | undefined;
        void connect({ transport: memoryTransport(network), ...creds, clock, random: () => 0.3 }).then((c) => {
          client = c;
        });
        await clock.until(() => client !== undefined, 60_000);
        const c = client!;
        const heard: string[] = [];
        c.on('message', (m) => heard.push(new TextDecoder().decode(m.payload)));
        await c.send('chat', new TextEncoder().encode('one'));
        await hub.send(clientId(c.clientId), 'chat', new TextEncoder().encode('back'));
        await clock.advance(100);
        expect(got).toEqual(['one']);
        expect(heard).toEqual(['back']);
        await clock.advance(120_000);
        expect(c.status).toBe('online');
        await hub.operate({ type: 'clientKicked', clientId: clientId(c.clientId) });
        await clock.advance(100);
        expect(c.status).toBe('stopped');
        expect(c.actor.getSnapshot().context.stopReason).toBe('kicked');
      } finally {
        await hub.close();
      }
    });
});
