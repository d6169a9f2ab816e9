/**
 * Theory of operation: one simulated client process, the client side of
 * protocol v1 (docs/protocol.md §4–§7) as a plain state machine driven by the
 * world: `launch`, then `onConnected` / `onConnectFailed`, `onReply`,
 * `onDialog`, `onClose`, `onLinkLost` and `onTimer`. It never reads a clock or
 * draws a random number except through its host, so it is deterministic.
 *
 * What it does:
 * - registers once in its profile and keeps the secret of the `ok` answer
 *   (the latest one for its registration request: a repeated registration is
 *   answered with a new secret); afterwards it logs in with `login` (or, for a
 *   mailbox-style client, `start`, and `resume` once it learnt it was
 *   disabled), always with `lastReceived`;
 * - numbers its messages (seq) and acknowledges the hub's (ack); answers a
 *   Sync with a Null; sends chat messages at a configurable rate and a Null
 *   heartbeat after a silence; acknowledges idle directions with a delayed
 *   bare ack; drops duplicates, holds out-of-order messages and, if a gap
 *   lasts, asks for a resend with a `sync` request on the same link;
 * - resends its unacknowledged messages after an `ok`, when a bare ack shows
 *   a gap, and when the oldest is older than its retransmission timeout;
 * - after a transport loss, reconnects with exponential backoff and full
 *   jitter; after a close whose `reconnect` is false (pushedOut, replaced,
 *   banned, …) or a refusal it stops (TERMINAL) and, for a fraction of stops,
 *   the user relaunches it after a long pause;
 * - `reset` makes it forget its id and secret and register again.
 *
 * Its persisted state (id, secret, both sequence positions, unacknowledged
 * messages) survives an application restart and a link loss; the rest is
 * volatile. Two processes may share one persisted state (a copied
 * installation): `shared` marks them, and a shared process adopts the hub's
 * counters when they are ahead of its own.
 */
import type { Answer, ClientId, CloseReason, DialogMessage, Environment, MessageBody, ProfileId, Request } from '@dialoghub/core';
import type { BehaviourOptions } from './options.js';
import { CHAT_MAGIC, encodePayload } from './payload.js';
import type { Rng } from './rng.js';
import type { EndToEndViolationKind } from './violation.js';

/** Timer slots: each client has one timer per slot; re-arming a slot replaces it. */
export const T_CONNECT = 0;
export const T_REQUEST = 1;
export const T_APP = 2;
export const T_HEARTBEAT = 3;
export const T_ACK = 4;
export const T_RTO = 5;
export const T_GAP = 6;
export const T_FLAP = 7;
export const T_RESTART = 8;
export const TIMER_SLOTS = 9;

export type ClientPhase =
  /** Not running (before its first launch, or after an application restart). */
  | 'idle'
  /** Waiting for the transport to open a link. */
  | 'connecting'
  /** A link is open and a login/registration request is pending. */
  | 'requesting'
  | 'online'
  /** Waiting to reconnect after a transport loss. */
  | 'backoff'
  /** Sent Close; waiting for the hub to close the link. */
  | 'closing'
  /** Stopped for a reason that forbids reconnecting by itself. */
  | 'terminal';

/** What a client needs from the world. */
export interface ClientHost {
  readonly now: number;
  readonly rng: Rng;
  /** Opens a link; answers later with `onConnected` or `onConnectFailed`. */
  connect(c: SimClient): void;
  sendRequest(c: SimClient, link: number, request: Request): void;
  sendMessages(c: SimClient, link: number, messages: DialogMessage[]): void;
  /** The client drops its link (the hub sees a transport loss). */
  dropLink(c: SimClient, link: number): void;
  setTimer(c: SimClient, slot: number, at: number): void;
  /** The client's id changed (registration under a new id). */
  clientIdChanged(c: SimClient, previous: number): void;
  /** One of the client's chat messages was acknowledged. */
  onAcked(c: SimClient, seq: number): void;
  /** The client accepted, in order, hub message `seq`, an application message. */
  onReceivedApp(c: SimClient, seq: number, payload: Uint8Array): void;
  violation(c: SimClient, kind: EndToEndViolationKind, message: string): void;
  /** Counts a client-side event for the run's stats. */
  count(event: string): void;
}

