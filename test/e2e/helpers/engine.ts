/**
 * A client engine (the real `createClientActor`) on real TCP/TLS links to a
 * hub, in its own virtual time, with everything observable:
 *
 * - its own `SteppingClock`: heartbeats, timeouts and backoff move only when
 *   the test moves them, except that an **autopilot** fires the backoff
 *   delay as soon as the engine enters `backoff` (so a reconnect happens at
 *   once, on real sockets), unless the test holds it (`hold()` /
 *   `release()`) to choose when the re-login happens;
 * - a **tap** on each link it opens: the frames the hub sent on it (so a
 *   test sees the close frame's reason *and* its `reconnect` flag, which the
 *   engine consumes), the frames sent, how the link ended, and the
 *   `TcpClientLink` itself (to destroy its socket);
 * - its emitted events in a `WatchList`, its state through `until(...)`,
 *   the refs the hub acknowledged, the application messages it received.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { connectTcp, type ClientFrame, type ClientLinkEnd, type HubFrame, type TcpClientLink, type TlsClientOptions } from '@dialoghub/adapter-tcp';
import {
  createClientActor,
  memoryCredentials,
  type ClientActor,
  type ClientEmitted,
  type ClientLink,
  type ClientSettings,
  type Credentials,
  type StopReason,
} from '@dialoghub/client';
import type { CloseReason } from '@dialoghub/core';
import { expect } from 'vitest';
import { SteppingClock, settle } from './clock.js';
import { CHAT } from './hub.js';
import { onCleanup, text, utf8, within } from './wait.js';

/** One link the engine opened, as seen from the client side. */
export interface TappedLink {
  readonly tcp: TcpClientLink;
  readonly received: WatchList<HubFrame>;
  readonly sent: ClientFrame[];
  readonly end: WatchList<ClientLinkEnd>;
}

export interface EngineOptions {
  /** The hub's port, or a function that resolves it at each connect (a restarted hub listens elsewhere). */
  readonly port: number | (() => number | Promise<number>);
  readonly credentials: Credentials;
  readonly tls?: TlsClientOptions;
  readonly settings?: Partial<ClientSettings>;
  readonly random?: () => number;
  readonly name?: string;
  /** Awaited before each attempt's credentials are handed over (attempt counts from 1): to make a login late. */
  readonly beforeCredentials?: (attempt: number) => Promise<void>;
}

export type Snapshot = ReturnType<ClientActor['getSnapshot']>;

export class Engine {
  readonly clock = new SteppingClock();
  readonly events = new WatchList<ClientEmitted>();
  readonly links: TappedLink[] = [];
  readonly store: ReturnType<typeof memoryCredentials>;
  readonly actor: ClientActor;
  readonly name: string;
  /** Refs the hub acknowledged. */
  readonly acked = new Set<number>();
  /** Calls to the transport's `connect()`. */
  connects = 0;
  /** Calls to `getCredentials()`. */
  credentialCalls = 0;
  private held = false;
  private ref = 0;
  private readonly waiters: { probe: (s: Snapshot) => boolean; resolve: () => void }[] = [];
  private firing = false;

  constructor(private readonly options: EngineOptions) {
    this.name = options.name ?? 'engine';
    this.store = memoryCredentials(options.credentials);
    this.actor = createClientActor({
      transport: { connect: () => this.connect() },
      getCredentials: async () => {
        const attempt = ++this.credentialCalls;
        await options.beforeCredentials?.(attempt);
        return this.store.getCredentials();
      },
      onRegistered: this.store.onRegistered,
      random: options.random ?? (() => 0.5),
      clock: this.clock,
      ...options.settings,
    });
    this.actor.on('*', (e) => {
      if (e.type === 'acknowledged') for (const r of e.refs) this.acked.add(r);
      this.events.push(e);
    });
    this.actor.subscribe((s) => this.observe(s));
  }

  /** Starts the engine (the user's run: a `login`, or the registration). */
  start(): this {
    this.actor.start();
    this.actor.send({ type: 'start' });
    onCleanup(() => this.actor.stop());
    return this;
  }

  private async connect(): Promise<ClientLink> {
    this.connects++;
    const port = typeof this.options.port === 'number' ? this.options.port : await this.options.port();
    const tcp = await connectTcp({ port, lingerMs: 500, ...(this.options.tls === undefined ? {} : { tls: this.options.tls }) });
    const tapped: TappedLink = { tcp, received: new WatchList(), sent: [], end: new WatchList() };
    this.links.push(tapped);
    // Registered first: the tap sees every frame; the engine's own listener (added next) sees every frame from then on.
    tcp.onFrame((f) => tapped.received.push(f));
    tcp.onClose((reason, cause) => tapped.end.push({ reason, cause }));
    return {
      send: (frame) => {
        tapped.sent.push(frame);
        return tcp.send(frame);
      },
      onFrame: (listener) => tcp.onFrame(listener),
      onClose: (listener) => tcp.onClose(listener),
      close: () => tcp.close(),
    };
  }

  // ---- state -------------------------------------------------------------------------

