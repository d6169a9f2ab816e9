/**
 * Heartbeat timeouts are terminal for the client engine (architecture §4/§7,
 * docs/client.md "Heartbeat"), end to end on real sockets through a relay
 * that can black-hole one direction:
 *
 * - the hub goes silent for the client (its frames are dropped on the way):
 *   the engine keeps sending keep-alives, which the hub receives and
 *   acknowledges in vain; after `heartbeatTimeoutMs` of the engine's time it
 *   drops the link and stops with `heartbeatTimeout`;
 * - the client goes silent for the hub (its frames are dropped): the hub
 *   sends Syncs, then, after `deadAfterMs` of the hub's time, closes the
 *   link with `heartbeatTimeout` (reconnect false); the engine stops.
 *
 * Either way the engine never reconnects by itself: no timer is left armed,
 * an hour of its time later it has opened no other link, and the hub saw no
 * other request from it.
 */
import type { DialogMessage } from '@dialoghub/core';
import { describe, expect, test } from 'vitest';
import { advanceHub } from './helpers/clock.js';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { hubEvent, startHub } from './helpers/hub.js';
import { TcpProxy } from './helpers/net.js';
import { onCleanup, useCleanup } from './helpers/wait.js';

useCleanup();

const ID = 41;
const HEARTBEAT = { heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 30_000 };

async function setUp() {
  const h = await startHub();
  const proxy = await TcpProxy.open(h.port);
  onCleanup(() => proxy.close());
  const e = startEngine({ port: proxy.port, credentials: registration(ID), settings: HEARTBEAT });
  await e.online();
  // The dialog works before anything goes silent.
  const ref = e.send('hello');
  await e.acknowledged([ref]);
  await h.send(ID, 'welcome');
  await e.received(1);
  return { h, proxy, e };
}

function sentMessages(e: Engine): DialogMessage[] {
  return e.link.sent.flatMap((f) => (f.kind === 'dialog' ? [...f.messages] : []));
}

describe('heartbeat timeout is terminal for the engine', () => {
  test('the hub stops answering: the engine stops with heartbeatTimeout and does not reconnect', async () => {
    const { h, proxy, e } = await setUp();
    const heardBefore = h.steps.items.filter((s) => s.record.input.type === 'messagesReceived').length;
    const from = h.events.items.length;
    proxy.blackhole('down');

    await e.clock.advance(HEARTBEAT.heartbeatTimeoutMs);
    expect(await e.stopped()).toBe('heartbeatTimeout');

    // It did try: keep-alives (sequenced nulls) went out every interval, and the hub heard them.
    const keepAlives = sentMessages(e).filter((m) => m.body.type === 'null');
    expect(keepAlives.length).toBeGreaterThanOrEqual(HEARTBEAT.heartbeatTimeoutMs / HEARTBEAT.heartbeatIntervalMs - 1);
    expect(h.steps.items.filter((s) => s.record.input.type === 'messagesReceived').length).toBeGreaterThan(heardBefore);
    // The engine dropped the link itself: the hub sees a transport loss (the session is kept for a resume).
    expect(Engine.closeFrame(e.link)).toBeUndefined();
    expect((await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === ID, from)).reason).toBe('connectionLost');
    expect(h.status(ID)).toBe('enabled');

    await e.expectNoReconnect();
    expect(e.connects).toBe(1);
    expect(h.requestsFrom(ID)).toEqual(['register']);
    expect(proxy.accepted).toBe(1);
  });

  test('the link goes silent toward the hub: the hub closes it with heartbeatTimeout, the engine stops and does not reconnect', async () => {
    const { h, proxy, e } = await setUp();
    const from = h.events.items.length;
    proxy.blackhole('up');

    // The hub's time passes; the engine's does not (so it sends no keep-alive of its own).
    await advanceHub(h.hub, h.clock, h.hub.state.config.deadAfterMs + 1);
    const off = await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === ID, from);
    expect(off.reason).toBe('heartbeatTimeout');
    expect(await e.stopped()).toBe('heartbeatTimeout');

    // The hub asked first (Sync), then told the engine why before closing, and the engine could not reconnect on that reason.
    const link = e.link;
    await Engine.ended(link);
    const syncs = link.received.items.flatMap((f) => (f.kind === 'dialog' ? f.messages.filter((m) => m.body.type === 'sync') : []));
    expect(syncs.length).toBeGreaterThan(0);
    expect(Engine.closeFrame(link)).toEqual({ reason: 'heartbeatTimeout', reconnect: false });
    expect(h.status(ID)).toBe('enabled'); // the status is unchanged; the dialog kept for a resume

    await e.expectNoReconnect();
    expect(e.connects).toBe(1);
    expect(h.requestsFrom(ID)).toEqual(['register']);
    expect(proxy.accepted).toBe(1);
  });
});
