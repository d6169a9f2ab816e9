/**
 * Theory of operation: the dialog channel, client→hub (docs/protocol.md §6;
 * the seed's ProcessDialog and its message processors, hub-protocol.md §8.5).
 *
 * Messages are handled one at a time, in sequence order, exactly once:
 * - every message's piggybacked `ack` trims the hub's outbox;
 * - `seq ≤ inSeq` is a duplicate and is dropped; `seq > inSeq + 1` is a gap
 *   and is dropped too (the client resends from the hub's ack);
 * - `inSeq` advances per message *after* it is handled (B7), and no handler
 *   touches the hub→client counter except by queueing its own answer with the
 *   hub's next sequence number (B1);
 * - counters count messages, not id gaps (B5).
 * Answers go out in one `writeDialog`; with nothing to answer, a bare ack —
 * unless every sequenced message of the batch was a Null answering a Sync
 * (`replyTo` > 0), handled in order: its acknowledgement rides on the hub's
 * next message (a bare ack would cost a mailbox a file each way per Sync).
 * A keep-alive Null (`replyTo` 0) is a question and gets its bare ack.
 * Anything the client heard from counts as liveness.
 */
import type { TransportInput } from '../inputs.js';
import { CLIENT_MESSAGE_TYPES, type DialogMessage, type MessageBody } from '../messages.js';
import type { ClientId } from '../ids.js';
import { makeDialog, type DialogState, type OutboundMessage } from '../model.js';
import type { Tx } from '../tx.js';
import { messageProblem } from '../validate.js';

type MessagesInput = Extract<TransportInput, { type: 'messagesReceived' }>;

export function messagesReceived(tx: Tx, input: MessagesInput): void {
  const { link } = input;
  if (tx.isClosing(link)) {
    tx.log('info', 'messagesOnClosedLink', null, { link, count: input.messages.length });
    return;
  }
  let session = tx.sessions.get(link);
  if (session === undefined) {
    // Late frames from a link that was closed or never logged in.
    tx.log('warn', 'messagesWithoutSession', null, { link, count: input.messages.length });
    tx.closeLink(link, null, 'notLoggedIn');
    return;
  }
  const clientId = session.clientId;
  const limits = tx.config.limits;
  let messages = input.messages;
  if (messages.length > limits.maxBatch) {
    tx.log('warn', 'batchTooLarge', clientId, { count: messages.length, kept: limits.maxBatch });
    messages = messages.slice(0, limits.maxBatch);
  }
  // The session is rebuilt once, at the end: the loop works on its dialog alone.
  const heard = tx.heardDialog(session);
  let dialog = heard;
  const answers: OutboundMessage[] = [];
  let duplicates = 0;
  let gaps = 0;
  /** Sequenced messages looked at. */
  let taken = 0;
  /** Reasons to acknowledge now: a sequenced message other than an in-order answer to a Sync, a dropped rest of the batch. */
  let wantAck = messages.length < input.messages.length ? 1 : 0;
  let closed = false;
  for (const m of messages) {
    const problem = messageProblem(m, limits);
    if (problem !== null) {
      // The rest of the batch is dropped with it; the client resends from the hub's ack.
      tx.log('warn', 'malformedMessage', clientId, { problem, seq: typeof m?.seq === 'number' ? m.seq : -1 });
      // Tell the client where the hub stands if anything of the batch was taken.
      if (taken > 0) wantAck++;
      break;
    }
    dialog = tx.applyAck(dialog, m.ack, clientId);
    if (m.seq === 0) continue;
    taken++;
    if (m.seq <= dialog.inSeq) {
      wantAck++;
      duplicates++;
      continue;
    }
    if (m.seq > dialog.inSeq + 1) {
      wantAck++;
      gaps++;
      continue;
    }
    // A Null that answers a Sync is acknowledged by the hub's next message; a keep-alive (replyTo 0) now.
    if (m.body.type !== 'null' || m.body.replyTo === 0) wantAck++;
    const result = handle(tx, clientId, dialog, m, answers);
    dialog = result.dialog;
    if (result.stop) break;
    if (result.closed) {
      closed = true;
      break;
    }
  }
  if (duplicates > 0) tx.log('debug', 'duplicatesDropped', clientId, { count: duplicates });
  if (gaps > 0) tx.log('info', 'gapDropped', clientId, { count: gaps, expected: dialog.inSeq + 1 });
  session = tx.heard(session, heard === session.dialog && dialog === heard ? null : dialog);
  if (closed) {
    tx.putSession(session);
    tx.endSession(session, 'closedByClient');
    return;
  }
  tx.putSession(session);
  if (answers.length > 0) tx.write(session, answers);
  else if (wantAck > 0) tx.writeAck(session);
}

