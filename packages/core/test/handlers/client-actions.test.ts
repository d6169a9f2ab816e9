/**
 * The operator's client actions: statusSet, clientKicked, clientDeleted.
 * Enabling one client disables the profile's other enabled one; setting
 * enabled/disabled/banned switches an auto profile to manual first (reset does
 * not); a client that leaves `enabled` while online is told why and closed (B22).
 */
import { describe, expect, test } from 'vitest';
import type { HubInput } from '../../src/inputs.js';
import type { ClientStatus } from '../../src/model.js';
import { nextDeadline } from '../../src/step.js';
import {
  actionCmd,
  cid,
  clientOf,
  closeCmd,
  cmd,
  commit,
  expectInvariants,
  hubWith,
  linkOf,
  login,
  notifyCmd,
  offlineEvent,
  profileOf,
  replyCmd,
  result,
  statusEvent,
  stepF,
} from '../helpers.js';

const statusSet = (clientId: number, status: unknown): HubInput => ({ type: 'statusSet', actionId: 'op', clientId: cid(clientId), status }) as HubInput;
const toManual = (profileId = 1) => notifyCmd({ type: 'profileChanged', profileId, change: 'mode', mode: 'manual', policy: null });

describe('statusSet', () => {
  test.each(['disabled', 'banned'] as const)('%s on an online client in an auto profile: manual, told why, closed', (status) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, statusSet(10, status));
    expect(r).toEqual(
      result([
        commit,
        toManual(),
        statusEvent(10, 'enabled', status, 'operator'),
        closeCmd(cmd(s, 0), 1, 10, status, false),
        offlineEvent(10, 1, status),
        actionCmd('op', true, null),
      ]),
    );
    expect(clientOf(r.state, 10).status).toBe(status);
    expect(profileOf(r.state, 1)).toMatchObject({ mode: 'manual', enabledClient: null });
    expect(linkOf(r.state, 10)).toBeUndefined();
    expect(nextDeadline(r.state)).toBeUndefined();
    expectInvariants(r.state);
  });

  test('reset on an online client: told reset, closed; the mode does not change', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, statusSet(10, 'reset'));
    expect(r).toEqual(
      result([commit, statusEvent(10, 'enabled', 'reset', 'operator'), closeCmd(cmd(s, 0), 1, 10, 'reset', false), offlineEvent(10, 1, 'reset'), actionCmd('op', true, null)]),
    );
    expect(profileOf(r.state, 1)).toMatchObject({ mode: 'auto', enabledClient: null });
    expectInvariants(r.state);
  });

  test('on an offline client: no close', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = stepF(s, statusSet(10, 'banned'));
    expect(r).toEqual(result([commit, toManual(), statusEvent(10, 'enabled', 'banned', 'operator'), actionCmd('op', true, null)]));
    expectInvariants(r.state);
  });

  test('in a manual profile: no mode change announced', () => {
    const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1 }] });
    const r = stepF(s, statusSet(10, 'disabled'));
    expect(r).toEqual(result([commit, statusEvent(10, 'enabled', 'disabled', 'operator'), actionCmd('op', true, null)]));
  });

  test('enabling a client disables the profile\'s online enabled one, which is told disabled and closed', () => {
    const s = hubWith({ clients: [{ id: 11, profileId: 1 }, { id: 10, profileId: 1, link: 1 }] });
    expect(clientOf(s, 11).status).toBe('disabled');
    const r = stepF(s, statusSet(11, 'enabled'));
    expect(r).toEqual(
      result([
        commit,
        toManual(),
        statusEvent(10, 'enabled', 'disabled', 'operator'),
        closeCmd(cmd(s, 0), 1, 10, 'disabled', false),
        offlineEvent(10, 1, 'disabled'),
        statusEvent(11, 'disabled', 'enabled', 'operator'),
        actionCmd('op', true, null),
      ]),
    );
    expect(profileOf(r.state, 1)).toMatchObject({ mode: 'manual', enabledClient: 11 });
    expect(clientOf(r.state, 10).status).toBe('disabled');
    expectInvariants(r.state);
  });

  test('enabling a client disables the offline enabled one without a close', () => {
    const s = hubWith({ clients: [{ id: 11, profileId: 1 }, { id: 10, profileId: 1 }] });
    const r = stepF(s, statusSet(11, 'enabled'));
    expect(r).toEqual(
      result([commit, toManual(), statusEvent(10, 'enabled', 'disabled', 'operator'), statusEvent(11, 'disabled', 'enabled', 'operator'), actionCmd('op', true, null)]),
    );
    expectInvariants(r.state);
  });

  test.each(['banned', 'reset'] as const)('a %s client can be enabled by the operator (and can then log in)', (from) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status: from }] });
    const r = stepF(s, statusSet(10, 'enabled'));
    expect(r).toEqual(result([commit, toManual(), statusEvent(10, from, 'enabled', 'operator'), actionCmd('op', true, null)]));
    expect(profileOf(r.state, 1).enabledClient).toBe(10);
    const l = login(r.state, { link: 1, clientId: 10 });
    expect(linkOf(l.state, 10)).toBe(1);
    expectInvariants(l.state);
  });

  test.each(['enabled', 'disabled', 'banned', 'reset'] as const)('the same status (%s) is an ok no-op (no mode switch)', (status: ClientStatus) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status, ...(status === 'enabled' ? { link: 1 } : {}) }] });
    expect(stepF(s, statusSet(10, status))).toEqual({ state: s, commands: [actionCmd('op', true, null)] });
  });

  test.each([
    ['an unknown client', statusSet(99, 'banned'), 'unknownClient'],
    ['client 0', statusSet(0, 'banned'), 'unknownClient'],
    ['an unknown status', statusSet(10, 'suspended'), 'invalidStatus'],
  ])('refused: %s', (_name, input, reason) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    expect(stepF(s, input)).toEqual({ state: s, commands: [actionCmd('op', false, reason)] });
  });
});

