/**
 * appMessageSent: the embedding application sends a message to a client or
 * to a profile's enabled client. It is sequenced, kept until acknowledged,
 * stored for an offline enabled client, and refused (with a reason) otherwise.
 */
import { describe, expect, test } from 'vitest';
import { HubUsageError } from '../../src/errors.js';
import type { AppTarget, HubInput } from '../../src/inputs.js';
import { serialize } from '../../src/snapshot.js';
import type { Step } from '../../src/step.js';
import {
  actionCmd,
  cid,
  clientOf,
  cmd,
  commit,
  dialogOf,
  expectInvariants,
  hubWith,
  login,
  msg,
  okAnswer,
  onlineEvent,
  pid,
  replyCmd,
  result,
  stepF,
  writeCmd,
} from '../helpers.js';

const CONFIG = { appMessageTypes: ['chat'], maxOutbox: 2, limits: { maxPayloadBytes: 4 } };
const PAYLOAD = new Uint8Array([1, 2]);
const sent = (to: AppTarget, o: { appType?: string; payload?: Uint8Array; replyTo?: number } = {}): HubInput => ({
  type: 'appMessageSent',
  actionId: 'act',
  to,
  appType: o.appType ?? 'chat',
  payload: o.payload ?? PAYLOAD,
  replyTo: o.replyTo ?? 0,
});
const body = (payload = PAYLOAD, replyTo = 0) => ({ type: 'app', appType: 'chat', payload, replyTo }) as const;

describe('appMessageSent', () => {
  test('to an online client: queued with the next seq and written', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    const r = stepF(s, sent({ clientId: cid(10) }, { replyTo: 3 }));
    expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(1, 0, body(PAYLOAD, 3))]), actionCmd('act', true, null)]));
    expect(dialogOf(r.state, 10)).toMatchObject({ outSeq: 1, outbox: [{ seq: 1, body: body(PAYLOAD, 3) }], messagesOut: 1 });
    expectInvariants(r.state);
  });

  test("to a profile: goes to the profile's enabled client", () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1 }, { id: 20, profileId: 2, link: 2 }], config: CONFIG });
    const r = stepF(s, sent({ profileId: pid(2) }));
    expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 2, 20, [msg(1, 0, body())]), actionCmd('act', true, null)]));
    expectInvariants(r.state);
  });

  test('to an offline enabled client: stored in its dialog and delivered at its next login', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }], config: CONFIG });
    const r = stepF(s, sent({ clientId: cid(10) }));
    expect(r).toEqual(result([commit, actionCmd('act', true, null)]));
    expect(clientOf(r.state, 10).dialog).toMatchObject({ outSeq: 1, outbox: [{ seq: 1 }] });
    expectInvariants(r.state);
    const l = login(r.state, { link: 1, clientId: 10 });
    expect(l).toEqual(
      result([commit, replyCmd(cmd(r.state, 0), 1, 7, okAnswer(10, { lastSent: 1 })), writeCmd(cmd(r.state, 1), 1, 10, [msg(1, 0, body())]), onlineEvent(10, 1, 'login')]),
    );
    expectInvariants(l.state);
  });

  test('to an unknown client', () => {
    const s = hubWith({ config: CONFIG });
    expect(stepF(s, sent({ clientId: cid(99) }))).toEqual({ state: s, commands: [actionCmd('act', false, 'unknownClient')] });
  });

  test('to an unknown profile', () => {
    const s = hubWith({ config: CONFIG });
    expect(stepF(s, sent({ profileId: pid(9) }))).toEqual({ state: s, commands: [actionCmd('act', false, 'unknownProfile')] });
  });

  test('to a profile without an enabled client', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'disabled' }], config: CONFIG });
    expect(stepF(s, sent({ profileId: pid(1) }))).toEqual({ state: s, commands: [actionCmd('act', false, 'noEnabledClient')] });
  });

  test.each(['disabled', 'banned', 'reset'] as const)('to a %s client: refused notEnabled, nothing queued', (status) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status }], config: CONFIG });
    expect(stepF(s, sent({ clientId: cid(10) }))).toEqual({ state: s, commands: [actionCmd('act', false, 'notEnabled')] });
  });

  test('outbox full: refused outboxFull, nothing queued', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    s = stepF(s, sent({ clientId: cid(10) })).state;
    s = stepF(s, sent({ clientId: cid(10) })).state;
    const r = stepF(s, sent({ clientId: cid(10) }));
    expect(r).toEqual({ state: s, commands: [actionCmd('act', false, 'outboxFull')] });
    expect(dialogOf(r.state, 10).outbox).toHaveLength(2);
  });

  test('an unknown application type', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    expect(stepF(s, sent({ clientId: cid(10) }, { appType: 'video' }))).toEqual({ state: s, commands: [actionCmd('act', false, 'unknownAppType')] });
  });

  test('a payload over maxPayloadBytes (or not bytes)', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    expect(stepF(s, sent({ clientId: cid(10) }, { payload: new Uint8Array(5) }))).toEqual({ state: s, commands: [actionCmd('act', false, 'payloadTooLarge')] });
    expect(stepF(s, sent({ clientId: cid(10) }, { payload: [1] as unknown as Uint8Array }))).toEqual({ state: s, commands: [actionCmd('act', false, 'payloadTooLarge')] });
  });

  test('a payload of exactly maxPayloadBytes is accepted', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    const r = stepF(s, sent({ clientId: cid(10) }, { payload: new Uint8Array(4) }));
    expect(r.commands).toContainEqual(actionCmd('act', true, null));
  });

  // Suspected core bug: replyTo is not validated, so a value with no wire encoding is queued in the
  // outbox; every later writeDialog carrying it (each Sync, each login) and serialize() then throw.
  test.each([-1, 1.5, 2 ** 32])('a replyTo with no wire encoding (%s) is refused, never queued', (replyTo) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });
    let r: Step;
    try {
      r = stepF(s, sent({ clientId: cid(10) }, { replyTo }));
    } catch (e) {
      // Local misuse may also be thrown, as long as nothing is queued.
      expect(e).toBeInstanceOf(HubUsageError);
      return;
    }
    expect(r).toEqual({ state: s, commands: [actionCmd('act', false, expect.any(String))] });
    expect(() => serialize(r.state)).not.toThrow();
  });
});