interface Handled {
  readonly dialog: DialogState;
  readonly closed: boolean;
  /** The message was left unhandled; so are the ones after it. */
  readonly stop: boolean;
}

/** The dialog after message `seq` was handled: `inSeq` and the counter advance together, once (B5, B7). */
function handled(d: DialogState, seq: number, unconfirmed: DialogState['unconfirmed'] = d.unconfirmed): DialogState {
  return makeDialog(seq, d.outSeq, d.outAcked, d.outbox, d.messagesIn + 1, d.messagesOut, d.lastSeen, unconfirmed);
}

/** Queues an answer in the hub's own sequence space (never the client's: B1); dropped and logged when the outbox is full. */
function answer(tx: Tx, clientId: ClientId, d: DialogState, body: MessageBody, replyTo: number, answers: OutboundMessage[]): DialogState {
  const queued = tx.enqueue(d, body);
  if (queued === undefined) {
    tx.log('warn', 'outboxFull', clientId, { outbox: d.outbox.length, dropped: body.type, replyTo });
    return d;
  }
  answers.push(queued.message);
  return queued.dialog;
}

const CONTINUE = (dialog: DialogState): Handled => ({ dialog, closed: false, stop: false });

/** Handles one in-order message. */
function handle(tx: Tx, clientId: ClientId, dialog: DialogState, m: DialogMessage, answers: OutboundMessage[]): Handled {
  const body = m.body;
  if (!CLIENT_MESSAGE_TYPES.has(body.type)) {
    tx.log('warn', 'unexpectedMessage', clientId, { type: body.type, seq: m.seq });
    return CONTINUE(handled(dialog, m.seq));
  }
  switch (body.type) {
    case 'null':
      return CONTINUE(handled(dialog, m.seq));
    case 'log':
      tx.log(body.isError ? 'warn' : 'info', 'clientLog', clientId, { text: body.text, clientTime: body.at, seq: m.seq });
      return CONTINUE(handled(dialog, m.seq));
    case 'close':
      tx.log('info', 'clientClosed', clientId, { seq: m.seq });
      return { dialog: handled(dialog, m.seq), closed: true, stop: false };
    case 'setInfo': {
      const client = tx.client(clientId)!;
      // The payload may not move the client to another id or profile (B3).
      if ((body.clientId !== undefined && body.clientId !== client.id) || (body.profileId !== undefined && body.profileId !== client.profileId)) {
        tx.log('warn', 'setInfoIdMismatch', clientId, { seq: m.seq, claimedClient: body.clientId ?? null, claimedProfile: body.profileId ?? null });
        return CONTINUE(answer(tx, clientId, handled(dialog, m.seq), { type: 'refused', replyTo: m.seq, reason: 'idMismatch' }, m.seq, answers));
      }
      // Contact fields only: id, profile and registration time stay (B2).
      tx.putClient({ ...client, contact: body.contact });
      return CONTINUE(answer(tx, clientId, handled(dialog, m.seq), { type: 'ok', replyTo: m.seq }, m.seq, answers));
    }
    case 'app': {
      if (!tx.config.appMessageTypes.includes(body.appType)) {
        tx.log('warn', 'unknownAppType', clientId, { appType: body.appType, seq: m.seq });
        return CONTINUE(answer(tx, clientId, handled(dialog, m.seq), { type: 'refused', replyTo: m.seq, reason: 'unknownAppType' }, m.seq, answers));
      }
      if (dialog.unconfirmed.length >= tx.config.maxUnconfirmed) {
        // The application is behind: leave the message unhandled (not acknowledged); the client resends it.
        tx.log('warn', 'applicationBacklog', clientId, { seq: m.seq, unconfirmed: dialog.unconfirmed.length });
        return { dialog, closed: false, stop: true };
      }
      const pending = { seq: m.seq, appType: body.appType, payload: body.payload, replyTo: body.replyTo };
      tx.emit({ type: 'deliver', clientId, seq: m.seq, appType: body.appType, payload: body.payload, replyTo: body.replyTo });
      return CONTINUE(handled(dialog, m.seq, [...dialog.unconfirmed, pending]));
    }
    default:
      tx.log('warn', 'unexpectedMessage', clientId, { type: body.type, seq: m.seq });
      return CONTINUE(handled(dialog, m.seq));
  }
}
