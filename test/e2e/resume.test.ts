/**
 * Resume after a cut connection, end to end on real sockets: an engine and
 * a hub exchange numbered application messages both ways while the
 * connection is cut under them again and again — the client's socket reset
 * (`TcpClientLink.destroy()`), or the route between them torn down (a relay
 * that resets both ends). Each time the engine re-logs in by itself
 * (`start` with `lastReceived`) and both sides resend what the other had
 * not acknowledged.
 *
 * Counted by `(clientId, seq)` on both sides: every message reaches the
 * other side's application exactly once, in order, and nothing else does.
 */
import { clientDialogOf, type ClientId } from '@dialoghub/core';
import { describe, expect, test } from 'vitest';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { startHub, type HubFixture } from './helpers/hub.js';
import { TcpProxy } from './helpers/net.js';
import { onCleanup, useCleanup, within } from './helpers/wait.js';

useCleanup();

const ID = 21;
const PER_ROUND = 40;

/** The hub's unacknowledged outbox for the client, wherever its dialog lives. */
function hubOutbox(h: HubFixture, id: number): number {
  const client = h.hub.state.clients.get(id as ClientId);
  return client === undefined ? -1 : (clientDialogOf(h.hub.state, client)?.outbox.length ?? -1);
}

function expectOncePerKey(keys: readonly string[], what: string): void {
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  expect([...seen].filter(([, n]) => n > 1), `${what} handled more than once`).toEqual([]);
}

/**
 * Runs `rounds` rounds; in each, both sides send `PER_ROUND` messages
 * without waiting and the connection is cut at the round's cut point:
 * at once, once the client has some of the hub's messages, or once the hub
 * handled some of the client's.
 */
async function dialogUnderCuts(h: HubFixture, e: Engine, cut: () => void, rounds: number): Promise<void> {
  const up: string[] = [];
  const down: string[] = [];
  const refs: number[] = [];
  const hubSends: Promise<void>[] = [];
  let upInFlight = 0;
  let downInFlight = 0;
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      const u = `up ${round}.${i}`;
      const d = `down ${round}.${i}`;
      up.push(u);
      down.push(d);
      refs.push(e.send(u));
      hubSends.push(h.send(ID, d));
    }
    const point = round % 3;
    if (point === 2) await e.received(down.length - PER_ROUND / 2);
    if (point === 0) await within(h.deliveries.until((items) => (items.length >= up.length - PER_ROUND / 2 ? true : undefined)), 'half the round delivered');
    upInFlight += e.snapshot().context.dialog.unacked.length;
    downInFlight += down.length - e.messages().length;
    const links = e.links.length;
    cut();
    await e.nth('offline', round);
    const back = await e.nth('online', round + 1);
    expect(back.relogon).toBe(true);
    expect(e.links.length).toBeGreaterThan(links);
  }
  // Messages were really in flight both ways when the connections were cut.
  expect(upInFlight, 'client messages unacknowledged at the cuts').toBeGreaterThan(0);
  expect(downInFlight, 'hub messages not yet received at the cuts').toBeGreaterThan(0);

  // Everything arrives: the client's messages are acknowledged, the hub's received and acknowledged.
  await Promise.all(hubSends);
  await e.acknowledged(refs);
  await e.received(down.length);
  await within(h.steps.until(() => (hubOutbox(h, ID) === 0 ? true : undefined)), 'the hub outbox to empty');

  // Hub side: each (clientId, seq) once, the texts exactly what the client sent, in order.
  const delivered = h.deliveries.items;
  expectOncePerKey(delivered.map((d) => `${d.clientId}/${d.seq}`), 'client→hub message');
  expect(delivered.every((d) => d.clientId === ID)).toBe(true);
  expect(delivered.map((d) => d.seq)).toEqual(delivered.map((_, i) => i + 1));
  expect(delivered.map((d) => d.text)).toEqual(up);

  // Client side: each hub seq once, in order, exactly what the hub sent.
  const received = e.messages();
  expectOncePerKey(received.map((m) => `${ID}/${m.seq}`), 'hub→client message');
  for (let i = 1; i < received.length; i++) expect(received[i]!.seq).toBeGreaterThan(received[i - 1]!.seq);
  expect(received.map((m) => m.text)).toEqual(down);

  // It never stopped; every re-login was an automatic `start`.
  expect(e.isOnline).toBe(true);
  expect(e.count('stopped')).toBe(0);
  expect(h.requestsFrom(ID)).toEqual(['register', ...Array<string>(rounds).fill('start')]);
  expect(h.online()).toEqual([ID]);
}

describe('resume after a cut connection', () => {
  test('the client socket is reset mid-dialog, six times: nothing lost or handled twice either way', async () => {
    const h = await startHub();
    const e = startEngine({ port: h.port, credentials: registration(ID) });
    await e.online();
    await dialogUnderCuts(h, e, () => e.link.tcp.destroy(), 6);
  });

  test('the route is torn down under both ends mid-dialog, six times: nothing lost or handled twice either way', async () => {
    const h = await startHub();
    const proxy = await TcpProxy.open(h.port);
    onCleanup(() => proxy.close());
    const e = startEngine({ port: proxy.port, credentials: registration(ID) });
    await e.online();
    await dialogUnderCuts(h, e, () => proxy.destroyAll(), 6);
    expect(proxy.accepted).toBe(7);
  });
});
