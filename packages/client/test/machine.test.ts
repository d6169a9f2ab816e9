/**
 * Pure transition tests: xstate's `initialTransition()` / `transition()` run
 * the bare `clientMachine` (no implementations: nothing is executed) and
 * return the next snapshot with the actions as plain objects, which the
 * tests assert whole.
 */
import { clientId, type Answer, type DialogMessage } from '@dialoghub/core';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, SimulatedClock, transition } from 'xstate';
import { clientMachine, ClientUsageError, DEFAULT_SETTINGS, resolveSettings, type ClientEvent, type ClientInput } from '../src/index.js';

type Snapshot = ReturnType<typeof initialTransition<typeof clientMachine>>[0];

/** An action as data, without the actor objects xstate puts in some params. */
function plain(action: { type: string; params?: unknown }): unknown {
  const p = action.params as Record<string, unknown> | undefined;
  switch (action.type) {
    case 'xstate.raise':
      return { after: (p?.['event'] as { type: string }).type, delay: p?.['delay'] };
    case 'xstate.cancel':
      return { cancel: p?.['sendId'] };
    case 'xstate.spawnChild':
      return { spawn: p?.['src'], id: p?.['id'], input: p?.['input'] };
    case 'xstate.stopChild':
      return { stop: (p as { id?: string } | undefined)?.id };
    case 'xstate.emit':
      return { emit: p?.['event'] };
    default:
      return { type: action.type, params: action.params };
  }
}

/** The event xstate raises when an invoked actor resolves. */
const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as ClientEvent;
const failed = (id: string, error: unknown) => ({ type: `xstate.error.actor.${id}`, error }) as unknown as ClientEvent;
const after = (delay: string, state: string) => ({ type: `xstate.after.${delay}.client.${state}` }) as unknown as ClientEvent;

function step(s: Snapshot, event: ClientEvent): [Snapshot, unknown[]] {
  const [next, actions] = transition(clientMachine, s, event);
  return [next, actions.map(plain)];
}

const okAnswer = (over: Partial<Extract<Answer, { code: 'ok' }>> = {}): Answer => ({
  code: 'ok',
  clientId: clientId(7),
  status: 'enabled',
  secret: null,
  lastReceived: 0,
  lastSent: 0,
  ...over,
});

