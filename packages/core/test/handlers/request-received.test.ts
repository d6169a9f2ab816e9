/**
 * requestReceived: the connection channel (register, start, resume, sync,
 * login, profiles). Each test builds a hub through ordinary inputs, then
 * asserts the whole step result of the request under test.
 */
import { describe, expect, test } from 'vitest';
import { HubUsageError } from '../../src/errors.js';
import type { HubInput } from '../../src/inputs.js';
import { EMPTY_DIALOG, type Policy } from '../../src/model.js';
import type { HubState } from '../../src/state.js';
import { nextDeadline } from '../../src/step.js';
import {
  CONTACT,
  ENV,
  T0,
  cid,
  clientOf,
  closeCmd,
  closed,
  cmd,
  commit,
  dialogOf,
  expectInvariants,
  hubWith,
  linkOf,
  lnk,
  logCmd,
  login,
  loginInput,
  msg,
  notifyCmd,
  offlineEvent,
  okAnswer,
  onlineEvent,
  profileOf,
  register,
  registerInput,
  rejectedAnswer,
  rejectedEvent,
  replyCmd,
  result,
  secretOf,
  send,
  sessionOn,
  statusEvent,
  stepF,
  takeoverEvent,
  verifierFor,
  writeCmd,
  type LoginKind,
} from '../helpers.js';

const POLICIES: readonly Policy[] = ['replaceOld', 'ignoreNew', 'seniority'];
const KINDS: readonly LoginKind[] = ['start', 'resume', 'sync', 'login'];

/** Queues `n` application messages for client 10 (online or not) so its outbox holds 1..n. */
function pushApp(s: HubState, n: number, clientId = 10): HubState {
  for (let i = 0; i < n; i++) {
    s = stepF(s, { type: 'appMessageSent', actionId: `push${i}`, to: { clientId: cid(clientId) }, appType: 'chat', payload: new Uint8Array([i]), replyTo: 0 }).state;
  }
  return s;
}

const app = (i: number) => ({ type: 'app', appType: 'chat', payload: new Uint8Array([i]), replyTo: 0 }) as const;

