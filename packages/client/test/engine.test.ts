/**
 * The engine as an actor (xstate's `createActor` with a `SimulatedClock`)
 * against the real hub core over in-test links, in virtual time.
 */
import { CLOSE_REASON_RECONNECT, CLOSE_REASONS, type Policy } from '@dialoghub/core';
import { describe, expect, it } from 'vitest';
import { backoffBound, backoffDelay, DEFAULT_SETTINGS, type ClientSettings, type Credentials } from '../src/index.js';
import { seededRandom, settle, SteppingClock } from './helpers/clock.js';
import { startEngine, type Engine, type EngineOptions } from './helpers/engine.js';
import { CONTACT, FakeHub } from './helpers/fake-hub.js';

const TEN_MINUTES = 600_000;

function world(policy: Policy | null = null, deny?: (r: { kind: string; clientId: number }) => boolean) {
  const clock = new SteppingClock();
  const hub = new FakeHub(clock, { config: { appMessageTypes: ['chat'] }, ...(deny === undefined ? {} : { deny }) });
  hub.createProfile(1, policy);
  return { clock, hub };
}

async function online(clock: SteppingClock, hub: FakeHub, clientId: number, options: EngineOptions = {}, credentials?: Credentials): Promise<Engine> {
  const secret = credentials === undefined ? hub.registerDirect(clientId, 1) : null;
  const e = startEngine(clock, hub.transport, credentials ?? { clientId, secret: secret ?? '' }, options);
  await clock.until(() => e.isOnline(), 60_000);
  return e;
}

/** Asserts the engine stays stopped with `reason` and opens no link for ten minutes. */
async function staysStopped(clock: SteppingClock, e: Engine, reason: string): Promise<void> {
  await clock.until(() => e.isStopped(), 120_000);
  expect(e.stopReason()).toBe(reason);
  expect(e.of('stopped')).toEqual([{ type: 'stopped', reason }]);
  const connects = e.connects;
  await clock.advance(TEN_MINUTES);
  expect(e.isStopped()).toBe(true);
  expect(e.connects).toBe(connects);
}

describe('connect → online', () => {
  it('registers on first use, hands the issued secret to onRegistered, and is online', async () => {
    const { clock, hub } = world();
    const e = startEngine(clock, hub.transport, { register: { profileId: 1, contact: CONTACT } }, { random: () => 0.25 });
    await clock.until(() => e.isOnline(), 60_000);
    const clientId = e.snapshot().context.clientId ?? 0;
    expect(clientId).toBe(1 + Math.floor(0.25 * 0xffffffff));
    expect(e.events.map((x) => x.type)).toEqual(['registered', 'online']);
    expect(e.store.current()).toEqual({ clientId, secret: 'issued-secret-1' });
    expect(hub.isOnline(clientId)).toBe(true);
    expect(hub.lastLink.sent[0]).toMatchObject({ kind: 'request', request: { kind: 'register', requestId: 1, clientId, profileId: 1 } });
  });

  it('logs in with stored credentials: `login` with lastReceived 0, then online', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    expect(hub.lastLink.sent[0]).toMatchObject({ kind: 'request', request: { kind: 'login', clientId: 7, lastReceived: 0 } });
    expect(e.of('online')).toEqual([{ type: 'online', clientId: 7, relogon: false }]);
    expect(e.credentialCalls).toBe(1);
    expect(hub.isOnline(7)).toBe(true);
  });

  it('draws another id when the hub answers invalidId to a registration', async () => {
    const { clock, hub } = world();
    hub.registerDirect(5, 1);
    const draws = [4.5 / 0xffffffff, 0.5];
    const e = startEngine(clock, hub.transport, { register: { profileId: 1, contact: CONTACT } }, { random: () => draws.shift() ?? 0.5 });
    await clock.until(() => e.isOnline(), 60_000);
    const requests = hub.lastLink.sent.flatMap((f) => (f.kind === 'request' ? [f.request] : []));
    expect(requests.map((r) => [r.kind, r.clientId])).toEqual([
      ['register', 5],
      ['register', 1 + Math.floor(0.5 * 0xffffffff)],
    ]);
    expect(e.credentialCalls).toBe(2);
  });

  it('stops with credentialsNotSaved when onRegistered fails', async () => {
    const { clock, hub } = world();
    const { createClientActor } = await import('../src/index.js');
    const actor = createClientActor({
      transport: hub.transport,
      getCredentials: () => Promise.resolve({ register: { profileId: 1, contact: CONTACT } }),
      onRegistered: () => Promise.reject(new Error('disk full')),
      clock,
    });
    actor.start();
    actor.send({ type: 'start' });
    await clock.until(() => actor.getSnapshot().matches('stopped'), 60_000);
    expect(actor.getSnapshot().context.stopReason).toBe('credentialsNotSaved');
  });
});