/** Drives the bare machine to `attached.online` for client 7 (link 1, request 1). */
function toOnline(input: ClientInput = {}, answer: Answer = okAnswer()): Snapshot {
  let [s] = initialTransition(clientMachine, input);
  [s] = step(s, { type: 'start' });
  [s] = step(s, done('connect', { linkId: 1 }));
  [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
  [s] = step(s, { type: 'answerReceived', requestId: 1, answer });
  return s;
}

describe('first login', () => {
  it('starts disconnected and does nothing', () => {
    const [s, actions] = initialTransition(clientMachine, {});
    expect(s.value).toBe('disconnected');
    expect(actions).toEqual([]);
    expect(s.context.settings).toEqual(DEFAULT_SETTINGS);
  });

  it('start: connect, with the connect timeout armed', () => {
    const [s0] = initialTransition(clientMachine, { connectTimeoutMs: 1234 });
    const [s, actions] = step(s0, { type: 'start' });
    expect(s.value).toBe('connecting');
    expect(actions).toEqual([
      { after: 'xstate.after.connectTimeout.client.connecting', delay: 1234 },
      { spawn: 'connect', id: 'connect', input: { attempt: 0 } },
    ]);
  });

  it('link open: the link actor starts, then the credentials callback, under the login timeout', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    const [next, actions] = step(s, done('connect', { linkId: 3 }));
    expect(next.value).toEqual({ attached: { authenticating: 'credentials' } });
    expect(next.context.linkId).toBe(3);
    expect(actions).toEqual([
      { cancel: 'xstate.after.connectTimeout.client.connecting' },
      { stop: 'connect' },
      { spawn: 'link', id: 'link', input: { linkId: 3 } },
      { after: 'xstate.after.loginTimeout.client.attached.authenticating', delay: DEFAULT_SETTINGS.loginTimeoutMs },
      { spawn: 'credentials', id: 'credentials', input: { attempt: 0, environment: {} } },
    ]);
  });

  it('credentials: a `login` request with lastReceived 0 (the secret only in the transmit params)', () => {
    let [s] = initialTransition(clientMachine, { environment: { os: 'linux' } });
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    const [next, actions] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    expect(next.value).toEqual({ attached: { authenticating: 'awaitingAnswer' } });
    expect(actions).toEqual([
      { stop: 'credentials' },
      {
        type: 'transmit',
        params: {
          frames: [
            {
              kind: 'request',
              request: { kind: 'login', requestId: 1, clientId: 7, credential: { secret: 's3cret' }, lastReceived: 0, environment: { os: 'linux' } },
            },
          ],
        },
      },
    ]);
    expect(JSON.stringify(next.context)).not.toContain('s3cret');
  });

  it('ok: online, with minUptime and the heartbeat timers armed', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 1, answer: okAnswer() });
    expect(next.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(actions).toEqual([
      { cancel: 'xstate.after.loginTimeout.client.attached.authenticating' },
      { emit: { type: 'online', clientId: 7, relogon: false } },
      { after: 'xstate.after.minUptime.client.attached.online', delay: DEFAULT_SETTINGS.minUptimeMs },
      { after: 'xstate.after.heartbeatTimeout.client.attached.online.live', delay: DEFAULT_SETTINGS.heartbeatTimeoutMs },
      // silenceSyncMs is off: the timer is armed at the heartbeat timeout and its guard keeps it idle.
      { after: 'xstate.after.silenceSync.client.attached.online.live', delay: DEFAULT_SETTINGS.heartbeatTimeoutMs },
      { after: 'xstate.after.heartbeat.client.attached.online.live.quiet', delay: DEFAULT_SETTINGS.heartbeatIntervalMs },
    ]);
  });

  it('an answer to another request or another client is ignored (B14)', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    for (const event of [
      { type: 'answerReceived', requestId: 2, answer: okAnswer() },
      { type: 'answerReceived', requestId: 1, answer: okAnswer({ clientId: clientId(8) }) },
    ] as const) {
      const [next, actions] = step(s, event);
      expect(next.value).toEqual({ attached: { authenticating: 'awaitingAnswer' } });
      expect(actions).toEqual([]);
    }
  });

  it('a registration: the `register` request, then savingSecret with the issued secret, then online', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    let actions: unknown[];
    const registration = { kind: 'register', clientId: 9, drawn: true, profileId: 1, contact: { name: 'a', phone: '', email: '' }, environment: {} };
    [s, actions] = step(s, done('credentials', registration));
    expect(actions[1]).toEqual({
      type: 'transmit',
      params: {
        frames: [{ kind: 'request', request: { kind: 'register', requestId: 1, clientId: 9, profileId: 1, contact: registration.contact, environment: {} } }],
      },
    });
    [s, actions] = step(s, { type: 'answerReceived', requestId: 1, answer: okAnswer({ clientId: clientId(9), secret: 'issued' }) });
    expect(s.value).toEqual({ attached: 'savingSecret' });
    expect(actions).toContainEqual({ spawn: 'saveCredentials', id: 'saveCredentials', input: { clientId: 9, secret: 'issued' } });
    [s, actions] = step(s, done('saveCredentials', undefined));
    expect(s.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(actions.slice(0, 3)).toEqual([
      { stop: 'saveCredentials' },
      { emit: { type: 'registered', clientId: 9 } },
      { emit: { type: 'online', clientId: 9, relogon: false } },
    ]);
  });

  it('invalidId to a drawn id: fetch the credentials again (a new draw)', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    [s] = step(s, done('credentials', { kind: 'register', clientId: 9, drawn: true, profileId: 1, contact: { name: '', phone: '', email: '' }, environment: {} }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 1, answer: { code: 'invalidId', clientId: clientId(9) } });
    expect(next.value).toEqual({ attached: { authenticating: 'credentials' } });
    expect(next.context.idDraws).toBe(1);
    expect(actions).toEqual([{ spawn: 'credentials', id: 'credentials', input: { attempt: 0, environment: {} } }]);
  });
});

