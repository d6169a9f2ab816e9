/**
 * The re-login policy table (architecture §4, docs/protocol.md §5.1) end to
 * end: a real `Hub` on a real `TcpTransport`, client engines on real
 * loopback sockets. For each policy (`replaceOld`, `ignoreNew`, `seniority`)
 * and each conflict of the table —
 *
 * 1. same client id, second live connection;
 * 2. another client of the profile is enabled and online (by `register`, and
 *    by `resume`: the `login` of a disabled client);
 * 3. another client of the profile is enabled but offline (same two ways);
 *
 * — it asserts who wins, what the loser is told on its link (the close
 * frame's reason and `reconnect` flag, and the refusal answer for a refused
 * newcomer), that the loser's engine stops for good (no timer armed, no link
 * opened over an hour of its time), and the statuses afterwards. An offline
 * loser has no link: it learns its fate from the answer to its next request,
 * which here is its own automatic re-login (`start`) once its backoff is
 * released — the stale-reconnect case, which must not displace the winner.
 *
 * Client 11 always registered first (older), client 12 second (newer).
 */
import { describe, expect, test } from 'vitest';
import { connectTcp, type HubFrame } from '@dialoghub/adapter-tcp';
import { clientId, profileId, type ClientStatus, type CloseReason, type Policy, type RejectReason, type Request } from '@dialoghub/core';
import type { Credentials } from '@dialoghub/client';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { hubEvent, startHub, type HubFixture } from './helpers/hub.js';
import { useCleanup, within } from './helpers/wait.js';

useCleanup();

const OLD = 11;
const NEW = 12;
const POLICIES: readonly Policy[] = ['replaceOld', 'ignoreNew', 'seniority'];

// ---- scenario steps ----------------------------------------------------------------

/** A new installation registers `id` and goes online. */
async function register(h: HubFixture, id: number): Promise<Engine> {
  const e = startEngine({ port: h.port, credentials: registration(id), name: `client ${id}` });
  await e.online();
  expect(e.clientId).toBe(id);
  return e;
}

/** A new run of an installation with stored credentials (the user's `login`); resolves once online or stopped. */
async function login(h: HubFixture, credentials: ReturnType<Engine['store']['current']>, name: string): Promise<Engine> {
  const e = startEngine({ port: h.port, credentials, name });
  await e.until((s) => s.matches({ attached: 'online' }) || s.matches('stopped'), 'online or stopped');
  return e;
}

/** A new installation registers `id`; resolves once online or stopped. */
async function tryRegister(h: HubFixture, id: number): Promise<Engine> {
  const e = startEngine({ port: h.port, credentials: registration(id), name: `client ${id}` });
  await e.until((s) => s.matches({ attached: 'online' }) || s.matches('stopped'), 'online or stopped');
  return e;
}

/** The user closes the engine: a Close reaches the hub, the session ends, the status stays. */
async function closeByUser(h: HubFixture, e: Engine): Promise<void> {
  const from = h.events.items.length;
  e.actor.send({ type: 'stop' });
  expect(await e.stopped()).toBe('closedByUser');
  await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === e.clientId, from);
}

/** The engine's socket is reset under it; its re-login is held until `release()`. Resolves once the hub took the client offline. */
async function loseLink(h: HubFixture, e: Engine): Promise<void> {
  const from = h.events.items.length;
  e.hold();
  e.link.tcp.destroy();
  await e.until((s) => s.matches('backoff'), 'backoff after the loss');
  const off = await hubEvent(h, 'clientOffline', (x) => (x.clientId as number) === e.clientId, from);
  expect(off.reason).toBe('connectionLost');
}

async function setPolicy(h: HubFixture, policy: Policy | null): Promise<void> {
  expect(await h.hub.operate({ type: 'profilePolicySet', profileId: profileId(1), policy })).toMatchObject({ ok: true });
}