/** How this process behaves, fixed when it is created. */
export interface ClientTraits {
  readonly profileId: number;
  /** One-way base latency of its links. */
  readonly baseLatency: number;
  /** Never heartbeats; only answers the hub's Syncs. */
  readonly quiet: boolean;
  /** Uses start/resume (mailbox style) rather than login. */
  readonly usesStart: boolean;
  readonly flapper: boolean;
  readonly restarter: boolean;
}

interface Unacked {
  readonly seq: number;
  readonly body: MessageBody;
  sentAt: number;
}

interface PendingRequest {
  readonly request: Request;
  tries: number;
  /** What the client had seen when it asked: the answer must not know less (with reordering, later messages may overtake it). */
  readonly hubAcked: number;
  readonly lastReceived: number;
}

const CONTACT = Object.freeze({ name: 'sim user', phone: '', email: '' });

export class SimClient {
  // ---- persisted (survives restarts and link loss) ----------------------------
  clientId = 0;
  secret = '';
  registered = false;
  /** The hub accepted the current secret in an authenticated request (not just issued it). */
  secretProven = false;
  regRequestId = 0;
  nextRequestId = 1;
  /** Highest client→hub seq assigned. */
  outSeq = 0;
  /** Highest client→hub seq the hub acknowledged. */
  hubAcked = 0;
  unacked: Unacked[] = [];
  /** Highest hub→client seq received in order. */
  lastReceived = 0;
  /** What the client believes its status is. */
  believed: 'enabled' | 'disabled' | 'banned' = 'enabled';
  appVersion = 1;
  /** Another process shares this client id. */
  shared = false;

  // ---- volatile ----------------------------------------------------------------
  phase: ClientPhase = 'idle';
  link = 0;
  pending: PendingRequest | null = null;
  attempt = 0;
  onlineSince = 0;
  lastSentAt = 0;
  lastHeardAt = 0;
  lastAckSent = 0;
  ackForced = false;
  buffer: Map<number, DialogMessage> | null = null;
  /** Until when the client's links are cut by a partition. */
  cutUntil = 0;
  /** Timer generations per slot (the world ignores a timer whose generation is stale). */
  readonly gens = new Float64Array(TIMER_SLOTS);
  readonly armed = new Float64Array(TIMER_SLOTS);

  constructor(
    readonly index: number,
    /** Distinguishes two processes sharing one id. */
    readonly tag: number,
    readonly traits: ClientTraits,
    private readonly host: ClientHost,
    private readonly b: BehaviourOptions & { readonly heartbeatMs: number; readonly clientDeadMs: number },
  ) {}

  get online(): boolean {
    return this.phase === 'online';
  }

  /** Copies another process's persisted state (a copied installation). */
  copyPersisted(from: SimClient): void {
    this.clientId = from.clientId;
    this.secret = from.secret;
    this.registered = from.registered;
    this.secretProven = from.secretProven;
    this.regRequestId = from.regRequestId;
    this.nextRequestId = from.nextRequestId + 1000;
    this.outSeq = from.outSeq;
    this.hubAcked = from.hubAcked;
    this.unacked = from.unacked.map((u) => ({ ...u }));
    this.lastReceived = from.lastReceived;
    this.believed = from.believed;
    this.shared = true;
    from.shared = true;
  }

  // ---- life cycle ------------------------------------------------------------------

