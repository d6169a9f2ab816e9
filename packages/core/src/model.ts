/**
 * Theory of operation: the entities of protocol v1 (docs/protocol.md §2).
 *
 * - A profile groups client installations; at most one of them is `enabled`.
 * - A client is one installation, registered once, with two dialog sequence
 *   spaces that are never reset while it exists.
 * - A session is an online client: the link it is reachable on, its liveness
 *   deadlines and, while it lasts, its live dialog state. The dialog state has
 *   exactly one home at a time: `Session.dialog` while online, `Client.dialog`
 *   while offline. This keeps the per-message path off the client table, whose
 *   size is the number of registered clients.
 *
 * Everything here is plain, immutable data.
 */
import type { ClientId, LinkId, Millis, ProfileId } from './ids.js';
import type { MessageBody } from './messages.js';

export type ClientStatus = 'enabled' | 'disabled' | 'banned' | 'reset';
export const CLIENT_STATUSES: readonly ClientStatus[] = ['enabled', 'disabled', 'banned', 'reset'];

export type ManagementMode = 'auto' | 'manual';
export const MANAGEMENT_MODES: readonly ManagementMode[] = ['auto', 'manual'];

/** The re-login policy (docs/protocol.md §5). */
export type Policy = 'replaceOld' | 'ignoreNew' | 'seniority';
export const POLICIES: readonly Policy[] = ['replaceOld', 'ignoreNew', 'seniority'];

/** The contact fields SetInfo may change (never id, profile or registration time: B2, B3). */
export interface Contact {
  readonly name: string;
  readonly phone: string;
  readonly email: string;
}

/** What a client reports about its machine; keys and values are the client's. */
export type Environment = Readonly<Record<string, string>>;

export interface EnvironmentEntry {
  readonly at: Millis;
  readonly env: Environment;
}

export interface Profile {
  readonly id: ProfileId;
  readonly name: string;
  readonly mode: ManagementMode;
  /** Per-profile override of the hub's policy, or null to use the hub's. */
  readonly policy: Policy | null;
  /** The profile's enabled client, if any: the single source of the one-enabled rule. */
  readonly enabledClient: ClientId | null;
  /** Number of registered clients in the profile. */
  readonly clientCount: number;
}

/**
 * An application message handed to the embedding application (a `deliver`
 * command) whose handling the application has not confirmed yet
 * (`appMessageHandled`). It is part of the durable state, so after a crash the
 * shell hands it over again with the same `(clientId, seq)`.
 */
export interface PendingDelivery {
  readonly seq: number;
  readonly appType: string;
  readonly payload: Uint8Array;
  readonly replyTo: number;
}

/** A message waiting in the hub's outbox until the client acknowledges it. */
export interface OutboundMessage {
  readonly seq: number;
  readonly body: MessageBody;
}

/**
 * One client's dialog: two sequence spaces (hub→client "out", client→hub "in"),
 * each starting at 1, and counters that count messages, not id gaps (B5).
 */
export interface DialogState {
  /** Highest client→hub sequence number handled; the next expected is `inSeq + 1`. */
  readonly inSeq: number;
  /** Highest hub→client sequence number assigned. */
  readonly outSeq: number;
  /** Highest hub→client sequence number the client acknowledged. */
  readonly outAcked: number;
  /** Unacknowledged hub→client messages, seq ascending, all in (outAcked, outSeq]. */
  readonly outbox: readonly OutboundMessage[];
  /** Client→hub messages handled (the seed's SentMsgCount, counted per message). */
  readonly messagesIn: number;
  /** Hub→client messages sent (the seed's ReceivedMsgCount, counted per message). */
  readonly messagesOut: number;
  /** When the hub last heard from the client (hub clock, B24), or null if never. */
  readonly lastSeen: Millis | null;
  /** Application messages handed over and not yet confirmed, seq ascending. */
  readonly unconfirmed: readonly PendingDelivery[];
}

