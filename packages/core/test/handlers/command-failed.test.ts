/**
 * commandFailed: a command could not be carried out. A failed writeDialog
 * brings the session's next Sync (which resends the outbox) forward to
 * now + retryAfterMs; a failed reply or close is only logged.
 */
import { describe, expect, test } from 'vitest';
import type { CommandId } from '../../src/ids.js';
import type { HubInput } from '../../src/inputs.js';
import type { HubState } from '../../src/state.js';
import { nextDeadline } from '../../src/step.js';
import { T0, cid, cmd, commit, expectInvariants, hubWith, lnk, logCmd, msg, result, sessionOn, stepF, timer, writeCmd } from '../helpers.js';

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
  test('a failed writeDialog brings the Sync forward to now + retryAfterMs; that Sync resends the outbox', () => {
    const s = withPush();
    const r = stepF(s, failed('writeDialog', 1, 9), T0 + 100);
    expect(r).toEqual(result([commit, logCmd('warn', 'commandFailed', 10, { commandId: 9, command: 'writeDialog', link: 1, reason: 'EPIPE' })]));
    expect(sessionOn(r.state, 1)).toMatchObject({ syncAt: T0 + 1_100, indexedAt: T0 + 1_100, deadAt: T0 + 30_000 });
    expect(nextDeadline(r.state)).toBe(T0 + 1_100);
    expectInvariants(r.state);

    const t = timer(r.state, T0 + 1_100);
    expect(t).toEqual(result([commit, writeCmd(cmd(r.state, 0), 1, 10, [msg(1, 0, app), msg(2, 0, { type: 'sync' })])]));
    expect(nextDeadline(t.state)).toBe(T0 + 6_100);
    expectInvariants(t.state);
  });

  test('a failed writeDialog when the Sync is already due sooner only logs', () => {
    const s = withPush();
    const r = stepF(s, failed('writeDialog', 1), T0 + 9_500);
    expect(r).toEqual(result([logCmd('warn', 'commandFailed', 10, { commandId: 3, command: 'writeDialog', link: 1, reason: 'EPIPE' })]));
    expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
    expectInvariants(r.state);
  });

  test('a failed writeDialog on a link that has no session any more only logs', () => {
    const s = withPush();
    const r = stepF(s, failed('writeDialog', 4));
    expect(r).toEqual({ state: s, commands: [logCmd('warn', 'commandFailed', null, { commandId: 3, command: 'writeDialog', link: 4, reason: 'EPIPE' })] });
  });

  test.each(['reply', 'close'] as const)('a failed %s only logs (the client repeats its request)', (command) => {
    const s = withPush();
    const r = stepF(s, failed(command, 1));
    expect(r).toEqual({ state: s, commands: [logCmd('warn', 'commandFailed', 10, { commandId: 3, command, link: 1, reason: 'EPIPE' })] });
  });
});
