/**
 * Theory of operation: a dialoghub client that speaks the protocol by hand
 * over `connectTcp` links (the client engine is not used: the suite measures
 * the hub, with the thinnest correct client).
 *
 * - `register` once per account in setup (one profile per account, so every
 *   account is its profile's enabled client); the secret comes back in the
 *   `ok` answer and is kept.
 * - `login` opens a link, sends `login { credential: { secret }, lastReceived }`
 *   and resolves with a `Session` once the answer is `ok`. The session
 *   follows the dialog as a client must: it takes its next sequence number
 *   from the answer's `lastReceived`, records the highest hub→client `seq`
 *   (sent back as `ack` on every message) and answers a Sync with `null`, so
 *   an idle session stays alive however long a phase takes.
 * - `Session.pump` is the acknowledged-message load: up to `window` app
 *   messages in flight, one per frame; each bare ack from the hub retires the
 *   messages it covers (acks are cumulative) and refills the window, until
 *   the shared budget is spent.
 */
import { clientId, profileId, type Answer, type DialogMessage, type Request } from '@dialoghub/core';
import { connectTcp, type TcpClientLink, type HubFrame } from '@dialoghub/adapter-tcp';
import { clock } from '../timing.js';
import { APP_TYPE } from './shared.js';

export interface Account {
  readonly id: number;
  readonly secret: string;
  /** Next request id. */
  requestId: number;
  /** Highest hub→client seq received. */
  hubSeen: number;
}

const HOST = '127.0.0.1';

export function connect(port: number): Promise<TcpClientLink> {
  return connectTcp({ host: HOST, port });
}

/** Sends one request on `link` and resolves with its answer (rejects if the link ends first). */
function ask(link: TcpClientLink, request: Request): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let done = false;
    const offFrame = link.onFrame((frame) => {
      if (!done && frame.kind === 'answer' && frame.requestId === request.requestId) {
        done = true;
        offFrame();
        offClose();
        resolve(frame.answer);
      }
    });
    const offClose = link.onClose((reason, cause) => {
      if (done) return;
      done = true;
      offFrame();
      reject(new Error(`client ${request.clientId}: the link ended before the answer to ${request.kind} (${reason ?? cause})`));
    });
    link.send({ kind: 'request', request }).catch((error: unknown) => {
      if (done) return;
      done = true;
      offFrame();
      offClose();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** Registers client `id` in profile `id` and returns its account (the link is closed after). */
export async function register(port: number, id: number): Promise<Account> {
  const link = await connect(port);
  try {
    const answer = await ask(link, {
      kind: 'register',
      requestId: 1,
      clientId: clientId(id),
      profileId: profileId(id),
      contact: { name: `bench ${id}`, phone: '', email: '' },
      environment: { os: 'bench' },
    });
    if (answer.code !== 'ok' || answer.secret === null) throw new Error(`register ${id}: ${JSON.stringify(answer)}`);
    return { id, secret: answer.secret, requestId: 2, hubSeen: 0 };
  } finally {
    link.close();
  }
}

/** A logged-in client on one link. */
export class Session {
  /** Next client→hub seq. */
  private nextSeq: number;
  /** Seqs of app messages sent and not yet acknowledged, oldest first. */
  private readonly inFlight: number[] = [];
  private head = 0;
  private onAcked: ((n: number) => void) | null = null;
  private readonly payload: Uint8Array;

  constructor(
    readonly link: TcpClientLink,
    readonly account: Account,
    answer: Extract<Answer, { code: 'ok' }>,
    payloadBytes: number,
  ) {
    this.nextSeq = answer.lastReceived + 1;
    this.payload = new Uint8Array(payloadBytes).fill(0x61);
  }

  /** Handles a hub frame that is not the awaited answer: dialog messages (Syncs, acks, resends). */
  frame(frame: HubFrame): void {
    if (frame.kind !== 'dialog') return;
    let ack = -1;
    for (const m of frame.messages) {
      if (m.seq > this.account.hubSeen) this.account.hubSeen = m.seq;
      if (m.ack > ack) ack = m.ack;
      if (m.body.type === 'sync') this.sendOne({ seq: this.nextSeq++, ack: this.account.hubSeen, body: { type: 'null', replyTo: m.seq } });
    }
    if (ack >= 0) this.acked(ack);
  }

  private acked(upTo: number): void {
    let n = 0;
    while (this.head < this.inFlight.length && this.inFlight[this.head]! <= upTo) {
      this.head++;
      n++;
    }
    if (this.head > 1024 && this.head * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.head);
      this.head = 0;
    }
    if (n > 0) this.onAcked?.(n);
  }

  private sendOne(message: DialogMessage): void {
    this.link.send({ kind: 'dialog', clientId: clientId(this.account.id), messages: [message] }).catch(() => {
      // The link ended: the pump sees it through onClose.
    });
  }

  /** Sends one app message (one frame). */
  sendApp(): void {
    const seq = this.nextSeq++;
    this.inFlight.push(seq);
    this.sendOne({ seq, ack: this.account.hubSeen, body: { type: 'app', appType: APP_TYPE, payload: this.payload, replyTo: 0 } });
  }

  /**
   * Keeps up to `window` app messages in flight, drawing each from `budget`
   * (shared by every session of the run), until the budget is spent and every
   * message this session sent is acknowledged. Resolves with the number of
   * acknowledged messages.
   */
  pump(window: number, budget: { left: number }): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let acked = 0;
      let outstanding = 0;
      const offClose = this.link.onClose((reason, cause) => reject(new Error(`client ${this.account.id}: the link ended during the load (${reason ?? cause})`)));
      const fill = (): void => {
        while (outstanding < window && budget.left > 0) {
          budget.left--;
          outstanding++;
          this.sendApp();
        }
        if (outstanding === 0) {
          this.onAcked = null;
          offClose();
          resolve(acked);
        }
      };
      this.onAcked = (n) => {
        acked += n;
        outstanding -= n;
        fill();
      };
      fill();
    });
  }

  close(): void {
    this.link.close();
  }
}

