/**
 * Theory of operation: one log line per hub event (docs/cli.md §serve). The
 * core decides everything — who registered, who was pushed out and why —
 * and says so in its `notify` events; this module only words them. Each
 * line carries the event's fields for machines (`event`, `clientId`,
 * `reason`…) and a sentence for people (`msg`).
 *
 * A lost connection's cause (`peerClosed`, `error: ECONNRESET`,
 * `hubRestarted`) is not in the `clientOffline` event; the core's
 * `connectionLost` log, which comes just before it in the same step, has it,
 * so `HubEventLog` keeps it for the offline line.
 */
import type { HubEvent, Policy, ProfileId } from '@dialoghub/core';
import type { LogCommand } from '@dialoghub/runtime';

export interface EventLine {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
}

export interface EventContext {
  /** The policy that governs a profile (its own, else the hub's). */
  policyOf(profileId: ProfileId): Policy;
  /** The transport's cause of a lost connection, when known. */
  readonly cause?: string;
}

/** The line for one hub event. */
export function eventLine(e: HubEvent, ctx: EventContext): EventLine {
  switch (e.type) {
    case 'clientRegistered':
      return { level: 'info', msg: `client ${e.clientId} registered in profile ${e.profileId}`, fields: { event: 'registered', clientId: e.clientId, profileId: e.profileId } };
    case 'clientOnline':
      return { level: 'info', msg: `client ${e.clientId} online (${e.via}, link ${e.link})`, fields: { event: 'online', clientId: e.clientId, link: e.link, via: e.via } };
    case 'clientOffline': {
      const why = e.reason === 'connectionLost' && ctx.cause !== undefined ? `connectionLost (${ctx.cause})` : e.reason;
      return {
        level: 'info',
        msg: `client ${e.clientId} offline: ${why}`,
        fields: { event: 'offline', clientId: e.clientId, link: e.link, reason: e.reason, ...(ctx.cause !== undefined ? { cause: ctx.cause } : {}) },
      };
    }
    case 'takeover': {
      const policy = ctx.policyOf(e.profileId);
      const fields = { event: 'takeover', conflict: e.conflict, profileId: e.profileId, winner: e.winner, loser: e.loser, reason: e.reason, policy };
      return { level: 'info', msg: takeoverText(e, policy), fields };
    }
    case 'statusChanged':
      return { level: 'info', msg: `client ${e.clientId} ${e.from} → ${e.to} (${e.cause})`, fields: { event: 'status', clientId: e.clientId, from: e.from, to: e.to, cause: e.cause } };
    case 'profileChanged':
      return {
        level: 'info',
        msg: `profile ${e.profileId} ${e.change} (mode ${e.mode}, policy ${e.policy ?? 'the hub’s'})`,
        fields: { event: 'profile', profileId: e.profileId, change: e.change, mode: e.mode, policy: e.policy },
      };
    case 'requestRejected':
      return { level: 'info', msg: `client ${e.clientId} ${e.request} refused: ${e.reason}`, fields: { event: 'rejected', clientId: e.clientId, request: e.request, reason: e.reason } };
    case 'clientDeleted':
      return { level: 'info', msg: `client ${e.clientId} deleted`, fields: { event: 'deleted', clientId: e.clientId } };
    default: {
      const never: never = e;
      return { level: 'warn', msg: `unknown hub event ${JSON.stringify(never)}`, fields: { event: 'unknown' } };
    }
  }
}

function takeoverText(e: Extract<HubEvent, { type: 'takeover' }>, policy: Policy): string {
  if (e.conflict === 'sameClient') return `client ${e.loser} pushed out by its own new connection (${e.reason}, policy ${policy})`;
  switch (e.reason) {
    case 'replaced':
      return `client ${e.loser} replaced by client ${e.winner} in profile ${e.profileId} (policy ${policy})`;
    case 'disabled':
      return `client ${e.loser} disabled: client ${e.winner} took profile ${e.profileId} while it was offline (policy ${policy})`;
    case 'banned':
      return `client ${e.loser} banned: the older registration ${e.winner} won profile ${e.profileId} (policy ${policy})`;
    default:
      return `client ${e.loser} lost profile ${e.profileId} to client ${e.winner}: ${e.reason} (policy ${policy})`;
  }
}

/** Remembers the cause of each lost connection until its offline line is written. */
export class LostCauses {
  private readonly causes = new Map<number, string>();

  /** Sees every core log command. */
  noteLog(entry: LogCommand): void {
    if (entry.event === 'connectionLost' && entry.clientId !== null && typeof entry.detail['cause'] === 'string') this.causes.set(entry.clientId, entry.detail['cause']);
  }

  /** The cause for the client's offline event, forgotten once taken. */
  take(clientId: number): string | undefined {
    const cause = this.causes.get(clientId);
    this.causes.delete(clientId);
    return cause;
  }
}