  /** Starts (or relaunches) the process: first id, then a connection. */
  launch(): void {
    const h = this.host;
    if (this.clientId === 0) {
      this.clientId = h.rng.nonZeroU32();
      this.regRequestId = this.nextRequestId++;
      h.clientIdChanged(this, 0);
    }
    this.pending = null;
    this.buffer = null;
    // A Close the hub never acknowledged belonged to the previous run: its seq is taken, so it
    // is resent as a Null (a resent Close would end the new session).
    for (let i = 0; i < this.unacked.length; i++) {
      const u = this.unacked[i]!;
      if (u.body.type === 'close') this.unacked[i] = { seq: u.seq, body: { type: 'null', replyTo: 0 }, sentAt: u.sentAt };
    }
    this.phase = 'connecting';
    h.connect(this);
    if (this.traits.flapper) this.arm(T_FLAP, h.now + Math.max(1, Math.round(h.rng.exp(this.b.flapEveryMs))));
    if (this.traits.restarter && this.armed[T_RESTART]! < h.now) this.arm(T_RESTART, h.now + Math.max(1, Math.round(h.rng.exp(this.b.restartEveryMs))));
  }

  onConnected(link: number): void {
    if (this.phase !== 'connecting') {
      this.host.dropLink(this, link);
      return;
    }
    this.link = link;
    this.phase = 'requesting';
    this.lastHeardAt = this.host.now;
    this.request(this.loginRequest());
  }

  onConnectFailed(): void {
    if (this.phase !== 'connecting') return;
    this.backoff();
  }

