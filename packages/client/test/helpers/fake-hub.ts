/**
 * A tiny hub for the engine's tests: the real core (`@dialoghub/core`'s
 * `step`) driven in virtual time, with in-test links that carry frames as
 * values, one microtask per delivery, in order. The test can lose a link
 * (both ends learn of it; frames in flight are dropped), stall one direction
 * (frames silently dropped, nothing ends), or refuse connections.
 *
 * The hub arms one timer at `nextDeadline` on the test's clock, executes
 * commands in order and confirms each application message it delivers.
 */
import {
  clientId as toClientId,
  initialState,
  linkId as toLinkId,
  nextDeadline,
  profileId as toProfileId,
  step,
  type ClientStatus,
  type CloseReason,
  type HubCommand,
  type HubConfig,
  type HubInput,
  type HubState,
  type LinkId,
  type Policy,
  type Request,
} from '@dialoghub/core';
import type { ClientFrame, ClientLink, ClientTransport, HubFrame } from '../../src/index.js';
import type { SteppingClock } from './clock.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (b: Uint8Array): string => decoder.decode(b);

export const CONTACT = Object.freeze({ name: 'Ada', phone: '+44 20 7946 0000', email: 'ada@example.org' });

/** What a link talks to: the fake hub, or a scripted peer. */
export interface LinkPeer {
  fromClient(link: FakeLink, frame: ClientFrame): void;
  input(input: HubInput): unknown;
}

export class FakeLink implements ClientLink {
  clientOpen = true;
  hubOpen = true;
  /** Client→hub frames are silently dropped (a stalled network). */
  blockUp = false;
  /** Hub→client frames are silently dropped. */
  blockDown = false;
  /** Every frame the client sent, dropped or not. */
  readonly sent: ClientFrame[] = [];
  /** Every frame delivered to the client. */
  readonly received: HubFrame[] = [];
  private readonly frameListeners = new Set<(frame: HubFrame) => void>();
  private readonly closeListeners = new Set<(reason: CloseReason | null, cause: string) => void>();
  private backlog: HubFrame[] | null = [];
  private end: { reason: CloseReason | null; cause: string } | null = null;

  constructor(
    private readonly hub: LinkPeer,
    readonly id: LinkId,
  ) {}

  send(frame: ClientFrame): Promise<void> {
    if (!this.clientOpen) return Promise.reject(new Error('the link has ended'));
    this.sent.push(frame);
    if (!this.blockUp) {
      queueMicrotask(() => {
        if (this.hubOpen) this.hub.fromClient(this, frame);
      });
    }
    return Promise.resolve();
  }

  onFrame(listener: (frame: HubFrame) => void): () => void {
    this.frameListeners.add(listener);
    const waiting = this.backlog;
    if (waiting !== null) {
      this.backlog = null;
      for (const f of waiting) listener(f);
    }
    return () => this.frameListeners.delete(listener);
  }

  onClose(listener: (reason: CloseReason | null, cause: string) => void): () => void {
    if (this.end !== null) {
      listener(this.end.reason, this.end.cause);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The client drops the link: it ends here at once; the hub hears it after what was sent before. */
  close(): void {
    if (!this.clientOpen) return;
    this.finish(null, 'closedByClient');
    queueMicrotask(() => {
      if (!this.hubOpen) return;
      this.hubOpen = false;
      this.hub.input({ type: 'connectionClosed', link: this.id, cause: 'peerClosed' });
    });
  }

  /** The hub sends a frame to the client. */
  toClient(frame: HubFrame): void {
    if (!this.hubOpen || this.blockDown) return;
    queueMicrotask(() => {
      if (!this.clientOpen) return;
      this.received.push(frame);
      if (this.backlog !== null) this.backlog.push(frame);
      else for (const l of [...this.frameListeners]) l(frame);
      if (frame.kind === 'close') this.finish(frame.reason, 'closedByHub');
    });
  }

  /** The hub's `close` command: the close frame, then the end. */
  hubClose(reason: CloseReason, reconnect: boolean): void {
    this.toClient({ kind: 'close', reason, reconnect });
    this.hubOpen = false;
  }

  /** The network loses the link: both ends learn of it, frames in flight are dropped. */
  lose(cause = 'connection reset'): void {
    const hubWasOpen = this.hubOpen;
    this.hubOpen = false;
    if (this.clientOpen) {
      this.clientOpen = false;
      queueMicrotask(() => this.finish(null, cause));
    }
    if (hubWasOpen) queueMicrotask(() => this.hub.input({ type: 'connectionClosed', link: this.id, cause }));
  }

  /** Only the client's end learns the link is gone (the hub still thinks it is up: a half-open connection). */
  vanish(cause = 'connection reset'): void {
    this.hubOpen = false;
    if (!this.clientOpen) return;
    this.clientOpen = false;
    queueMicrotask(() => this.finish(null, cause));
  }

  private finish(reason: CloseReason | null, cause: string): void {
    if (this.end !== null) return;
    this.clientOpen = false;
    this.end = { reason, cause };
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const l of listeners) l(reason, cause);
  }
}

export interface FakeHubOptions {
  readonly config?: HubConfig;
  /** The application's authentication hook: true refuses the requester (`denied`). */
  readonly deny?: (request: Request) => boolean;
}

export class FakeHub implements LinkPeer {
  state: HubState;
  readonly links: FakeLink[] = [];
  /** Every command the core emitted, in order. */
  readonly commands: HubCommand[] = [];
  /** Application messages handed to the hub's application, in order. */
  readonly delivered: { clientId: number; seq: number; appType: string; text: string }[] = [];
  /** Connection attempts (including refused ones) and their times. */
  readonly connectTimes: number[] = [];
  /** Refuse this many of the next connection attempts. */
  refuseConnects = 0;
  private nextLink = 1;
  private nextSecret = 1;
  private nextAction = 1;
  private timer: number | null = null;

