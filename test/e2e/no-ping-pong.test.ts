/**
 * A push-out never turns into reconnect ping-pong (architecture §7,
 * docs/client.md "Reconnect rules"): two engines with the same client id
 * under `replaceOld`, on real sockets. The one pushed out stops and stays
 * stopped; over a bounded window — ten minutes of both engines' time, the
 * winner heartbeating and talking through it — the hub sees no further
 * login and exactly one takeover.
 */
import type { ClientId } from '@dialoghub/core';
import { describe, expect, test } from 'vitest';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { hubEvent, startHub, type HubFixture } from './helpers/hub.js';
import { useCleanup } from './helpers/wait.js';

useCleanup();

const ID = 51;
const WINDOW_MS = 10 * 60_000;
const INTERVAL_MS = 5_000;

/**
 * The bounded window: both engines' clocks move `WINDOW_MS` in heartbeat
 * steps. The winner's keep-alive of each step is acknowledged by the hub
 * before the next step (so its own heartbeat timeout never fires for lack
 * of a reply that is merely in flight), and every minute it exchanges a
 * message with the hub.
 */
async function window(h: HubFixture, winner: Engine, loser: Engine): Promise<void> {
  for (let t = INTERVAL_MS; t <= WINDOW_MS; t += INTERVAL_MS) {
    const acks = winner.count('acknowledged');
    await winner.clock.advance(INTERVAL_MS);
    await winner.nth('acknowledged', acks + 1);
    await loser.clock.advance(INTERVAL_MS);
    if (t % 60_000 === 0) {
      const ref = winner.send(`minute ${t / 60_000}`);
      await winner.acknowledged([ref]);
      const got = winner.messages().length;
      await h.send(ID, `minute ${t / 60_000} back`);
      await winner.received(got + 1);
    }
    expect(winner.isOnline).toBe(true);
    expect(loser.isStopped).toBe(true);
  }
}

function takeovers(h: HubFixture) {
  return h.events.items.filter((e) => e.type === 'takeover');
}

describe('no push-out ping-pong', () => {
  test('a second engine with the same id pushes the first out; the first stays stopped', async () => {
    const h = await startHub({ policy: 'replaceOld' });
    const first = startEngine({ port: h.port, credentials: registration(ID), name: 'first', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    await first.online();
    const second = startEngine({ port: h.port, credentials: first.store.current(), name: 'second', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    await second.online();
    expect(await first.stopped()).toBe('pushedOut');
    expect(Engine.closeFrame(first.link)).toEqual({ reason: 'pushedOut', reconnect: false });

    await window(h, second, first);

    expect(first.connects).toBe(1);
    expect(second.connects).toBe(1);
    expect(first.clock.pending).toBe(0);
    expect(h.requestsFrom(ID)).toEqual(['register', 'login']);
    expect(takeovers(h)).toHaveLength(1);
    expect(h.online()).toEqual([ID]);
    await first.expectNoReconnect();
  });

  test('two engines started together with one identity: one wins, the other stops, and that is all', async () => {
    const h = await startHub({ policy: 'replaceOld' });
    const setup = startEngine({ port: h.port, credentials: registration(ID), name: 'installer' });
    await setup.online();
    const credentials = setup.store.current();
    setup.actor.send({ type: 'stop' });
    await setup.stopped();
    await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === ID);

    const a = startEngine({ port: h.port, credentials, name: 'a', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    const b = startEngine({ port: h.port, credentials, name: 'b', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    await Promise.all([a.until((s) => s.matches('stopped') || s.matches({ attached: 'online' }), 'settled'), b.until((s) => s.matches('stopped') || s.matches({ attached: 'online' }), 'settled')]);
    // Both logged in; whichever the hub admitted second pushed the other out.
    await h.steps.until((items) => (items.filter((s) => s.record.input.type === 'requestReceived' && s.record.input.request.kind === 'login').length >= 2 ? true : undefined));
    const loser = await Promise.race([a.stopped().then(() => a), b.stopped().then(() => b)]);
    const winner = loser === a ? b : a;
    await winner.online();
    expect(loser.stopReason).toBe('pushedOut');

    await window(h, winner, loser);

    expect(a.connects + b.connects).toBe(2);
    expect(h.requestsFrom(ID)).toEqual(['register', 'login', 'login']);
    expect(takeovers(h)).toHaveLength(1);
    await loser.expectNoReconnect();
  });

  test('the pushed-out one had already lost its link: its automatic re-login wins once, the other stops, no loop', async () => {
    // docs/client.md "Known limits": the stale engine's `start` pushes the newer one out; no loop follows.
    const h = await startHub({ policy: 'replaceOld' });
    const first = startEngine({ port: h.port, credentials: registration(ID), name: 'first', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    await first.online();
    first.hold();
    first.link.tcp.destroy();
    await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === ID);
    const second = startEngine({ port: h.port, credentials: first.store.current(), name: 'second', settings: { heartbeatIntervalMs: INTERVAL_MS } });
    await second.online();

    first.release(); // its re-login (`start`) pushes `second` out
    await first.nth('online', 2);
    expect(await second.stopped()).toBe('pushedOut');
    expect(Engine.closeFrame(second.link)).toEqual({ reason: 'pushedOut', reconnect: false });

    await window(h, first, second);

    expect(h.requestsFrom(ID)).toEqual(['register', 'login', 'start']);
    expect(takeovers(h)).toHaveLength(1);
    expect(h.hub.state.online.get(ID as ClientId)).toBeDefined();
    await second.expectNoReconnect();
  });
});