describe('register', () => {
  test('a new client in a free auto profile is enabled, online, and gets its secret', () => {
    const s = hubWith({ profiles: [{ id: 1 }] });
    const r = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 3, environment: ENV });
    expect(r).toEqual(
      result([
        commit,
        notifyCmd({ type: 'clientRegistered', clientId: 10, profileId: 1 }),
        replyCmd(cmd(s, 0), 1, 3, okAnswer(10, { secret: secretOf(10) })),
        onlineEvent(10, 1, 'register'),
      ]),
    );
    const c = clientOf(r.state, 10);
    expect(c).toMatchObject({ status: 'enabled', profileId: 1, regSeq: 1, registeredAt: T0, contact: CONTACT, verifier: verifierFor(10), proven: false, dialog: null });
    expect(c.environments).toEqual([{ at: T0, env: ENV }]);
    expect(profileOf(r.state, 1)).toMatchObject({ enabledClient: 10, clientCount: 1 });
    expect(linkOf(r.state, 10)).toBe(1);
    expect(sessionOn(r.state, 1)?.dialog).toEqual({ ...EMPTY_DIALOG, lastSeen: T0 });
    expect(r.state.regSeq).toBe(1);
    expectInvariants(r.state);
  });

  test('an empty environment records no history entry', () => {
    const s = hubWith();
    const r = register(s, { link: 1, clientId: 10, profileId: 1, environment: {} });
    expect(clientOf(r.state, 10).environments).toEqual([]);
    expectInvariants(r.state);
  });

  test('an unknown profile is answered invalidProfile with the list of profiles, and the link stays open', () => {
    const s = hubWith({ profiles: [{ id: 1, name: 'One' }, { id: 2, name: 'Two', mode: 'manual' }] });
    const r = register(s, { link: 1, clientId: 10, profileId: 3, requestId: 4 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 1, 4, {
          code: 'invalidProfile',
          clientId: 10,
          profiles: [
            { id: 1, name: 'One', mode: 'auto' },
            { id: 2, name: 'Two', mode: 'manual' },
          ],
        }),
        rejectedEvent(10, 'register', 'invalidProfile'),
      ]),
    );
    expect(r.state.clients.size).toBe(0);
    expect(r.state.sessions.size).toBe(0);
    expectInvariants(r.state);
  });

  test('a taken id is answered invalidId (the client draws another), nothing else changes', () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1, link: 5 }] });
    const r = register(s, { link: 1, clientId: 10, profileId: 2, requestId: 9 });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 9, { code: 'invalidId', clientId: 10 }), rejectedEvent(10, 'register', 'invalidId')]));
    expect(clientOf(r.state, 10)).toEqual(clientOf(s, 10));
    expect(profileOf(r.state, 2)).toEqual(profileOf(s, 2));
    expectInvariants(r.state);
  });

  test('a taken id with another request id is invalidId even before the secret was used', () => {
    let s = hubWith();
    s = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 1 }).state;
    const r = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 2 });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 2, { code: 'invalidId', clientId: 10 }), rejectedEvent(10, 'register', 'invalidId')]));
    expectInvariants(r.state);
  });

  test('a repeated registration (same id and request id, secret never used) is answered ok again with the new secret', () => {
    let s = hubWith();
    s = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5, secret: 'first' }).state;
    s = closed(s, 1).state; // the answer was lost with the link
    const r = register(s, { link: 2, clientId: 10, profileId: 1, requestId: 5, secret: 'second' });
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'registrationRepeated', 10, { requestId: 5 }),
        replyCmd(cmd(s, 0), 2, 5, okAnswer(10, { secret: 'second' })),
        onlineEvent(10, 2, 'register'),
      ]),
    );
    expect(clientOf(r.state, 10)).toMatchObject({ regSeq: 1, status: 'enabled' });
    expect(profileOf(r.state, 1).clientCount).toBe(1);
    expect(r.state.regSeq).toBe(1);
    // Only the newly issued secret is valid now.
    const bad = login(r.state, { link: 3, clientId: 10, secret: 'first' });
    expect(bad.commands).toContainEqual(replyCmd(cmd(r.state, 0), 3, 7, rejectedAnswer(10, 'badCredentials')));
    const good = login(closed(r.state, 2).state, { link: 3, clientId: 10, secret: 'second' });
    expect(good.commands).toContainEqual(expect.objectContaining({ type: 'reply', answer: okAnswer(10) }));
    expectInvariants(r.state);
  });

  test('a repeated registration on the link that is still open reuses the session', () => {
    let s = hubWith();
    s = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5, secret: 'first' }).state;
    const r = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5, secret: 'second' });
    expect(r).toEqual(
      result([commit, logCmd('info', 'registrationRepeated', 10, { requestId: 5 }), replyCmd(cmd(s, 0), 1, 5, okAnswer(10, { secret: 'second' }))]),
    );
    expect(r.state.sessions.size).toBe(1);
    expectInvariants(r.state);
  });

  test('once the secret was used, the same registration is invalidId', () => {
    let s = hubWith();
    s = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5 }).state;
    s = login(s, { link: 1, clientId: 10 }).state; // proves the secret
    const r = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5, secret: 'other' });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 5, { code: 'invalidId', clientId: 10 }), rejectedEvent(10, 'register', 'invalidId')]));
    expect(clientOf(r.state, 10).verifier).toBe(verifierFor(10));
    expectInvariants(r.state);
  });

  test('a manual profile refuses registration: profileManual, link closed refused', () => {
    const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }] });
    const r = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 2 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 1, 2, rejectedAnswer(10, 'profileManual')),
        rejectedEvent(10, 'register', 'profileManual'),
        closeCmd(cmd(s, 1), 1, 10, 'refused', false),
      ]),
    );
    expect(r.state.clients.size).toBe(0);
    expectInvariants(r.state);
  });

  describe.each(POLICIES)('policy %s', (policy) => {
    test('no other enabled client: registered', () => {
      const s = hubWith({ policy, clients: [{ id: 11, profileId: 1, status: 'disabled' }] });
      const r = register(s, { link: 1, clientId: 10, profileId: 1 });
      expect(r).toEqual(
        result([
          commit,
          notifyCmd({ type: 'clientRegistered', clientId: 10, profileId: 1 }),
          replyCmd(cmd(s, 0), 1, 1, okAnswer(10, { secret: secretOf(10) })),
          onlineEvent(10, 1, 'register'),
        ]),
      );
      expect(profileOf(r.state, 1).enabledClient).toBe(10);
      expect(clientOf(r.state, 11).status).toBe('disabled');
      expectInvariants(r.state);
    });

    test('the other enabled client is offline: it is disabled, the new one registered', () => {
      const s = hubWith({ policy, clients: [{ id: 11, profileId: 1 }] });
      const r = register(s, { link: 1, clientId: 10, profileId: 1 });
      expect(r).toEqual(
        result([
          commit,
          statusEvent(11, 'enabled', 'disabled', 'request'),
          takeoverEvent(1, 'otherClient', 10, 11, 'disabled'),
          notifyCmd({ type: 'clientRegistered', clientId: 10, profileId: 1 }),
          replyCmd(cmd(s, 0), 1, 1, okAnswer(10, { secret: secretOf(10) })),
          onlineEvent(10, 1, 'register'),
        ]),
      );
      expect(clientOf(r.state, 11).status).toBe('disabled');
      expect(profileOf(r.state, 1)).toMatchObject({ enabledClient: 10, clientCount: 2 });
      expectInvariants(r.state);
    });

    test('the other enabled client is online', () => {
      const s = hubWith({ policy, clients: [{ id: 11, profileId: 1, link: 2 }] });
      const r = register(s, { link: 1, clientId: 10, profileId: 1 });
      if (policy === 'replaceOld') {
        // New one enabled; the old one is told `replaced` (terminal) and closed before the new one's ok.
        expect(r).toEqual(
          result([
            commit,
            statusEvent(11, 'enabled', 'disabled', 'request'),
            closeCmd(cmd(s, 0), 2, 11, 'replaced', false),
            offlineEvent(11, 2, 'replaced'),
            takeoverEvent(1, 'otherClient', 10, 11, 'replaced'),
            notifyCmd({ type: 'clientRegistered', clientId: 10, profileId: 1 }),
            replyCmd(cmd(s, 1), 1, 1, okAnswer(10, { secret: secretOf(10) })),
            onlineEvent(10, 1, 'register'),
          ]),
        );
        expect(clientOf(r.state, 11).status).toBe('disabled');
        expect(linkOf(r.state, 11)).toBeUndefined();
        expect(profileOf(r.state, 1).enabledClient).toBe(10);
      } else {
        // A running client is never displaced by a new registration (seed §8.1).
        expect(r).toEqual(
          result([
            commit,
            replyCmd(cmd(s, 0), 1, 1, rejectedAnswer(10, 'profileInUse')),
            rejectedEvent(10, 'register', 'profileInUse'),
            closeCmd(cmd(s, 1), 1, 10, 'refused', false),
          ]),
        );
        expect(r.state.clients.has(10)).toBe(false);
        expect(linkOf(r.state, 11)).toBe(2);
        expect(profileOf(r.state, 1).enabledClient).toBe(11);
      }
      expectInvariants(r.state);
    });
  });

  test("a profile's policy overrides the hub's", () => {
    const s = hubWith({ policy: 'replaceOld', profiles: [{ id: 1, policy: 'ignoreNew' }], clients: [{ id: 11, profileId: 1, link: 2 }] });
    const r = register(s, { link: 1, clientId: 10, profileId: 1 });
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 1, rejectedAnswer(10, 'profileInUse')));
    expectInvariants(r.state);
  });

  test('a registration without the issued secret is local misuse: HubUsageError', () => {
    const s = hubWith();
    const input = registerInput({ link: 1, clientId: 10, profileId: 1 });
    const { issued: _issued, ...without } = input as Extract<HubInput, { type: 'requestReceived' }>;
    expect(() => stepF(s, without)).toThrow(HubUsageError);
    try {
      stepF(s, without);
    } catch (e) {
      expect((e as HubUsageError).code).toBe('invalidInput');
    }
  });

  test('the issued secret may come as a verifier (a redacted journal): no secret in the answer', () => {
    const s = hubWith();
    const input = { ...(registerInput({ link: 1, clientId: 10, profileId: 1 }) as Extract<HubInput, { type: 'requestReceived' }>), issued: { verifier: verifierFor(10) } };
    const r = stepF(s, input);
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 1, okAnswer(10, { secret: null })));
    expect(clientOf(r.state, 10).verifier).toBe(verifierFor(10));
    expectInvariants(r.state);
  });
});

