/**
 * The operator's profile actions: created, renamed, removed, mode set,
 * policy set. A refused action changes nothing and says why.
 */
import { describe, expect, test } from 'vitest';
import type { HubInput } from '../../src/inputs.js';
import type { ManagementMode, Policy } from '../../src/model.js';
import {
  actionCmd,
  cid,
  commit,
  expectInvariants,
  hubWith,
  linkOf,
  notifyCmd,
  pid,
  profileOf,
  result,
  setStatus,
  stepF,
} from '../helpers.js';

const created = (profileId: number, name: string, mode?: unknown, policy?: unknown): HubInput =>
  ({ type: 'profileCreated', actionId: 'p', profileId: pid(profileId), name, ...(mode !== undefined ? { mode } : {}), ...(policy !== undefined ? { policy } : {}) }) as HubInput;
const changed = (profileId: number, change: string, mode: ManagementMode, policy: Policy | null) => notifyCmd({ type: 'profileChanged', profileId, change, mode, policy });

describe('profileCreated', () => {
  test('with defaults: auto, the hub policy', () => {
    const s = hubWith({ profiles: [] });
    const r = stepF(s, created(7, 'Sales'));
    expect(r).toEqual(result([commit, changed(7, 'created', 'auto', null), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 7)).toEqual({ id: 7, name: 'Sales', mode: 'auto', policy: null, enabledClient: null, clientCount: 0 });
    expectInvariants(r.state);
  });

  test('with a mode and a policy override', () => {
    const s = hubWith({ profiles: [] });
    const r = stepF(s, created(7, 'Sales', 'manual', 'seniority'));
    expect(r).toEqual(result([commit, changed(7, 'created', 'manual', 'seniority'), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 7)).toMatchObject({ mode: 'manual', policy: 'seniority' });
  });

  test('names need not be unique (the id is the key)', () => {
    const s = hubWith({ profiles: [{ id: 1, name: 'Sales' }] });
    const r = stepF(s, created(2, 'Sales'));
    expect(r.commands).toContainEqual(actionCmd('p', true, null));
  });

  test.each([
    ['id 0', created(0, 'x'), 'invalidId'],
    ['id above 2^32', created(2 ** 32, 'x'), 'invalidId'],
    ['an existing id', created(1, 'x'), 'profileExists'],
    ['a blank name', created(2, '   '), 'invalidName'],
    ['a name over maxTextLength', created(2, 'x'.repeat(65)), 'invalidName'],
    ['an unknown mode', created(2, 'x', 'semi'), 'invalidMode'],
    ['an unknown policy', created(2, 'x', 'auto', 'firstComeFirstServed'), 'invalidPolicy'],
  ])('refused: %s', (_name, input, reason) => {
    const s = hubWith({ profiles: [{ id: 1 }], config: { limits: { maxTextLength: 64 } } });
    expect(stepF(s, input)).toEqual({ state: s, commands: [actionCmd('p', false, reason)] });
  });
});

describe('profileRenamed', () => {
  const renamed = (profileId: number, name: string): HubInput => ({ type: 'profileRenamed', actionId: 'p', profileId: pid(profileId), name });

  test('renames', () => {
    const s = hubWith({ profiles: [{ id: 1, name: 'Old', mode: 'manual', policy: 'ignoreNew' }] });
    const r = stepF(s, renamed(1, 'New'));
    expect(r).toEqual(result([commit, changed(1, 'renamed', 'manual', 'ignoreNew'), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 1).name).toBe('New');
  });

  test.each([
    ['an unknown profile', renamed(9, 'x'), 'unknownProfile'],
    ['profile 0', renamed(0, 'x'), 'unknownProfile'],
    ['a blank name', renamed(1, ''), 'invalidName'],
  ])('refused: %s', (_name, input, reason) => {
    const s = hubWith({ profiles: [{ id: 1 }] });
    expect(stepF(s, input)).toEqual({ state: s, commands: [actionCmd('p', false, reason)] });
  });
});

describe('profileRemoved', () => {
  const removed = (profileId: number): HubInput => ({ type: 'profileRemoved', actionId: 'p', profileId: pid(profileId) });

  test('an empty profile is removed', () => {
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2, mode: 'manual' }] });
    const r = stepF(s, removed(2));
    expect(r).toEqual(result([commit, changed(2, 'removed', 'manual', null), actionCmd('p', true, null)]));
    expect(r.state.profiles.has(2)).toBe(false);
    expectInvariants(r.state);
  });

  test('a profile with clients is not removed, whatever their status (B9)', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'reset' }] });
    expect(stepF(s, removed(1))).toEqual({ state: s, commands: [actionCmd('p', false, 'profileNotEmpty')] });
  });

  test('once its clients are deleted, it can be removed', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'reset' }] });
    s = stepF(s, { type: 'clientDeleted', actionId: 'd', clientId: cid(10) }).state;
    const r = stepF(s, removed(1));
    expect(r.commands).toContainEqual(actionCmd('p', true, null));
    expectInvariants(r.state);
  });

  test('an unknown profile', () => {
    const s = hubWith();
    expect(stepF(s, removed(9))).toEqual({ state: s, commands: [actionCmd('p', false, 'unknownProfile')] });
  });
});