  private backoff(): void {
    const h = this.host;
    this.phase = 'backoff';
    this.link = 0;
    this.pending = null;
    this.buffer = null;
    const ceiling = Math.min(this.b.backoffCapMs, this.b.backoffBaseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    this.arm(T_CONNECT, h.now + 1 + Math.floor(h.rng.float() * ceiling));
  }

  private terminal(reason: string): void {
    const h = this.host;
    this.phase = 'terminal';
    this.link = 0;
    this.pending = null;
    this.buffer = null;
    h.count(`terminal:${reason}`);
    if (h.rng.chance(this.b.relaunchFraction)) {
      this.arm(T_CONNECT, h.now + h.rng.between(this.b.relaunchMinMs, this.b.relaunchMaxMs));
    }
  }

  /** Leaves the link without a word (flap, restart). */
  private dropLink(): void {
    if (this.link !== 0) this.host.dropLink(this, this.link);
    this.link = 0;
    this.pending = null;
    this.buffer = null;
  }

  // ---- requests ------------------------------------------------------------------------

  private loginRequest(): Request {
    const clientId = this.clientId as ClientId;
    if (!this.registered) {
      return {
        kind: 'register',
        requestId: this.regRequestId,
        clientId,
        profileId: this.traits.profileId as ProfileId,
        contact: CONTACT,
        environment: this.environment(),
      };
    }
    const base = { requestId: this.nextRequestId++, clientId, credential: { secret: this.secret }, lastReceived: this.lastReceived };
    if (this.traits.usesStart) {
      return this.believed === 'disabled' ? { kind: 'resume', ...base } : { kind: 'start', ...base, environment: this.environment() };
    }
    return { kind: 'login', ...base, environment: this.host.rng.chance(0.5) ? this.environment() : null };
  }

  private environment(): Environment {
    return { os: 'sim', app: `v${this.appVersion}` };
  }

  private request(request: Request): void {
    this.pending = { request, tries: 1, hubAcked: this.hubAcked, lastReceived: this.lastReceived };
    this.host.sendRequest(this, this.link, request);
    this.arm(T_REQUEST, this.host.now + this.b.requestTimeoutMs);
  }

  onReply(link: number, requestId: number, answer: Answer): void {
    if (answer.clientId !== this.clientId) return; // not ours (B14)
    // A registration repeated after a lost answer is answered with a new secret: keep the latest.
    if (answer.code === 'ok' && answer.secret !== null && requestId === this.regRequestId) this.secret = answer.secret;
    const p = this.pending;
    if (link !== this.link || p === null || p.request.requestId !== requestId) return;
    this.pending = null;
    this.disarm(T_REQUEST);
    const h = this.host;
    switch (answer.code) {
      case 'ok':
        this.admitted(answer, p);
        return;
      case 'rejected':
        if (answer.reason === 'badCredentials') {
          h.count('badCredentials');
          if (this.secretProven && !this.shared) {
            h.violation(this, 'credentialsLost', `client ${this.clientId}: refused badCredentials with the secret the hub accepted before`);
          } else if (!this.secretProven && this.registered) {
            // A repeated registration re-issued the secret and its answer never arrived (or came out of
            // order): register again with the same request id, which the hub answers with a fresh secret
            // as long as the client never used one (docs/protocol.md §4.5).
            h.count('reRegistrations');
            this.registered = false;
            this.link = 0;
            this.attempt = 0;
            this.backoff();
            return;
          }
        }
        if (answer.reason === 'disabled') this.believed = 'disabled';
        if (answer.reason === 'banned') this.believed = 'banned';
        if (answer.reason === 'linkBusy') return;
        this.link = 0;
        this.terminal(`rejected:${answer.reason}`);
        return;
      case 'invalidId':
        // The id is taken: draw another and register again on the same link.
        h.count('invalidId');
        this.newIdentity();
        this.request(this.loginRequest());
        return;
      case 'reset':
        this.reset();
        return;
      case 'invalidProfile':
      case 'profiles':
        this.dropLink();
        this.terminal(answer.code);
        return;
      default: {
        const never: never = answer;
        throw new Error(`unknown answer ${JSON.stringify(never)}`);
      }
    }
  }

  private admitted(answer: Extract<Answer, { code: 'ok' }>, p: PendingRequest): void {
    const h = this.host;
    const request = p.request;
    if (request.kind === 'register') {
      this.registered = true;
      this.secretProven = false;
      h.count('registered');
    } else {
      this.secretProven = true;
    }
    if (!this.shared) {
      // Durability: the hub may not know less than what it had revealed before the client asked.
      if (answer.lastReceived < p.hubAcked) {
        h.violation(this, 'ackedLost', `client ${this.clientId}: the hub acknowledged up to ${p.hubAcked}, then answered that it handled only ${answer.lastReceived}`);
      }
      if (answer.lastSent < p.lastReceived) {
        h.violation(this, 'hubSeqBackwards', `client ${this.clientId}: received up to ${p.lastReceived}, then the hub answered that it sent only ${answer.lastSent}`);
      }
    } else {
      // A copied installation: adopt the hub's positions when they are ahead of ours.
      if (answer.lastReceived > this.outSeq) this.outSeq = answer.lastReceived;
      if (answer.lastSent < this.lastReceived) this.lastReceived = answer.lastSent;
    }
    this.believed = 'enabled';
    if (this.phase !== 'online') this.onlineSince = h.now;
    this.phase = 'online';
    this.lastHeardAt = h.now;
    this.ackUpTo(answer.lastReceived);
    this.resend(false);
    this.arm(T_APP, h.now + Math.max(1, Math.round(h.rng.exp(this.b.appEveryMs))));
    this.arm(T_HEARTBEAT, h.now + Math.min(this.b.heartbeatMs, this.b.clientDeadMs));
  }

  /** The hub does not know this client (any more): forget the id and register again. */
  private reset(): void {
    const h = this.host;
    if (this.registered && !this.shared) {
      h.violation(this, 'registrationLost', `client ${this.clientId}: registered (answered ok) but the hub now answers reset`);
    }
    this.dropLink();
    this.newIdentity();
    this.attempt = 0;
    this.backoff();
  }

  /** A new client id: a new client for the hub, with fresh sequence spaces. */
  private newIdentity(): void {
    const previous = this.clientId;
    this.clientId = this.host.rng.nonZeroU32();
    this.secret = '';
    this.registered = false;
    this.secretProven = false;
    this.regRequestId = this.nextRequestId++;
    this.outSeq = 0;
    this.hubAcked = 0;
    this.unacked = [];
    this.lastReceived = 0;
    this.lastAckSent = 0;
    this.believed = 'enabled';
    // The new id is this process's alone, even if it shared the old one.
    this.shared = false;
    this.host.clientIdChanged(this, previous);
  }

  // ---- the hub closed the link, or the transport lost it -----------------------------------

  onClose(link: number, reason: CloseReason, reconnect: boolean): void {
    if (link !== this.link || link === 0) return;
    this.link = 0;
    this.pending = null;
    this.buffer = null;
    if (reason === 'replaced' || reason === 'disabled') this.believed = 'disabled';
    if (reason === 'banned') this.believed = 'banned';
    if (this.phase === 'closing') {
      this.phase = 'idle';
      return;
    }
    if (reason === 'reset') {
      this.reset();
      return;
    }
    if (reconnect) this.backoff();
    else this.terminal(`closed:${reason}`);
  }

  onLinkLost(link: number): void {
    if (link !== this.link || link === 0) return;
    this.link = 0;
    this.pending = null;
    this.buffer = null;
    if (this.phase === 'closing') {
      this.phase = 'idle';
      return;
    }
    if (this.phase === 'online' && this.host.now - this.onlineSince >= this.b.minUptimeMs) this.attempt = 0;
    this.backoff();
  }

  // ---- dialog ------------------------------------------------------------------------

  onDialog(link: number, messages: readonly DialogMessage[]): void {
    if (link !== this.link || link === 0) return;
    const h = this.host;
    this.lastHeardAt = h.now;
    const answers: MessageBody[] = [];
    let gap = false;
    for (const m of messages) {
      this.ackUpTo(m.ack);
      if (m.seq === 0) {
        if (m.ack < this.outSeq) gap = true;
        continue;
      }
      if (m.seq <= this.lastReceived) {
        // The hub resent it: our ack may have been lost.
        this.ackForced = true;
        continue;
      }
      if (m.seq > this.lastReceived + 1) {
        if (this.buffer === null) this.buffer = new Map();
        if (this.buffer.size < 4096) this.buffer.set(m.seq, m);
        if (this.armed[T_GAP]! < h.now) this.arm(T_GAP, h.now + this.b.gapWaitMs);
        continue;
      }
      this.accept(m, answers);
      while (this.buffer !== null && this.buffer.size > 0) {
        const next = this.buffer.get(this.lastReceived + 1);
        if (next === undefined) break;
        this.buffer.delete(next.seq);
        this.accept(next, answers);
      }
    }
    if (this.buffer !== null) {
      for (const seq of [...this.buffer.keys()]) if (seq <= this.lastReceived) this.buffer.delete(seq);
      if (this.buffer.size === 0) this.buffer = null;
    }
    if (answers.length > 0) this.sendBodies(answers);
    if (gap) this.resend(true);
    if ((this.lastReceived > this.lastAckSent || this.ackForced) && this.armed[T_ACK]! < h.now) this.arm(T_ACK, h.now + this.b.ackDelayMs);
  }

  private accept(m: DialogMessage, answers: MessageBody[]): void {
    this.lastReceived = m.seq;
    const body = m.body;
    switch (body.type) {
      case 'sync':
        answers.push({ type: 'null', replyTo: m.seq });
        break;
      case 'app':
        this.host.onReceivedApp(this, m.seq, body.payload);
        break;
      default:
        break;
    }
  }

  /** The hub acknowledged everything up to `ack`. */
  private ackUpTo(ack: number): void {
    if (ack <= this.hubAcked) return;
    const h = this.host;
    if (ack > this.outSeq) {
      if (!this.shared) h.violation(this, 'ackBeyondSent', `client ${this.clientId}: the hub acknowledged ${ack}, the client sent only ${this.outSeq}`);
      ack = this.outSeq;
      if (ack <= this.hubAcked) return;
    }
    let drop = 0;
    const u = this.unacked;
    while (drop < u.length && u[drop]!.seq <= ack) {
      const e = u[drop]!;
      if (e.body.type === 'app' && e.body.appType === 'chat') h.onAcked(this, e.seq);
      drop++;
    }
    if (drop > 0) this.unacked = u.slice(drop);
    this.hubAcked = ack;
  }

  private send(body: MessageBody): void {
    this.sendBodies([body]);
  }

  /** Numbers and sends messages (they wait in `unacked` when offline). */
  private sendBodies(bodies: readonly MessageBody[]): void {
    const h = this.host;
    const wire: DialogMessage[] = [];
    for (const body of bodies) {
      const seq = ++this.outSeq;
      this.unacked.push({ seq, body, sentAt: h.now });
      wire.push({ seq, ack: this.lastReceived, body });
    }
    if (this.phase !== 'online' || this.link === 0) return;
    h.sendMessages(this, this.link, wire);
    this.sentNow();
  }

  private sentNow(): void {
    const h = this.host;
    this.lastSentAt = h.now;
    this.lastAckSent = this.lastReceived;
    this.ackForced = false;
    if (this.unacked.length > 0 && this.armed[T_RTO]! < h.now) this.arm(T_RTO, h.now + this.b.rtoMs);
  }

  /** Resends unacknowledged messages (all, or only those older than the guard). */
  private resend(onlyOld: boolean): void {
    const h = this.host;
    if (this.phase !== 'online' || this.link === 0 || this.unacked.length === 0) return;
    const limit = onlyOld ? h.now - this.b.resendGuardMs : Number.POSITIVE_INFINITY;
    const wire: DialogMessage[] = [];
    for (const u of this.unacked) {
      if (u.sentAt > limit) continue;
      u.sentAt = h.now;
      wire.push({ seq: u.seq, ack: this.lastReceived, body: u.body });
    }
    if (wire.length === 0) return;
    h.count('resends');
    h.sendMessages(this, this.link, wire);
    this.sentNow();
  }

  private chat(): MessageBody {
    const h = this.host;
    const r = h.rng.float();
    const b = this.b;
    if (r < b.infoFraction) return { type: 'setInfo', contact: { ...CONTACT, phone: String(h.rng.between(1000, 9999)) } };
    if (r < b.infoFraction + b.logFraction) return { type: 'log', at: h.now, isError: h.rng.chance(0.1), text: 'sim log line' };
    if (r < b.infoFraction + b.logFraction + b.badTypeFraction) return { type: 'app', appType: 'unregistered', payload: new Uint8Array(4), replyTo: 0 };
    return { type: 'app', appType: 'chat', payload: encodePayload(CHAT_MAGIC, this.clientId, this.outSeq + 1, this.tag), replyTo: 0 };
  }

  // ---- timers -----------------------------------------------------------------------------

  /** Arms `slot` at `at` (replacing what was armed). */
  arm(slot: number, at: number): void {
    this.armed[slot] = at;
    this.host.setTimer(this, slot, at);
  }

  private disarm(slot: number): void {
    this.gens[slot]!++;
    this.armed[slot] = 0;
  }

  /** A timer of `slot` fired (the world already checked it is current). */
  onTimer(slot: number): void {
    const h = this.host;
    const b = this.b;
    this.armed[slot] = 0;
    switch (slot) {
      case T_CONNECT:
        if (this.phase === 'backoff') {
          this.phase = 'connecting';
          h.connect(this);
        } else if (this.phase === 'terminal' || this.phase === 'idle' || this.phase === 'closing') {
          // The user relaunches the application (or it comes back after a restart).
          if (this.link !== 0) this.dropLink();
          if (this.phase === 'terminal') h.count('relaunches');
          this.attempt = 0;
          this.appVersion += h.rng.chance(0.1) ? 1 : 0;
          this.launch();
        }
        return;
      case T_REQUEST: {
        const p = this.pending;
        if (p === null || this.link === 0) return;
        if (p.tries < b.requestTries) {
          p.tries++;
          h.count('requestRetries');
          h.sendRequest(this, this.link, p.request);
          this.arm(T_REQUEST, h.now + b.requestTimeoutMs);
          return;
        }
        this.dropLink();
        this.backoff();
        return;
      }
      case T_APP:
        if (this.phase !== 'online') return;
        this.send(this.chat());
        this.arm(T_APP, h.now + Math.max(1, Math.round(h.rng.exp(b.appEveryMs))));
        return;
      case T_HEARTBEAT: {
        if (this.phase !== 'online') return;
        if (h.now - this.lastHeardAt >= b.clientDeadMs) {
          h.count('clientTimeouts');
          this.dropLink();
          this.backoff();
          return;
        }
        const beats = !this.traits.quiet && b.heartbeatMs > 0;
        if (beats && h.now - this.lastSentAt >= b.heartbeatMs) this.send({ type: 'null', replyTo: 0 });
        const nextBeat = beats ? this.lastSentAt + b.heartbeatMs : Number.POSITIVE_INFINITY;
        this.arm(T_HEARTBEAT, Math.max(h.now + 1, Math.min(nextBeat, this.lastHeardAt + b.clientDeadMs)));
        return;
      }
      case T_ACK:
        if (this.phase !== 'online' || this.link === 0) return;
        if (this.lastReceived > this.lastAckSent || this.ackForced) {
          h.sendMessages(this, this.link, [{ seq: 0, ack: this.lastReceived, body: { type: 'ack' } }]);
          this.lastAckSent = this.lastReceived;
          this.ackForced = false;
        }
        return;
      case T_RTO: {
        if (this.phase !== 'online' || this.unacked.length === 0) return;
        const oldest = this.unacked[0]!.sentAt;
        if (h.now - oldest >= b.rtoMs) {
          this.resend(false);
          this.arm(T_RTO, h.now + b.rtoMs);
        } else {
          this.arm(T_RTO, oldest + b.rtoMs);
        }
        return;
      }
      case T_GAP:
        if (this.phase !== 'online' || this.buffer === null || this.buffer.size === 0 || this.pending !== null) return;
        // A hub message is missing: ask the hub to resend its outbox (a repeated request on the same link).
        h.count('gapResyncs');
        this.request({
          kind: 'sync',
          requestId: this.nextRequestId++,
          clientId: this.clientId as ClientId,
          credential: { secret: this.secret },
          lastReceived: this.lastReceived,
        });
        return;
      case T_FLAP:
        this.arm(T_FLAP, h.now + Math.max(1, Math.round(h.rng.exp(b.flapEveryMs))));
        if (this.link === 0 || this.phase === 'closing') return;
        h.count('flaps');
        this.dropLink();
        this.backoff();
        return;
      case T_RESTART: {
        this.arm(T_RESTART, h.now + Math.max(1, Math.round(h.rng.exp(b.restartEveryMs))));
        if (this.phase === 'terminal' || this.phase === 'idle' || this.phase === 'closing') return;
        h.count('restarts');
        const graceful = this.phase === 'online' && h.rng.chance(0.5);
        if (graceful) {
          // Say goodbye: the hub ends the session (closedByClient) and closes the link.
          this.send({ type: 'close' });
          this.phase = 'closing';
        } else {
          this.dropLink();
          this.phase = 'idle';
        }
        this.arm(T_CONNECT, h.now + h.rng.between(1_000, Math.max(1_000, b.restartPauseMs)));
        return;
      }
      default:
        throw new Error(`unknown client timer slot ${slot}`);
    }
  }
}