describe('malformed requests are logged and the link closed refused', () => {
  const base = { requestId: 1, clientId: cid(10), credential: { secret: 's' }, lastReceived: 0 };
  const cases: [string, unknown, string][] = [
    ['clientId 0 on a start', { ...base, kind: 'start', clientId: 0 }, 'clientId'],
    ['clientId above 2^32', { ...base, kind: 'resume', clientId: 2 ** 32 }, 'clientId'],
    ['negative request id', { ...base, kind: 'resume', requestId: -1 }, 'requestId'],
    ['profileId 0', { kind: 'register', requestId: 1, clientId: 10, profileId: 0, contact: CONTACT, environment: {} }, 'profileId'],
    ['oversize contact', { kind: 'register', requestId: 1, clientId: 10, profileId: 1, contact: { ...CONTACT, name: 'x'.repeat(33) }, environment: {} }, 'contact'],
    ['too many environment entries', { ...base, kind: 'start', environment: { a: '1', b: '2', c: '3', d: '4', e: '5' } }, 'environment'],
    ['an environment that is an array', { ...base, kind: 'login', environment: [] }, 'environment'],
    ['an empty secret', { ...base, kind: 'sync', credential: { secret: '' } }, 'credential'],
    ['a verifier that is not hex', { ...base, kind: 'login', credential: { verifier: 'xyz' }, environment: null }, 'credential'],
    ['a fractional lastReceived', { ...base, kind: 'resume', lastReceived: 1.5 }, 'lastReceived'],
    ['an unknown kind (B8)', { ...base, kind: 'close' }, 'kind'],
  ];
  test.each(cases)('%s', (_name, request, problem) => {
    const s = hubWith({ config: { limits: { maxTextLength: 32, maxEnvironmentEntries: 4 } } });
    const r = stepF(s, { type: 'requestReceived', link: lnk(1), request: request as never, issued: { secret: 'x' } });
    expect(r).toEqual(result([commit, logCmd('warn', 'malformedRequest', null, { link: 1, problem }), closeCmd(cmd(s, 0), 1, null, 'refused', false)]));
    expect(r.state.clients.size).toBe(0);
    expectInvariants(r.state);
  });
});