/** One message each way: the winner really carries the dialog. */
async function exchange(h: HubFixture, e: Engine, tag: string): Promise<void> {
  const from = h.deliveries.items.length;
  const ref = e.send(`${tag} up`);
  await e.acknowledged([ref]);
  expect(h.deliveries.items.slice(from).map((d) => [d.clientId, d.text])).toEqual([[e.clientId, `${tag} up`]]);
  const before = e.messages().length;
  await h.send(e.clientId, `${tag} down`);
  await e.received(before + 1);
  expect(e.messages().at(-1)?.text).toBe(`${tag} down`);
}

function expectStatuses(h: HubFixture, expected: Record<number, ClientStatus | undefined>): void {
  const actual: Record<number, ClientStatus | undefined> = {};
  for (const id of Object.keys(expected)) actual[Number(id)] = h.status(Number(id));
  expect(actual).toEqual(expected);
}

/**
 * What the hub told client `id` when it closed its link, from the commands it
 * stepped since index `from`: exactly one `close`, with `reason` and
 * `reconnect: false` (every reason in the policy table is terminal). Once the
 * adapter has released that socket, the hub has heard no `connectionClosed`
 * for it: after the hub's own close, none follows (transport rule 4).
 */
async function expectHubClosed(h: HubFixture, from: number, id: number, reason: CloseReason): Promise<void> {
  const closes = h.steps.items.slice(from).flatMap(({ commands }) => commands.filter((c) => c.type === 'close' && (c.clientId as number) === id));
  expect(closes.map((c) => (c.type === 'close' ? { reason: c.reason, reconnect: c.reconnect } : null))).toEqual([{ reason, reconnect: false }]);
  const link = closes[0]!.type === 'close' ? closes[0]!.link : null;
  await within(h.tcpLogs.first((l) => l.event === 'linkClosed' && l.link === link), `link ${String(link)} released`);
  await h.hub.drain();
  expect(h.steps.items.filter(({ record }) => record.input.type === 'connectionClosed' && record.input.link === link)).toEqual([]);
}

/**
 * A loser that was online: the close frame reached its link — the tap,
 * listening before the engine, saw `{ reason, reconnect: false }` — and the
 * engine stopped with that reason for good.
 */
async function expectPushedAway(h: HubFixture, from: number, e: Engine, reason: CloseReason): Promise<void> {
  expect(await e.stopped()).toBe(reason);
  const link = e.link;
  await Engine.ended(link);
  expect(Engine.closeFrame(link)).toEqual({ reason, reconnect: false });
  expect(link.received.items.at(-1)?.kind).toBe('close'); // nothing after the close frame
  await expectHubClosed(h, from, e.clientId, reason);
  await e.expectNoReconnect();
}

/**
 * A refused requester: its link got the `rejected` answer, the hub closed
 * the link with `told`, and the engine stopped on the refusal for good. (The
 * engine drops its link as soon as it reads the refusal, so the close frame
 * behind it may land on a link already closed here: `expectRefusalOnWire`
 * watches the wire with a hand-driven link instead.)
 */
async function expectRefused(h: HubFixture, from: number, e: Engine, rejected: RejectReason, told: CloseReason): Promise<void> {
  expect(await e.stopped()).toBe(rejected);
  const link = e.link;
  await Engine.ended(link);
  expect(Engine.answers(link)).toEqual([{ code: 'rejected', clientId: e.clientId, reason: rejected }]);
  await expectHubClosed(h, from, e.clientId, told);
  await e.expectNoReconnect();
}

/**
 * The same request on a hand-driven `connectTcp` link, which reads
 * everything: the refusal answer, then the close frame `{ told, reconnect:
 * false }`, then the end of the link with that reason. A refusal changes no
 * state, so the hub answers the engine's identical request the same way.
 */
async function expectRefusalOnWire(h: HubFixture, request: Request, rejected: RejectReason, told: CloseReason): Promise<void> {
  const link = await connectTcp({ port: h.port });
  const frames: HubFrame[] = [];
  link.onFrame((f) => frames.push(f));
  const end = within(new Promise<{ reason: CloseReason | null; cause: string }>((resolve) => link.onClose((reason, cause) => resolve({ reason, cause }))), 'the hand-driven link to end');
  await link.send({ kind: 'request', request });
  expect(await end).toEqual({ reason: told, cause: 'closedByHub' });
  expect(frames).toEqual([
    { kind: 'answer', requestId: request.requestId, answer: { code: 'rejected', clientId: request.clientId, reason: rejected } },
    { kind: 'close', reason: told, reconnect: false },
  ]);
}