describe('transport loss → backoff → resume', () => {
  it('loses and duplicates nothing in either direction', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    e.send('chat', 'c1');
    e.send('chat', 'c2');
    hub.sendApp(7, 'chat', 'h1');
    hub.sendApp(7, 'chat', 'h2');
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['c1', 'c2']);
    expect(e.messages()).toEqual(['h1', 'h2']);

    // The network stalls both ways, messages go out on both sides, then the link dies.
    const first = hub.lastLink;
    first.blockUp = true;
    first.blockDown = true;
    e.send('chat', 'c3');
    e.send('chat', 'c4');
    hub.sendApp(7, 'chat', 'h3');
    hub.sendApp(7, 'chat', 'h4');
    await clock.advance(100);
    first.lose();
    await clock.until(() => e.of('relogon').length > 0, 120_000);
    await clock.advance(100);

    expect(e.of('offline')).toEqual([{ type: 'offline', cause: 'connection reset' }]);
    expect(e.of('relogon')).toEqual([{ type: 'relogon', result: 'ok', reason: null }]);
    expect(hub.links).toHaveLength(2);
    // A re-login is a `start` (never takes a profile over), from where the engine stands.
    expect(hub.lastLink.sent[0]).toMatchObject({ kind: 'request', request: { kind: 'start', clientId: 7, lastReceived: 2 } });
    expect(hub.delivered.map((d) => d.text)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(hub.delivered.map((d) => d.seq)).toEqual([1, 2, 3, 4]);
    expect(e.messages()).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(e.of('message').map((m) => m.seq)).toEqual([1, 2, 3, 4]);

    // And the dialog goes on.
    e.send('chat', 'c5');
    hub.sendApp(7, 'chat', 'h5');
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(e.messages()).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
  });

  it('drops a hub message it already has when the hub resends it (lost ack), and answers Sync with Null', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    const link = hub.lastLink;
    link.blockUp = true; // the engine's acks are lost
    hub.sendApp(7, 'chat', 'h1');
    // The hub hears nothing for syncAfterMs: it sends Sync with its whole unacknowledged outbox.
    await clock.advance(12_000);
    const h1Copies = link.received.flatMap((f) => (f.kind === 'dialog' ? f.messages.filter((m) => m.body.type === 'app') : []));
    expect(h1Copies.length).toBeGreaterThanOrEqual(2);
    expect(e.messages()).toEqual(['h1']);
    const sync = link.received.flatMap((f) => (f.kind === 'dialog' ? f.messages.filter((m) => m.body.type === 'sync') : []))[0];
    expect(sync).toBeDefined();
    const nulls = link.sent.flatMap((f) => (f.kind === 'dialog' ? f.messages.filter((m) => m.body.type === 'null') : []));
    expect(nulls).toContainEqual(expect.objectContaining({ body: { type: 'null', replyTo: sync?.seq } }));
    link.blockUp = false;
    await clock.advance(6_000);
    expect(e.isOnline()).toBe(true);
    expect(e.messages()).toEqual(['h1']);
  });

  it('resumes after a close with a reason that allows reconnecting (shutdown, notLoggedIn)', async () => {
    for (const reason of CLOSE_REASONS.filter((r) => CLOSE_REASON_RECONNECT[r])) {
      const { clock, hub } = world();
      const e = await online(clock, hub, 7);
      hub.sessionLink(7)?.hubClose(reason, true);
      await clock.until(() => e.of('relogon').length > 0, 120_000);
      expect(e.of('offline')).toEqual([{ type: 'offline', cause: reason }]);
      expect(e.isOnline()).toBe(true);
      expect(hub.isOnline(7)).toBe(true);
    }
  });

  it('a fresh engine (a new process with stored credentials) picks up where the hub stands', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    const first = await online(clock, hub, 7, {}, { clientId: 7, secret });
    first.send('chat', 'c1');
    hub.sendApp(7, 'chat', 'h1');
    await clock.advance(100);
    hub.lastLink.blockDown = true;
    hub.sendApp(7, 'chat', 'h2'); // never reaches the first process
    await clock.advance(100);
    first.actor.stop(); // the process dies…
    hub.lastLink.lose(); // …and its connection with it
    await clock.advance(100);

    const second = startEngine(clock, hub.transport, { clientId: 7, secret });
    second.send('chat', 'c2'); // queued before the login: numbered from the hub's count
    await clock.until(() => second.isOnline(), 60_000);
    await clock.advance(100);
    expect(hub.lastLink.sent[0]).toMatchObject({ request: { kind: 'login', lastReceived: 0 } });
    expect(second.messages()).toEqual(['h2']);
    expect(hub.delivered.map((d) => [d.seq, d.text])).toEqual([
      [1, 'c1'],
      [2, 'c2'],
    ]);
    second.send('chat', 'c3');
    hub.sendApp(7, 'chat', 'h3');
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['c1', 'c2', 'c3']);
    expect(second.messages()).toEqual(['h2', 'h3']);
  });
});