describe('clientKicked', () => {
  test('an online client is told kicked and closed; its status stays', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, { type: 'clientKicked', actionId: 'k', clientId: cid(10) });
    expect(r).toEqual(result([commit, closeCmd(cmd(s, 0), 1, 10, 'kicked', false), offlineEvent(10, 1, 'kicked'), actionCmd('k', true, null)]));
    expect(clientOf(r.state, 10).status).toBe('enabled');
    expect(profileOf(r.state, 1).enabledClient).toBe(10);
    expectInvariants(r.state);
  });

  test('an offline client: notOnline', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    expect(stepF(s, { type: 'clientKicked', actionId: 'k', clientId: cid(10) })).toEqual({ state: s, commands: [actionCmd('k', false, 'notOnline')] });
  });

  test('an unknown client', () => {
    const s = hubWith();
    expect(stepF(s, { type: 'clientKicked', actionId: 'k', clientId: cid(10) })).toEqual({ state: s, commands: [actionCmd('k', false, 'unknownClient')] });
  });
});

describe('clientDeleted', () => {
  test('a reset client is deleted; a later request from it is answered reset', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'reset' }, { id: 11, profileId: 1 }] });
    const r = stepF(s, { type: 'clientDeleted', actionId: 'd', clientId: cid(10) });
    expect(r).toEqual(result([commit, notifyCmd({ type: 'clientDeleted', clientId: 10 }), actionCmd('d', true, null)]));
    expect(r.state.clients.has(10)).toBe(false);
    expect(profileOf(r.state, 1)).toMatchObject({ clientCount: 1, enabledClient: 11 });
    expectInvariants(r.state);
    const l = login(r.state, { link: 1, clientId: 10 });
    expect(l.commands).toContainEqual(replyCmd(cmd(r.state, 0), 1, 7, { code: 'reset', clientId: 10 }));
  });

  test.each(['enabled', 'disabled', 'banned'] as const)('a %s client is not deleted', (status) => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status }] });
    expect(stepF(s, { type: 'clientDeleted', actionId: 'd', clientId: cid(10) })).toEqual({ state: s, commands: [actionCmd('d', false, 'notReset')] });
  });

  test('an unknown client', () => {
    const s = hubWith();
    expect(stepF(s, { type: 'clientDeleted', actionId: 'd', clientId: cid(10) })).toEqual({ state: s, commands: [actionCmd('d', false, 'unknownClient')] });
  });
});