let handRequestId = 1000;

function loginRequest(credentials: Credentials): Request {
  if (!('secret' in credentials)) throw new Error('stored credentials expected');
  return { kind: 'login', requestId: ++handRequestId, clientId: clientId(credentials.clientId), credential: { secret: credentials.secret }, environment: null, lastReceived: 0 };
}

function registerRequest(id: number): Request {
  return { kind: 'register', requestId: ++handRequestId, clientId: clientId(id), profileId: profileId(1), contact: { name: `client ${id}`, phone: '', email: '' }, environment: {} };
}

// ---- 1. same client id, second live connection -------------------------------------------

/** architecture §4, row 1. */
const SAME_CLIENT: Record<Policy, { winner: 'old' | 'new'; told: CloseReason; rejected?: RejectReason }> = {
  replaceOld: { winner: 'new', told: 'pushedOut' },
  ignoreNew: { winner: 'old', told: 'alreadyOnline', rejected: 'alreadyOnline' },
  seniority: { winner: 'old', told: 'alreadyOnline', rejected: 'alreadyOnline' },
};

function takeovers(h: HubFixture, from: number) {
  return h.events.items.slice(from).filter((e) => e.type === 'takeover');
}

describe('same client id, second live connection', () => {
  for (const policy of POLICIES) {
    const want = SAME_CLIENT[policy];
    test(`${policy}: the ${want.winner} connection wins, the other is told ${want.told}`, async () => {
      const h = await startHub({ policy });
      const first = await register(h, OLD);
      await exchange(h, first, 'before');
      if (want.rejected !== undefined) await expectRefusalOnWire(h, loginRequest(first.store.current()), want.rejected, want.told);
      const events = h.events.items.length;
      const steps = h.steps.items.length;
      const second = await login(h, first.store.current(), 'second connection');

      if (want.winner === 'new') {
        await expectPushedAway(h, steps, first, want.told);
        expect(second.isOnline).toBe(true);
        expect(takeovers(h, events)).toEqual([{ type: 'takeover', profileId: 1, conflict: 'sameClient', winner: OLD, loser: OLD, reason: 'pushedOut' }]);
      } else {
        await expectRefused(h, steps, second, want.rejected!, want.told);
        expect(first.isOnline).toBe(true);
        expect(takeovers(h, events)).toEqual([]);
      }
      const winner = want.winner === 'new' ? second : first;
      expectStatuses(h, { [OLD]: 'enabled' });
      expect(h.online()).toEqual([OLD]);
      await exchange(h, winner, 'after');
    });
  }
});

// ---- 2. another client of the profile is enabled and online ---------------------------------

