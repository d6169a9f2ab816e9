/**
 * Theory of operation: what the engine does after each thing the hub can say
 * to end or refuse an attempt — the literal tables docs/client.md prints.
 *
 * - A close frame's reason decides through the core's `CLOSE_REASON_RECONNECT`
 *   (docs/protocol.md §5.4): a reason that may not reconnect is terminal. The
 *   engine also honours the frame's own `reconnect` flag, so it reconnects
 *   only when both say yes.
 * - A `rejected` answer decides through `REFUSAL_OUTCOME` below.
 * - The other answers to a login or a registration are fixed: `ok` goes
 *   online; `invalidId` draws another id (registrations only); `invalidProfile`
 *   and `reset` are terminal.
 *
 * Terminal means: the engine stops and never reconnects by itself (no
 * push-out/reconnect ping-pong, ESFramework's rule); the application may
 * start it again.
 */
import { CLOSE_REASON_RECONNECT, type Answer, type CloseReason, type RejectReason } from '@dialoghub/core';

/** Retry this refusal after a backoff on a new link, or stop for good. */
export type RefusalOutcome = 'retry' | 'stop';

/**
 * Literal table: the engine's answer to each `rejected` reason.
 *
 * Only `linkBusy` is retried: it is about the link (it already carries another
 * client's session), not about this client, and the hub leaves the link open —
 * a new link cures it. Every other refusal is about the client or its profile,
 * and asking again would either fail the same way or fight another
 * installation: `alreadyOnline` (the same client is online elsewhere and the
 * policy keeps it: ESFramework's `HadLoggedOn`), `profileInUse` and
 * `seniority` (another client of the profile keeps it), `profileManual` (only
 * the operator changes a manual profile), `badCredentials` and `denied`
 * (wrong or refused identity: retrying only repeats the failure; the
 * credentials callback is asked again when the application restarts the
 * engine), `disabled` and `banned` (the status needs the operator, or a
 * deliberate `login` by the user).
 */
export const REFUSAL_OUTCOME: Readonly<Record<RejectReason, RefusalOutcome>> = Object.freeze({
  badCredentials: 'stop',
  disabled: 'stop',
  banned: 'stop',
  profileManual: 'stop',
  profileInUse: 'stop',
  alreadyOnline: 'stop',
  seniority: 'stop',
  linkBusy: 'retry',
  denied: 'stop',
});

/**
 * Why the engine stopped for good:
 * - a close reason the hub gave with `reconnect` false (`pushedOut`,
 *   `replaced`, `banned`, `disabled`, `reset`, `kicked`, `heartbeatTimeout`,
 *   `alreadyOnline`, `refused`, …);
 * - a refusal of the login that `REFUSAL_OUTCOME` says to stop on
 *   (`badCredentials`, `denied`, `profileInUse`, …);
 * - `invalidId` (a registration's id was taken `maxIdDraws` times, or the
 *   application fixed it), `invalidProfile` (no such profile);
 * - `heartbeatTimeout` also when the engine itself found the hub silent;
 * - `closedByUser` (`stop` / `close()`), `gaveUp` (`maxRetries` reached),
 *   `credentialsNotSaved` (the `onRegistered` callback failed: the issued
 *   secret would be lost);
 * - `resumeFailed`: the user's `resume` did not get an answer (a transport
 *   failure, a timeout, a refusal that is otherwise retried): a resume is
 *   tried once, never in a loop (docs/protocol.md §5).
 */
export type StopReason =
  | CloseReason
  | Exclude<RejectReason, 'linkBusy'>
  | 'invalidId'
  | 'invalidProfile'
  | 'closedByUser'
  | 'gaveUp'
  | 'credentialsNotSaved'
  | 'resumeFailed';

/** True when a close frame (or a link end with a reason) must stop the engine. */
export function closeIsTerminal(reason: CloseReason, reconnect: boolean): boolean {
  const mayReconnect = (CLOSE_REASON_RECONNECT as Readonly<Record<string, boolean | undefined>>)[reason] ?? false;
  return !(reconnect && mayReconnect);
}

/** What an answer to the engine's request (login, start, resume, sync or registration) leads to. */
export type AnswerOutcome =
  | { readonly type: 'online'; readonly secret: string | null }
  | { readonly type: 'drawAgain' }
  | { readonly type: 'retry'; readonly reason: string }
  | { readonly type: 'stop'; readonly reason: StopReason }
  | { readonly type: 'ignore' };

/**
 * Literal mapping from an answer to the outcome. `registeredWithDrawnId` says
 * whether the pending request is a registration whose id the engine drew (so
 * `invalidId` may draw again), `drawsLeft` whether it may draw once more.
 */
export function answerOutcome(answer: Answer, registeredWithDrawnId: boolean, drawsLeft: boolean): AnswerOutcome {
  switch (answer.code) {
    case 'ok':
      return { type: 'online', secret: answer.secret };
    case 'rejected':
      return REFUSAL_OUTCOME[answer.reason] === 'retry'
        ? { type: 'retry', reason: answer.reason }
        : { type: 'stop', reason: answer.reason as Exclude<RejectReason, 'linkBusy'> };
    case 'invalidId':
      return registeredWithDrawnId && drawsLeft ? { type: 'drawAgain' } : { type: 'stop', reason: 'invalidId' };
    case 'invalidProfile':
      return { type: 'stop', reason: 'invalidProfile' };
    case 'reset':
      return { type: 'stop', reason: 'reset' };
    case 'profiles':
      return { type: 'ignore' };
    default: {
      const never: never = answer;
      return never;
    }
  }
}