describe('a fresh engine whose first link dies early', () => {
  it('still finds the hub stream after the re-login: every hub message once, in order', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    const first = await online(clock, hub, 7, {}, { clientId: 7, secret });
    hub.sendApp(7, 'chat', 'h1');
    await clock.advance(100);
    expect(first.messages()).toEqual(['h1']); // …and acknowledged: the hub's outbox is empty
    first.actor.stop(); // the process dies
    hub.lastLink.lose();
    await clock.advance(100);

    // A new process with the stored credentials: its login is answered ok, and nothing follows
    // (the hub has nothing unacknowledged) before the link is lost.
    const second = startEngine(clock, hub.transport, { clientId: 7, secret });
    await clock.until(() => second.isOnline(), 60_000);
    await clock.advance(100);
    expect(hub.lastLink.received.filter((f) => f.kind === 'dialog')).toEqual([]);
    hub.lastLink.lose();
    await clock.until(() => second.of('relogon').length > 0, 120_000);
    expect(second.of('relogon')).toEqual([{ type: 'relogon', result: 'ok', reason: null }]);

    hub.sendApp(7, 'chat', 'h2');
    hub.sendApp(7, 'chat', 'h3');
    await clock.advance(100);
    expect(second.messages()).toEqual(['h2', 'h3']);
    expect(second.of('message').map((m) => m.seq)).toEqual([2, 3]);
    // The hub's Syncs resend nothing it already has.
    await clock.advance(60_000);
    expect(second.messages()).toEqual(['h2', 'h3']);
    expect(hub.state.online.has(7)).toBe(true);
    expect(second.of('idConflict')).toEqual([]);
  });
});

describe('two engines sharing a client id (the same credentials in two processes)', () => {
  // A long backoff leaves the other engine time to come and go while the first is away.
  const slow: EngineOptions = { settings: { backoffBaseMs: 20_000, backoffCapMs: 20_000 } };

  it('an answer counting messages this engine never sent acknowledges none of its own: they are resent', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    const a = await online(clock, hub, 7, slow, { clientId: 7, secret });
    a.send('chat', 'a1');
    await clock.advance(100);
    hub.lastLink.blockUp = true;
    const a2 = a.send('chat', 'a2'); // these never reach the hub…
    const a3 = a.send('chat', 'a3');
    await clock.advance(100);
    hub.lastLink.lose(); // …and the link dies
    await clock.until(() => a.snapshot().matches('backoff'), 1_000);

    // Meanwhile the other process logs in with the same credentials, talks, and leaves.
    const b = startEngine(clock, hub.transport, { clientId: 7, secret });
    for (const t of ['b1', 'b2', 'b3', 'b4']) b.send('chat', t);
    await clock.until(() => b.isOnline(), 5_000);
    await clock.advance(100);
    b.actor.send({ type: 'stop' });
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['a1', 'b1', 'b2', 'b3', 'b4']);
    expect(hub.state.clients.get(7)?.dialog?.inSeq).toBe(6); // b's Close took seq 6

    // The first engine comes back: the hub has handled 6 messages, it sent 3.
    await clock.until(() => a.of('relogon').length > 0, 60_000);
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['a1', 'b1', 'b2', 'b3', 'b4', 'a2', 'a3']);
    expect(hub.delivered.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(a.of('idConflict')).toEqual([{ type: 'idConflict', clientId: 7, outSeq: 3, lastReceived: 6 }]);
    expect(a.of('acknowledged').flatMap((e) => e.refs)).toEqual([1, a2, a3]);
    expect(a.snapshot().context.dialog.unacked).toEqual([]);
  });

  it('after such an answer the hub stream is taken from where the hub resumes it: no stall on what the other engine acknowledged', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    const a = await online(clock, hub, 7, slow, { clientId: 7, secret });
    hub.sendApp(7, 'chat', 'h1');
    await clock.advance(100);
    hub.lastLink.lose();
    await clock.until(() => a.snapshot().matches('backoff'), 1_000);

    // The other process logs in, receives h2 and acknowledges it, and leaves (its Close takes seq 1).
    const b = startEngine(clock, hub.transport, { clientId: 7, secret });
    await clock.until(() => b.isOnline(), 5_000);
    hub.sendApp(7, 'chat', 'h2');
    await clock.advance(100);
    expect(b.messages()).toEqual(['h2']);
    b.actor.send({ type: 'stop' });
    await clock.advance(100);
    hub.sendApp(7, 'chat', 'h3'); // kept for the client: its outbox is [h3]

    await clock.until(() => a.of('relogon').length > 0, 60_000);
    await clock.advance(100);
    hub.sendApp(7, 'chat', 'h4');
    await clock.advance(100);
    expect(a.messages()).toEqual(['h1', 'h3', 'h4']);
    expect(a.of('message').map((m) => m.seq)).toEqual([1, 3, 4]);
    expect(a.of('idConflict')).toEqual([{ type: 'idConflict', clientId: 7, outSeq: 0, lastReceived: 1 }]);
    expect(hub.state.sessions.get(hub.state.online.get(7)!)?.dialog.outbox).toEqual([]);
  });
});

