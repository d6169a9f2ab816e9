/**
 * Theory of operation: the re-login policy table (docs/protocol.md §5), as a
 * literal table the core consults and the docs print. Two conflicts:
 *
 * - `sameClient`: a client id that is online asks for a second live link;
 * - `otherOnline` / `otherOffline`: another client of the profile is enabled
 *   (online or not) while this one asks to become the enabled one — by
 *   registering (`register`) or by asking to be re-enabled (`resume`, and a
 *   `login` of a disabled client).
 *
 * `manual` profiles are checked before this table: they refuse every
 * automatic status change.
 */
import type { Policy } from './model.js';

export type SameClientAction =
  /** Old link told `pushedOut` and closed; the session moves to the new link. */
  | 'pushOutOld'
  /** New link told `alreadyOnline` and closed. */
  | 'refuseNew';

export type OtherClientAction =
  /** New one enabled; old one disabled, told `replaced`, closed. */
  | 'replaceOld'
  /** New one refused with `profileInUse`. */
  | 'refuseNew'
  /** New one enabled; old (offline) one disabled. */
  | 'disableOld'
  /** The older registration wins: if the requester is older, the other is banned; otherwise refused with `seniority`. */
  | 'olderWins';

export type ClaimKind = 'register' | 'resume';

export const SAME_CLIENT: Readonly<Record<Policy, SameClientAction>> = {
  replaceOld: 'pushOutOld',
  ignoreNew: 'refuseNew',
  seniority: 'refuseNew',
};

export const OTHER_CLIENT: Readonly<Record<'otherOnline' | 'otherOffline', Readonly<Record<ClaimKind, Readonly<Record<Policy, OtherClientAction>>>>>> = {
  otherOnline: {
    register: { replaceOld: 'replaceOld', ignoreNew: 'refuseNew', seniority: 'refuseNew' },
    resume: { replaceOld: 'replaceOld', ignoreNew: 'refuseNew', seniority: 'olderWins' },
  },
  otherOffline: {
    register: { replaceOld: 'disableOld', ignoreNew: 'disableOld', seniority: 'disableOld' },
    resume: { replaceOld: 'disableOld', ignoreNew: 'disableOld', seniority: 'olderWins' },
  },
};