  private observe(s: Snapshot): void {
    for (const w of [...this.waiters]) {
      if (w.probe(s)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    if (s.matches('backoff') && !this.held) setImmediate(() => this.fireBackoff());
  }

  /** The autopilot: fires the backoff delay at once (the engine then reconnects on a real socket). */
  private fireBackoff(): void {
    if (this.firing || this.held || !this.actor.getSnapshot().matches('backoff')) return;
    const at = this.clock.nextDue();
    if (at === undefined) return;
    this.firing = true;
    try {
      this.clock.set(Math.max(at, this.clock.now()));
    } finally {
      this.firing = false;
    }
  }

  /** Keeps the engine waiting in `backoff` until `release()`. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (this.actor.getSnapshot().matches('backoff')) setImmediate(() => this.fireBackoff());
  }

  snapshot(): Snapshot {
    return this.actor.getSnapshot();
  }

  /** Resolves once the engine's state satisfies `probe`. */
  until(probe: (s: Snapshot) => boolean, what: string): Promise<void> {
    if (probe(this.snapshot())) return Promise.resolve();
    return within(new Promise<void>((resolve) => this.waiters.push({ probe, resolve })), `${this.name}: ${what}`);
  }

  get isOnline(): boolean {
    return this.snapshot().matches({ attached: 'online' });
  }

  get isStopped(): boolean {
    return this.snapshot().matches('stopped');
  }

  get stopReason(): StopReason | null {
    return this.snapshot().context.stopReason;
  }

  get clientId(): number {
    return this.snapshot().context.clientId ?? 0;
  }

  online(): Promise<void> {
    return this.until((s) => s.matches({ attached: 'online' }) || s.matches('stopped'), 'online').then(() => {
      expect(this.stopReason, `${this.name} stopped instead of going online (${this.snapshot().context.lastFailure})`).toBeNull();
    });
  }

  stopped(): Promise<StopReason | null> {
    return this.until((s) => s.matches('stopped'), 'stopped').then(() => this.stopReason);
  }

  /** Waits for the `n`-th emitted event of `type` (1-based). */
  nth<K extends ClientEmitted['type']>(type: K, n: number): Promise<Extract<ClientEmitted, { type: K }>> {
    type E = Extract<ClientEmitted, { type: K }>;
    return within(
      this.events.until((items) => items.filter((e): e is E => e.type === type)[n - 1]),
      `${this.name}: event ${type} #${n}`,
    );
  }

  count(type: ClientEmitted['type']): number {
    return this.events.items.filter((e) => e.type === type).length;
  }

  // ---- the dialog ----------------------------------------------------------------------

  /** Queues a `chat` message; returns its ref. */
  send(body: string): number {
    const ref = ++this.ref;
    this.actor.send({ type: 'send', appType: CHAT, payload: utf8.encode(body), ref });
    return ref;
  }

  /** Resolves once the hub acknowledged every ref in `refs`. */
  acknowledged(refs: readonly number[]): Promise<void> {
    return within(
      this.events.until(() => (refs.every((r) => this.acked.has(r)) ? true : undefined)).then(() => undefined),
      `${this.name}: acknowledgement of refs ${refs[0]}..${refs[refs.length - 1]}`,
    );
  }

  /** The application messages received, in order, as `{ seq, text }`. */
  messages(): { seq: number; text: string }[] {
    return this.events.items.flatMap((e) => (e.type === 'message' ? [{ seq: e.seq, text: text(e.payload) }] : []));
  }

  /** Resolves once `count` application messages were received. */
  received(count: number): Promise<void> {
    return within(
      this.events.until(() => (this.messages().length >= count ? true : undefined)).then(() => undefined),
      `${this.name}: ${count} messages from the hub`,
    );
  }

  // ---- links -------------------------------------------------------------------------

  /** The link opened last. */
  get link(): TappedLink {
    const l = this.links[this.links.length - 1];
    if (l === undefined) throw new Error(`${this.name} has opened no link`);
    return l;
  }

  /** The close frame the hub sent on a link, if any. */
  static closeFrame(link: TappedLink): { reason: CloseReason; reconnect: boolean } | undefined {
    const f = link.received.items.find((x): x is Extract<HubFrame, { kind: 'close' }> => x.kind === 'close');
    return f === undefined ? undefined : { reason: f.reason, reconnect: f.reconnect };
  }

  /** The answers the hub sent on a link. */
  static answers(link: TappedLink) {
    return link.received.items.flatMap((x) => (x.kind === 'answer' ? [x.answer] : []));
  }

  /** Waits until the link has ended (client side). */
  static ended(link: TappedLink): Promise<ClientLinkEnd> {
    return within(link.end.first(() => true), 'the link to end');
  }

  /**
   * Asserts the engine is stopped for good: no timer armed (nothing can wake
   * it), and an hour of its virtual time later it has opened no link.
   */
  async expectNoReconnect(): Promise<void> {
    expect(this.isStopped, `${this.name} is stopped`).toBe(true);
    const connects = this.connects;
    expect(this.clock.pending, `${this.name}: timers armed while stopped`).toBe(0);
    await this.clock.advance(3_600_000);
    await settle();
    expect(this.connects, `${this.name}: links opened after stopping`).toBe(connects);
    expect(this.isStopped).toBe(true);
  }
}

export function startEngine(options: EngineOptions): Engine {
  return new Engine(options).start();
}

/** Registration credentials for a fixed client id in profile 1. */
export function registration(id: number, profile = 1): Credentials {
  return { register: { profileId: profile, clientId: id, contact: { name: `client ${id}`, phone: '', email: '' } } };
}