describe('terminal reasons stop the engine and never reconnect', () => {
  it('pushedOut: two engines with one client id under replaceOld do not ping-pong', async () => {
    const { clock, hub } = world('replaceOld');
    const secret = hub.registerDirect(7, 1);
    const a = await online(clock, hub, 7, {}, { clientId: 7, secret });
    const b = startEngine(clock, hub.transport, { clientId: 7, secret });
    await clock.until(() => b.isOnline() && a.isStopped(), 60_000);
    expect(a.stopReason()).toBe('pushedOut');
    await staysStopped(clock, a, 'pushedOut');
    expect(b.isOnline()).toBe(true);
    expect(b.connects).toBe(1);
    expect(hub.closes().map((c) => c.reason)).toEqual(['pushedOut']);
    expect(hub.sessionLink(7)).toBe(hub.lastLink);
  });

  it('alreadyOnline: under ignoreNew the second engine is refused and stays stopped', async () => {
    const { clock, hub } = world('ignoreNew');
    const secret = hub.registerDirect(7, 1);
    const a = await online(clock, hub, 7, {}, { clientId: 7, secret });
    const b = startEngine(clock, hub.transport, { clientId: 7, secret });
    await staysStopped(clock, b, 'alreadyOnline');
    expect(a.isOnline()).toBe(true);
    expect(a.connects).toBe(1);
  });

  it('replaced: another client of the profile registers under replaceOld', async () => {
    const { clock, hub } = world('replaceOld');
    const a = await online(clock, hub, 7);
    hub.registerDirect(8, 1);
    await staysStopped(clock, a, 'replaced');
  });

  it.each(['banned', 'disabled', 'reset'] as const)('%s: the operator sets the status', async (status) => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.setStatus(7, status);
    await staysStopped(clock, a, status);
  });

  it('kicked: the operator kicks the client', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.kick(7);
    await staysStopped(clock, a, 'kicked');
  });

  it('heartbeatTimeout from the hub: it heard nothing for deadAfterMs', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.lastLink.blockUp = true; // the hub hears nothing; the engine still hears the hub's Syncs
    await staysStopped(clock, a, 'heartbeatTimeout');
    expect(hub.closes().map((c) => c.reason)).toEqual(['heartbeatTimeout']);
  });

  it('badCredentials: a wrong secret', async () => {
    const { clock, hub } = world();
    hub.registerDirect(7, 1);
    const a = startEngine(clock, hub.transport, { clientId: 7, secret: 'wrong' });
    await staysStopped(clock, a, 'badCredentials');
  });

  it("denied: the hub's authentication hook refuses the requester", async () => {
    const { clock, hub } = world(null, (r) => r.kind === 'login');
    const secret = hub.registerDirect(7, 1);
    const e = startEngine(clock, hub.transport, { clientId: 7, secret });
    await staysStopped(clock, e, 'denied');
  });

  it('profileInUse: a disabled client logs in while another is online under ignoreNew', async () => {
    const { clock, hub } = world('ignoreNew');
    const secret7 = hub.registerDirect(7, 1);
    await online(clock, hub, 8); // 8 registers: 7 (offline) is disabled; 8 is online
    const a = startEngine(clock, hub.transport, { clientId: 7, secret: secret7 });
    await staysStopped(clock, a, 'profileInUse');
  });

  it('every close reason the core marks reconnect=false is terminal', async () => {
    for (const reason of CLOSE_REASONS.filter((r) => !CLOSE_REASON_RECONNECT[r])) {
      const { clock, hub } = world();
      const a = await online(clock, hub, 7);
      hub.sessionLink(7)?.hubClose(reason, false);
      await staysStopped(clock, a, reason);
    }
  });

  it('a reconnectable reason sent with reconnect=false is terminal too (both must allow it)', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.sessionLink(7)?.hubClose('shutdown', false);
    await staysStopped(clock, a, 'shutdown');
  });

  it('closedByUser: the engine sends Close and the hub keeps the status', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    a.actor.send({ type: 'stop' });
    await clock.advance(100);
    expect(hub.isOnline(7)).toBe(false);
    expect(hub.closes().map((c) => c.reason)).toEqual(['closedByClient']);
    expect(hub.state.clients.get(7)?.status).toBe('enabled');
    await staysStopped(clock, a, 'closedByUser');
  });
});

describe('heartbeat', () => {
  it('a silent hub makes the engine drop the link and stop (heartbeatTimeout, terminal)', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    const link = hub.lastLink;
    const wentOnlineAt = clock.now();
    link.blockDown = true; // the hub hears the engine but its answers never arrive
    await clock.until(() => a.isStopped(), 60_000);
    expect(clock.now() - wentOnlineAt).toBe(DEFAULT_SETTINGS.heartbeatTimeoutMs);
    expect(a.stopReason()).toBe('heartbeatTimeout');
    expect(link.clientOpen).toBe(false);
    const keepAlives = link.sent.flatMap((f) => (f.kind === 'dialog' ? f.messages.filter((m) => m.body.type === 'null') : []));
    expect(keepAlives.length).toBe(Math.floor((DEFAULT_SETTINGS.heartbeatTimeoutMs - 1) / DEFAULT_SETTINGS.heartbeatIntervalMs));
    await staysStopped(clock, a, 'heartbeatTimeout');
  });

  it('an idle engine with a live hub stays online: keep-alives are acknowledged', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    await clock.advance(TEN_MINUTES);
    expect(a.isOnline()).toBe(true);
    expect(hub.isOnline(7)).toBe(true);
    expect(a.of('offline')).toEqual([]);
    expect(a.snapshot().context.dialog.unacked).toEqual([]);
  });
});