describe('refusals and closes', () => {
  function awaiting(): Snapshot {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    [s] = step(s, done('connect', { linkId: 1 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    return s;
  }

  it('a terminal refusal stops: no backoff is scheduled', () => {
    const [s, actions] = step(awaiting(), { type: 'answerReceived', requestId: 1, answer: { code: 'rejected', clientId: clientId(7), reason: 'badCredentials' } });
    expect(s.value).toBe('stopped');
    expect(s.context.stopReason).toBe('badCredentials');
    expect(actions).toEqual([
      { cancel: 'xstate.after.loginTimeout.client.attached.authenticating' },
      { stop: 'link' },
      { emit: { type: 'attemptFailed', attempt: 0, reason: 'badCredentials' } },
      { emit: { type: 'stopped', reason: 'badCredentials' } },
    ]);
  });

  it('linkBusy is retried: backoff, delay = the bound (the bare machine draws no jitter)', () => {
    const [s, actions] = step(awaiting(), { type: 'answerReceived', requestId: 1, answer: { code: 'rejected', clientId: clientId(7), reason: 'linkBusy' } });
    expect(s.value).toBe('backoff');
    expect(actions).toEqual([
      { cancel: 'xstate.after.loginTimeout.client.attached.authenticating' },
      { stop: 'link' },
      { emit: { type: 'attemptFailed', attempt: 0, reason: 'linkBusy' } },
      { after: 'xstate.after.backoff.client.backoff', delay: DEFAULT_SETTINGS.backoffBaseMs },
    ]);
  });

  it.each([
    ['pushedOut', false, 'stopped'],
    ['kicked', false, 'stopped'],
    ['heartbeatTimeout', false, 'stopped'],
    ['shutdown', true, 'backoff'],
    ['shutdown', false, 'stopped'],
  ] as const)('online, close %s (reconnect %s) → %s', (reason, reconnect, target) => {
    const [s, actions] = step(toOnline(), { type: 'closeReceived', reason, reconnect });
    expect(s.value).toBe(target);
    if (target === 'stopped') {
      expect(s.context.stopReason).toBe(reason);
      expect(actions).toContainEqual({ emit: { type: 'stopped', reason } });
      expect(actions.some((a) => (a as { after?: string }).after?.startsWith('xstate.after.backoff') === true)).toBe(false);
    } else {
      expect(s.context.phase).toBe('relogon');
      expect(actions).toContainEqual({ emit: { type: 'offline', cause: reason } });
      expect(actions).toContainEqual({ after: 'xstate.after.backoff.client.backoff', delay: DEFAULT_SETTINGS.backoffBaseMs });
    }
  });

  it('a lost link while online: offline, backoff, then a re-login (`resuming`, then a `start` request)', () => {
    let [s, actions] = step(toOnline(), { type: 'linkLost', cause: 'reset' });
    expect(s.value).toBe('backoff');
    expect(actions).toContainEqual({ emit: { type: 'offline', cause: 'reset' } });
    [s, actions] = step(s, after('backoff', 'backoff'));
    expect(s.value).toBe('resuming');
    expect(s.context.attempt).toBe(1);
    [s] = step(s, done('connect', { linkId: 2 }));
    [s, actions] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    expect(actions[1]).toMatchObject({ type: 'transmit', params: { frames: [{ request: { kind: 'start', requestId: 2, lastReceived: 0 } }] } });
    [s, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer() });
    expect(actions).toContainEqual({ emit: { type: 'online', clientId: 7, relogon: true } });
    expect(actions).toContainEqual({ emit: { type: 'relogon', result: 'ok', reason: null } });
  });

  it('retriesExhausted: backoff stops at once (gaveUp)', () => {
    let [s] = initialTransition(clientMachine, { maxRetries: 1 });
    [s] = step(s, { type: 'start' });
    [s] = step(s, failed('connect', new Error('refused')));
    expect(s.value).toBe('backoff');
    [s] = step(s, after('backoff', 'backoff'));
    const [next, actions] = step(s, failed('connect', new Error('refused')));
    expect(next.value).toBe('stopped');
    expect(next.context.stopReason).toBe('gaveUp');
    expect(actions).toContainEqual({ emit: { type: 'stopped', reason: 'gaveUp' } });
  });
});

describe('online', () => {
  const msg = (seq: number, ack: number, body: DialogMessage['body']): DialogMessage => ({ seq, ack, body });

  it('a Sync is answered with Null (replyTo, piggybacked ack); the silence timers restart', () => {
    const [s, actions] = step(toOnline(), { type: 'messagesReceived', messages: [msg(1, 0, { type: 'sync' })] });
    expect(s.context.dialog).toMatchObject({ inSeq: 1, outSeq: 1 });
    expect(actions).toEqual([
      { cancel: 'xstate.after.heartbeat.client.attached.online.live.quiet' },
      { cancel: 'xstate.after.heartbeatTimeout.client.attached.online.live' },
      { cancel: 'xstate.after.silenceSync.client.attached.online.live' },
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(1, 1, { type: 'null', replyTo: 1 })] }] } },
      { after: 'xstate.after.heartbeatTimeout.client.attached.online.live', delay: DEFAULT_SETTINGS.heartbeatTimeoutMs },
      { after: 'xstate.after.silenceSync.client.attached.online.live', delay: DEFAULT_SETTINGS.heartbeatTimeoutMs },
      { after: 'xstate.after.heartbeat.client.attached.online.live.quiet', delay: DEFAULT_SETTINGS.heartbeatIntervalMs },
    ]);
  });

  it('application messages are handed over once, in order; a duplicate only gets a bare ack', () => {
    const payload = new Uint8Array([1, 2]);
    const app = (seq: number) => msg(seq, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 });
    let [s, actions] = step(toOnline(), { type: 'messagesReceived', messages: [app(1), app(2), app(1)] });
    expect(actions.filter((a) => 'emit' in (a as object) || 'type' in (a as object))).toEqual([
      { emit: { type: 'message', seq: 1, appType: 'chat', payload, replyTo: 0 } },
      { emit: { type: 'message', seq: 2, appType: 'chat', payload, replyTo: 0 } },
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(0, 2, { type: 'ack' })] }] } },
    ]);
    [s, actions] = step(s, { type: 'messagesReceived', messages: [app(2)] });
    expect(actions.filter((a) => 'emit' in (a as object) || 'type' in (a as object))).toEqual([
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(0, 2, { type: 'ack' })] }] } },
    ]);
    expect(s.context.dialog.inSeq).toBe(2);
  });

  it('send: numbered, kept, transmitted with the piggybacked ack; the ack releases it', () => {
    const payload = new Uint8Array([9]);
    let [s, actions] = step(toOnline(), { type: 'send', appType: 'chat', payload, ref: 41 });
    expect(actions).toEqual([
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(1, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })] }] } },
    ]);
    expect(s.context.dialog.unacked).toEqual([{ seq: 1, ref: 41, body: { type: 'app', appType: 'chat', payload, replyTo: 0 } }]);
    [s, actions] = step(s, { type: 'messagesReceived', messages: [msg(0, 1, { type: 'ack' })] });
    expect(actions).toContainEqual({ emit: { type: 'acknowledged', refs: [41], upTo: 1 } });
    expect(s.context.dialog.unacked).toEqual([]);
  });

  it('send refused: a full buffer, a malformed message', () => {
    let s = toOnline({ maxUnacked: 1 });
    let actions: unknown[];
    [s] = step(s, { type: 'send', appType: 'chat', payload: new Uint8Array(), ref: 1 });
    [s, actions] = step(s, { type: 'send', appType: 'chat', payload: new Uint8Array(), ref: 2 });
    expect(actions).toEqual([{ emit: { type: 'sendRefused', ref: 2, reason: 'bufferFull' } }]);
    [s, actions] = step(s, { type: 'send', appType: '9bad', payload: new Uint8Array(), ref: 3 });
    expect(actions).toEqual([{ emit: { type: 'sendRefused', ref: 3, reason: 'invalidMessage' } }]);
    expect(s.context.dialog.unacked).toHaveLength(1);
  });

  it('the resend after a re-login: unacknowledged messages renumbered from the hub lastReceived', () => {
    const payload = new Uint8Array([1]);
    let s = toOnline();
    [s] = step(s, { type: 'send', appType: 'chat', payload, ref: 1 });
    [s] = step(s, { type: 'send', appType: 'chat', payload, ref: 2 });
    [s] = step(s, { type: 'linkLost', cause: 'reset' });
    [s] = step(s, after('backoff', 'backoff'));
    [s] = step(s, done('connect', { linkId: 2 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer({ lastReceived: 1, lastSent: 0 }) });
    expect(actions).toContainEqual({ emit: { type: 'acknowledged', refs: [1], upTo: 1 } });
    expect(actions).toContainEqual({
      type: 'transmit',
      params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(2, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })] }] },
    });
    expect(next.context.dialog).toMatchObject({ outSeq: 2, outAcked: 1 });
  });

  it('an ack beyond what this engine sent acknowledges nothing: idConflict, and the pending message is resent after it', () => {
    const payload = new Uint8Array([9]);
    let [s] = step(toOnline(), { type: 'send', appType: 'chat', payload, ref: 41 });
    let actions: unknown[];
    [s, actions] = step(s, { type: 'messagesReceived', messages: [msg(0, 9, { type: 'ack' })] });
    expect(actions.filter((a) => 'emit' in (a as object) || 'type' in (a as object))).toEqual([
      { emit: { type: 'idConflict', clientId: 7, outSeq: 1, lastReceived: 9 } },
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(10, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })] }] } },
    ]);
    expect(s.context.dialog).toMatchObject({ outSeq: 10, outAcked: 9, unacked: [{ seq: 10, ref: 41 }] });
    [s, actions] = step(s, { type: 'messagesReceived', messages: [msg(0, 10, { type: 'ack' })] });
    expect(actions).toContainEqual({ emit: { type: 'acknowledged', refs: [41], upTo: 10 } });
  });

  it('a re-login answered with a lastReceived beyond what this engine sent: nothing acknowledged, all resent after it', () => {
    const payload = new Uint8Array([1]);
    let s = toOnline();
    [s] = step(s, { type: 'send', appType: 'chat', payload, ref: 1 });
    [s] = step(s, { type: 'linkLost', cause: 'reset' });
    [s] = step(s, after('backoff', 'backoff'));
    [s] = step(s, done('connect', { linkId: 2 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer({ lastReceived: 5, lastSent: 0 }) });
    expect(actions.filter((a) => 'emit' in (a as object) || 'type' in (a as object))).toEqual([
      { emit: { type: 'idConflict', clientId: 7, outSeq: 1, lastReceived: 5 } },
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(6, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })] }] } },
      { emit: { type: 'online', clientId: 7, relogon: true } },
      { emit: { type: 'relogon', result: 'ok', reason: null } },
    ]);
    expect(next.context.dialog).toMatchObject({ outSeq: 6, outAcked: 5, unacked: [{ seq: 6, ref: 1 }] });
  });

  it('heartbeat: a keep-alive after heartbeatIntervalMs of hub silence; heartbeatTimeout stops for good', () => {
    let [s, actions] = step(toOnline(), after('heartbeat', 'attached.online.live.quiet'));
    expect(actions).toContainEqual({ type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(1, 0, { type: 'null', replyTo: 0 })] }] } });
    expect(actions).toContainEqual({ after: 'xstate.after.heartbeat.client.attached.online.live.quiet', delay: DEFAULT_SETTINGS.heartbeatIntervalMs });
    [s, actions] = step(s, after('heartbeatTimeout', 'attached.online.live'));
    expect(s.value).toBe('stopped');
    expect(s.context.stopReason).toBe('heartbeatTimeout');
    expect(actions).toContainEqual({ stop: 'link' });
    expect(actions).toContainEqual({ emit: { type: 'stopped', reason: 'heartbeatTimeout' } });
  });

  it('minUptime resets the attempt counter, and nothing else does', () => {
    let [s] = initialTransition(clientMachine, {});
    [s] = step(s, { type: 'start' });
    for (let i = 0; i < 3; i += 1) {
      [s] = step(s, failed('connect', new Error('refused')));
      [s] = step(s, after('backoff', 'backoff'));
    }
    [s] = step(s, done('connect', { linkId: 1 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's' }));
    [s] = step(s, { type: 'answerReceived', requestId: 1, answer: okAnswer() });
    expect(s.context.attempt).toBe(3);
    [s] = step(s, after('minUptime', 'attached.online'));
    expect(s.context.attempt).toBe(0);
    expect(s.value).toEqual({ attached: { online: { live: 'quiet' } } });
  });

  it('stop: a Close goes out before the link is dropped (the Close is never kept for a resend)', () => {
    const [s, actions] = step(toOnline(), { type: 'stop' });
    expect(s.value).toBe('stopped');
    expect(s.context.stopReason).toBe('closedByUser');
    expect(s.context.dialog).toMatchObject({ outSeq: 1, unacked: [] });
    const transmitAt = actions.findIndex((a) => (a as { type?: string }).type === 'transmit');
    const stopLinkAt = actions.findIndex((a) => (a as { stop?: string }).stop === 'link');
    expect(actions[transmitAt]).toEqual({ type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(1, 0, { type: 'close' })] }] } });
    expect(transmitAt).toBeLessThan(stopLinkAt);
    expect(actions[actions.length - 1]).toEqual({ emit: { type: 'stopped', reason: 'closedByUser' } });
  });

  it('stopped refuses sends and can be started again (a new run: `login`, attempt 0)', () => {
    let [s, actions] = step(toOnline(), { type: 'closeReceived', reason: 'kicked', reconnect: false });
    [s, actions] = step(s, { type: 'send', appType: 'chat', payload: new Uint8Array(), ref: 5 });
    expect(actions).toEqual([{ emit: { type: 'sendRefused', ref: 5, reason: 'stopped' } }]);
    [s] = step(s, { type: 'start' });
    expect(s.value).toBe('connecting');
    expect(s.context).toMatchObject({ phase: 'login', attempt: 0, stopReason: null });
  });
});

