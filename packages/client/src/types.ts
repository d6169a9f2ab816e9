/**
 * Theory of operation: the machine's data — its context (plain data: no
 * links, no functions, no secrets), the events it accepts and the events it
 * emits to the application. Everything here is a type or a pure constructor.
 */
import type { Answer, CloseReason, DialogMessage } from '@dialoghub/core';
import { EMPTY_CLIENT_DIALOG, type ClientDialog } from './dialog.js';
import type { SendRefusal } from './errors.js';
import type { ClientFrame } from './link.js';
import type { StopReason } from './outcomes.js';
import { resolveSettings, type ClientSettings } from './settings.js';

/**
 * `login`: the run the user started, until its first `ok` — its requests are
 * `login`, which may re-enable a disabled client (the user asked for it).
 * `resume`: the user asked to be re-enabled (`resume` event) — one `resume`
 * request, never retried (docs/protocol.md §5: "never in a loop").
 * `relogon`: automatic re-logins after a loss — their requests are `start`,
 * which never takes a profile over by itself (a disabled client is refused
 * and stops), so a stale engine cannot displace the installation that
 * replaced it.
 */
export type Phase = 'login' | 'resume' | 'relogon';

export interface ClientContext {
  readonly settings: ClientSettings;
  readonly phase: Phase;
  /** Retries in a row: the backoff exponent. Reset only after `minUptimeMs` online. */
  readonly attempt: number;
  /** The current link's key in the link table `bindTransport` keeps, or null. */
  readonly linkId: number | null;
  /** The client id of the current credentials, once known. */
  readonly clientId: number | null;
  /** The last request id used; the answer must repeat it. */
  readonly requestId: number;
  /** The kind of the request awaiting its answer (`sync`: sent while online, after hub silence). */
  readonly pending: 'login' | 'start' | 'resume' | 'sync' | 'register' | null;
  /** The pending registration's id was drawn by the engine. */
  readonly drawnId: boolean;
  /** `invalidId` answers in a row. */
  readonly idDraws: number;
  readonly dialog: ClientDialog;
  readonly stopReason: StopReason | null;
  /** What ended the last attempt or link, for diagnostics. */
  readonly lastFailure: string | null;
}

/** Machine input: settings (defaults fill the rest). */
export type ClientInput = Partial<ClientSettings> | undefined;

export function initialContext(input: ClientInput): ClientContext {
  return {
    settings: resolveSettings(input ?? {}),
    phase: 'login',
    attempt: 0,
    linkId: null,
    clientId: null,
    requestId: 0,
    pending: null,
    drawnId: false,
    idDraws: 0,
    dialog: EMPTY_CLIENT_DIALOG,
    stopReason: null,
    lastFailure: null,
  };
}

/** Events the machine accepts: the user's commands, and the facts the link actor reports. */
export type ClientEvent =
  /** Begin (from `disconnected`) or begin again (from `stopped`). */
  | { readonly type: 'start' }
  /** Stop for good (`closedByUser`); online, a `close` is sent to the hub first. */
  | { readonly type: 'stop' }
  /**
   * The user asks to be re-enabled (from `disconnected` or `stopped`, e.g.
   * after `disabled` or `replaced`): one `resume` request on a new link,
   * reported by a `resume` event; never retried. Ignored while running.
   */
  | { readonly type: 'resume' }
  /** Queue an application message; `ref` is echoed in `acknowledged` / `sendRefused`. */
  | { readonly type: 'send'; readonly appType: string; readonly payload: Uint8Array; readonly replyTo?: number; readonly ref?: number }
  /** The hub answered a request on the current link. */
  | { readonly type: 'answerReceived'; readonly requestId: number; readonly answer: Answer }
  /** The hub sent dialog messages on the current link. */
  | { readonly type: 'messagesReceived'; readonly messages: readonly DialogMessage[] }
  /** The hub is closing the current link, and says why. */
  | { readonly type: 'closeReceived'; readonly reason: CloseReason; readonly reconnect: boolean }
  /** The current link ended without a reason from the hub. */
  | { readonly type: 'linkLost'; readonly cause: string };

/** What the link actor accepts from the machine. */
export type LinkCommand = { readonly type: 'transmit'; readonly frames: readonly ClientFrame[] };

/** Events the engine emits to the application (`actor.on(type, …)`, or the facade's `on`). */
export type ClientEmitted =
  /** The hub answered `ok`: the engine is online; `relogon` after an automatic re-login. */
  | { readonly type: 'online'; readonly clientId: number; readonly relogon: boolean }
  /** The link was lost while online, for a reason that allows reconnecting: a re-login follows. */
  | { readonly type: 'offline'; readonly cause: string }
  /** The engine stopped for good and will not reconnect by itself. */
  | { readonly type: 'stopped'; readonly reason: StopReason }
  /**
   * After every automatic re-login attempt (ESFramework's `RelogonCompleted`):
   * `ok`, `alreadyOnline` (refused: the same client is online elsewhere), or
   * `failed` with the reason (a refusal, or the transport).
   */
  | { readonly type: 'relogon'; readonly result: 'ok' | 'failed' | 'alreadyOnline'; readonly reason: string | null }
  /**
   * The user's `resume` was answered, or failed, as `relogon` reports a
   * re-login: `ok` (online: the hub's policy re-enabled the client),
   * `alreadyOnline`, or `failed` with the reason (a refusal such as
   * `profileInUse` or `seniority`, or the transport). Not `ok`, the engine
   * stops (the refusal's reason, or `resumeFailed`).
   */
  | { readonly type: 'resume'; readonly result: 'ok' | 'failed' | 'alreadyOnline'; readonly reason: string | null }
  /** An attempt (first login or re-login) failed; `attempt` is the retry counter before the backoff. */
  | { readonly type: 'attemptFailed'; readonly attempt: number; readonly reason: string }
  /** An application message from the hub: once, in order. */
  | { readonly type: 'message'; readonly seq: number; readonly appType: string; readonly payload: Uint8Array; readonly replyTo: number }
  /** A registration was granted and the issued secret handed to `onRegistered`. */
  | { readonly type: 'registered'; readonly clientId: number }
  /** The hub acknowledged client messages up to `upTo`; `refs` are the `send` refs among them. */
  | { readonly type: 'acknowledged'; readonly refs: readonly number[]; readonly upTo: number }
  /** A `send` was not queued. */
  | { readonly type: 'sendRefused'; readonly ref: number; readonly reason: SendRefusal }
  /** The hub refused a client message (it was consumed, and acknowledged): e.g. `unknownAppType`. */
  | { readonly type: 'hubRefused'; readonly replyTo: number; readonly reason: string }
  /**
   * The hub counts `lastReceived` messages from this client id, more than this
   * engine ever sent under it (`outSeq`): another engine used the id (the same
   * credentials in two processes). Nothing was taken as acknowledged on that
   * count; the pending messages are resent after it. The application decides
   * whether to stop one of the two.
   */
  | { readonly type: 'idConflict'; readonly clientId: number; readonly outSeq: number; readonly lastReceived: number };

export type ClientEmittedType = ClientEmitted['type'];