describe('backoff', () => {
  const settings: Partial<ClientSettings> = { backoffBaseMs: 200, backoffCapMs: 10_000, minUptimeMs: 5_000 };

  it('waits random(0, min(cap, base·2^n)) before retry n, from the injected random source', async () => {
    const { clock, hub } = world();
    hub.refuseConnects = 10;
    const draws: number[] = [];
    const random = seededRandom(20240611);
    const e = await online(clock, hub, 7, {
      settings,
      random: () => {
        const u = random();
        draws.push(u);
        return u;
      },
    });
    expect(e.connects).toBe(11);
    const delays = hub.connectTimes.slice(1).map((t, i) => t - (hub.connectTimes[i] ?? 0));
    expect(delays).toEqual(draws.map((u, n) => backoffDelay(n, 200, 10_000, u)));
    delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(10_000, 200 * 2 ** n));
    });
    expect(e.of('attemptFailed').map((f) => f.attempt)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e.of('relogon')).toEqual([]); // retries of the user's own start are not re-logins
  });

  it('resets the attempt counter only after minUptime online', async () => {
    const { clock, hub } = world();
    hub.refuseConnects = 3;
    const e = await online(clock, hub, 7, { settings });
    expect(e.snapshot().context.attempt).toBe(3);
    // Lost before minUptime: the counter carries on.
    await clock.advance(4_000);
    hub.lastLink.lose();
    await clock.until(() => e.snapshot().matches('backoff'), 1_000);
    expect(e.snapshot().context.attempt).toBe(3);
    await clock.until(() => e.isOnline(), 60_000);
    expect(e.snapshot().context.attempt).toBe(4);
    // Online for minUptime: the counter is back to 0.
    await clock.advance(4_999);
    expect(e.snapshot().context.attempt).toBe(4);
    await clock.advance(1);
    expect(e.snapshot().context.attempt).toBe(0);
    const lostAt = clock.now();
    hub.lastLink.lose();
    await clock.until(() => e.isOnline(), 60_000);
    expect(hub.connectTimes[hub.connectTimes.length - 1]! - lostAt).toBeLessThanOrEqual(backoffBound(0, 200, 10_000));
  });

  it('gives up after maxRetries (gaveUp, terminal)', async () => {
    const { clock, hub } = world();
    hub.registerDirect(7, 1);
    hub.refuseConnects = 100;
    const e = startEngine(clock, hub.transport, { clientId: 7, secret: 'x' }, { settings: { ...settings, maxRetries: 4 } });
    await staysStopped(clock, e, 'gaveUp');
    expect(e.connects).toBe(5);
  });
});

describe('credentials', () => {
  it('are fetched on every attempt that opens a link, and a failing callback is retried', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    let calls = 0;
    const e = startEngine(
      clock,
      hub.transport,
      { clientId: 7, secret },
      {
        getCredentials: () => {
          calls += 1;
          return calls === 2 ? Promise.reject(new Error('keychain locked')) : Promise.resolve({ clientId: 7, secret });
        },
      },
    );
    await clock.until(() => e.isOnline(), 60_000);
    hub.lastLink.lose(); // attempt 2: the callback fails
    await clock.until(() => e.of('attemptFailed').length > 0, 60_000);
    expect(e.of('attemptFailed')[0]).toMatchObject({ reason: 'credentials: keychain locked' });
    await clock.until(() => e.isOnline(), 60_000); // attempt 3
    hub.refuseConnects = 1; // attempt 4 opens no link: no credentials needed
    hub.lastLink.lose();
    await clock.until(() => e.of('relogon').filter((r) => r.result === 'ok').length === 2, 60_000); // attempt 5
    expect(e.connects).toBe(5);
    expect(e.credentialCalls).toBe(4);
  });
});

