/**
 * Theory of operation: the client's half of a dialog (docs/protocol.md §6) —
 * two sequence spaces, piggybacked acknowledgements, the unacknowledged
 * buffer and resends — as pure functions over plain data. The machine calls
 * them inside its named actions; nothing here knows about links or timers.
 *
 * Invariants of `ClientDialog`:
 * - `unacked` holds the client→hub messages the hub has not acknowledged, in
 *   `seq` order, all in `(outAcked, outSeq]`; `outSeq` never goes backwards
 *   except through `adoptLogin`, which aligns it with the hub's count.
 * - `inSeq` is the highest hub→client seq handled; hub messages are handled
 *   once, in order: `seq ≤ inSeq` is a duplicate, `seq > inSeq + 1` a gap
 *   (dropped, unacknowledged: the hub resends it with its outbox).
 *
 * Resume (`adoptLogin`): the hub's `ok` says which client messages it handled
 * (`lastReceived`). What follows is unhandled, so the pending messages are
 * renumbered from `lastReceived + 1` and resent. Renumbering changes nothing
 * on a healthy resume (they already follow on) and repairs the two cases
 * where the counters diverge: a `close` that never reached the hub (it takes
 * a seq but is never resent), and a fresh engine — a new process with stored
 * credentials — whose counters start from nothing while the hub's do not.
 * A fresh engine also cannot know where the hub's stream stands, so it takes
 * the first hub message after its login as the start (`awaitingBase`): the
 * hub resends its whole unacknowledged outbox right after the `ok`.
 */
import type { ClientId, DialogMessage, MessageBody } from '@dialoghub/core';

/** A client→hub message waiting for the hub's acknowledgement. `ref` is the caller's tag (`send`), null for the engine's own. */
export interface Outgoing {
  readonly seq: number;
  readonly ref: number | null;
  readonly body: MessageBody;
}

export interface ClientDialog {
  /** Highest client→hub seq assigned. */
  readonly outSeq: number;
  /** Highest client→hub seq the hub acknowledged. */
  readonly outAcked: number;
  /** The unacknowledged client→hub messages, in seq order. */
  readonly unacked: readonly Outgoing[];
  /** Highest hub→client seq handled: the `lastReceived` of the next login. */
  readonly inSeq: number;
  /** A login `ok` has tied these counters to the hub's (for the current client id). */
  readonly synced: boolean;
  /** The next sequenced hub message sets where the hub's stream starts (a fresh engine's first login). */
  readonly awaitingBase: boolean;
}

export const EMPTY_CLIENT_DIALOG: ClientDialog = Object.freeze({
  outSeq: 0,
  outAcked: 0,
  unacked: Object.freeze([]) as readonly Outgoing[],
  inSeq: 0,
  synced: false,
  awaitingBase: false,
});

/** An application message handed to the application. */
export interface Delivery {
  readonly seq: number;
  readonly appType: string;
  readonly payload: Uint8Array;
  readonly replyTo: number;
}

/** The `lastReceived` a login must carry: nothing until the dialog is tied to the hub's. */
export function lastReceivedOf(d: ClientDialog): number {
  return d.synced ? d.inSeq : 0;
}

/** A dialog for another client id: the counters restart, the pending messages stay (renumbered at the next login). */
export function rebase(d: ClientDialog): ClientDialog {
  return { ...EMPTY_CLIENT_DIALOG, outSeq: d.unacked.length, unacked: d.unacked.map((m, i) => ({ ...m, seq: i + 1 })) };
}

/** Assigns the next seq to `body` and keeps it until acknowledged. Returns the wire message (its ack is `inSeq`). */
export function enqueue(d: ClientDialog, body: MessageBody, ref: number | null): { readonly dialog: ClientDialog; readonly message: DialogMessage } {
  const seq = d.outSeq + 1;
  return {
    dialog: { ...d, outSeq: seq, unacked: [...d.unacked, { seq, ref, body }] },
    message: { seq, ack: d.inSeq, body },
  };
}

/**
 * Assigns the next seq to `body` without keeping it: for the `close` the
 * engine sends as it leaves, which must never be resent on a later login.
 */
export function sequenceOnce(d: ClientDialog, body: MessageBody): { readonly dialog: ClientDialog; readonly message: DialogMessage } {
  const seq = d.outSeq + 1;
  return { dialog: { ...d, outSeq: seq }, message: { seq, ack: d.inSeq, body } };
}

/** The bare acknowledgement of everything handled (seq 0, not sequenced). */
export function bareAck(d: ClientDialog): DialogMessage {
  return { seq: 0, ack: d.inSeq, body: { type: 'ack' } };
}

/** Drops the messages up to `ack` (clamped to `outSeq`). Returns those the hub acknowledged. */
export function applyAck(d: ClientDialog, ack: number): { readonly dialog: ClientDialog; readonly acked: readonly Outgoing[] } {
  const upTo = Math.min(ack, d.outSeq);
  if (upTo <= d.outAcked) return { dialog: d, acked: [] };
  const acked = d.unacked.filter((m) => m.seq <= upTo);
  return { dialog: { ...d, outAcked: upTo, unacked: d.unacked.filter((m) => m.seq > upTo) }, acked };
}