describe('another client of the profile is enabled and online', () => {
  /** architecture §4, row 2, by registration. */
  const BY_REGISTER: Record<Policy, 'newWins' | 'newRefused'> = { replaceOld: 'newWins', ignoreNew: 'newRefused', seniority: 'newRefused' };

  for (const policy of POLICIES) {
    const want = BY_REGISTER[policy];
    test(`${policy}, register: ${want === 'newWins' ? 'new one enabled, old one disabled and told replaced' : 'new one rejected (profileInUse)'}`, async () => {
      const h = await startHub({ policy });
      const old = await register(h, OLD);
      if (want === 'newRefused') await expectRefusalOnWire(h, registerRequest(NEW), 'profileInUse', 'refused');
      const events = h.events.items.length;
      const steps = h.steps.items.length;
      const fresh = await tryRegister(h, NEW);
      if (want === 'newWins') {
        await expectPushedAway(h, steps, old, 'replaced');
        expect(fresh.isOnline).toBe(true);
        expectStatuses(h, { [OLD]: 'disabled', [NEW]: 'enabled' });
        expect(h.online()).toEqual([NEW]);
        expect(takeovers(h, events)).toEqual([{ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: NEW, loser: OLD, reason: 'replaced' }]);
        await exchange(h, fresh, 'winner');
      } else {
        await expectRefused(h, steps, fresh, 'profileInUse', 'refused');
        expect(old.isOnline).toBe(true);
        expectStatuses(h, { [OLD]: 'enabled', [NEW]: undefined });
        expect(h.online()).toEqual([OLD]);
        expect(takeovers(h, events)).toEqual([]);
        await exchange(h, old, 'winner');
      }
    });
  }

  /** architecture §4, row 2, by resume: the older client 11 (disabled) logs in while the newer 12 is online. */
  const BY_RESUME: Record<Policy, { outcome: 'requesterWins' | 'requesterRefused'; loserStatus: ClientStatus; told: CloseReason }> = {
    replaceOld: { outcome: 'requesterWins', loserStatus: 'disabled', told: 'replaced' },
    ignoreNew: { outcome: 'requesterRefused', loserStatus: 'disabled', told: 'refused' },
    seniority: { outcome: 'requesterWins', loserStatus: 'banned', told: 'banned' },
  };

  for (const policy of POLICIES) {
    const want = BY_RESUME[policy];
    test(`${policy}, resume by the older client: ${want.outcome === 'requesterWins' ? `it wins, the newer one is ${want.loserStatus} and told ${want.told}` : 'refused (profileInUse)'}`, async () => {
      const h = await startHub({ policy });
      const old = await register(h, OLD);
      const oldCredentials = old.store.current();
      await closeByUser(h, old);
      const fresh = await register(h, NEW); // the offline 11 is disabled (disableOld under every policy)
      expectStatuses(h, { [OLD]: 'disabled', [NEW]: 'enabled' });

      if (want.outcome === 'requesterRefused') await expectRefusalOnWire(h, loginRequest(oldCredentials), 'profileInUse', 'refused');
      const events = h.events.items.length;
      const steps = h.steps.items.length;
      const back = await login(h, oldCredentials, 'client 11, again');
      if (want.outcome === 'requesterWins') {
        await expectPushedAway(h, steps, fresh, want.told);
        expect(back.isOnline).toBe(true);
        expectStatuses(h, { [OLD]: 'enabled', [NEW]: want.loserStatus });
        expect(h.online()).toEqual([OLD]);
        expect(takeovers(h, events)).toEqual([{ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: OLD, loser: NEW, reason: want.told }]);
        await exchange(h, back, 'winner');
      } else {
        await expectRefused(h, steps, back, 'profileInUse', 'refused');
        expect(fresh.isOnline).toBe(true);
        expectStatuses(h, { [OLD]: 'disabled', [NEW]: 'enabled' });
        expect(h.online()).toEqual([NEW]);
        expect(takeovers(h, events)).toEqual([]);
        await exchange(h, fresh, 'winner');
      }
    });
  }

  test('seniority, resume by the newer client: refused (seniority), the older one keeps the profile', async () => {
    const h = await startHub({ policy: 'seniority' });
    const old = await register(h, OLD);
    const oldCredentials = old.store.current();
    await closeByUser(h, old);
    const fresh = await register(h, NEW);
    const newCredentials = fresh.store.current();
    await closeByUser(h, fresh);
    // Put 11 back in charge without banning 12: under replaceOld 12 is only disabled.
    await setPolicy(h, 'replaceOld');
    const back = await login(h, oldCredentials, 'client 11, again');
    expect(back.isOnline).toBe(true);
    expectStatuses(h, { [OLD]: 'enabled', [NEW]: 'disabled' });
    await setPolicy(h, null); // the hub's: seniority

    await expectRefusalOnWire(h, loginRequest(newCredentials), 'seniority', 'refused');
    const events = h.events.items.length;
    const steps = h.steps.items.length;
    const late = await login(h, newCredentials, 'client 12, again');
    await expectRefused(h, steps, late, 'seniority', 'refused');
    expect(back.isOnline).toBe(true);
    expectStatuses(h, { [OLD]: 'enabled', [NEW]: 'disabled' });
    expect(h.online()).toEqual([OLD]);
    expect(takeovers(h, events)).toEqual([]);
    await exchange(h, back, 'winner');
  });
});

// ---- 3. another client of the profile is enabled but offline --------------------------------