describe('profileModeSet', () => {
  const modeSet = (profileId: number, mode: unknown): HubInput => ({ type: 'profileModeSet', actionId: 'p', profileId: pid(profileId), mode }) as HubInput;

  test('a change is applied and announced; online clients are untouched', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, modeSet(1, 'manual'));
    expect(r).toEqual(result([commit, changed(1, 'mode', 'manual', null), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 1).mode).toBe('manual');
    expect(linkOf(r.state, 10)).toBe(1);
    expectInvariants(r.state);
  });

  test('the same mode is an ok no-op', () => {
    const s = hubWith();
    expect(stepF(s, modeSet(1, 'auto'))).toEqual({ state: s, commands: [actionCmd('p', true, null)] });
  });

  test.each([
    ['an unknown profile', modeSet(9, 'auto'), 'unknownProfile'],
    ['an unknown mode', modeSet(1, 'semi'), 'invalidMode'],
  ])('refused: %s', (_name, input, reason) => {
    const s = hubWith();
    expect(stepF(s, input)).toEqual({ state: s, commands: [actionCmd('p', false, reason)] });
  });

  test('back to auto after an operator status change', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    s = setStatus(s, 10, 'disabled').state;
    expect(profileOf(s, 1).mode).toBe('manual');
    const r = stepF(s, modeSet(1, 'auto'));
    expect(r).toEqual(result([commit, changed(1, 'mode', 'auto', null), actionCmd('p', true, null)]));
  });
});

describe('profilePolicySet', () => {
  const policySet = (profileId: number, policy: unknown): HubInput => ({ type: 'profilePolicySet', actionId: 'p', profileId: pid(profileId), policy }) as HubInput;

  test('an override is applied and announced', () => {
    const s = hubWith();
    const r = stepF(s, policySet(1, 'seniority'));
    expect(r).toEqual(result([commit, changed(1, 'policy', 'auto', 'seniority'), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 1).policy).toBe('seniority');
  });

  test("null goes back to the hub's policy", () => {
    const s = hubWith({ profiles: [{ id: 1, policy: 'ignoreNew' }] });
    const r = stepF(s, policySet(1, null));
    expect(r).toEqual(result([commit, changed(1, 'policy', 'auto', null), actionCmd('p', true, null)]));
    expect(profileOf(r.state, 1).policy).toBeNull();
  });

  test('the same policy is an ok no-op', () => {
    const s = hubWith({ profiles: [{ id: 1, policy: 'ignoreNew' }] });
    expect(stepF(s, policySet(1, 'ignoreNew'))).toEqual({ state: s, commands: [actionCmd('p', true, null)] });
  });

  test.each([
    ['an unknown profile', policySet(9, null), 'unknownProfile'],
    ['an unknown policy', policySet(1, 'random'), 'invalidPolicy'],
  ])('refused: %s', (_name, input, reason) => {
    const s = hubWith();
    expect(stepF(s, input)).toEqual({ state: s, commands: [actionCmd('p', false, reason)] });
  });
});
