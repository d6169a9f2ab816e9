/**
 * Theory of operation: what the console reads, computed from the hub's
 * state on each request — pure functions of an immutable `HubState`, so a
 * page is always one consistent snapshot and nothing needs locking.
 *
 * The client table is an IntMap in ascending id order. Filtering and
 * counting a page is one pass over the registered clients (O(n)); only the
 * page itself is materialised. Walking the IntMap's nested generators costs
 * far more than walking an array, so the walk is done once per version of
 * the client table and kept as a flat array (`clientsOf`, a WeakMap keyed by
 * the immutable table): the table changes on registrations and status or
 * contact changes, not on dialog traffic, whose state lives in the sessions.
 * Search strings are kept per client record the same way. There is no
 * secondary index on purpose: the core's state is the one source of truth
 * and stays free of console concerns. Measured figures: docs/operations.md.
 */
import { clientDialogOf, type Client, type ClientStatus, type HubState, type Profile } from '@dialoghub/core';
import type { ClientDetail, ClientPage, ClientSummary, HubStats, ProfileView } from './api-types.js';
import type { RecentDialog } from './recent-dialog.js';

/** Filters of the clients list; every field narrows it. */
export interface ClientFilter {
  readonly profile?: number | undefined;
  readonly status?: ClientStatus | undefined;
  readonly online?: boolean | undefined;
  /** Case-insensitive substring of the id (decimal) or a contact field. */
  readonly q?: string | undefined;
}

const flat = new WeakMap<HubState['clients'], readonly Client[]>();
const haystacks = new WeakMap<Client, string>();

/** Every registered client, ascending by id, as an array (cached per version of the client table). */
export function clientsOf(state: Pick<HubState, 'clients'>): readonly Client[] {
  let all = flat.get(state.clients);
  if (all === undefined) {
    all = [...state.clients.values()];
    flat.set(state.clients, all);
  }
  return all;
}

/** What the text search looks in: id and contact fields, lower-cased, separated so a match never spans two. */
function haystack(c: Client): string {
  let text = haystacks.get(c);
  if (text === undefined) {
    text = `${c.id}\u0000${c.contact.name.toLowerCase()}\u0000${c.contact.phone.toLowerCase()}\u0000${c.contact.email.toLowerCase()}`;
    haystacks.set(c, text);
  }
  return text;
}

function summary(state: HubState, c: Client, profile: Profile | undefined): ClientSummary {
  const dialog = clientDialogOf(state, c);
  return {
    id: c.id,
    profileId: c.profileId,
    profileName: profile?.name ?? null,
    status: c.status,
    online: state.online.has(c.id),
    registeredAt: c.registeredAt,
    regSeq: c.regSeq,
    contact: { name: c.contact.name, phone: c.contact.phone, email: c.contact.email },
    lastSeen: dialog?.lastSeen ?? null,
    messagesIn: dialog?.messagesIn ?? 0,
    messagesOut: dialog?.messagesOut ?? 0,
    outbox: dialog?.outbox.length ?? 0,
  };
}

function matcher(filter: ClientFilter, state: HubState): (c: Client) => boolean {
  // A separator in the query could match across two fields: it matches nothing.
  const q = filter.q?.trim().toLowerCase().replaceAll('\u0000', '\u0001') ?? '';
  const { profile, status, online } = filter;
  return (c) => {
    if (profile !== undefined && c.profileId !== profile) return false;
    if (status !== undefined && c.status !== status) return false;
    if (online !== undefined && state.online.has(c.id) !== online) return false;
    return q === '' || haystack(c).includes(q);
  };
}

/** One page of the clients that pass `filter`, ascending by id, with the number of all that pass. */
export function listClients(state: HubState, filter: ClientFilter, offset: number, limit: number): ClientPage {
  const keep = matcher(filter, state);
  const items: ClientSummary[] = [];
  let total = 0;
  const end = offset + limit;
  for (const c of clientsOf(state)) {
    if (!keep(c)) continue;
    if (total >= offset && total < end) items.push(summary(state, c, state.profiles.get(c.profileId)));
    total++;
  }
  return { items, total, offset, limit };
}

/** One client with its environment history, dialog counters, session and recent messages; undefined if unknown. */
export function clientDetail(state: HubState, id: number, recent: RecentDialog): ClientDetail | undefined {
  const c = state.clients.get(id);
  if (c === undefined) return undefined;
  const dialog = clientDialogOf(state, c);
  const link = state.online.get(c.id);
  const session = link === undefined ? undefined : state.sessions.get(link);
  return {
    ...summary(state, c, state.profiles.get(c.profileId)),
    proven: c.proven,
    environments: c.environments.map((e) => ({ at: e.at, env: { ...e.env } })),
    dialog: dialog === null ? null : { inSeq: dialog.inSeq, outSeq: dialog.outSeq, outAcked: dialog.outAcked, unconfirmed: dialog.unconfirmed.length },
    session: session === undefined ? null : { link: session.link, since: session.since, lastHeard: session.lastHeard, syncAt: session.syncAt, deadAt: session.deadAt },
    recent: recent.of(c.id),
  };
}

/** Every profile, ascending by id, with its mode, policy and counts. */
export function listProfiles(state: HubState): ProfileView[] {
  const online = new Map<number, number>();
  for (const s of state.sessions.values()) {
    const p = state.clients.get(s.clientId)?.profileId;
    if (p !== undefined) online.set(p, (online.get(p) ?? 0) + 1);
  }
  return [...state.profiles.values()].map((p) => ({
    id: p.id,
    name: p.name,
    mode: p.mode,
    policy: p.policy,
    effectivePolicy: p.policy ?? state.config.policy,
    enabledClient: p.enabledClient,
    clientCount: p.clientCount,
    online: online.get(p.id) ?? 0,
  }));
}

/** Counts over the whole state (one pass over the clients). */
export function hubStats(state: HubState, journalSeq: number, counters: { readonly received: number; readonly written: number }): HubStats {
  const byStatus: Record<ClientStatus, number> = { enabled: 0, disabled: 0, banned: 0, reset: 0 };
  let outboxDepth = 0;
  for (const c of clientsOf(state)) {
    byStatus[c.status]++;
    if (c.dialog !== null) outboxDepth += c.dialog.outbox.length;
  }
  for (const s of state.sessions.values()) outboxDepth += s.dialog.outbox.length;
  return {
    now: state.now,
    journalSeq,
    hubPolicy: state.config.policy,
    profiles: state.profiles.size,
    clients: { total: state.clients.size, ...byStatus },
    online: state.sessions.size,
    outboxDepth,
    messagesReceived: counters.received,
    messagesWritten: counters.written,
  };
}
