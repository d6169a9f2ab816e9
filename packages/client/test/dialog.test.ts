/**
 * The client's half of the dialog, as pure functions: numbering, acks,
 * duplicates and gaps, the renumbering resend after a login, the
 * same-numbers resend after a sync.
 */
import type { DialogMessage, MessageBody } from '@dialoghub/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { adoptLogin, adoptSync, appMessageProblem, applyAck, dialogFrames, EMPTY_CLIENT_DIALOG, enqueue, rebase, receive, sequenceOnce, type ClientDialog } from '../src/index.js';
import { clientId } from '@dialoghub/core';

const app = (text: string): MessageBody => ({ type: 'app', appType: 'chat', payload: new TextEncoder().encode(text), replyTo: 0 });
const hub = (seq: number, body: MessageBody = app(`h${seq}`), ack = 0): DialogMessage => ({ seq, ack, body });

function queued(n: number, d: ClientDialog = EMPTY_CLIENT_DIALOG): ClientDialog {
  let out = d;
  for (let i = 0; i < n; i += 1) out = enqueue(out, app(`c${i + 1}`), i + 1).dialog;
  return out;
}

describe('sending', () => {
  it('numbers from 1, piggybacks the ack, keeps each message until acknowledged', () => {
    const d0 = { ...EMPTY_CLIENT_DIALOG, inSeq: 4 };
    const { dialog, message } = enqueue(d0, app('x'), 9);
    expect(message).toEqual({ seq: 1, ack: 4, body: app('x') });
    expect(dialog.unacked).toEqual([{ seq: 1, ref: 9, body: app('x') }]);
  });

  it('an ack releases what it covers', () => {
    const d = queued(3);
    expect(applyAck(d, 2).acked.map((m) => m.seq)).toEqual([1, 2]);
    expect(applyAck(applyAck(d, 2).dialog, 1).acked).toEqual([]);
  });

  it('a close takes a seq but is never kept', () => {
    const { dialog, message } = sequenceOnce(queued(1), { type: 'close' });
    expect(message.seq).toBe(2);
    expect(dialog.outSeq).toBe(2);
    expect(dialog.unacked).toHaveLength(1);
  });

  it('frames hold at most `max` messages, in order', () => {
    const messages = Array.from({ length: 5 }, (_, i) => hub(i + 1));
    expect(dialogFrames(clientId(3), messages, 2).map((f) => f.messages.map((m) => m.seq))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('refuses what the hub would find malformed', () => {
    expect(appMessageProblem('chat', new Uint8Array(1), 0, 10)).toBeNull();
    expect(appMessageProblem('', new Uint8Array(1), 0, 10)).toBe('appType');
    expect(appMessageProblem('x'.repeat(65), new Uint8Array(1), 0, 10)).toBe('appType');
    expect(appMessageProblem('chat', new Uint8Array(11), 0, 10)).toBe('payload');
    expect(appMessageProblem('chat', 'text', 0, 10)).toBe('payload');
    expect(appMessageProblem('chat', new Uint8Array(1), -1, 10)).toBe('replyTo');
  });
});

describe('receiving', () => {
  it('hands over in order, drops duplicates and gaps, answers Syncs, needs an ack', () => {
    const r = receive(EMPTY_CLIENT_DIALOG, [hub(1), hub(3), hub(2, { type: 'sync' }), hub(1), hub(3)]);
    expect(r.delivered.map((d) => d.seq)).toEqual([1, 3]);
    expect(r.syncs).toEqual([2]);
    expect(r.duplicates).toBe(1);
    expect(r.gaps).toBe(1);
    expect(r.dialog.inSeq).toBe(3);
    expect(r.needsAck).toBe(true);
  });

  it('a bare ack only acknowledges', () => {
    const r = receive(queued(2), [{ seq: 0, ack: 2, body: { type: 'ack' } }]);
    expect(r.acked.map((m) => m.ref)).toEqual([1, 2]);
    expect(r.needsAck).toBe(false);
    expect(r.delivered).toEqual([]);
  });

  it('reports refusals', () => {
    const r = receive(EMPTY_CLIENT_DIALOG, [hub(1, { type: 'refused', replyTo: 4, reason: 'unknownAppType' })]);
    expect(r.refusals).toEqual([{ replyTo: 4, reason: 'unknownAppType' }]);
  });

  test.prop([fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 60 })])('whatever arrives, each seq is handed over at most once, in increasing order', (seqs) => {
    let d = EMPTY_CLIENT_DIALOG;
    const handed: number[] = [];
    for (const seq of seqs) {
      const r = receive(d, [hub(seq)]);
      d = r.dialog;
      handed.push(...r.delivered.map((x) => x.seq));
    }
    expect(handed).toEqual(handed.map((_, i) => i + 1));
    expect(d.inSeq).toBe(handed.length);
  });
});

describe('sync (the ok to a `sync` on the live link)', () => {
  it('acknowledges what lastReceived covers and resends the rest under the same numbers, keep-alives included', () => {
    let d: ClientDialog = { ...queued(2), synced: true, inSeq: 5 };
    d = enqueue(d, { type: 'null', replyTo: 0 }, null).dialog; // seq 3: a keep-alive, maybe still in flight
    d = enqueue(d, app('c4'), 4).dialog;
    const { dialog, resend, acked, conflict } = adoptSync(d, 1);
    expect(conflict).toBeNull();
    expect(acked.map((m) => m.seq)).toEqual([1]);
    expect(resend.map((m) => [m.seq, m.ack, m.body.type])).toEqual([
      [2, 5, 'app'],
      [3, 5, 'null'],
      [4, 5, 'app'],
    ]);
    // Nothing renumbered: the next message cannot take a number the hub may already have.
    expect(dialog).toMatchObject({ outSeq: 4, outAcked: 1, inSeq: 5, synced: true });
    expect(enqueue(dialog, app('next'), 5).message.seq).toBe(5);
  });

  it('a lastReceived beyond what was sent is handled as a login (another engine used the id)', () => {
    const d = { ...queued(2), synced: true };
    expect(adoptSync(d, 9)).toEqual(adoptLogin(d, 9));
  });
});

describe('login', () => {
  it('a synced dialog resends what the hub has not handled, acknowledging the rest', () => {
    const d = { ...queued(3), synced: true, inSeq: 5 };
    const { dialog, resend, acked } = adoptLogin(d, 1);
    expect(acked.map((m) => m.seq)).toEqual([1]);
    expect(resend.map((m) => [m.seq, m.ack])).toEqual([
      [2, 5],
      [3, 5],
    ]);
    expect(dialog).toMatchObject({ outSeq: 3, outAcked: 1, inSeq: 5, synced: true, awaitingBase: false });
  });

  it('renumbers after a lost Close so the hub sees no gap; keep-alives are not resent', () => {
    let d: ClientDialog = { ...queued(1), synced: true };
    d = applyAck(d, 1).dialog;
    d = enqueue(d, { type: 'null', replyTo: 0 }, null).dialog;
    d = sequenceOnce(d, { type: 'close' }).dialog; // seq 3, lost
    d = enqueue(d, app('after'), 7).dialog; // seq 4
    const { dialog, resend } = adoptLogin(d, 1);
    expect(resend.map((m) => [m.seq, m.body.type])).toEqual([[2, 'app']]);
    expect(dialog.unacked).toEqual([{ seq: 2, ref: 7, body: app('after') }]);
    expect(dialog.outSeq).toBe(2);
  });

  it('a fresh dialog keeps everything, numbers it after the hub, and takes the next hub message as the start', () => {
    const { dialog, resend, acked } = adoptLogin(queued(2), 40);
    expect(acked).toEqual([]);
    expect(resend.map((m) => m.seq)).toEqual([41, 42]);
    expect(dialog.awaitingBase).toBe(true);
    const r = receive(dialog, [hub(17), hub(18), hub(17)]);
    expect(r.delivered.map((m) => m.seq)).toEqual([17, 18]);
    expect(r.dialog).toMatchObject({ inSeq: 18, awaitingBase: false });
  });

  it('a fresh dialog whose first link died before any hub message still takes the next one as the start', () => {
    const once = adoptLogin(EMPTY_CLIENT_DIALOG, 40).dialog; // nothing from the hub on that link
    const { dialog } = adoptLogin(once, 40);
    expect(dialog).toMatchObject({ synced: true, inSeq: 0, awaitingBase: true });
    const r = receive(dialog, [hub(5), hub(6)]);
    expect(r.delivered.map((m) => m.seq)).toEqual([5, 6]);
    expect(r.gaps).toBe(0);
  });

  it('an ok counting more client messages than were sent acknowledges none: all are renumbered after it (another engine used the id)', () => {
    const d = { ...queued(3), synced: true, inSeq: 2 };
    const sent = applyAck(d, 1).dialog; // the hub has 1; 2 and 3 are pending
    const { dialog, resend, acked, conflict } = adoptLogin(sent, 6);
    expect(acked).toEqual([]);
    expect(resend.map((m) => [m.seq, m.ack])).toEqual([
      [7, 2],
      [8, 2],
    ]);
    expect(dialog).toMatchObject({ outSeq: 8, outAcked: 6, inSeq: 2, awaitingBase: true });
    expect(dialog.unacked.map((m) => m.ref)).toEqual([2, 3]);
    expect(conflict).toEqual({ outSeq: 3, lastReceived: 6 });
    // Up to what was sent, the hub's count is trusted; a fresh dialog has no count of its own to compare.
    expect(adoptLogin(d, 3)).toMatchObject({ conflict: null, dialog: { awaitingBase: false } });
    expect(adoptLogin(queued(2), 40).conflict).toBeNull();
  });

  it('after such an ok the next hub message is where the hub stream resumes (the other engine may have acknowledged some), never below inSeq', () => {
    const d = { ...EMPTY_CLIENT_DIALOG, synced: true, inSeq: 5 };
    const r = receive(adoptLogin(d, 2).dialog, [hub(8), hub(9), hub(8)]);
    expect(r.delivered.map((m) => m.seq)).toEqual([8, 9]);
    expect(r.duplicates).toBe(1);
    expect(receive(adoptLogin(d, 2).dialog, [hub(5), hub(6)]).delivered.map((m) => m.seq)).toEqual([6]);
    // Without that evidence a gap after a login is waited out: the hub resends its outbox.
    const plain = receive(adoptLogin(d, 0).dialog, [hub(8)]);
    expect(plain.gaps).toBe(1);
    expect(plain.dialog.inSeq).toBe(5);
  });

  it('an ack beyond what was sent acknowledges nothing: the pending messages are renumbered after it, to resend', () => {
    const d = { ...queued(2), synced: true, inSeq: 4 };
    const r = receive(d, [{ seq: 0, ack: 5, body: { type: 'ack' } }, hub(5, app('h5'), 5)]);
    expect(r.acked).toEqual([]);
    expect(r.resend.map((m) => [m.seq, m.ref])).toEqual([
      [6, 1],
      [7, 2],
    ]);
    expect(r.dialog).toMatchObject({ outSeq: 7, outAcked: 5, inSeq: 5 });
    expect(r.conflicts).toEqual([{ outSeq: 2, lastReceived: 5 }]);
    // The hub then acknowledges them in their new numbers.
    expect(receive(r.dialog, [{ seq: 0, ack: 7, body: { type: 'ack' } }]).acked.map((m) => m.ref)).toEqual([1, 2]);
    // applyAck itself never acknowledges on an ack beyond what was sent.
    expect(applyAck(d, 9)).toEqual({ dialog: d, acked: [] });
  });

  it('another client id restarts the counters but keeps the pending messages', () => {
    const d = rebase({ ...queued(2), synced: true, inSeq: 9, outAcked: 0 });
    expect(d).toMatchObject({ outSeq: 2, inSeq: 0, synced: false });
    expect(d.unacked.map((m) => m.seq)).toEqual([1, 2]);
  });
});