describe('another client of the profile is enabled but offline', () => {
  for (const policy of POLICIES) {
    test(`${policy}, register: new one enabled, old one disabled; its stale re-login is refused (disabled)`, async () => {
      const h = await startHub({ policy });
      const old = await register(h, OLD);
      await loseLink(h, old);
      const lostLink = old.link;
      const events = h.events.items.length;
      const fresh = await register(h, NEW);
      expectStatuses(h, { [OLD]: 'disabled', [NEW]: 'enabled' });
      expect(h.online()).toEqual([NEW]);
      expect(Engine.closeFrame(lostLink)).toBeUndefined(); // offline: nobody to tell
      expect(takeovers(h, events)).toEqual([{ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: NEW, loser: OLD, reason: 'disabled' }]);

      const steps = h.steps.items.length;
      old.release(); // its automatic re-login (`start`) asks again, and learns
      await expectRefused(h, steps, old, 'disabled', 'disabled');
      expect(h.requestsFrom(OLD)).toEqual(['register', 'start']);
      expect(fresh.isOnline).toBe(true);
      expectStatuses(h, { [OLD]: 'disabled', [NEW]: 'enabled' });
      await exchange(h, fresh, 'winner');
    });
  }

  /** architecture §4, row 3, by resume: the older client 11 (disabled) logs in while the newer 12 is enabled but offline. */
  const BY_RESUME: Record<Policy, 'disabled' | 'banned'> = { replaceOld: 'disabled', ignoreNew: 'disabled', seniority: 'banned' };

  for (const policy of POLICIES) {
    const loser = BY_RESUME[policy];
    test(`${policy}, resume by the older client: it is enabled, the offline one ${loser}; its stale re-login is refused (${loser})`, async () => {
      const h = await startHub({ policy });
      const old = await register(h, OLD);
      const oldCredentials = old.store.current();
      await closeByUser(h, old);
      const fresh = await register(h, NEW);
      await loseLink(h, fresh);

      const events = h.events.items.length;
      const back = await login(h, oldCredentials, 'client 11, again');
      expect(back.isOnline).toBe(true);
      expectStatuses(h, { [OLD]: 'enabled', [NEW]: loser });
      expect(h.online()).toEqual([OLD]);
      expect(takeovers(h, events)).toEqual([{ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: OLD, loser: NEW, reason: loser }]);

      const steps = h.steps.items.length;
      fresh.release();
      await expectRefused(h, steps, fresh, loser, loser);
      expect(h.requestsFrom(NEW)).toEqual(['register', 'start']);
      expect(back.isOnline).toBe(true);
      expectStatuses(h, { [OLD]: 'enabled', [NEW]: loser });
      await exchange(h, back, 'winner');
    });
  }

  test('seniority, resume by the newer client: refused (seniority), the offline older one stays enabled and comes back', async () => {
    const h = await startHub({ policy: 'seniority' });
    const old = await register(h, OLD);
    const oldCredentials = old.store.current();
    await closeByUser(h, old);
    const fresh = await register(h, NEW);
    const newCredentials = fresh.store.current();
    await closeByUser(h, fresh);
    await setPolicy(h, 'replaceOld');
    const back = await login(h, oldCredentials, 'client 11, again');
    expect(back.isOnline).toBe(true);
    await loseLink(h, back);
    await setPolicy(h, null); // the hub's: seniority
    expectStatuses(h, { [OLD]: 'enabled', [NEW]: 'disabled' });
    expect(h.online()).toEqual([]);

    await expectRefusalOnWire(h, loginRequest(newCredentials), 'seniority', 'refused');
    const events = h.events.items.length;
    const steps = h.steps.items.length;
    const late = await login(h, newCredentials, 'client 12, again');
    await expectRefused(h, steps, late, 'seniority', 'refused');
    expectStatuses(h, { [OLD]: 'enabled', [NEW]: 'disabled' });
    expect(takeovers(h, events)).toEqual([]);

    back.release(); // the older one's automatic re-login is welcome
    await back.nth('online', 2);
    expect(back.isOnline).toBe(true);
    expect(h.online()).toEqual([OLD]);
    await exchange(h, back, 'winner');
  });
});