describe('linkBusy: a link carries one client', () => {
  test('a registration on a link bound to another client is rejected, the bound session untouched', () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = register(s, { link: 1, clientId: 20, profileId: 2, requestId: 4 });
    expect(r).toEqual(
      result([
        commit,
        logCmd('warn', 'linkBusy', 20, { link: 1, boundTo: 10 }),
        replyCmd(cmd(s, 0), 1, 4, rejectedAnswer(20, 'linkBusy')),
        rejectedEvent(20, 'register', 'linkBusy'),
      ]),
    );
    expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
    expect(r.state.clients.has(20)).toBe(false);
    expectInvariants(r.state);
  });

  test('a login of another client on a bound link is rejected', () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1, link: 1 }, { id: 20, profileId: 2 }] });
    const r = login(s, { link: 1, clientId: 20 });
    expect(r).toEqual(
      result([
        commit,
        logCmd('warn', 'linkBusy', 20, { link: 1, boundTo: 10 }),
        replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(20, 'linkBusy')),
        rejectedEvent(20, 'login', 'linkBusy'),
      ]),
    );
    expect(linkOf(r.state, 10)).toBe(1);
    expect(linkOf(r.state, 20)).toBeUndefined();
    expectInvariants(r.state);
  });
});

describe("denied: the application's authentication hook refused the requester", () => {
  test.each(KINDS)('%s: logged, rejected denied, closed refused, nothing changes', (kind) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = stepF(s, { ...(loginInput({ link: 1, clientId: 10, kind, requestId: 2 }) as Extract<HubInput, { type: 'requestReceived' }>), denied: true });
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'requestDenied', 10, { link: 1, request: kind }),
        replyCmd(cmd(s, 0), 1, 2, rejectedAnswer(10, 'denied')),
        rejectedEvent(10, kind, 'denied'),
        closeCmd(cmd(s, 1), 1, 10, 'refused', false),
      ]),
    );
    expect(clientOf(r.state, 10)).toEqual(clientOf(s, 10));
    expect(r.state.sessions.size).toBe(0);
    expectInvariants(r.state);
  });

  test('register: no client is created', () => {
    const s = hubWith();
    const r = stepF(s, { ...(registerInput({ link: 1, clientId: 10, profileId: 1 }) as Extract<HubInput, { type: 'requestReceived' }>), denied: true });
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'requestDenied', 10, { link: 1, request: 'register' }),
        replyCmd(cmd(s, 0), 1, 1, rejectedAnswer(10, 'denied')),
        rejectedEvent(10, 'register', 'denied'),
        closeCmd(cmd(s, 1), 1, 10, 'refused', false),
      ]),
    );
    expect(r.state.clients.size).toBe(0);
    expectInvariants(r.state);
  });

  test('denied: false is an ordinary request', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = stepF(s, { ...(loginInput({ link: 1, clientId: 10 }) as Extract<HubInput, { type: 'requestReceived' }>), denied: false });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10)), onlineEvent(10, 1, 'login')]));
  });
});

/**
 * Suspected core bug: a request refused with a close on the link of an online
 * client (malformed, bad credentials, denied) closes the link but leaves the
 * client's session on it, so the client stays "online" on a dead link until
 * deadAfterMs (under ignoreNew/seniority its next login is refused alreadyOnline).
 * stepF checks that no session survives on a link the hub closed.
 */
