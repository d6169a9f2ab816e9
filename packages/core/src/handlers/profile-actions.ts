/**
 * Theory of operation: the operator's profile actions (hub-protocol.md §8.6).
 * Profile names need not be unique (the id is the key, as in the seed); a
 * profile can be removed only when no client belongs to it, so no client is
 * ever left without a profile (B9).
 */
import { isU32Id } from '../ids.js';
import type { OperatorInput } from '../inputs.js';
import { MANAGEMENT_MODES, POLICIES, type Profile } from '../model.js';
import type { Tx } from '../tx.js';

type Of<T extends OperatorInput['type']> = Extract<OperatorInput, { type: T }>;

function nameProblem(tx: Tx, name: unknown): string | null {
  if (typeof name !== 'string' || name.trim().length === 0) return 'a profile name must not be blank';
  if (name.length > tx.config.limits.maxTextLength) return `a profile name is at most ${tx.config.limits.maxTextLength} characters`;
  return null;
}

function changed(tx: Tx, p: Profile, change: 'created' | 'renamed' | 'removed' | 'mode' | 'policy'): void {
  tx.notify({ type: 'profileChanged', profileId: p.id, change, mode: p.mode, policy: p.policy });
}

function existing(tx: Tx, input: { actionId: string; profileId: number }): Profile | undefined {
  const p = isU32Id(input.profileId) ? tx.profile(input.profileId as Profile['id']) : undefined;
  if (p === undefined) tx.actionResult(input.actionId, false, 'unknownProfile', `profile ${String(input.profileId)} does not exist`);
  return p;
}

export function profileCreated(tx: Tx, input: Of<'profileCreated'>): void {
  const fail = (reason: string, message: string): void => tx.actionResult(input.actionId, false, reason, message);
  if (!isU32Id(input.profileId)) return fail('invalidId', 'a profile id is an integer in [1, 2^32)');
  if (tx.profile(input.profileId) !== undefined) return fail('profileExists', `profile ${input.profileId} already exists`);
  const problem = nameProblem(tx, input.name);
  if (problem !== null) return fail('invalidName', problem);
  const mode = input.mode ?? 'auto';
  if (!MANAGEMENT_MODES.includes(mode)) return fail('invalidMode', `mode must be one of ${MANAGEMENT_MODES.join(', ')}`);
  const policy = input.policy ?? null;
  if (policy !== null && !POLICIES.includes(policy)) return fail('invalidPolicy', `policy must be one of ${POLICIES.join(', ')} or null`);
  const profile: Profile = { id: input.profileId, name: input.name, mode, policy, enabledClient: null, clientCount: 0 };
  tx.putProfile(profile);
  changed(tx, profile, 'created');
  tx.actionResult(input.actionId, true, null, `profile ${profile.id} created`);
}

export function profileRenamed(tx: Tx, input: Of<'profileRenamed'>): void {
  const p = existing(tx, input);
  if (p === undefined) return;
  const problem = nameProblem(tx, input.name);
  if (problem !== null) return tx.actionResult(input.actionId, false, 'invalidName', problem);
  if (p.name !== input.name) {
    const next = { ...p, name: input.name };
    tx.putProfile(next);
    changed(tx, next, 'renamed');
  }
  tx.actionResult(input.actionId, true, null, `profile ${p.id} renamed`);
}

export function profileRemoved(tx: Tx, input: Of<'profileRemoved'>): void {
  const p = existing(tx, input);
  if (p === undefined) return;
  if (p.clientCount > 0) {
    return tx.actionResult(input.actionId, false, 'profileNotEmpty', `profile ${p.id} still has ${p.clientCount} client(s); delete them first`);
  }
  tx.deleteProfile(p.id);
  changed(tx, p, 'removed');
  tx.actionResult(input.actionId, true, null, `profile ${p.id} removed`);
}

export function profileModeSet(tx: Tx, input: Of<'profileModeSet'>): void {
  const p = existing(tx, input);
  if (p === undefined) return;
  if (!MANAGEMENT_MODES.includes(input.mode)) {
    return tx.actionResult(input.actionId, false, 'invalidMode', `mode must be one of ${MANAGEMENT_MODES.join(', ')}`);
  }
  if (p.mode !== input.mode) {
    const next = { ...p, mode: input.mode };
    tx.putProfile(next);
    changed(tx, next, 'mode');
  }
  tx.actionResult(input.actionId, true, null, `profile ${p.id} is ${input.mode}`);
}

export function profilePolicySet(tx: Tx, input: Of<'profilePolicySet'>): void {
  const p = existing(tx, input);
  if (p === undefined) return;
  if (input.policy !== null && !POLICIES.includes(input.policy)) {
    return tx.actionResult(input.actionId, false, 'invalidPolicy', `policy must be one of ${POLICIES.join(', ')} or null`);
  }
  if (p.policy !== input.policy) {
    const next = { ...p, policy: input.policy };
    tx.putProfile(next);
    changed(tx, next, 'policy');
  }
  tx.actionResult(input.actionId, true, null, `profile ${p.id} policy is ${input.policy ?? `the hub's (${tx.config.policy})`}`);
}
