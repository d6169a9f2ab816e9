/**
 * Theory of operation: the hub's invariants, checked over the whole state.
 * This walks every table (its cost grows with the hub), so it is for tests, the
 * simulator and debugging, never for `step`. An empty list means all hold.
 *
 * 1. At most one enabled client per profile, and the profile's index says which.
 * 2. Only enabled clients are online; an online client has exactly one session.
 * 3. The dialog lives in exactly one place (session while online, client otherwise).
 * 4. Sequence bookkeeping is consistent: outAcked ≤ outSeq, the outbox holds
 *    exactly unacknowledged messages in order, within its bound.
 * 5. Every session sits once in the deadline index, never later than its real
 *    deadlines, and no deadline is in the past.
 * 6. Profile client counts match, and every client's profile exists.
 */
import type { DeadlineKey } from './deadlines.js';
import { dueAt, type DialogState } from './model.js';
import type { HubState } from './state.js';

export function checkInvariants(state: HubState): string[] {
  const problems: string[] = [];
  // Clients per profile id. An array: profile ids are usually dense, and a sparse one still works (as a dictionary).
  const counts: number[] = [];
  for (const c of state.clients.values()) {
    const p = state.profiles.get(c.profileId);
    if (p === undefined) {
      problems.push(`client ${c.id} belongs to missing profile ${c.profileId}`);
      continue;
    }
    counts[p.id] = (counts[p.id] ?? 0) + 1;
    if (c.status === 'enabled' && p.enabledClient !== c.id) problems.push(`client ${c.id} is enabled but profile ${p.id} names ${p.enabledClient}`);
    const link = state.online.get(c.id);
    if (link !== undefined) {
      const s = state.sessions.get(link);
      if (s === undefined || s.clientId !== c.id) problems.push(`client ${c.id} is indexed online on link ${link} without a session`);
      if (c.status !== 'enabled') problems.push(`client ${c.id} is online but ${c.status}`);
      if (c.dialog !== null) problems.push(`client ${c.id} is online but its record still holds a dialog`);
    } else if (c.dialog === null) {
      problems.push(`client ${c.id} is offline without a dialog`);
    } else {
      dialogProblems(state, c.id, c.dialog, problems);
    }
  }
  for (const p of state.profiles.values()) {
    const has = counts[p.id] ?? 0;
    if (has !== p.clientCount) problems.push(`profile ${p.id} counts ${p.clientCount} clients, has ${has}`);
    if (p.enabledClient !== null) {
      const c = state.clients.get(p.enabledClient);
      if (c === undefined || c.status !== 'enabled' || c.profileId !== p.id) problems.push(`profile ${p.id} names ${p.enabledClient} as enabled, which it is not`);
    }
  }
  let indexed = 0;
  let previous: DeadlineKey | undefined;
  state.deadlines.forEach((key: DeadlineKey, link: number) => {
    indexed++;
    const s = state.sessions.get(link);
    if (s === undefined) problems.push(`deadline ${key[0]} names link ${link} without a session`);
    else if (s.indexedAt !== key[0]) problems.push(`session on link ${link} is indexed at ${key[0]} but records ${s.indexedAt}`);
    if (previous !== undefined && (previous[0] > key[0] || (previous[0] === key[0] && previous[1] >= key[1]))) problems.push('deadline index out of order');
    previous = key;
    return undefined;
  });
  if (indexed !== state.sessions.size) problems.push(`deadline index has ${indexed} entries for ${state.sessions.size} sessions`);
  if (state.online.size !== state.sessions.size) problems.push(`online index has ${state.online.size} entries for ${state.sessions.size} sessions`);
  for (const s of state.sessions.values()) {
    if (state.online.get(s.clientId) !== s.link) problems.push(`session on link ${s.link} is not the online index's for client ${s.clientId}`);
    if (s.indexedAt > dueAt(s)) problems.push(`session on link ${s.link} is indexed after its deadline`);
    if (s.indexedAt <= state.now) problems.push(`session on link ${s.link} has a deadline (${s.indexedAt}) not after now (${state.now})`);
    dialogProblems(state, s.clientId, s.dialog, problems);
  }
  return problems;
}

/** Appends to `out` what is wrong with one dialog (nothing, for nearly every dialog). */
function dialogProblems(state: HubState, clientId: number, d: DialogState, out: string[]): void {
  if (d.outAcked > d.outSeq) out.push(`client ${clientId}: acked ${d.outAcked} beyond sent ${d.outSeq}`);
  if (d.outbox.length > state.config.maxOutbox) out.push(`client ${clientId}: outbox ${d.outbox.length} over its bound`);
  if (d.unconfirmed.length > state.config.maxUnconfirmed) out.push(`client ${clientId}: ${d.unconfirmed.length} unconfirmed deliveries, over the bound`);
  for (let i = 1; i < d.unconfirmed.length; i++) {
    if (d.unconfirmed[i]!.seq <= d.unconfirmed[i - 1]!.seq) out.push(`client ${clientId}: unconfirmed deliveries out of order`);
  }
  for (const u of d.unconfirmed) if (u.seq > d.inSeq) out.push(`client ${clientId}: unconfirmed delivery ${u.seq} beyond handled ${d.inSeq}`);
  let expected = d.outAcked + 1;
  for (const m of d.outbox) {
    if (m.seq !== expected) {
      out.push(`client ${clientId}: outbox holds ${m.seq} where ${expected} was expected`);
      break;
    }
    expected++;
  }
  if (d.outbox.length > 0 && expected - 1 !== d.outSeq) out.push(`client ${clientId}: outbox ends at ${expected - 1}, sent ${d.outSeq}`);
  if (d.outbox.length === 0 && d.outAcked !== d.outSeq) out.push(`client ${clientId}: empty outbox but ${d.outSeq - d.outAcked} unacknowledged`);
}
