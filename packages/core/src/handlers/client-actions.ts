/**
 * Theory of operation: the operator's client actions (hub-protocol.md §8.6).
 *
 * - `statusSet`: as in the seed, enabling a client disables the profile's
 *   other enabled client, and setting enabled/disabled/banned switches the
 *   profile to `manual` first, so that no automatic takeover undoes the
 *   operator's choice (docs/protocol.md §9). Reset does not change the mode.
 *   A client that leaves `enabled` while online is told why and closed (B22).
 * - `clientKicked`: ends an online client's session (`kicked`, terminal for
 *   the client engine); the status stays.
 * - `clientDeleted`: only a `reset` client can be deleted (as the seed).
 */
import { isU32Id } from '../ids.js';
import type { OperatorInput } from '../inputs.js';
import { CLIENT_STATUSES, type Client } from '../model.js';
import type { Tx } from '../tx.js';

type Of<T extends OperatorInput['type']> = Extract<OperatorInput, { type: T }>;

function existing(tx: Tx, input: { actionId: string; clientId: number }): Client | undefined {
  const c = isU32Id(input.clientId) ? tx.client(input.clientId as Client['id']) : undefined;
  if (c === undefined) tx.actionResult(input.actionId, false, 'unknownClient', `client ${String(input.clientId)} does not exist`);
  return c;
}

export function statusSet(tx: Tx, input: Of<'statusSet'>): void {
  const client = existing(tx, input);
  if (client === undefined) return;
  const to = input.status;
  if (!CLIENT_STATUSES.includes(to)) {
    return tx.actionResult(input.actionId, false, 'invalidStatus', `status must be one of ${CLIENT_STATUSES.join(', ')}`);
  }
  if (client.status === to) return tx.actionResult(input.actionId, true, null, `client ${client.id} is already ${to}`);
  const profile = tx.profile(client.profileId)!;
  if (to !== 'reset' && profile.mode === 'auto') {
    const manual = { ...profile, mode: 'manual' as const };
    tx.putProfile(manual);
    tx.notify({ type: 'profileChanged', profileId: profile.id, change: 'mode', mode: 'manual', policy: profile.policy });
  }
  if (to === 'enabled' && profile.enabledClient !== null && profile.enabledClient !== client.id) {
    tx.setStatus(tx.client(profile.enabledClient)!, 'disabled', 'operatorEnabledOther', 'operator');
  }
  tx.setStatus(tx.client(client.id)!, to, 'operator', 'operator');
  tx.actionResult(input.actionId, true, null, `client ${client.id} is now ${to}`);
}

export function clientKicked(tx: Tx, input: Of<'clientKicked'>): void {
  const client = existing(tx, input);
  if (client === undefined) return;
  const session = tx.sessionOfClient(client.id);
  if (session === undefined) return tx.actionResult(input.actionId, false, 'notOnline', `client ${client.id} is not online`);
  tx.endSession(session, 'kicked');
  tx.actionResult(input.actionId, true, null, `client ${client.id} kicked`);
}

export function clientDeleted(tx: Tx, input: Of<'clientDeleted'>): void {
  const client = existing(tx, input);
  if (client === undefined) return;
  if (client.status !== 'reset') {
    return tx.actionResult(input.actionId, false, 'notReset', `client ${client.id} is ${client.status}; only a reset client can be deleted`);
  }
  tx.deleteClient(client.id);
  const profile = tx.profile(client.profileId)!;
  tx.putProfile({ ...profile, clientCount: profile.clientCount - 1 });
  tx.notify({ type: 'clientDeleted', clientId: client.id });
  tx.actionResult(input.actionId, true, null, `client ${client.id} deleted`);
}