/**
 * Logs `account` in on `link` (opened by the caller) and resolves with the
 * session once the answer is `ok`. One frame listener for the link's whole
 * life: frames that follow the answer in the same chunk (an outbox resend)
 * are held until the session exists, never lost.
 */
export function loginOn(link: TcpClientLink, account: Account, payloadBytes: number): Promise<Session> {
  const request: Request = {
    kind: 'login',
    requestId: account.requestId++,
    clientId: clientId(account.id),
    credential: { secret: account.secret },
    environment: null,
    lastReceived: account.hubSeen,
  };
  return new Promise<Session>((resolve, reject) => {
    let session: Session | null = null;
    let answered = false;
    const early: HubFrame[] = [];
    link.onFrame((frame) => {
      if (!answered && frame.kind === 'answer' && frame.requestId === request.requestId) {
        answered = true;
        const answer = frame.answer;
        if (answer.code !== 'ok') {
          link.close();
          reject(new Error(`login ${account.id}: ${JSON.stringify(answer)}`));
          return;
        }
        session = new Session(link, account, answer, payloadBytes);
        for (const f of early.splice(0)) session.frame(f);
        resolve(session);
      } else if (session !== null) {
        session.frame(frame);
      } else {
        early.push(frame);
      }
    });
    link.onClose((reason, cause) => {
      if (!answered) reject(new Error(`login ${account.id}: the link ended before the answer (${reason ?? cause})`));
    });
    link.send({ kind: 'request', request }).catch((error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
  });
}

/** Opens a link and logs `account` in. */
export async function login(port: number, account: Account, payloadBytes: number): Promise<Session> {
  return loginOn(await connect(port), account, payloadBytes);
}

/**
 * One takeover: `account` is logged in on link A; a second login of the same
 * client goes out on a new link B (already connected). Returns the time from
 * B's login request being handed to the socket until A's close frame
 * (`pushedOut`) arrived at A, in ms.
 */
export async function takeover(port: number, account: Account, payloadBytes: number): Promise<number> {
  const old = await login(port, account, payloadBytes);
  const fresh = await connect(port);
  const pushed = new Promise<{ at: bigint; reason: string | null; cause: string }>((resolve) =>
    old.link.onClose((reason, cause) => resolve({ at: clock(), reason, cause })),
  );
  const t0 = clock();
  const next = loginOn(fresh, account, payloadBytes);
  const end = await pushed;
  const session = await next;
  session.close();
  if (end.reason !== 'pushedOut') throw new Error(`takeover of ${account.id}: the old link ended with ${end.reason ?? end.cause}, not pushedOut`);
  return Number(end.at - t0) / 1e6;
}
