/**
 * Theory of operation: the hub's whole state, one immutable value.
 *
 * Tables are persistent maps (IntMap) so a step copies only what it changes:
 * - `profiles` and `clients` are the durable registry;
 * - `sessions` (by link) and `online` (client → link) describe who is online;
 * - `deadlines` orders sessions by their next liveness deadline.
 * `online` and `deadlines` are indexes derivable from `sessions`; a snapshot
 * leaves them out and rebuilds them.
 */
import { IntMap } from './collections/int-map.js';
import { resolveConfig, type HubConfig, type ResolvedConfig } from './config.js';
import { emptyDeadlines, type DeadlineIndex } from './deadlines.js';
import type { ClientId, LinkId, Millis } from './ids.js';
import type { Client, Profile, Session } from './model.js';

export interface HubState {
  readonly config: ResolvedConfig;
  /** The latest `now` the core was given (time never goes backwards). */
  readonly now: Millis;
  /** Next id for a command whose outcome the shell may report. */
  readonly nextCommandId: number;
  /** Last registration sequence number handed out (seniority, B24). */
  readonly regSeq: number;
  readonly profiles: IntMap<Profile>;
  readonly clients: IntMap<Client>;
  /** Online sessions by link. */
  readonly sessions: IntMap<Session>;
  /** Index: online client → its link. */
  readonly online: IntMap<LinkId>;
  /** Index: sessions ordered by their next deadline. */
  readonly deadlines: DeadlineIndex;
  /** The earliest key in `deadlines` (cached so a step need not walk the tree), or null. */
  readonly nextDue: Millis | null;
}

/**
 * A hub with no profiles and no clients. Call once when a hub is created for
 * the first time; a restarting hub restores a snapshot and replays its journal
 * instead. Throws `HubUsageError('invalidConfig')` on a bad config.
 *
 * @param now the creation time; the core's clock starts there.
 */
export function initialState(config: HubConfig = {}, now: number = 0): HubState {
  return Object.freeze({
    config: resolveConfig(config),
    now: now as Millis,
    nextCommandId: 1,
    regSeq: 0,
    profiles: IntMap.empty<Profile>(),
    clients: IntMap.empty<Client>(),
    sessions: IntMap.empty<Session>(),
    online: IntMap.empty<LinkId>(),
    deadlines: emptyDeadlines(),
    nextDue: null,
  });
}

/** The client's dialog wherever it lives (the session while online, the client record otherwise). */
export function clientDialogOf(state: Pick<HubState, 'online' | 'sessions'>, client: Client) {
  if (client.dialog !== null) return client.dialog;
  const link = state.online.get(client.id as ClientId);
  const session = link === undefined ? undefined : state.sessions.get(link);
  return session?.dialog ?? null;
}
