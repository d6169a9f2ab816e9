/**
 * step itself: time never goes backwards, local misuse throws HubUsageError,
 * commit comes first exactly when the state changed and there is something
 * to reveal, and the state given is never modified.
 */
import { describe, expect, test } from 'vitest';
import { HubUsageError } from '../../src/errors.js';
import type { HubInput } from '../../src/inputs.js';
import { initialState } from '../../src/state.js';
import { nextDeadline, run, step } from '../../src/step.js';
import {
  T0,
  actionCmd,
  cid,
  clientOf,
  closed,
  commit,
  deepFreeze,
  expectInvariants,
  hubWith,
  logCmd,
  login,
  lnk,
  loginInput,
  msg,
  messagesInput,
  notifyCmd,
  pid,
  register,
  registerInput,
  result,
  send,
  stepF,
  timer,
} from '../helpers.js';

function usageError(f: () => unknown): HubUsageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HubUsageError);
    return e as HubUsageError;
  }
  throw new Error('expected a HubUsageError');
}

describe('the clock', () => {
  test('an earlier now is raised to the last one seen, and logged', () => {
    const s = stepF(hubWith(), { type: 'timerFired' }, T0 + 500).state;
    expect(s.now).toBe(T0 + 500);
    const r = stepF(s, { type: 'profileCreated', actionId: 'p', profileId: pid(2), name: 'Two' }, T0 + 100);
    expect(r).toEqual(
      result([
        commit,
        logCmd('warn', 'clockWentBack', null, { given: T0 + 100, kept: T0 + 500 }),
        notifyCmd({ type: 'profileChanged', profileId: 2, change: 'created', mode: 'auto', policy: null }),
        actionCmd('p', true, null),
      ]),
    );
    expect(r.state.now).toBe(T0 + 500);
  });

  test('with nothing else to do, the clock log is the only command and the state is unchanged', () => {
    const s = stepF(hubWith(), { type: 'timerFired' }, T0 + 500).state;
    expect(stepF(s, { type: 'timerFired' }, T0)).toEqual({ state: s, commands: [logCmd('warn', 'clockWentBack', null, { given: T0, kept: T0 + 500 })] });
  });

  test('what the step records uses the kept time (a registration under a clock that went back)', () => {
    const s = stepF(hubWith(), { type: 'timerFired' }, T0 + 500).state;
    const r = register(s, { link: 1, clientId: 10, profileId: 1 }, T0);
    expect(clientOf(r.state, 10).registeredAt).toBe(T0 + 500);
    expect(nextDeadline(r.state)).toBe(T0 + 500 + 10_000);
    expectInvariants(r.state);
  });

  test.each([Number.NaN, Number.POSITIVE_INFINITY, '1000' as unknown as number, undefined as unknown as number])('now = %s throws HubUsageError(invalidInput)', (now) => {
    const s = hubWith();
    expect(usageError(() => step(s, { type: 'timerFired' }, now)).code).toBe('invalidInput');
  });
});

describe('local misuse', () => {
  test('an unknown input type throws HubUsageError(invalidInput)', () => {
    const s = hubWith();
    const e = usageError(() => step(s, { type: 'somethingHappened' } as unknown as HubInput, T0));
    expect(e.code).toBe('invalidInput');
    expect(e.message).toContain('somethingHappened');
  });

  test('an invalid config throws HubUsageError(invalidConfig)', () => {
    expect(usageError(() => initialState({ syncAfterMs: 0 })).code).toBe('invalidConfig');
    expect(usageError(() => initialState({ syncAfterMs: 10, deadAfterMs: 10 })).code).toBe('invalidConfig');
    expect(usageError(() => initialState({ policy: 'random' as never })).code).toBe('invalidConfig');
    expect(usageError(() => initialState({ appMessageTypes: ['has space'] })).code).toBe('invalidConfig');
  });

  test('peer data never throws: a batch of garbage messages and requests is answered with logs and closes', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const garbage: unknown[] = [null, 42, 'x', {}, { seq: 'a' }, { seq: 1, ack: 0, body: null }, { seq: 1, ack: 0, body: { type: 'app' } }];
    expect(() => stepF(s, messagesInput(1, garbage as never))).not.toThrow();
    for (const request of [null, {}, { kind: 'start', requestId: 1, clientId: 10 }, { kind: 'register', requestId: 1, clientId: 10, profileId: 1 }]) {
      const r = stepF(s, { type: 'requestReceived', link: lnk(2), request: request as never });
      expect(r.commands.at(-1)).toMatchObject({ type: 'close', link: 2, reason: 'refused' });
    }
  });
});

describe('commit first', () => {
  test('a step that changes the state and reveals it starts with commit, once', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const inputs: HubInput[] = [
      loginInput({ link: 1, clientId: 10 }),
      messagesInput(1, [msg(1, 0, { type: 'null', replyTo: 0 })]),
      { type: 'statusSet', actionId: 'x', clientId: cid(10), status: 'banned' },
      registerInput({ link: 2, clientId: 11, profileId: 1 }),
    ];
    let cur = s;
    for (const input of inputs) {
      const r = stepF(cur, input);
      expect(r.state).not.toBe(cur);
      expect(r.commands[0]).toEqual(commit);
      expect(r.commands.filter((c) => c.type === 'commit')).toHaveLength(1);
      cur = r.state;
    }
  });

  test('a step that changes nothing returns the same state and no commit', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    expect(closed(s, 9)).toEqual({ state: s, commands: [] });
    expect(stepF(s, { type: 'clientKicked', actionId: 'k', clientId: cid(10) })).toEqual({ state: s, commands: [actionCmd('k', false, 'notOnline')] });
  });

  test('a step that changes the state with nothing else to do is still only a commit (a lazy re-file)', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    s = send(s, 1, [msg(0, 0, { type: 'ack' })], T0 + 5_000).state;
    const r = timer(s, T0 + 10_000);
    expect(r).toEqual({ state: expect.anything(), commands: [commit] });
    expect(r.state).not.toBe(s);
  });
});

describe('purity', () => {
  test('the state given is never modified and can be stepped again with the same result', () => {
    const s = deepFreeze(hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] }));
    const input = messagesInput(1, [msg(1, 0, { type: 'setInfo', contact: { name: 'B', phone: '', email: '' } })]);
    const a = step(s, input, T0 + 1);
    const b = step(s, input, T0 + 1);
    expect(b).toEqual(a);
    expect(clientOf(s, 10).contact.name).toBe('Alice');
    expect(s.sessions.get(1)?.dialog.inSeq).toBe(0);
    expectInvariants(s);
    expectInvariants(a.state);
  });

  test('run() is the same as stepping one input at a time', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const steps = [
      { input: loginInput({ link: 1, clientId: 10 }), now: T0 + 1 },
      { input: messagesInput(1, [msg(1, 0, { type: 'null', replyTo: 0 })]), now: T0 + 2 },
      { input: { type: 'timerFired' } as const, now: T0 + 20_000 },
    ];
    const all = run(s, steps);
    let cur = s;
    const commands: unknown[] = [];
    for (const x of steps) {
      const r = step(cur, x.input, x.now);
      commands.push(...r.commands);
      cur = r.state;
    }
    expect(all.commands).toEqual(commands);
    expect(all.state.now).toBe(cur.now);
    expect(login(all.state, { link: 1, clientId: 10 })).toEqual(login(cur, { link: 1, clientId: 10 }));
  });
});
