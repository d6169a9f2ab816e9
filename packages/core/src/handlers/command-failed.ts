/**
 * Theory of operation: a command could not be carried out (docs/protocol.md §8).
 *
 * The core already owns everything a retry needs: unacknowledged messages stay
 * in the outbox until acknowledged. So a failed `writeDialog` only brings the
 * session's next Sync forward to `now + retryAfterMs`; that Sync resends the
 * outbox. A failed `reply` is left to the client, which repeats its request
 * (requests are idempotent); a failed `close` needs nothing more (the session
 * already ended). Every failure is logged.
 */
import type { Millis } from '../ids.js';
import type { TransportInput } from '../inputs.js';
import type { Tx } from '../tx.js';

export function commandFailed(tx: Tx, input: Extract<TransportInput, { type: 'commandFailed' }>): void {
  const session = tx.sessions.get(input.link);
  tx.log('warn', 'commandFailed', session?.clientId ?? null, {
    commandId: input.commandId,
    command: input.command,
    link: input.link,
    reason: input.reason,
  });
  if (input.command !== 'writeDialog' || session === undefined) return;
  const retryAt = (tx.now + tx.config.retryAfterMs) as Millis;
  if (session.syncAt <= retryAt) return;
  tx.putSession(tx.refile({ ...session, syncAt: retryAt }, retryAt));
}