describe('relogon events', () => {
  it('report every automatic re-login: failed (transport), then ok', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    hub.refuseConnects = 2;
    hub.lastLink.lose();
    await clock.until(() => e.of('relogon').some((r) => r.result === 'ok'), 120_000);
    expect(e.of('relogon')).toEqual([
      { type: 'relogon', result: 'failed', reason: 'connect: ECONNREFUSED' },
      { type: 'relogon', result: 'failed', reason: 'connect: ECONNREFUSED' },
      { type: 'relogon', result: 'ok', reason: null },
    ]);
    expect(e.of('online')).toEqual([
      { type: 'online', clientId: 7, relogon: false },
      { type: 'online', clientId: 7, relogon: true },
    ]);
  });

  it('failed with the reason, and stopped, when the re-login is refused (banned while offline)', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    hub.lastLink.vanish(); // the engine's end dies first…
    hub.setStatus(7, 'banned'); // …so it never hears this
    await staysStopped(clock, e, 'banned');
    expect(e.of('relogon')).toEqual([{ type: 'relogon', result: 'failed', reason: 'banned' }]);
  });

  it('a re-login never takes the profile back from the client that replaced it (disabled is terminal)', async () => {
    const { clock, hub } = world('replaceOld');
    const a = await online(clock, hub, 7);
    hub.lastLink.lose();
    const b = await online(clock, hub, 8); // registers while 7 is away: 7 is disabled
    await staysStopped(clock, a, 'disabled');
    expect(a.of('relogon')).toEqual([{ type: 'relogon', result: 'failed', reason: 'disabled' }]);
    expect(b.isOnline()).toBe(true);
    expect(hub.state.clients.get(8)?.status).toBe('enabled');
  });

  it('alreadyOnline under ignoreNew when the hub still holds a half-open session', async () => {
    const { clock, hub } = world('ignoreNew');
    const e = await online(clock, hub, 7);
    hub.lastLink.vanish();
    await staysStopped(clock, e, 'alreadyOnline');
    expect(e.of('relogon')).toEqual([{ type: 'relogon', result: 'alreadyOnline', reason: 'alreadyOnline' }]);
  });
});

describe('outgoing messages', () => {
  it('queued while offline, sent once online, acknowledged', async () => {
    const { clock, hub } = world();
    const secret = hub.registerDirect(7, 1);
    hub.refuseConnects = 2;
    const e = startEngine(clock, hub.transport, { clientId: 7, secret });
    const r1 = e.send('chat', 'early-1');
    const r2 = e.send('chat', 'early-2');
    await clock.until(() => e.isOnline(), 60_000);
    await clock.advance(100);
    expect(hub.delivered.map((d) => d.text)).toEqual(['early-1', 'early-2']);
    expect(e.of('acknowledged').flatMap((a) => a.refs)).toEqual([r1, r2]);
  });

  it('refuses a message when the buffer is full, or when it is malformed', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7, { settings: { maxUnacked: 2 } });
    hub.lastLink.blockDown = true; // no acks come back
    e.send('chat', 'a');
    e.send('chat', 'b');
    const full = e.send('chat', 'c');
    const bad = e.send('not a type!', 'd');
    await settle();
    expect(e.of('sendRefused')).toEqual([
      { type: 'sendRefused', ref: full, reason: 'bufferFull' },
      { type: 'sendRefused', ref: bad, reason: 'invalidMessage' },
    ]);
  });

  it('reports the hub refusing an unknown application type', async () => {
    const { clock, hub } = world();
    const e = await online(clock, hub, 7);
    e.send('unknownType', 'x');
    await clock.advance(100);
    expect(e.of('hubRefused')).toEqual([{ type: 'hubRefused', replyTo: 1, reason: 'unknownAppType' }]);
    expect(e.of('acknowledged').flatMap((a) => a.refs)).toEqual([1]);
  });

  it('after a stop whose Close never reached the hub, a restart renumbers and nothing is lost', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    a.send('chat', 'c1');
    await clock.advance(100);
    hub.lastLink.blockUp = true;
    a.actor.send({ type: 'stop' }); // the Close (seq 2) is lost
    await clock.advance(100);
    expect(a.snapshot().context.dialog.outSeq).toBe(2);
    a.actor.send({ type: 'start' });
    await clock.until(() => a.isOnline(), 60_000);
    a.send('chat', 'c2');
    await clock.advance(100);
    expect(hub.delivered.map((d) => [d.seq, d.text])).toEqual([
      [1, 'c1'],
      [2, 'c2'],
    ]);
  });
});

/** The requests an engine sent on a link, in order. */
function requestsOn(link: { readonly sent: readonly { kind: string; request?: { kind: string } }[] }): string[] {
  return link.sent.flatMap((f) => (f.kind === 'request' && f.request !== undefined ? [f.request.kind] : []));
}