export interface Client {
  readonly id: ClientId;
  readonly profileId: ProfileId;
  readonly status: ClientStatus;
  /** Monotonic registration sequence: seniority compares this, never a clock (B24). */
  readonly regSeq: number;
  readonly registeredAt: Millis;
  readonly contact: Contact;
  /** Environment history, oldest first; an entry is added only when it changes. */
  readonly environments: readonly EnvironmentEntry[];
  /** SHA-256 of the client's secret, lower-case hex. The secret itself is never kept. */
  readonly verifier: string;
  /** The request id of the registration, so that a repeated registration is answered alike. */
  readonly registrationRequestId: number;
  /** True once the client proved its secret (any start/resume/sync/login). */
  readonly proven: boolean;
  /** The dialog while offline; null while online (the session holds it then). */
  readonly dialog: DialogState | null;
}

export interface Session {
  readonly link: LinkId;
  readonly clientId: ClientId;
  readonly since: Millis;
  /** Last time the hub heard anything from the client on this session. */
  readonly lastHeard: Millis;
  /** When to send the next Sync ("are you there?"). */
  readonly syncAt: Millis;
  /** When to declare the client offline. */
  readonly deadAt: Millis;
  /**
   * When to resend the unacknowledged outbox after a failed `writeDialog`, or
   * null. Kept apart from `syncAt` so that the client's own chatter, which
   * pushes `syncAt` later, never cancels a pending resend.
   */
  readonly resendAt: Millis | null;
  /**
   * The key under which the session sits in the deadline index. It is never
   * later than min(syncAt, deadAt, resendAt); activity moves the real deadlines later
   * without touching the index, and a timer step re-files sessions that fired
   * early (lazy deadlines: see deadlines.ts).
   */
  readonly indexedAt: Millis;
  readonly dialog: DialogState;
}

export const EMPTY_DIALOG: DialogState = Object.freeze(
  makeDialog(0, 0, 0, Object.freeze([]) as readonly OutboundMessage[], 0, 0, null, Object.freeze([]) as readonly PendingDelivery[]),
);

/*
 * Sessions and dialogs are rebuilt on every message, so they are built in one
 * place, always with the same fields in the same order: the engine then keeps
 * one object shape for each and the hot path stays monomorphic.
 */

export function makeDialog(
  inSeq: number,
  outSeq: number,
  outAcked: number,
  outbox: readonly OutboundMessage[],
  messagesIn: number,
  messagesOut: number,
  lastSeen: Millis | null,
  unconfirmed: readonly PendingDelivery[],
): DialogState {
  return { inSeq, outSeq, outAcked, outbox, messagesIn, messagesOut, lastSeen, unconfirmed };
}

export function makeSession(
  link: LinkId,
  clientId: ClientId,
  since: Millis,
  lastHeard: Millis,
  syncAt: Millis,
  deadAt: Millis,
  resendAt: Millis | null,
  indexedAt: Millis,
  dialog: DialogState,
): Session {
  return { link, clientId, since, lastHeard, syncAt, deadAt, resendAt, indexedAt, dialog };
}

/** The session with another dialog. */
export function withDialog(s: Session, dialog: DialogState): Session {
  return makeSession(s.link, s.clientId, s.since, s.lastHeard, s.syncAt, s.deadAt, s.resendAt, s.indexedAt, dialog);
}

/** The earliest of a session's real deadlines: where the index must file it at the latest. */
export function dueAt(s: Pick<Session, 'syncAt' | 'deadAt' | 'resendAt'>): Millis {
  return earliest(s.syncAt, s.deadAt, s.resendAt);
}

/** {@link dueAt} of the three deadlines, given one by one (no session built yet). */
export function earliest(syncAt: Millis, deadAt: Millis, resendAt: Millis | null): Millis {
  const at = syncAt < deadAt ? syncAt : deadAt;
  return resendAt !== null && resendAt < at ? resendAt : at;
}
