/**
 * Theory of operation: a dialoghub client that speaks the protocol by hand
 * over an FTP mailbox link (`FtpClientLink`), as bench/tcp/dialoghub-client.ts
 * does over TCP — the client engine is not used: the suite measures the hub
 * and the mailbox, with the thinnest correct client.
 *
 * - `register` sends `register` on a fresh link; the `ok` answer makes the
 *   link the client's online session (its `lastReceived` gives the next
 *   client→hub seq).
 * - The client follows the dialog as a client must: it records the highest
 *   hub→client `seq` (sent back as `ack` on every message), skips messages
 *   it has seen (resends), and answers a Sync
 *   with `null { replyTo }` at once, so the answer leaves with the same poll.
 *   It sends no keep-alives of its own (an idle client, as the seed's, only
 *   answers the hub's Syncs).
 * - `sendApp` sends one application message; `replies` resolves the promise
 *   of a message when the hub's app message with `replyTo` = its seq arrives.
 *
 * Nothing here does I/O: the link's transport moves the frames when polled.
 */
import { clientId, profileId, type Answer, type DialogMessage } from '@dialoghub/core';
import type { FtpClientLink } from '@dialoghub/adapter-ftp';

export const APP_TYPE = 'bench.echo';

export class BenchClient {
  private nextSeq = 1;
  private hubSeen = 0;
  private answered: ((answer: Answer) => void) | null = null;
  private readonly waiting = new Map<number, () => void>();
  /** Syncs answered with a Null. */
  syncs = 0;
  /** Hub app messages received. */
  replies = 0;
  /** Hub messages received again (resent). */
  duplicates = 0;
  closed: string | null = null;

  constructor(
    readonly id: number,
    readonly link: FtpClientLink,
  ) {
    link.onFrame((frame) => {
      if (frame.kind === 'answer') {
        this.answered?.(frame.answer);
        return;
      }
      if (frame.kind !== 'dialog') return;
      for (const m of frame.messages) {
        // A message seen before (a resend) is not handled twice; a bare ack (seq 0) carries nothing to handle.
        if (m.seq <= this.hubSeen) {
          if (m.seq !== 0) this.duplicates++;
          continue;
        }
        this.hubSeen = m.seq;
        if (m.body.type === 'sync') {
          this.syncs++;
          this.sendOne({ seq: this.nextSeq++, ack: this.hubSeen, body: { type: 'null', replyTo: m.seq } });
        } else if (m.body.type === 'app') {
          this.replies++;
          const done = this.waiting.get(m.body.replyTo);
          if (done !== undefined) {
            this.waiting.delete(m.body.replyTo);
            done();
          }
        }
      }
    });
    link.onClose((reason, cause) => {
      this.closed = `${reason ?? 'none'} (${cause})`;
    });
  }

  /** Queues a `register` request; the returned promise resolves with the answer once the mailbox carried it both ways. */
  register(): Promise<void> {
    const answer = new Promise<Answer>((resolve) => (this.answered = resolve));
    void this.link.send({
      kind: 'request',
      request: {
        kind: 'register',
        requestId: 1,
        clientId: clientId(this.id),
        profileId: profileId(this.id),
        contact: { name: `bench ${this.id}`, phone: '', email: '' },
        environment: { os: 'bench' },
      },
    });
    return answer.then((a) => {
      if (a.code !== 'ok') throw new Error(`register ${this.id}: ${JSON.stringify(a)}`);
      this.nextSeq = a.lastReceived + 1;
    });
  }

  /** Queues one application message; resolves when the hub's reply to it arrives. */
  sendApp(payload: Uint8Array): Promise<void> {
    const seq = this.nextSeq++;
    const replied = new Promise<void>((resolve) => this.waiting.set(seq, resolve));
    this.sendOne({ seq, ack: this.hubSeen, body: { type: 'app', appType: APP_TYPE, payload, replyTo: 0 } });
    return replied;
  }

  private sendOne(message: DialogMessage): void {
    this.link.send({ kind: 'dialog', clientId: clientId(this.id), messages: [message] }).catch(() => {
      // The link ended: `closed` says why.
    });
  }
}
