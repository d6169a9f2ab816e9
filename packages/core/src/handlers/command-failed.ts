/**
 * Theory of operation: a command could not be carried out (docs/protocol.md §8).
 *
 * The core already owns everything a retry needs: unacknowledged messages stay
 * in the outbox until acknowledged. So a failed `writeDialog` only schedules a
 * resend of the outbox at `now + retryAfterMs` (`Session.resendAt`, which the
 * client's own activity does not move). A failed `reply` is left to the client, which repeats its request
 * (requests are idempotent); a failed `close` needs nothing more (the session
 * already ended). Every failure is logged: at `warn`, except a failed `close`,
 * at `info` — it is the usual end of a goodbye (the client's Close and the end
 * of its link arrive together, so the link is gone when the hub's `close`
 * runs), not a problem to look into.
 */
import type { Millis } from '../ids.js';
import type { TransportInput } from '../inputs.js';
import { makeSession } from '../model.js';
import type { Tx } from '../tx.js';

export function commandFailed(tx: Tx, input: Extract<TransportInput, { type: 'commandFailed' }>): void {
  const session = tx.sessions.get(input.link);
  tx.log(input.command === 'close' ? 'info' : 'warn', 'commandFailed', session?.clientId ?? null, {
    commandId: input.commandId,
    command: input.command,
    link: input.link,
    reason: input.reason,
  });
  if (input.command !== 'writeDialog' || session === undefined) return;
  const retryAt = (tx.now + tx.config.retryAfterMs) as Millis;
  if (session.resendAt !== null && session.resendAt <= retryAt) return;
  const s = session;
  tx.putSession(tx.refile(makeSession(s.link, s.clientId, s.since, s.lastHeard, s.syncAt, s.deadAt, retryAt, s.indexedAt, s.dialog), retryAt));
}
