/**
 * Theory of operation: the transport lost or closed a link. If it carried a
 * session, the client goes offline with its status unchanged and its dialog
 * kept (it can resume without loss: docs/protocol.md §7). Nobody is told on
 * the link: it is gone. A link without a session is nothing to the hub.
 */
import type { TransportInput } from '../inputs.js';
import type { Tx } from '../tx.js';

export function connectionClosed(tx: Tx, input: Extract<TransportInput, { type: 'connectionClosed' }>): void {
  const session = tx.sessions.get(input.link);
  if (session === undefined) return;
  tx.log('info', 'connectionLost', session.clientId, { link: input.link, cause: input.cause });
  tx.endSession(session, 'connectionLost');
}
