/**
 * commandFailed: a command could not be carried out. A failed writeDialog
 * schedules a resend of the outbox at now + retryAfterMs (`resendAt`, which
 * the client's own activity does not move); a failed reply or close is only
 * logged.
 */
import { describe, expect, test } from 'vitest';
import type { CommandId } from '../../src/ids.js';
import type { HubInput } from '../../src/inputs.js';
import type { HubState } from '../../src/state.js';
import { nextDeadline } from '../../src/step.js';
import { T0, cid, cmd, commit, expectInvariants, hubWith, lnk, logCmd, msg, result, send, sessionOn, stepF, timer, writeCmd } from '../helpers.js';

const CONFIG = { appMessageTypes: ['chat'], syncAfterMs: 10_000, syncEveryMs: 5_000, deadAfterMs: 30_000, retryAfterMs: 1_000 };
const failed = (command: 'reply' | 'writeDialog' | 'close', link: number, commandId = 3): HubInput => ({
  type: 'commandFailed',
  commandId: commandId as CommandId,
  command,
  link: lnk(link),
  reason: 'EPIPE',
});
const app = { type: 'app', appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 } as const;

function withPush(): HubState {
  const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
  return stepF(s, { type: 'appMessageSent', actionId: 'a', to: { clientId: cid(10) }, appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 }).state;
}

describe('commandFailed', () => {
  test('a failed writeDialog schedules a resend of the outbox at now + retryAfterMs, without a Sync', () => {
    const s = withPush();
    const r = stepF(s, failed('writeDialog', 1, 9), T0 + 100);
    expect(r).toEqual(result([commit, logCmd('warn', 'commandFailed', 10, { commandId: 9, command: 'writeDialog', link: 1, reason: 'EPIPE' })]));
    expect(sessionOn(r.state, 1)).toMatchObject({ syncAt: T0 + 10_000, resendAt: T0 + 1_100, indexedAt: T0 + 1_100, deadAt: T0 + 30_000 });
    expect(nextDeadline(r.state)).toBe(T0 + 1_100);
    expectInvariants(r.state);

    const t = timer(r.state, T0 + 1_100);
    expect(t).toEqual(result([commit, writeCmd(cmd(r.state, 0), 1, 10, [msg(1, 0, app)])]));
    expect(sessionOn(t.state, 1)).toMatchObject({ resendAt: null, syncAt: T0 + 10_000 });
    expect(nextDeadline(t.state)).toBe(T0 + 10_000);
    expectInvariants(t.state);
  });

  test('a second failure before the resend keeps the earlier resend time', () => {
    const s = stepF(withPush(), failed('writeDialog', 1, 9), T0 + 100).state;
    const r = stepF(s, failed('writeDialog', 1, 10), T0 + 500);
    expect(r).toEqual(result([logCmd('warn', 'commandFailed', 10, { commandId: 10, command: 'writeDialog', link: 1, reason: 'EPIPE' })]));
    expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
    expectInvariants(r.state);
  });

  test('when the Sync falls due with a resend pending, the Sync resends the outbox and settles the resend', () => {
    const s = stepF(withPush(), failed('writeDialog', 1, 9), T0 + 9_500).state;
    const t = timer(s, T0 + 10_000);
    expect(t).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(1, 0, app), msg(2, 0, { type: 'sync' })])]));
    expect(sessionOn(t.state, 1)).toMatchObject({ resendAt: null, syncAt: T0 + 15_000 });
    expectInvariants(t.state);
  });

  test('a failed writeDialog on a link that has no session any more only logs', () => {
    const s = withPush();
    const r = stepF(s, failed('writeDialog', 4));
    expect(r).toEqual({ state: s, commands: [logCmd('warn', 'commandFailed', null, { commandId: 3, command: 'writeDialog', link: 4, reason: 'EPIPE' })] });
  });

  test.each([
    ['reply', 'warn'],
    ['close', 'info'],
  ] as const)('a failed %s only logs, at %s (the client repeats its request; a closed link needs nothing more)', (command, level) => {
    const s = withPush();
    const r = stepF(s, failed(command, 1));
    expect(r).toEqual({ state: s, commands: [logCmd(level, 'commandFailed', 10, { commandId: 3, command, link: 1, reason: 'EPIPE' })] });
  });

  // The client's own chatter pushes syncAt later, but must not cancel the pending resend.
  test('a failed writeDialog is still retried at now + retryAfterMs when the client talks in the meantime', () => {
    const s = withPush(); // message 1 (app) was written at T0 and failed
    const f = stepF(s, failed('writeDialog', 1, 9), T0 + 100).state;
    const talk = send(f, 1, [msg(1, 0, { type: 'null', replyTo: 0 })], T0 + 200).state; // ack 0: it never got message 1
    expect(nextDeadline(talk)).toBeLessThanOrEqual(T0 + 1_100);
    const r = timer(talk, T0 + 1_100);
    expect(r).toEqual(result([commit, writeCmd(cmd(talk, 0), 1, 10, [msg(1, 1, app)])]));
    expectInvariants(r.state);
  });

  test('a client that keeps talking (every 500 ms) still gets a failed message resent within 20 s', () => {
    let s = stepF(withPush(), failed('writeDialog', 1, 9), T0 + 100).state;
    let resent = false;
    for (let t = T0 + 200, seq = 1; t <= T0 + 20_000; t += 500, seq++) {
      const r = send(s, 1, [msg(seq, 0, { type: 'null', replyTo: 0 })], t);
      const again = timer(r.state, t + 1);
      for (const c of [...r.commands, ...again.commands]) {
        if (c.type === 'writeDialog' && c.messages.some((m) => m.seq === 1 && m.body.type === 'app')) resent = true;
      }
      s = again.state;
    }
    expect(resent).toBe(true);
  });
});