describe('sync after hub silence (silenceSyncMs: the seed client-side cnx Sync)', () => {
  // A mailbox engine: a sync after 12 silent minutes, keep-alives rarer than that, a long timeout.
  const MAILBOX: Partial<ClientSettings> = { silenceSyncMs: 720_000, heartbeatIntervalMs: 1_000_000, heartbeatTimeoutMs: 3_600_000 };

  /** A hub that stays silent for hours unless the test makes it speak (its own Syncs are far away). */
  function quietWorld() {
    const clock = new SteppingClock();
    const hub = new FakeHub(clock, { config: { appMessageTypes: ['chat'], syncAfterMs: 5_000_000, syncEveryMs: 1_000_000, deadAfterMs: 10_000_000 } });
    hub.createProfile(1);
    return { clock, hub };
  }

  it('one `sync` request after silenceSyncMs of hub silence, not before; every hub frame restarts the timer', async () => {
    const { clock, hub } = quietWorld();
    const e = await online(clock, hub, 7, { settings: MAILBOX });
    const link = hub.lastLink;
    await clock.advance(500_000);
    hub.sendApp(7, 'chat', 'ping'); // a hub frame at 500 s: the silence starts again
    await clock.advance(719_999);
    expect(requestsOn(link)).toEqual(['login']);
    await clock.advance(1);
    expect(requestsOn(link)).toEqual(['login', 'sync']);
    expect(link.sent[link.sent.length - 1]).toMatchObject({ kind: 'request', request: { kind: 'sync', requestId: 2, clientId: 7, lastReceived: 1 } });
    // The hub answered at once (same session, same link); its answer is a hub frame: another full silence before the next.
    await clock.advance(719_999);
    expect(requestsOn(link)).toEqual(['login', 'sync']);
    await clock.advance(1);
    expect(requestsOn(link)).toEqual(['login', 'sync', 'sync']);
    expect(e.isOnline()).toBe(true);
    expect(e.of('online')).toHaveLength(1);
    expect(e.messages()).toEqual(['ping']);
    expect(hub.sessionLink(7)).toBe(link);
    expect(e.connects).toBe(1);
  });

  it('a sync that gets no answer is not repeated: the engine waits for the hub, then heartbeatTimeout', async () => {
    const { clock, hub } = quietWorld();
    const e = await online(clock, hub, 7, { settings: MAILBOX });
    const link = hub.lastLink;
    const at = clock.now();
    link.blockDown = true;
    await clock.until(() => e.isStopped(), 4_000_000);
    expect(clock.now() - at).toBe(3_600_000);
    expect(requestsOn(link)).toEqual(['login', 'sync']);
    expect(e.stopReason()).toBe('heartbeatTimeout');
  });

  it('off (the default): no sync request, however long the silence', async () => {
    const { clock, hub } = quietWorld();
    const e = await online(clock, hub, 7, { settings: { heartbeatIntervalMs: 1_000_000, heartbeatTimeoutMs: 3_600_000 } });
    await clock.advance(3_000_000);
    expect(e.isOnline()).toBe(true);
    expect(requestsOn(hub.lastLink)).toEqual(['login']);
  });

  it('the hub dropped the session unheard: the sync re-admits the client and the dialog resumes — nothing lost, nothing twice', async () => {
    const { clock, hub } = quietWorld();
    const e = await online(clock, hub, 7, { settings: MAILBOX });
    const link = hub.lastLink;
    e.send('chat', 'c1');
    await clock.advance(10);
    link.blockDown = true; // the hub handles c2 but its ack never arrives; h1 is lost on the way
    e.send('chat', 'c2');
    await clock.advance(10);
    hub.sendApp(7, 'chat', 'h1');
    await clock.advance(10);
    link.blockDown = false;
    link.blockUp = true; // c3 never reaches the hub
    e.send('chat', 'c3');
    await clock.advance(10);
    link.blockUp = false;
    // The hub ends the session without telling the client (the seed's "declared dead while the client keeps running").
    hub.input({ type: 'connectionClosed', link: link.id, cause: 'idleTimeout' });
    expect(hub.isOnline(7)).toBe(false);
    hub.sendApp(7, 'chat', 'h2'); // kept for the client (store and forward)
    await clock.until(() => requestsOn(link).length === 2, 800_000);
    await clock.advance(10);
    expect(requestsOn(link)).toEqual(['login', 'sync']);
    expect(hub.isOnline(7)).toBe(true);
    expect(hub.sessionLink(7)).toBe(link);
    expect(hub.delivered.map((d) => d.text)).toEqual(['c1', 'c2', 'c3']);
    expect(e.messages()).toEqual(['h1', 'h2']);
    expect(e.snapshot().context.dialog.unacked).toEqual([]);
    expect(e.of('acknowledged').flatMap((a) => a.refs)).toEqual([1, 2, 3]);
    expect(e.isOnline()).toBe(true);
    expect(e.of('online')).toHaveLength(1);
    expect(e.of('offline')).toEqual([]);
    expect(e.connects).toBe(1);
  });

  it('refused: the client was disabled meanwhile — the engine stops (disabled) and never reconnects', async () => {
    const { clock, hub } = quietWorld();
    const e = await online(clock, hub, 7, { settings: MAILBOX });
    const link = hub.lastLink;
    hub.input({ type: 'connectionClosed', link: link.id, cause: 'idleTimeout' });
    hub.setStatus(7, 'disabled'); // offline at the hub: nobody is told
    await clock.until(() => e.isStopped(), 800_000);
    expect(requestsOn(link)).toEqual(['login', 'sync']);
    await staysStopped(clock, e, 'disabled');
    expect(e.of('offline')).toEqual([]);
    expect(e.connects).toBe(1);
  });
});

