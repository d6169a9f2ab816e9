/**
 * Theory of operation: the shapes the admin API answers with, shared by the
 * server (src/) and the page (web/). Types only: this file compiles into both
 * projects and must import nothing, so the page never pulls in node code.
 * Ids and statuses are the core's, as plain JSON values; times are the hub's
 * clock (milliseconds since the epoch under the system clock).
 */

/** A client's status (the core's `ClientStatus`). */
export type ApiStatus = 'enabled' | 'disabled' | 'banned' | 'reset';
/** A profile's management mode (the core's `ManagementMode`). */
export type ApiMode = 'auto' | 'manual';
/** A re-login policy (the core's `Policy`). */
export type ApiPolicy = 'replaceOld' | 'ignoreNew' | 'seniority';

/** One row of the clients table. */
export interface ClientSummary {
  readonly id: number;
  readonly profileId: number;
  readonly profileName: string | null;
  readonly status: ApiStatus;
  readonly online: boolean;
  readonly registeredAt: number;
  readonly regSeq: number;
  readonly contact: { readonly name: string; readonly phone: string; readonly email: string };
  /** When the hub last heard from the client, or null if never. */
  readonly lastSeen: number | null;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Unacknowledged hub→client messages. */
  readonly outbox: number;
}

/** `GET /api/clients`: one page of the filtered clients, ascending by id. */
export interface ClientPage {
  readonly items: readonly ClientSummary[];
  /** How many clients match the filters (all pages). */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
}

/** A dialog message the console saw go by (kept in a bounded ring per client). */
export interface RecentMessage {
  /** The hub's time when the message was received or written. */
  readonly at: number;
  readonly dir: 'in' | 'out';
  readonly seq: number;
  readonly ack: number;
  readonly type: string;
  /** A short description (an application type and size, a log line's start). */
  readonly text: string;
}

/** `GET /api/clients/:id`. */
export interface ClientDetail extends ClientSummary {
  readonly proven: boolean;
  readonly environments: readonly { readonly at: number; readonly env: Readonly<Record<string, string>> }[];
  readonly dialog: {
    readonly inSeq: number;
    readonly outSeq: number;
    readonly outAcked: number;
    readonly unconfirmed: number;
  } | null;
  readonly session: { readonly link: number; readonly since: number; readonly lastHeard: number; readonly syncAt: number; readonly deadAt: number } | null;
  /** The latest dialog messages the console saw, oldest first (not durable: since the console started). */
  readonly recent: readonly RecentMessage[];
}

/** One profile, as `GET /api/profiles` lists it. */
export interface ProfileView {
  readonly id: number;
  readonly name: string;
  readonly mode: ApiMode;
  /** The profile's own policy, or null when it uses the hub's. */
  readonly policy: ApiPolicy | null;
  /** The policy in force: the profile's, else the hub's. */
  readonly effectivePolicy: ApiPolicy;
  readonly enabledClient: number | null;
  readonly clientCount: number;
  readonly online: number;
}

/** `GET /api/stats`. */
export interface HubStats {
  readonly now: number;
  readonly journalSeq: number;
  readonly hubPolicy: ApiPolicy;
  readonly profiles: number;
  readonly clients: { readonly total: number } & Readonly<Record<ApiStatus, number>>;
  readonly online: number;
  /** Unacknowledged hub→client messages over all clients. */
  readonly outboxDepth: number;
  /** Since the console started: dialog messages received from clients and written to them (resends included). */
  readonly messagesReceived: number;
  readonly messagesWritten: number;
}

/** One entry of the live feed (`GET /api/events`, server-sent events). */
export interface FeedEntry {
  /** Increasing from 1 since the console started; the SSE `id`. */
  readonly id: number;
  /** The hub's time of the event. */
  readonly at: number;
  /** The hub event (`clientOnline`, `takeover`, `statusChanged`, …) as the core notified it. */
  readonly event: { readonly type: string } & Readonly<Record<string, unknown>>;
}

/** A successful action. */
export interface ActionDone {
  readonly ok: true;
  readonly message: string;
  readonly journalSeq: number;
}

/** Any refusal: `error` is machine-readable (the core's reason for a refused action). */
export interface ApiErrorBody {
  readonly error: string;
  readonly message: string;
}