describe('a request refused with a close on the link of an online client', () => {
  const own = (extra: Record<string, unknown>): HubInput => ({ ...(loginInput({ link: 1, clientId: 10, kind: 'start' }) as Extract<HubInput, { type: 'requestReceived' }>), ...extra });
  test.each([
    ['malformed', own({ request: { kind: 'start', requestId: 7, clientId: cid(10), credential: { secret: 'x' }, environment: [], lastReceived: 0 } })],
    ['bad credentials', loginInput({ link: 1, clientId: 10, kind: 'start', secret: 'wrong' })],
    ['denied by the hook', own({ denied: true })],
  ])('%s: the session does not outlive its link', (_name, input) => {
    const s = hubWith({ policy: 'ignoreNew', clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, input);
    if (r.commands.some((c) => c.type === 'close' && c.link === 1)) {
      expect(r.commands).toContainEqual(notifyCmd(expect.objectContaining({ type: 'clientOffline', clientId: 10, link: 1 })));
      const again = login(r.state, { link: 2, clientId: 10 });
      expect(again.commands).toContainEqual(expect.objectContaining({ type: 'reply', link: 2, answer: okAnswer(10) }));
    }
  });
});

describe('profiles request', () => {
  test('answers the list of profiles, on any link', () => {
    const s = hubWith({ profiles: [{ id: 2, name: 'B', mode: 'manual' }, { id: 1, name: 'A' }], clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, { type: 'requestReceived', link: lnk(1), request: { kind: 'profiles', requestId: 3, clientId: cid(99) } });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 1, 3, {
          code: 'profiles',
          clientId: 99,
          profiles: [
            { id: 1, name: 'A', mode: 'auto' },
            { id: 2, name: 'B', mode: 'manual' },
          ],
        }),
      ]),
    );
    expect(linkOf(r.state, 10)).toBe(1);
    expectInvariants(r.state);
  });
});