describe('resume (the user asks to be re-enabled)', () => {
  /** Every request the engine sent, over all links, in order. */
  const allRequests = (hub: FakeHub, clientId: number): string[] =>
    hub.links.flatMap((l) => l.sent.flatMap((f) => (f.kind === 'request' && f.request.clientId === clientId ? [f.request.kind] : [])));

  it('replaceOld: the replaced client resumes, the policy re-enables it and the other is replaced; nothing resumes by itself', async () => {
    const { clock, hub } = world('replaceOld');
    const a = await online(clock, hub, 7);
    const b = await online(clock, hub, 8); // 8 registers under replaceOld: 7 is replaced
    await staysStopped(clock, a, 'replaced');
    a.actor.send({ type: 'resume' });
    await clock.until(() => a.isOnline() && b.isStopped(), 60_000);
    expect(a.of('resume')).toEqual([{ type: 'resume', result: 'ok', reason: null }]);
    expect(a.of('online').at(-1)).toEqual({ type: 'online', clientId: 7, relogon: false });
    expect(b.stopReason()).toBe('replaced');
    expect(hub.state.clients.get(7)?.status).toBe('enabled');
    expect(hub.state.clients.get(8)?.status).toBe('disabled');
    await clock.advance(TEN_MINUTES);
    // One resume, asked for; the replaced engine asks for nothing by itself.
    expect(allRequests(hub, 7)).toEqual(['login', 'resume']);
    expect(allRequests(hub, 8)).toEqual(['login']);
    expect(b.isStopped()).toBe(true);
    expect(b.of('resume')).toEqual([]);
    expect(a.isOnline()).toBe(true);
  });

  /**
   * 7 is online, loses its link, and 8 registers while 7 is away: 7 is
   * disabled (every policy disables an offline client on a registration) and
   * its automatic re-login is refused. An operator's status change would make
   * the profile manual, where no resume is granted.
   */
  async function displaced(policy: Policy) {
    const { clock, hub } = world(policy);
    const a = await online(clock, hub, 7);
    hub.lastLink.lose();
    await settle();
    const b = await online(clock, hub, 8);
    await staysStopped(clock, a, 'disabled');
    return { clock, hub, a, b };
  }

  it('seniority: the older client resumes and wins (the younger is banned)', async () => {
    const { clock, a, b } = await displaced('seniority');
    a.actor.send({ type: 'resume' });
    await clock.until(() => a.isOnline() && b.isStopped(), 60_000);
    expect(a.of('resume')).toEqual([{ type: 'resume', result: 'ok', reason: null }]);
    expect(b.stopReason()).toBe('banned');
  });

  it('ignoreNew: refused (profileInUse) — reported failed, stopped, and never asked again', async () => {
    const { clock, hub, a, b } = await displaced('ignoreNew');
    const connects = a.connects;
    a.actor.send({ type: 'resume' });
    await clock.until(() => a.of('stopped').length === 2, 60_000);
    expect(a.of('resume')).toEqual([{ type: 'resume', result: 'failed', reason: 'profileInUse' }]);
    expect(a.of('stopped').at(-1)).toEqual({ type: 'stopped', reason: 'profileInUse' });
    await clock.advance(TEN_MINUTES);
    expect(a.connects).toBe(connects + 1);
    expect(allRequests(hub, 7)).toEqual(['login', 'start', 'resume']);
    expect(b.isOnline()).toBe(true);
    expect(hub.state.clients.get(7)?.status).toBe('disabled');
  });

  it('disabled by the operator (the profile turned manual): refused profileManual', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.setStatus(7, 'disabled');
    await staysStopped(clock, a, 'disabled');
    a.actor.send({ type: 'resume' });
    await clock.until(() => a.of('stopped').length === 2, 60_000);
    expect(a.of('resume')).toEqual([{ type: 'resume', result: 'failed', reason: 'profileManual' }]);
    expect(a.stopReason()).toBe('profileManual');
    expect(hub.state.clients.get(7)?.status).toBe('disabled');
  });

  it('a transport failure is reported and stops the engine (resumeFailed): no retry', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.setStatus(7, 'disabled');
    await staysStopped(clock, a, 'disabled');
    hub.refuseConnects = 1;
    const connects = a.connects;
    a.actor.send({ type: 'resume' });
    await clock.until(() => a.of('stopped').length === 2, 60_000);
    expect(a.of('resume')).toEqual([{ type: 'resume', result: 'failed', reason: 'connect: ECONNREFUSED' }]);
    expect(a.stopReason()).toBe('resumeFailed');
    await clock.advance(TEN_MINUTES);
    expect(a.connects).toBe(connects + 1);
    expect(allRequests(hub, 7)).toEqual(['login']);
  });

  it('an engine stopped disabled never sends resume by itself', async () => {
    const { clock, hub } = world();
    const a = await online(clock, hub, 7);
    hub.setStatus(7, 'disabled');
    await staysStopped(clock, a, 'disabled');
    await clock.advance(10 * TEN_MINUTES);
    expect(allRequests(hub, 7)).toEqual(['login']);
    expect(a.of('resume')).toEqual([]);
  });
});