describe('sync (hub silence, silenceSyncMs) and resume (the user asks)', () => {
  const MAILBOX = { silenceSyncMs: 720_000, heartbeatIntervalMs: 1_000_000, heartbeatTimeoutMs: 3_600_000 } as const;
  const SILENCE = after('silenceSync', 'attached.online.live');
  const msg = (seq: number, ack: number, body: DialogMessage['body']): DialogMessage => ({ seq, ack, body });
  const syncRequest = (requestId: number, lastReceived: number) => ({
    type: 'transmit',
    params: { frames: [{ kind: 'request', request: { kind: 'sync', requestId, clientId: 7, credential: { secret: 's3cret' }, lastReceived } }] },
  });

  /** Online with the mailbox settings, then silent for silenceSyncMs: the credentials are being fetched. */
  function syncing(): Snapshot {
    const [s] = step(toOnline(MAILBOX), SILENCE);
    return s;
  }

  it('online arms the silence timer at silenceSyncMs; when it fires, the credentials are fetched (keep-alives wait)', () => {
    const [s0, online] = step(
      (() => {
        let [s] = initialTransition(clientMachine, MAILBOX);
        [s] = step(s, { type: 'start' });
        [s] = step(s, done('connect', { linkId: 1 }));
        [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
        return s;
      })(),
      { type: 'answerReceived', requestId: 1, answer: okAnswer() },
    );
    expect(online).toContainEqual({ after: 'xstate.after.silenceSync.client.attached.online.live', delay: 720_000 });
    const [s, actions] = step(s0, SILENCE);
    expect(s.value).toEqual({ attached: { online: { live: 'syncing' } } });
    expect(actions).toEqual([
      { cancel: 'xstate.after.heartbeat.client.attached.online.live.quiet' },
      { spawn: 'credentials', id: 'credentials', input: { attempt: 0, environment: {} } },
    ]);
  });

  it('then one `sync` request with lastReceived; nothing else is armed until a hub frame (once per silence)', () => {
    const [s, actions] = step(syncing(), done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    expect(s.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(s.context).toMatchObject({ pending: 'sync', requestId: 2 });
    expect(actions).toEqual([
      { stop: 'credentials' },
      syncRequest(2, 0),
      { after: 'xstate.after.heartbeat.client.attached.online.live.quiet', delay: 1_000_000 },
    ]);
    expect(JSON.stringify(s.context)).not.toContain('s3cret');
  });

  it('its ok keeps the engine online, restarts the silence timers and resends what the hub has not handled', () => {
    let [s] = step(syncing(), { type: 'send', appType: 'chat', payload: new Uint8Array([1]), ref: 4 });
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer({ lastReceived: 0 }) });
    expect(next.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(next.context).toMatchObject({ pending: null, dialog: { outSeq: 1, unacked: [{ seq: 1, ref: 4 }] } });
    expect(actions).toEqual([
      { cancel: 'xstate.after.heartbeat.client.attached.online.live.quiet' },
      { cancel: 'xstate.after.heartbeatTimeout.client.attached.online.live' },
      { cancel: 'xstate.after.silenceSync.client.attached.online.live' },
      {
        type: 'transmit',
        params: { frames: [{ kind: 'dialog', clientId: 7, messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 } }] }] },
      },
      { after: 'xstate.after.heartbeatTimeout.client.attached.online.live', delay: 3_600_000 },
      { after: 'xstate.after.silenceSync.client.attached.online.live', delay: 720_000 },
      { after: 'xstate.after.heartbeat.client.attached.online.live.quiet', delay: 1_000_000 },
    ]);
    expect(actions).not.toContainEqual(expect.objectContaining({ emit: expect.objectContaining({ type: 'online' }) }));
  });

  it('a keep-alive sent after the sync request keeps its number: the next message does not reuse it', () => {
    let [s] = step(syncing(), done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    [s] = step(s, after('heartbeat', 'attached.online.live.quiet')); // null, seq 1, in flight behind the request
    // The hub handled the request first: its count does not include the keep-alive yet.
    let actions: unknown[];
    [s, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer({ lastReceived: 0 }) });
    expect(actions).toContainEqual({ type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(1, 0, { type: 'null', replyTo: 0 })] }] } });
    [s, actions] = step(s, { type: 'send', appType: 'chat', payload: new Uint8Array([2]), ref: 1 });
    expect(actions).toEqual([
      { type: 'transmit', params: { frames: [{ kind: 'dialog', clientId: 7, messages: [msg(2, 0, { type: 'app', appType: 'chat', payload: new Uint8Array([2]), replyTo: 0 })] }] } },
    ]);
  });

  it('refused: the outcome a login refusal has (disabled, banned, reset stop; nothing is retried)', () => {
    for (const [answer, reason] of [
      [{ code: 'rejected', clientId: clientId(7), reason: 'disabled' }, 'disabled'],
      [{ code: 'rejected', clientId: clientId(7), reason: 'banned' }, 'banned'],
      [{ code: 'reset', clientId: clientId(7) }, 'reset'],
    ] as const) {
      const [s] = step(syncing(), done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
      const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer });
      expect(next.value).toBe('stopped');
      expect(next.context.stopReason).toBe(reason);
      expect(actions).toContainEqual({ stop: 'link' });
      expect(actions[actions.length - 1]).toEqual({ emit: { type: 'stopped', reason } });
      expect(actions).not.toContainEqual(expect.objectContaining({ after: 'xstate.after.backoff.client.backoff' }));
    }
  });

  it("an answer that is not the sync's (another request id) only restarts the silence timers", () => {
    const [s] = step(syncing(), done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 1, answer: okAnswer() });
    expect(next.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(next.context.pending).toBe('sync');
    expect(actions).not.toContainEqual(expect.objectContaining({ type: 'transmit' }));
    expect(actions).toContainEqual({ after: 'xstate.after.silenceSync.client.attached.online.live', delay: 720_000 });
  });

  it('no sync when the credentials name another client (or a registration), nor when they fail', () => {
    for (const event of [
      done('credentials', { kind: 'login', clientId: 8, secret: 'other' }),
      done('credentials', { kind: 'register', clientId: 9, drawn: true, profileId: 1, contact: { name: '', phone: '', email: '' }, environment: {} }),
      failed('credentials', new Error('store offline')),
    ]) {
      const [s, actions] = step(syncing(), event);
      expect(s.value).toEqual({ attached: { online: { live: 'quiet' } } });
      expect(s.context.pending).toBeNull();
      expect(actions).not.toContainEqual(expect.objectContaining({ type: 'transmit' }));
    }
  });

  it('silenceSyncMs: null by default; otherwise a timer value below heartbeatTimeoutMs (a later sync could never go out)', () => {
    expect(DEFAULT_SETTINGS.silenceSyncMs).toBeNull();
    expect(resolveSettings(MAILBOX).silenceSyncMs).toBe(720_000);
    for (const bad of [0, -1, 1.5, 30_000, 40_000, 2 ** 31]) {
      expect(() => resolveSettings({ silenceSyncMs: bad })).toThrow(ClientUsageError);
    }
    expect(resolveSettings({ silenceSyncMs: 29_999 }).silenceSyncMs).toBe(29_999);
  });

  it('off (the default): the silence timer changes nothing', () => {
    const s = toOnline();
    expect(s.context.settings.silenceSyncMs).toBeNull();
    const [next, actions] = step(s, SILENCE);
    expect(next.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(actions).toEqual([]);
  });

  /** Online, then told `disabled` (another installation took the profile): stopped. */
  function disabled(): Snapshot {
    const [s] = step(toOnline(), { type: 'closeReceived', reason: 'disabled', reconnect: false });
    expect(s.value).toBe('stopped');
    return s;
  }

  it('resume from stopped: one attempt with a `resume` request (no environment), reported ok with the online event', () => {
    let [s, actions] = step(disabled(), { type: 'resume' });
    expect(s.value).toBe('connecting');
    expect(s.context).toMatchObject({ phase: 'resume', attempt: 0, stopReason: null });
    [s] = step(s, done('connect', { linkId: 2 }));
    [s, actions] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    expect(actions[1]).toEqual({
      type: 'transmit',
      params: { frames: [{ kind: 'request', request: { kind: 'resume', requestId: 2, clientId: 7, credential: { secret: 's3cret' }, lastReceived: 0 } }] },
    });
    expect(s.context.pending).toBe('resume');
    [s, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: okAnswer() });
    expect(s.value).toEqual({ attached: { online: { live: 'quiet' } } });
    expect(actions).toContainEqual({ emit: { type: 'online', clientId: 7, relogon: false } });
    expect(actions).toContainEqual({ emit: { type: 'resume', result: 'ok', reason: null } });
    // A later loss is an ordinary re-login (`start`), not another resume.
    [s] = step(s, { type: 'linkLost', cause: 'reset' });
    expect(s.context.phase).toBe('relogon');
  });

  it('resume refused: reported failed (or alreadyOnline) with the reason, and stopped with it', () => {
    for (const [reason, result] of [
      ['profileInUse', 'failed'],
      ['seniority', 'failed'],
      ['alreadyOnline', 'alreadyOnline'],
    ] as const) {
      let [s] = step(disabled(), { type: 'resume' });
      [s] = step(s, done('connect', { linkId: 2 }));
      [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
      const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: { code: 'rejected', clientId: clientId(7), reason } });
      expect(next.value).toBe('stopped');
      expect(next.context.stopReason).toBe(reason);
      expect(actions).toContainEqual({ emit: { type: 'resume', result, reason } });
    }
  });

  it('resume is never retried: a failure that would back off stops it (resumeFailed)', () => {
    for (const fail of [failed('connect', new Error('ECONNREFUSED')), after('connectTimeout', 'connecting')]) {
      let [s] = step(disabled(), { type: 'resume' });
      const [next, actions] = step(s, fail);
      expect(next.value).toBe('stopped');
      expect(next.context.stopReason).toBe('resumeFailed');
      expect(actions).toContainEqual({ emit: { type: 'resume', result: 'failed', reason: expect.stringMatching(/ECONNREFUSED|connectTimeout/) } });
      expect(actions[actions.length - 1]).toEqual({ emit: { type: 'stopped', reason: 'resumeFailed' } });
      // `backoff` is passed through at once: its timer is cancelled in the same step, as for gaveUp.
      expect(actions).toContainEqual({ cancel: 'xstate.after.backoff.client.backoff' });
      s = next;
    }
    // Also after the link opened: a lost link, a retryable refusal.
    let [s] = step(disabled(), { type: 'resume' });
    [s] = step(s, done('connect', { linkId: 2 }));
    [s] = step(s, done('credentials', { kind: 'login', clientId: 7, secret: 's3cret' }));
    const [next, actions] = step(s, { type: 'answerReceived', requestId: 2, answer: { code: 'rejected', clientId: clientId(7), reason: 'linkBusy' } });
    expect(next.context.stopReason).toBe('resumeFailed');
    expect(actions).toContainEqual({ emit: { type: 'resume', result: 'failed', reason: 'linkBusy' } });
  });

  it('resume while running is ignored; `start` from stopped is still a `login` run', () => {
    for (const s of [toOnline(), step(step(initialTransition(clientMachine, {})[0], { type: 'start' })[0], failed('connect', new Error('x')))[0]]) {
      const [next, actions] = step(s, { type: 'resume' });
      expect(next.value).toEqual(s.value);
      expect(actions).toEqual([]);
    }
    const [s] = step(disabled(), { type: 'start' });
    expect(s.context.phase).toBe('login');
  });
});

describe('the machine', () => {
  it('names every effect; the bare machine, run as an actor, fails an attempt instead of doing I/O', async () => {
    expect(Object.keys(clientMachine.implementations.actors).sort()).toEqual(['connect', 'credentials', 'link', 'saveCredentials']);
    expect(Object.keys(clientMachine.implementations.delays).sort()).toEqual(['backoff', 'connectTimeout', 'heartbeat', 'heartbeatTimeout', 'loginTimeout', 'minUptime', 'silenceSync']);
    const actor = createActor(clientMachine, { input: {}, clock: new SimulatedClock() });
    const failures: string[] = [];
    actor.on('attemptFailed', (e) => failures.push(e.reason));
    actor.start();
    actor.send({ type: 'start' });
    await Promise.resolve();
    await Promise.resolve();
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(failures).toEqual([expect.stringContaining('actor "connect" is not provided')]);
    actor.stop();
  });

  it('keeps its context plain data (JSON round-trip, but for payload bytes)', () => {
    const s = toOnline();
    expect(JSON.parse(JSON.stringify(s.context))).toEqual(s.context);
  });
});
