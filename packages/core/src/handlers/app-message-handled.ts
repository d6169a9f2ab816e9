/**
 * Theory of operation: the embedding application confirms it handled an
 * application message the core handed it (`deliver`). Until then the message
 * stays in the client's `unconfirmed` list, which is durable: after a crash the
 * shell hands every unconfirmed message over again (see `pendingDeliveries`),
 * with the same `(clientId, seq)` so the application can recognise a repeat.
 * Confirmations may come in any order.
 */
import type { ApplicationInput } from '../inputs.js';
import { makeDialog, withDialog } from '../model.js';
import type { Tx } from '../tx.js';

export function appMessageHandled(tx: Tx, input: Extract<ApplicationInput, { type: 'appMessageHandled' }>): void {
  const client = tx.client(input.clientId);
  const session = client === undefined ? undefined : tx.sessionOfClient(client.id);
  const dialog = session?.dialog ?? client?.dialog ?? null;
  const index = dialog === null ? -1 : dialog.unconfirmed.findIndex((d) => d.seq === input.seq);
  if (dialog === null || index < 0) {
    tx.log('warn', 'unknownDelivery', client?.id ?? null, { clientId: input.clientId, seq: input.seq });
    return;
  }
  const unconfirmed = [...dialog.unconfirmed.slice(0, index), ...dialog.unconfirmed.slice(index + 1)];
  const d = dialog;
  const next = makeDialog(d.inSeq, d.outSeq, d.outAcked, d.outbox, d.messagesIn, d.messagesOut, d.lastSeen, unconfirmed);
  if (session !== undefined) tx.putSession(withDialog(session, next));
  else tx.putClient({ ...client!, dialog: next });
}