export interface Received {
  readonly dialog: ClientDialog;
  /** Application messages to hand over, once and in order. */
  readonly delivered: readonly Delivery[];
  /** Seqs of the hub's Syncs, each to be answered with a `null`. */
  readonly syncs: readonly number[];
  /** The hub's `refused { replyTo, reason }` answers to this client's messages. */
  readonly refusals: readonly { readonly replyTo: number; readonly reason: string }[];
  /** Client messages this batch acknowledged. */
  readonly acked: readonly Outgoing[];
  /** The batch held sequenced messages (new or not): the hub should hear where the client stands. */
  readonly needsAck: boolean;
  readonly duplicates: number;
  readonly gaps: number;
}

/** Handles a batch of hub→client messages, in the order received. */
export function receive(d0: ClientDialog, messages: readonly DialogMessage[]): Received {
  let d = d0;
  const delivered: Delivery[] = [];
  const syncs: number[] = [];
  const refusals: { replyTo: number; reason: string }[] = [];
  const acked: Outgoing[] = [];
  let needsAck = false;
  let duplicates = 0;
  let gaps = 0;
  for (const m of messages) {
    const a = applyAck(d, m.ack);
    d = a.dialog;
    acked.push(...a.acked);
    if (m.seq === 0 || m.body.type === 'ack') continue;
    needsAck = true;
    if (d.awaitingBase) d = { ...d, inSeq: m.seq - 1, awaitingBase: false };
    if (m.seq <= d.inSeq) {
      duplicates += 1;
      continue;
    }
    if (m.seq > d.inSeq + 1) {
      gaps += 1;
      continue;
    }
    d = { ...d, inSeq: m.seq };
    const b = m.body;
    switch (b.type) {
      case 'sync':
        syncs.push(m.seq);
        break;
      case 'app':
        delivered.push({ seq: m.seq, appType: b.appType, payload: b.payload, replyTo: b.replyTo });
        break;
      case 'refused':
        refusals.push({ replyTo: b.replyTo, reason: b.reason });
        break;
      case 'ok':
      case 'null':
      case 'setInfo':
      case 'log':
      case 'close':
        // `ok` answers a setInfo; the others are client→hub types the hub
        // does not send. Either way the message is consumed: it took its seq.
        break;
      default: {
        const never: never = b;
        throw new TypeError(`unknown message body ${JSON.stringify(never)}`);
      }
    }
  }
  return { dialog: d, delivered, syncs, refusals, acked, needsAck, duplicates, gaps };
}

/**
 * Aligns the dialog with a login's `ok` (`lastReceived` = the hub's `inSeq`)
 * and returns the messages to resend, in order. Keep-alives are not resent
 * (they answered a link that is gone).
 */
export function adoptLogin(
  d: ClientDialog,
  lastReceived: number,
): { readonly dialog: ClientDialog; readonly resend: readonly DialogMessage[]; readonly acked: readonly Outgoing[] } {
  const handled = d.synced ? d.unacked.filter((m) => m.seq <= lastReceived) : [];
  const pending = (d.synced ? d.unacked.filter((m) => m.seq > lastReceived) : d.unacked).filter((m) => m.body.type !== 'null');
  const unacked = pending.map((m, i) => ({ ...m, seq: lastReceived + 1 + i }));
  const inSeq = d.synced ? d.inSeq : 0;
  const dialog: ClientDialog = {
    outSeq: lastReceived + unacked.length,
    outAcked: lastReceived,
    unacked,
    inSeq,
    synced: true,
    awaitingBase: !d.synced,
  };
  return { dialog, resend: unacked.map((m) => ({ seq: m.seq, ack: inSeq, body: m.body })), acked: handled };
}

/** Dialog frames for `messages`, at most `max` messages each, in order. */
export function dialogFrames(
  clientId: ClientId,
  messages: readonly DialogMessage[],
  max: number,
): { readonly kind: 'dialog'; readonly clientId: ClientId; readonly messages: readonly DialogMessage[] }[] {
  const frames: { kind: 'dialog'; clientId: ClientId; messages: readonly DialogMessage[] }[] = [];
  for (let i = 0; i < messages.length; i += max) frames.push({ kind: 'dialog', clientId, messages: messages.slice(i, i + max) });
  return frames;
}

const APP_TYPE = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;

/**
 * Why an application message cannot be sent, or null. The hub stops a batch at
 * a malformed message (docs/protocol.md §6.3), so one that the engine resent
 * forever would jam the dialog: it is refused here instead. The type follows
 * the hub's rule for registered types (`config.appMessageTypes`).
 */
export function appMessageProblem(appType: unknown, payload: unknown, replyTo: unknown, maxPayloadBytes: number): string | null {
  if (typeof appType !== 'string' || !APP_TYPE.test(appType)) return 'appType';
  if (!(payload instanceof Uint8Array) || payload.length > maxPayloadBytes) return 'payload';
  if (typeof replyTo !== 'number' || !Number.isInteger(replyTo) || replyTo < 0 || replyTo > 0xffffffff) return 'replyTo';
  return null;
}
