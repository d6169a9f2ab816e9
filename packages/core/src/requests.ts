/**
 * Theory of operation: the connection channel (docs/protocol.md §4): requests
 * a client makes before or to open a session, the answers the hub gives, and
 * the reasons it closes a link with.
 *
 * Requests are matched to answers by `(clientId, requestId)`, both chosen by
 * the client, so no client can take another's answer (B14, B16, B17).
 */
import type { ClientId, ProfileId } from './ids.js';
import type { ClientStatus, Contact, Environment, ManagementMode } from './model.js';

/**
 * A proof of identity. On the wire a client sends its raw `secret`; a journal
 * keeps only the `verifier` (SHA-256 hex) so that raw secrets never reach the
 * disk (see `redactInput`). The core accepts both.
 */
export type Credential = { readonly secret: string } | { readonly verifier: string };

export type Request =
  /** The seed's NewConnection: register a new installation in a profile. */
  | {
      readonly kind: 'register';
      readonly requestId: number;
      readonly clientId: ClientId;
      readonly profileId: ProfileId;
      readonly contact: Contact;
      readonly environment: Environment;
    }
  /** An enabled client launches (the seed's Start). */
  | {
      readonly kind: 'start';
      readonly requestId: number;
      readonly clientId: ClientId;
      readonly credential: Credential;
      readonly environment: Environment;
      /** Highest hub→client seq the client has; the hub resends what follows. */
      readonly lastReceived: number;
    }
  /** A disabled client asks to be enabled again (the seed's Resume). */
  | {
      readonly kind: 'resume';
      readonly requestId: number;
      readonly clientId: ClientId;
      readonly credential: Credential;
      readonly lastReceived: number;
    }
  /** A client that heard nothing for long asks to be re-admitted (the seed's cnx Sync). */
  | {
      readonly kind: 'sync';
      readonly requestId: number;
      readonly clientId: ClientId;
      readonly credential: Credential;
      readonly lastReceived: number;
    }
  /** Connection transports: start if enabled, resume if disabled. */
  | {
      readonly kind: 'login';
      readonly requestId: number;
      readonly clientId: ClientId;
      readonly credential: Credential;
      readonly environment: Environment | null;
      readonly lastReceived: number;
    }
  /** The list of profiles a new installation may register in (B26). */
  | { readonly kind: 'profiles'; readonly requestId: number; readonly clientId: ClientId };

export type RequestKind = Request['kind'];

/** Why a request was refused: machine-readable, stable, documented in docs/protocol.md §4. */
export type RejectReason =
  | 'badCredentials'
  | 'disabled'
  | 'banned'
  | 'profileManual'
  | 'profileInUse'
  | 'alreadyOnline'
  | 'seniority'
  | 'linkBusy'
  | 'denied';

export const REJECT_REASONS: readonly RejectReason[] = [
  'badCredentials',
  'disabled',
  'banned',
  'profileManual',
  'profileInUse',
  'alreadyOnline',
  'seniority',
  'linkBusy',
  'denied',
];

export interface ProfileSummary {
  readonly id: ProfileId;
  readonly name: string;
  readonly mode: ManagementMode;
}

export type Answer =
  | {
      readonly code: 'ok';
      readonly clientId: ClientId;
      readonly status: ClientStatus;
      /** The client's secret: only in the answer to a registration that issued it. */
      readonly secret: string | null;
      /** Highest client→hub seq the hub handled: the client resends what follows. */
      readonly lastReceived: number;
      /** Highest hub→client seq the hub assigned. */
      readonly lastSent: number;
    }
  | { readonly code: 'rejected'; readonly clientId: ClientId; readonly reason: RejectReason }
  | { readonly code: 'invalidId'; readonly clientId: ClientId }
  | { readonly code: 'invalidProfile'; readonly clientId: ClientId; readonly profiles: readonly ProfileSummary[] }
  | { readonly code: 'reset'; readonly clientId: ClientId }
  | { readonly code: 'profiles'; readonly clientId: ClientId; readonly profiles: readonly ProfileSummary[] };

export type AnswerCode = Answer['code'];

/**
 * Why the hub closes a link. The peer is always told the reason before the
 * link closes; `CLOSE_REASON_RECONNECT` says whether a client engine may
 * reconnect by itself (no push-out/reconnect ping-pong: docs/protocol.md §5).
 */
export type CloseReason =
  | 'pushedOut'
  | 'replaced'
  | 'banned'
  | 'disabled'
  | 'reset'
  | 'deleted'
  | 'kicked'
  | 'heartbeatTimeout'
  | 'alreadyOnline'
  | 'refused'
  | 'closedByClient'
  | 'notLoggedIn'
  | 'shutdown'
  /** The transport is at capacity (connection cap, rate cap): back off and try again. */
  | 'busy';

/** Literal table: may a client engine reconnect by itself after this reason? */
export const CLOSE_REASON_RECONNECT: Readonly<Record<CloseReason, boolean>> = {
  pushedOut: false,
  replaced: false,
  banned: false,
  disabled: false,
  reset: false,
  deleted: false,
  kicked: false,
  heartbeatTimeout: false,
  alreadyOnline: false,
  refused: false,
  closedByClient: false,
  notLoggedIn: true,
  shutdown: true,
  busy: true,
};

export const CLOSE_REASONS = Object.keys(CLOSE_REASON_RECONNECT) as readonly CloseReason[];