describe('start / resume / sync / login', () => {
  test.each(KINDS)('%s from an unknown id: reset answer and close reset (B23)', (kind) => {
    const s = hubWith();
    const r = login(s, { link: 1, clientId: 10, kind, requestId: 2 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 1, 2, { code: 'reset', clientId: 10 }),
        rejectedEvent(10, kind, 'reset'),
        closeCmd(cmd(s, 1), 1, 10, 'reset', false),
      ]),
    );
    expectInvariants(r.state);
  });

  test.each(KINDS)('%s with a bad secret: rejected badCredentials, closed refused, nothing proven', (kind) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, kind, secret: 'wrong', requestId: 2 });
    expect(r).toEqual(
      result([
        commit,
        logCmd('warn', 'badCredentials', 10, { link: 1, request: kind }),
        replyCmd(cmd(s, 0), 1, 2, rejectedAnswer(10, 'badCredentials')),
        rejectedEvent(10, kind, 'badCredentials'),
        closeCmd(cmd(s, 1), 1, 10, 'refused', false),
      ]),
    );
    expect(clientOf(r.state, 10)).toEqual(clientOf(s, 10));
    expectInvariants(r.state);
  });

  test('a verifier credential works like the secret it hashes', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, credential: { verifier: verifierFor(10) } });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10)), onlineEvent(10, 1, 'login')]));
    expect(clientOf(r.state, 10).proven).toBe(true);
    expectInvariants(r.state);
  });

  test('a wrong verifier is badCredentials', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, credential: { verifier: verifierFor(11) } });
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, 'badCredentials')));
  });

  describe.each(KINDS)('%s by status', (kind) => {
    test('enabled: ok, online (resume of an enabled client is ok: B10)', () => {
      const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
      const r = login(s, { link: 1, clientId: 10, kind, requestId: 2 });
      expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 2, okAnswer(10)), onlineEvent(10, 1, kind)]));
      expect(linkOf(r.state, 10)).toBe(1);
      expect(clientOf(r.state, 10)).toMatchObject({ status: 'enabled', proven: true, dialog: null });
      expectInvariants(r.state);
    });

    test('disabled: resume and login re-enable, start and sync are refused', () => {
      const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'disabled' }] });
      const r = login(s, { link: 1, clientId: 10, kind, requestId: 2 });
      if (kind === 'resume' || kind === 'login') {
        expect(r).toEqual(
          result([commit, statusEvent(10, 'disabled', 'enabled', 'request'), replyCmd(cmd(s, 0), 1, 2, okAnswer(10)), onlineEvent(10, 1, kind)]),
        );
        expect(clientOf(r.state, 10).status).toBe('enabled');
        expect(profileOf(r.state, 1).enabledClient).toBe(10);
        expect(linkOf(r.state, 10)).toBe(1);
      } else {
        expect(r).toEqual(
          result([
            commit,
            replyCmd(cmd(s, 0), 1, 2, rejectedAnswer(10, 'disabled')),
            rejectedEvent(10, kind, 'disabled'),
            closeCmd(cmd(s, 1), 1, 10, 'disabled', false),
          ]),
        );
        expect(clientOf(r.state, 10).status).toBe('disabled');
        expect(r.state.sessions.size).toBe(0);
      }
      expectInvariants(r.state);
    });

    test('banned: rejected banned, closed banned (B11)', () => {
      const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'banned' }] });
      const r = login(s, { link: 1, clientId: 10, kind, requestId: 2 });
      expect(r).toEqual(
        result([
          commit,
          replyCmd(cmd(s, 0), 1, 2, rejectedAnswer(10, 'banned')),
          rejectedEvent(10, kind, 'banned'),
          closeCmd(cmd(s, 1), 1, 10, 'banned', false),
        ]),
      );
      expect(clientOf(r.state, 10).status).toBe('banned');
      expect(r.state.sessions.size).toBe(0);
      expectInvariants(r.state);
    });

    test('reset: reset answer, closed reset', () => {
      const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'reset' }] });
      const r = login(s, { link: 1, clientId: 10, kind, requestId: 2 });
      expect(r).toEqual(
        result([
          commit,
          replyCmd(cmd(s, 0), 1, 2, { code: 'reset', clientId: 10 }),
          rejectedEvent(10, kind, 'reset'),
          closeCmd(cmd(s, 1), 1, 10, 'reset', false),
        ]),
      );
      expect(clientOf(r.state, 10).status).toBe('reset');
      expect(r.state.sessions.size).toBe(0);
      expectInvariants(r.state);
    });
  });

  describe('environment history (start and login record it, §8.7)', () => {
    test('start records a changed environment once; the same one again adds nothing', () => {
      let s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
      s = login(s, { link: 1, clientId: 10, kind: 'start', environment: ENV }, T0 + 1).state;
      expect(clientOf(s, 10).environments).toEqual([{ at: T0 + 1, env: ENV }]);
      s = login(s, { link: 1, clientId: 10, kind: 'start', environment: { ...ENV } }, T0 + 2).state;
      expect(clientOf(s, 10).environments).toEqual([{ at: T0 + 1, env: ENV }]);
      s = login(s, { link: 1, clientId: 10, kind: 'login', environment: null }, T0 + 3).state;
      expect(clientOf(s, 10).environments).toHaveLength(1);
      s = login(s, { link: 1, clientId: 10, kind: 'login', environment: { os: 'win' } }, T0 + 4).state;
      expect(clientOf(s, 10).environments).toEqual([
        { at: T0 + 1, env: ENV },
        { at: T0 + 4, env: { os: 'win' } },
      ]);
      expectInvariants(s);
    });

    test('the history is bounded by maxEnvironmentEntries, oldest dropped', () => {
      let s = hubWith({ config: { limits: { maxEnvironmentEntries: 2 } }, clients: [{ id: 10, profileId: 1 }] });
      for (let i = 1; i <= 3; i++) s = login(s, { link: 1, clientId: 10, kind: 'start', environment: { v: String(i) } }, T0 + i).state;
      expect(clientOf(s, 10).environments).toEqual([
        { at: T0 + 2, env: { v: '2' } },
        { at: T0 + 3, env: { v: '3' } },
      ]);
    });
  });

  test('a repeated request on the same link reuses the session (B4): no second clientOnline', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: { appMessageTypes: ['chat'] } });
    s = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 })]).state;
    const r = login(s, { link: 1, clientId: 10, kind: 'start', requestId: 9 });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 9, okAnswer(10, { lastReceived: 1 }))]));
    expect(r.state.sessions.size).toBe(1);
    expect(sessionOn(r.state, 1)?.dialog.inSeq).toBe(1);
    expectInvariants(r.state);
  });

  describe.each(POLICIES)('same client on a second link, policy %s', (policy) => {
    test.each(KINDS)('%s', (kind) => {
      let s = hubWith({ policy, clients: [{ id: 10, profileId: 1, link: 1 }], config: { appMessageTypes: ['chat'] } });
      s = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 }), msg(2, 0, { type: 'null', replyTo: 0 })]).state;
      s = pushApp(s, 1);
      const before = dialogOf(s, 10);
      const r = login(s, { link: 2, clientId: 10, kind, requestId: 3 });
      if (policy === 'replaceOld') {
        // The old link is told pushedOut and closed BEFORE the new link's ok; the dialog moves.
        expect(r).toEqual(
          result([
            commit,
            closeCmd(cmd(s, 0), 1, 10, 'pushedOut', false),
            offlineEvent(10, 1, 'pushedOut'),
            takeoverEvent(1, 'sameClient', 10, 10, 'pushedOut'),
            replyCmd(cmd(s, 1), 2, 3, okAnswer(10, { lastReceived: 2, lastSent: 1 })),
            writeCmd(cmd(s, 2), 2, 10, [msg(1, 2, app(0))]),
            onlineEvent(10, 2, kind),
          ]),
        );
        expect(linkOf(r.state, 10)).toBe(2);
        expect(sessionOn(r.state, 1)).toBeUndefined();
        expect(sessionOn(r.state, 2)?.dialog).toEqual({ ...before, lastSeen: T0 });
      } else {
        expect(r).toEqual(
          result([
            commit,
            replyCmd(cmd(s, 0), 2, 3, rejectedAnswer(10, 'alreadyOnline')),
            rejectedEvent(10, kind, 'alreadyOnline'),
            closeCmd(cmd(s, 1), 2, 10, 'alreadyOnline', false),
          ]),
        );
        expect(linkOf(r.state, 10)).toBe(1);
        expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
      }
      expectInvariants(r.state);
    });
  });

  /**
   * Another client of the profile is enabled while a disabled one resumes (or
   * logs in). Client 10 registered first (older), 11 second (newer).
   */
  describe.each(['resume', 'login'] as const)('other-client conflict on %s', (kind) => {
    const olderResumes = (policy: Policy, otherOnline: boolean): HubState =>
      hubWith({ policy, clients: [{ id: 10, profileId: 1 }, { id: 11, profileId: 1, ...(otherOnline ? { link: 2 } : {}) }] });

    test.each(['replaceOld', 'ignoreNew'] as const)('%s, other offline: the old one is disabled', (policy) => {
      const s = olderResumes(policy, false);
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          statusEvent(11, 'enabled', 'disabled', 'request'),
          takeoverEvent(1, 'otherClient', 10, 11, 'disabled'),
          statusEvent(10, 'disabled', 'enabled', 'request'),
          replyCmd(cmd(s, 0), 1, 7, okAnswer(10)),
          onlineEvent(10, 1, kind),
        ]),
      );
      expect(clientOf(r.state, 11).status).toBe('disabled');
      expect(profileOf(r.state, 1).enabledClient).toBe(10);
      expectInvariants(r.state);
    });

    test('replaceOld, other online: the old one is disabled, told replaced and closed', () => {
      const s = olderResumes('replaceOld', true);
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          statusEvent(11, 'enabled', 'disabled', 'request'),
          closeCmd(cmd(s, 0), 2, 11, 'replaced', false),
          offlineEvent(11, 2, 'replaced'),
          takeoverEvent(1, 'otherClient', 10, 11, 'replaced'),
          statusEvent(10, 'disabled', 'enabled', 'request'),
          replyCmd(cmd(s, 1), 1, 7, okAnswer(10)),
          onlineEvent(10, 1, kind),
        ]),
      );
      expect(clientOf(r.state, 11).status).toBe('disabled');
      expect(linkOf(r.state, 11)).toBeUndefined();
      expectInvariants(r.state);
    });

    test('ignoreNew, other online: the new one is refused profileInUse', () => {
      const s = olderResumes('ignoreNew', true);
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, 'profileInUse')),
          rejectedEvent(10, kind, 'profileInUse'),
          closeCmd(cmd(s, 1), 1, 10, 'refused', false),
        ]),
      );
      expect(clientOf(r.state, 10).status).toBe('disabled');
      expect(linkOf(r.state, 11)).toBe(2);
      expectInvariants(r.state);
    });

    test('seniority, other online, requester older: the newer one is banned, told banned and closed', () => {
      const s = olderResumes('seniority', true);
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          statusEvent(11, 'enabled', 'banned', 'request'),
          closeCmd(cmd(s, 0), 2, 11, 'banned', false),
          offlineEvent(11, 2, 'banned'),
          takeoverEvent(1, 'otherClient', 10, 11, 'banned'),
          statusEvent(10, 'disabled', 'enabled', 'request'),
          replyCmd(cmd(s, 1), 1, 7, okAnswer(10)),
          onlineEvent(10, 1, kind),
        ]),
      );
      expect(clientOf(r.state, 11).status).toBe('banned');
      expect(profileOf(r.state, 1).enabledClient).toBe(10);
      expectInvariants(r.state);
    });

    test('seniority, other offline, requester older: the newer one is banned', () => {
      const s = olderResumes('seniority', false);
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          statusEvent(11, 'enabled', 'banned', 'request'),
          takeoverEvent(1, 'otherClient', 10, 11, 'banned'),
          statusEvent(10, 'disabled', 'enabled', 'request'),
          replyCmd(cmd(s, 0), 1, 7, okAnswer(10)),
          onlineEvent(10, 1, kind),
        ]),
      );
      expect(clientOf(r.state, 11).status).toBe('banned');
      expectInvariants(r.state);
    });

    test.each([true, false])('seniority, requester newer (other online: %s): refused seniority', (otherOnline) => {
      // 10 is older and enabled, 11 newer and disabled.
      const s = hubWith({
        policy: 'seniority',
        clients: [
          { id: 10, profileId: 1, status: 'enabled', ...(otherOnline ? { link: 2 } : {}) },
          { id: 11, profileId: 1, status: 'disabled' },
        ],
      });
      const r = login(s, { link: 1, clientId: 11, kind });
      expect(r).toEqual(
        result([
          commit,
          replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(11, 'seniority')),
          rejectedEvent(11, kind, 'seniority'),
          closeCmd(cmd(s, 1), 1, 11, 'refused', false),
        ]),
      );
      expect(clientOf(r.state, 10).status).toBe('enabled');
      expect(clientOf(r.state, 11).status).toBe('disabled');
      expectInvariants(r.state);
    });
  });

  describe('manual profile', () => {
    test.each(['resume', 'login'] as const)('%s of a disabled client is refused profileManual', (kind) => {
      const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1, status: 'disabled' }] });
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(
        result([
          commit,
          replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, 'profileManual')),
          rejectedEvent(10, kind, 'profileManual'),
          closeCmd(cmd(s, 1), 1, 10, 'refused', false),
        ]),
      );
      expect(clientOf(r.state, 10).status).toBe('disabled');
      expectInvariants(r.state);
    });

    test.each(['start', 'sync', 'resume', 'login'] as const)('%s of the enabled client is allowed (no status change)', (kind) => {
      const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1 }] });
      const r = login(s, { link: 1, clientId: 10, kind });
      expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10)), onlineEvent(10, 1, kind)]));
      expect(profileOf(r.state, 1).mode).toBe('manual');
      expectInvariants(r.state);
    });
  });

  describe('lastReceived', () => {
    test('trims the outbox; the rest is resent in one writeDialog right after the ok', () => {
      let s = hubWith({ clients: [{ id: 10, profileId: 1 }], config: { appMessageTypes: ['chat'] } });
      s = pushApp(s, 3); // offline: store and forward
      const r = login(s, { link: 1, clientId: 10, lastReceived: 2 });
      expect(r).toEqual(
        result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10, { lastSent: 3 })), writeCmd(cmd(s, 1), 1, 10, [msg(3, 0, app(2))]), onlineEvent(10, 1, 'login')]),
      );
      expect(dialogOf(r.state, 10)).toMatchObject({ outAcked: 2, outSeq: 3, outbox: [{ seq: 3, body: app(2) }] });
      expectInvariants(r.state);
    });

    test('beyond what was sent is clamped and logged (ackBeyondSent)', () => {
      let s = hubWith({ clients: [{ id: 10, profileId: 1 }], config: { appMessageTypes: ['chat'] } });
      s = pushApp(s, 3);
      const r = login(s, { link: 1, clientId: 10, lastReceived: 9 });
      expect(r).toEqual(
        result([
          commit,
          logCmd('warn', 'ackBeyondSent', 10, { ack: 9, lastSent: 3 }),
          replyCmd(cmd(s, 0), 1, 7, okAnswer(10, { lastSent: 3 })),
          onlineEvent(10, 1, 'login'),
        ]),
      );
      expect(dialogOf(r.state, 10)).toMatchObject({ outAcked: 3, outSeq: 3, outbox: [] });
      expectInvariants(r.state);
    });

    test('below what was already acknowledged changes nothing', () => {
      let s = hubWith({ clients: [{ id: 10, profileId: 1 }], config: { appMessageTypes: ['chat'] } });
      s = pushApp(s, 3);
      s = closed(login(s, { link: 1, clientId: 10, lastReceived: 2 }).state, 1).state;
      const r = login(s, { link: 1, clientId: 10, lastReceived: 1 });
      expect(r).toEqual(
        result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10, { lastSent: 3 })), writeCmd(cmd(s, 1), 1, 10, [msg(3, 0, app(2))]), onlineEvent(10, 1, 'login')]),
      );
      expect(dialogOf(r.state, 10).outAcked).toBe(2);
      expectInvariants(r.state);
    });
  });

  test('an admitted session gets fresh deadlines', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }], config: { syncAfterMs: 1_000, deadAfterMs: 5_000 } });
    const r = login(s, { link: 1, clientId: 10 }, T0 + 10);
    expect(sessionOn(r.state, 1)).toMatchObject({ since: T0 + 10, lastHeard: T0 + 10, syncAt: T0 + 1_010, deadAt: T0 + 5_010, indexedAt: T0 + 1_010 });
    expect(nextDeadline(r.state)).toBe(T0 + 1_010);
    expectInvariants(r.state);
  });

  test('requests of different clients on different links do not interfere (answers name their client)', () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1 }, { id: 20, profileId: 2 }] });
    const a = login(s, { link: 1, clientId: 10, requestId: 5 });
    const b = login(a.state, { link: 2, clientId: 20, requestId: 5 });
    expect(b).toEqual(result([commit, replyCmd(cmd(a.state, 0), 2, 5, okAnswer(20)), onlineEvent(20, 2, 'login')]));
    expect(profileOf(b.state, 2).enabledClient).toBe(20);
    expectInvariants(b.state);
  });
});