  readonly transport: ClientTransport = { connect: () => this.connect() };

  constructor(
    readonly clock: SteppingClock,
    private readonly options: FakeHubOptions = {},
  ) {
    this.state = initialState(options.config ?? {}, clock.now());
  }

  connect(): Promise<ClientLink> {
    this.connectTimes.push(this.clock.now());
    if (this.refuseConnects > 0) {
      this.refuseConnects -= 1;
      return Promise.reject(new Error('ECONNREFUSED'));
    }
    const link = new FakeLink(this, toLinkId(this.nextLink++));
    this.links.push(link);
    return Promise.resolve(link);
  }

  get lastLink(): FakeLink {
    const l = this.links[this.links.length - 1];
    if (l === undefined) throw new Error('no link yet');
    return l;
  }

  fromClient(link: FakeLink, frame: ClientFrame): void {
    if (frame.kind === 'request') {
      const r = frame.request;
      const denied = this.options.deny?.(r) === true;
      const issued = r.kind === 'register' ? { secret: `issued-secret-${this.nextSecret++}` } : undefined;
      this.input({ type: 'requestReceived', link: link.id, request: r, ...(issued === undefined ? {} : { issued }), ...(denied ? { denied } : {}) });
    } else {
      this.input({ type: 'messagesReceived', link: link.id, messages: frame.messages });
    }
  }

  input(input: HubInput): readonly HubCommand[] {
    const r = step(this.state, input, this.clock.now());
    this.state = r.state;
    for (const c of r.commands) this.execute(c);
    this.arm();
    return r.commands;
  }

  private link(id: LinkId): FakeLink | undefined {
    return this.links.find((l) => l.id === id);
  }

  private execute(c: HubCommand): void {
    this.commands.push(c);
    switch (c.type) {
      case 'reply':
        this.link(c.link)?.toClient({ kind: 'answer', requestId: c.requestId, answer: c.answer });
        break;
      case 'writeDialog':
        this.link(c.link)?.toClient({ kind: 'dialog', clientId: c.clientId, messages: c.messages });
        break;
      case 'close':
        this.link(c.link)?.hubClose(c.reason, c.reconnect);
        break;
      case 'deliver': {
        this.delivered.push({ clientId: c.clientId, seq: c.seq, appType: c.appType, text: text(c.payload) });
        const { clientId, seq } = c;
        queueMicrotask(() => this.input({ type: 'appMessageHandled', clientId, seq }));
        break;
      }
      default:
        break;
    }
  }

  private arm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const due = nextDeadline(this.state);
    if (due === undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.input({ type: 'timerFired' });
    }, Math.max(0, due - this.clock.now()));
  }

  // Operator and application actions.

  createProfile(id: number, policy: Policy | null = null): void {
    this.input({ type: 'profileCreated', actionId: `a${this.nextAction++}`, profileId: toProfileId(id), name: `profile ${id}`, policy });
  }

  /** Registers a client without an engine (on a link that closes at once); returns its secret. */
  registerDirect(clientId: number, profileId: number): string {
    const link = toLinkId(900_000 + this.nextLink++);
    const secret = `issued-secret-${this.nextSecret++}`;
    this.input({
      type: 'requestReceived',
      link,
      request: { kind: 'register', requestId: 4242, clientId: toClientId(clientId), profileId: toProfileId(profileId), contact: CONTACT, environment: {} },
      issued: { secret },
    });
    this.input({ type: 'connectionClosed', link, cause: 'peerClosed' });
    return secret;
  }

  sendApp(clientId: number, appType: string, body: string): void {
    this.input({ type: 'appMessageSent', actionId: `a${this.nextAction++}`, to: { clientId: toClientId(clientId) }, appType, payload: bytes(body), replyTo: 0 });
  }

  setStatus(clientId: number, status: ClientStatus): void {
    this.input({ type: 'statusSet', actionId: `a${this.nextAction++}`, clientId: toClientId(clientId), status });
  }

  kick(clientId: number): void {
    this.input({ type: 'clientKicked', actionId: `a${this.nextAction++}`, clientId: toClientId(clientId) });
  }

  isOnline(clientId: number): boolean {
    return this.state.online.has(clientId);
  }

  /** The link the hub has the client's session on. */
  sessionLink(clientId: number): FakeLink | undefined {
    const id = this.state.online.get(clientId);
    return id === undefined ? undefined : this.link(id);
  }

  /** Close commands the hub emitted, with their reasons. */
  closes(): { link: number; reason: CloseReason }[] {
    return this.commands.flatMap((c) => (c.type === 'close' ? [{ link: c.link, reason: c.reason }] : []));
  }
}
