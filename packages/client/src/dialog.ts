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
 * hub resends its whole unacknowledged outbox right after the `ok`. It keeps
 * waiting for that start across further logins until a hub message arrives:
 * a link lost between the `ok` and the first hub message leaves `inSeq`
 * unknown, and the next login's `ok` does not make it known.
 *
 * The hub's counts are trusted only up to what this engine sent. A
 * `lastReceived` (login `ok`) or `ack` (dialog message) beyond `outSeq`
 * means the hub counted messages this engine never sent: another engine used
 * this client id (the same credentials in two processes). Such a count says
 * nothing about this engine's own messages — the hub may never have had
 * them — so none is taken as acknowledged on that basis: the pending ones are
 * renumbered after the hub's count and resent (the hub would drop their old
 * numbers as duplicates), and the caller reports a `SeqConflict`. After such
 * an `ok`, the other engine may also have acknowledged hub messages this one
 * never got, so the next hub message sets where the stream resumes, as for a
 * fresh engine (never below `inSeq`).
 *
 * A `sync` (the engine's request after hub silence, on the live link) is
 * answered like a login, but the link is not new: `adoptSync` acknowledges
 * and resends without renumbering, since later messages are still in flight.
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
  /**
   * The next sequenced hub message sets where the hub's stream starts (never
   * below `inSeq`): after a fresh engine's login, until a hub message
   * arrives, and after a login whose `ok` showed another engine used the id.
   */
  readonly awaitingBase: boolean;
}

/**
 * The hub counted more client→hub messages (`lastReceived`, from a login `ok`
 * or a dialog message's `ack`) than this engine ever sent under this client
 * id (`outSeq`): another engine used it.
 */
export interface SeqConflict {
  readonly outSeq: number;
  readonly lastReceived: number;
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

/**
 * Drops the messages up to `ack`. Returns those the hub acknowledged. An ack
 * beyond `outSeq` acknowledges nothing (see the theory above: it counts
 * another engine's messages); `receive` and `adoptLogin` handle that case.
 */
export function applyAck(d: ClientDialog, ack: number): { readonly dialog: ClientDialog; readonly acked: readonly Outgoing[] } {
  if (ack <= d.outAcked || ack > d.outSeq) return { dialog: d, acked: [] };
  const acked = d.unacked.filter((m) => m.seq <= ack);
  return { dialog: { ...d, outAcked: ack, unacked: d.unacked.filter((m) => m.seq > ack) }, acked };
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
  /**
   * Pending client messages renumbered after an ack beyond `outSeq`, to send
   * again in this order (before anything the caller numbers after them); empty otherwise.
   */
  readonly resend: readonly Outgoing[];
  /** Acks beyond what this engine sent, in the order met. */
  readonly conflicts: readonly SeqConflict[];
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
  const conflicts: SeqConflict[] = [];
  let renumbered = false;
  let needsAck = false;
  let duplicates = 0;
  let gaps = 0;
  for (const m of messages) {
    if (m.ack > d.outSeq) {
      // The hub's count includes another engine's messages: nothing of ours
      // is acknowledged by it, and the hub now drops our numbers up to it as
      // duplicates, so the pending messages take numbers after it.
      conflicts.push({ outSeq: d.outSeq, lastReceived: m.ack });
      const unacked = renumberAfter(d.unacked, m.ack);
      d = { ...d, outSeq: m.ack + unacked.length, outAcked: m.ack, unacked };
      renumbered = true;
    } else {
      const a = applyAck(d, m.ack);
      d = a.dialog;
      acked.push(...a.acked);
    }
    if (m.seq === 0 || m.body.type === 'ack') continue;
    needsAck = true;
    if (d.awaitingBase) d = { ...d, inSeq: Math.max(d.inSeq, m.seq - 1), awaitingBase: false };
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
  return { dialog: d, delivered, syncs, refusals, acked, resend: renumbered ? d.unacked : [], conflicts, needsAck, duplicates, gaps };
}

/**
 * Pending messages numbered from `after + 1`, in order. Keep-alives are left
 * out: they answered a link that is gone, or a Sync the resend acknowledges anyway.
 */
function renumberAfter(pending: readonly Outgoing[], after: number): Outgoing[] {
  return pending.filter((m) => m.body.type !== 'null').map((m, i) => ({ ...m, seq: after + 1 + i }));
}

/** What aligning the dialog with the hub's `ok` gives: the dialog, what to resend, what is now acknowledged, and a conflict if any. */
export interface Adopted {
  readonly dialog: ClientDialog;
  readonly resend: readonly DialogMessage[];
  readonly acked: readonly Outgoing[];
  readonly conflict: SeqConflict | null;
}

/**
 * Aligns the dialog with a login's `ok` (`lastReceived` = the hub's `inSeq`)
 * and returns the messages to resend, in order. Keep-alives are not resent
 * (they answered a link that is gone). `conflict` is set when the hub counts
 * more messages than this engine sent: then none is acknowledged and all are
 * resent after the hub's count (see the theory above).
 */
export function adoptLogin(
  d: ClientDialog,
  lastReceived: number,
): Adopted {
  // Only a synced dialog has counts the hub's can be compared with; a fresh
  // one is numbered after the hub's count whatever it is.
  const conflict: SeqConflict | null = d.synced && lastReceived > d.outSeq ? { outSeq: d.outSeq, lastReceived } : null;
  const trusted = d.synced && conflict === null;
  const handled = trusted ? d.unacked.filter((m) => m.seq <= lastReceived) : [];
  const unacked = renumberAfter(trusted ? d.unacked.filter((m) => m.seq > lastReceived) : d.unacked, lastReceived);
  const inSeq = d.synced ? d.inSeq : 0;
  const dialog: ClientDialog = {
    outSeq: lastReceived + unacked.length,
    outAcked: lastReceived,
    unacked,
    inSeq,
    synced: true,
    // Still unknown if no hub message came since the fresh login (the link
    // may have died first); unknown again if another engine used the id.
    awaitingBase: !d.synced || d.awaitingBase || conflict !== null,
  };
  return { dialog, resend: unacked.map((m) => ({ seq: m.seq, ack: inSeq, body: m.body })), acked: handled, conflict };
}

/**
 * Aligns the dialog with the `ok` to a `sync` sent on the live link. Unlike a
 * login, the link is the same one: messages sent after the request are still
 * on their way and the hub will handle them, in order, after its answer. So
 * nothing is renumbered or left out (a keep-alive too keeps its number: the
 * next message must not reuse it): what `lastReceived` covers is
 * acknowledged, and every other pending message is resent under its own
 * number — the hub handles the ones it lacks and drops the rest as
 * duplicates. A `lastReceived` beyond `outSeq` (another engine used the id),
 * or a dialog not yet tied to the hub's, is handled as a login's.
 */
export function adoptSync(
  d: ClientDialog,
  lastReceived: number,
): Adopted {
  if (!d.synced || lastReceived > d.outSeq) return adoptLogin(d, lastReceived);
  const a = applyAck(d, lastReceived);
  return { dialog: a.dialog, resend: a.dialog.unacked.map((m) => ({ seq: m.seq, ack: a.dialog.inSeq, body: m.body })), acked: a.acked, conflict: null };
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
