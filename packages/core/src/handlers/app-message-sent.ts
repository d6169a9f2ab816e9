/**
 * Theory of operation: the embedding application sends a message to a client
 * (or to a profile's enabled client). It gets the same guarantees as protocol
 * messages: the hub's next sequence number, a place in the outbox until
 * acknowledged, resends after a resume. An enabled client that is offline gets
 * it when it comes back (store and forward); a client that is not enabled gets
 * nothing, and the application is told why (`actionResult`).
 */
import { isU32, type ClientId } from '../ids.js';
import type { ApplicationInput } from '../inputs.js';
import { withDialog } from '../model.js';
import type { Tx } from '../tx.js';

type AppMessageInput = Extract<ApplicationInput, { type: 'appMessageSent' }>;

export function appMessageSent(tx: Tx, input: AppMessageInput): void {
  if (!tx.config.appMessageTypes.includes(input.appType)) {
    fail(tx, input, 'unknownAppType', `application message type ${JSON.stringify(input.appType)} is not registered`);
    return;
  }
  if (!(input.payload instanceof Uint8Array) || input.payload.length > tx.config.limits.maxPayloadBytes) {
    fail(tx, input, 'payloadTooLarge', `payload must be a Uint8Array of at most ${tx.config.limits.maxPayloadBytes} bytes`);
    return;
  }
  if (!isU32(input.replyTo)) {
    fail(tx, input, 'invalidReplyTo', 'replyTo must be an integer in [0, 2^32): a message sequence number, or 0 for a push');
    return;
  }
  let clientId: ClientId;
  if ('clientId' in input.to) {
    clientId = input.to.clientId;
  } else {
    const profile = tx.profile(input.to.profileId);
    if (profile === undefined) {
      fail(tx, input, 'unknownProfile', `profile ${input.to.profileId} does not exist`);
      return;
    }
    if (profile.enabledClient === null) {
      fail(tx, input, 'noEnabledClient', `profile ${profile.id} has no enabled client`);
      return;
    }
    clientId = profile.enabledClient;
  }
  const client = tx.client(clientId);
  if (client === undefined) {
    fail(tx, input, 'unknownClient', `client ${clientId} does not exist`);
    return;
  }
  if (client.status !== 'enabled') {
    fail(tx, input, 'notEnabled', `client ${clientId} is ${client.status}`);
    return;
  }
  const body = { type: 'app', appType: input.appType, payload: input.payload, replyTo: input.replyTo } as const;
  const session = tx.sessionOfClient(clientId);
  const dialog = session?.dialog ?? client.dialog!;
  const queued = tx.enqueue(dialog, body);
  if (queued === undefined) {
    fail(tx, input, 'outboxFull', `client ${clientId} has ${dialog.outbox.length} unacknowledged messages`);
    return;
  }
  if (session !== undefined) {
    const next = withDialog(session, queued.dialog);
    tx.putSession(next);
    tx.write(next, [queued.message]);
  } else {
    tx.putClient({ ...client, dialog: queued.dialog });
  }
  tx.actionResult(input.actionId, true, null, `queued as message ${queued.message.seq} for client ${clientId}`);
}

/** Tells the application no (a module function rather than a closure: this handler runs for every push). */
function fail(tx: Tx, input: AppMessageInput, reason: string, message: string): void {
  tx.actionResult(input.actionId, false, reason, message);
}
