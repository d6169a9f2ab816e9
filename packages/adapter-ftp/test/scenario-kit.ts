/**
 * The world of the scenario tests: a real `Hub` (runtime, `MemoryStore`,
 * `ManualClock`) on the FTP mailbox (`FtpTransport`), and client engines —
 * the real `createClientActor` of @dialoghub/client — each on its own
 * `FtpClientTransport` (its own control connection, as a separate
 * installation would have), all on one test server.
 *
 * Nothing runs by itself: `round()` is one hub tick followed by one poll of
 * every engine's transport, and every wait is `until(condition)`, which runs
 * rounds until the condition holds or a bound on the number of rounds is hit
 * (a bug fails with what was awaited; no wall-clock sleep, no timing
 * assertion). Time is virtual on both sides:
 *
 * - the hub's `ManualClock` drives the core's deadlines (Sync, dead) and the
 *   transport's own (idle, linger, abandon); it moves only through
 *   `HubRig.advance`;
 * - each engine has its own `VirtualTimers` (heartbeat, timeouts, backoff):
 *   they never fire, except that an autopilot fires the backoff delay as soon
 *   as the engine enters `backoff`, so a re-login happens on the next rounds.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { createClientActor, memoryCredentials, type ClientActor, type ClientEmitted, type ClientSettings, type Credentials, type TimerClock } from '@dialoghub/client';
import { MAILBOX_TIMINGS, clientId, profileId, type CloseReason, type HubCommand, type HubConfig, type HubEvent, type Policy, type RequestKind } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, seededEntropy, type JournalRecord, type LogCommand } from '@dialoghub/runtime';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { expect } from 'vitest';
import { FtpClientTransport, FtpTransport, type FtpClientLink, type FtpClientOptions, type FtpLogEntry, type FtpTransportOptions, type HubFrame, type TickReport } from '../src/index.js';
import type { TestServer } from './servers.js';

export const CHAT = 'chat';
export const utf8 = new TextEncoder();
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
export const contact = (name: string) => ({ name, phone: '', email: `${name}@example.org` });

/** Most rounds a single wait may take before it fails (a round is a few FTP round trips on loopback). */
export const MAX_ROUNDS = 60;

/** A seeded source of 64-bit hex values (session ids, the hub's epoch): the same seed, the same names. */
export function seededHex64(seed: number): () => string {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return () => {
    for (;;) {
      const hex = next().toString(16).padStart(8, '0') + next().toString(16).padStart(8, '0');
      if (hex !== '0000000000000000') return hex;
    }
  };
}

// ---- engine time ------------------------------------------------------------------------

/** An engine's timers in virtual time: nothing fires unless `fireNext` or `advance` says so. */
export class VirtualTimers implements TimerClock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { readonly at: number; readonly fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }

  /** Fires the earliest timer, moving time to it; false when none is armed. */
  fireNext(): boolean {
    let due: [number, { readonly at: number; readonly fn: () => void }] | undefined;
    for (const e of this.timers) if (due === undefined || e[1].at < due[1].at) due = e;
    if (due === undefined) return false;
    this.timers.delete(due[0]);
    this.t = Math.max(this.t, due[1].at);
    due[1].fn();
    return true;
  }
}

// ---- the hub ------------------------------------------------------------------------------

/** An application message as the hub's handler received it. */
export interface Received {
  readonly clientId: number;
  readonly seq: number;
  readonly text: string;
}

export interface HubRigOptions {
  readonly policy?: Policy;
  readonly config?: HubConfig;
  /** Options of the hub's `FtpTransport` beyond those the rig sets. */
  readonly transport?: Partial<FtpTransportOptions>;
}

/**
 * The hub side, which can be closed and opened again on the same store and
 * mailbox (a hub restart): a new `FtpTransport` each time, as a new process
 * would make.
 */
export class HubRig {
  readonly clock = new ManualClock(1_700_000_000_000);
  store = new MemoryStore();
  readonly events = new WatchList<HubEvent>();
  readonly steps = new WatchList<{ readonly record: JournalRecord; readonly commands: readonly HubCommand[] }>();
  readonly deliveries = new WatchList<Received>();
  readonly logs = new WatchList<LogCommand>();
  readonly ftpLogs = new WatchList<FtpLogEntry>();
  readonly ticks: TickReport[] = [];
  hub: Hub | null = null;
  transport: FtpTransport | null = null;
  private runs = 0;

  constructor(
    private readonly server: TestServer,
    private readonly options: HubRigOptions = {},
  ) {}

  async open(): Promise<Hub> {
    const run = ++this.runs;
    const transport = new FtpTransport({
      server: this.server.options,
      remoteDir: this.server.mailboxDir,
      clock: this.clock,
      randomHex64: seededHex64(0x4b0b + run),
      log: (e) => this.runs === run && this.ftpLogs.push(e),
      onTick: (r) => this.runs === run && this.ticks.push(r),
      ...this.options.transport,
    });
    const hub = await Hub.open({
      transport,
      clock: this.clock,
      store: this.store,
      entropy: seededEntropy(run),
      config: { ...MAILBOX_TIMINGS, appMessageTypes: [CHAT], ...(this.options.policy === undefined ? {} : { policy: this.options.policy }), ...this.options.config },
      // A crashed run's hub may still step its own timer: only the current run is recorded.
      log: (entry) => this.runs === run && this.logs.push(entry),
      onStep: (record, commands) => this.runs === run && this.steps.push({ record, commands }),
      setup: (h) => {
        h.onAny((e) => this.runs === run && this.events.push(e));
        h.handle(CHAT, (d) => {
          if (this.runs === run) this.deliveries.push({ clientId: d.clientId as number, seq: d.seq, text: text(d.payload) });
        });
      },
    });
    this.hub = hub;
    this.transport = transport;
    if (run === 1) expect(await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'one' })).toMatchObject({ ok: true });
    return hub;
  }

  get up(): boolean {
    return this.hub !== null;
  }

  /** The running hub (throws when it is down). */
  get h(): Hub {
    if (this.hub === null) throw new Error('the hub is down');
    return this.hub;
  }

  /** Stops the hub gracefully (its transport tells every link `shutdown`). */
  async close(): Promise<void> {
    const hub = this.hub;
    this.hub = null;
    this.transport = null;
    await hub?.close();
  }

  /**
   * The hub process dies: no goodbye to any link, nothing more uploaded. The
   * next `open()` recovers from a copy of what the store held at that moment
   * (the dead run's hub is left to itself, cut off from the store, the
   * mailbox and the records).
   */
  async crash(): Promise<void> {
    const recovered = await this.store.recover();
    const copy = new MemoryStore();
    if (recovered.snapshot !== null) await copy.snapshot(recovered.snapshot.bytes, recovered.snapshot.seq);
    if (recovered.records.length > 0) await copy.append(recovered.records);
    this.store = copy;
    this.hub = null;
    this.transport = null;
    this.runs++;
  }

  async send(to: number, body: string): Promise<void> {
    const outcome = await this.h.send(clientId(to), CHAT, utf8.encode(body));
    expect(outcome, `hub.send to ${to}`).toMatchObject({ ok: true });
  }

  status(id: number): string | undefined {
    return this.h.state.clients.get(id)?.status;
  }

  /** Texts the hub's application received from client `id`, in order. */
  received(id: number): string[] {
    return this.deliveries.items.filter((d) => d.clientId === id).map((d) => d.text);
  }

  /** The kinds of the requests the hub stepped from client `id`, in order. */
  requestsFrom(id: number): RequestKind[] {
    return this.steps.items.flatMap(({ record }) =>
      record.input.type === 'requestReceived' && (record.input.request.clientId as number) === id ? [record.input.request.kind] : [],
    );
  }

  /** The links client `id` made requests on. */
  linksOf(id: number): Set<number> {
    return new Set(this.inputs('requestReceived').flatMap((r) => ((r.request.clientId as number) === id ? [r.link as number] : [])));
  }

  /** Every stepped input of `type`. */
  inputs<T extends JournalRecord['input']['type']>(type: T): Extract<JournalRecord['input'], { type: T }>[] {
    return this.steps.items.flatMap(({ record }) => (record.input.type === type ? [record.input as Extract<JournalRecord['input'], { type: T }>] : []));
  }

  /** Hub events of `type`. */
  eventsOf<T extends HubEvent['type']>(type: T): Extract<HubEvent, { type: T }>[] {
    return this.events.items.filter((e): e is Extract<HubEvent, { type: T }> => e.type === type);
  }

  /** Moves the hub's clock by `ms` and lets the hub step every deadline on the way. */
  async advance(ms: number): Promise<void> {
    this.clock.advanceBy(ms);
    for (let round = 0; round < 100; round++) {
      await this.hub?.drain();
      await settle();
      const next = this.clock.nextTimer();
      if (next === undefined || next > this.clock.now()) return;
      this.clock.fireDue();
    }
    throw new Error('the hub kept re-arming timers that were already due');
  }
}

/** Lets pending promise callbacks and immediates run (no time passes). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await nextTurn();
}

// ---- engines ------------------------------------------------------------------------------

/** One link an engine opened, as the client side saw it. */
export interface TappedLink {
  readonly link: FtpClientLink;
  readonly received: HubFrame[];
}

export type Snapshot = ReturnType<ClientActor['getSnapshot']>;

/**
 * A client installation: the real engine on its own `FtpClientTransport`,
 * with its events, the application messages it received, the acknowledged
 * refs, and a tap on every link it opened.
 */
export class Engine {
  readonly timers = new VirtualTimers();
  readonly events = new WatchList<ClientEmitted>();
  readonly links: TappedLink[] = [];
  readonly acked = new Set<number>();
  /** The report of every poll of this engine's transport. */
  readonly polls: TickReport[] = [];
  readonly ftp: FtpClientTransport;
  readonly actor: ClientActor;
  readonly store: ReturnType<typeof memoryCredentials>;
  /** The transport and the engine were switched off. */
  off = false;
  /** Rounds skip this engine's polls (a machine asleep: nothing runs, nothing is lost). */
  asleep = false;
  /** The last `connect()` of the transport (a round waits for it: it is real I/O, like a poll). */
  opening: Promise<unknown> = Promise.resolve();
  private nextRef = 0;

  constructor(
    readonly name: string,
    server: TestServer,
    credentials: Credentials,
    seed: number,
    settings: Partial<ClientSettings> = {},
    client: Partial<FtpClientOptions> = {},
  ) {
    this.store = memoryCredentials(credentials);
    this.ftp = new FtpClientTransport({ server: server.options, remoteDir: server.mailboxDir, randomHex64: seededHex64(seed), onPoll: (r) => this.polls.push(r), ...client });
    this.actor = createClientActor({
      transport: {
        connect: async () => {
          const opening = this.ftp.connect();
          this.opening = opening;
          const link = await opening;
          const tapped: TappedLink = { link, received: [] };
          this.links.push(tapped);
          // Registered before the engine's listener (so it also gets any backlog); the engine's sees every frame after it.
          link.onFrame((f) => tapped.received.push(f));
          return link;
        },
      },
      getCredentials: () => this.store.getCredentials(),
      onRegistered: (issued) => this.store.onRegistered(issued),
      random: () => 0.5,
      clock: this.timers,
      // The seed's client: a Null after 24 silent 30 s ticks; no heartbeat timer ever fires here unless a test fires it.
      heartbeatIntervalMs: 600_000,
      heartbeatTimeoutMs: 3_600_000,
      ...settings,
    });
    this.actor.on('*', (e) => {
      if (e.type === 'acknowledged') for (const r of e.refs) this.acked.add(r);
      this.events.push(e);
    });
    this.actor.subscribe((s) => {
      if (s.matches('backoff')) setImmediate(() => this.fireBackoff());
    });
  }

  /** The actor was started. */
  started = false;

  /** Starts the engine (the user's run: a registration or a `login`). Idempotent. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.actor.start();
    this.actor.send({ type: 'start' });
    return this;
  }

  /** Sends a chat message; returns its ref (in `acked` once the hub acknowledged it). */
  send(body: string): number {
    const ref = ++this.nextRef;
    this.actor.send({ type: 'send', appType: CHAT, payload: utf8.encode(body), replyTo: 0, ref });
    return ref;
  }

  /** The user stops the engine (a Close goes to the hub when online). */
  stop(): void {
    this.actor.send({ type: 'stop' });
  }

  /** The machine is switched off: the engine and its transport stop, nothing more is written. */
  async powerOff(): Promise<void> {
    this.off = true;
    this.actor.stop();
    await this.ftp.close();
  }

  private fireBackoff(): void {
    if (this.off) return;
    if (this.actor.getSnapshot().matches('backoff')) this.timers.fireNext();
  }

  snapshot(): Snapshot {
    return this.actor.getSnapshot();
  }

  get isOnline(): boolean {
    return this.snapshot().matches({ attached: 'online' });
  }

  get isStopped(): boolean {
    return this.snapshot().matches('stopped');
  }

  get stopReason(): string | null {
    return this.snapshot().context.stopReason;
  }

  get clientId(): number {
    return this.snapshot().context.clientId ?? 0;
  }

  /** The current (last opened) link. */
  get link(): FtpClientLink {
    const l = this.links.at(-1);
    if (l === undefined) throw new Error(`${this.name} has no link`);
    return l.link;
  }

  /** Texts of the application messages the engine handed over, in order. */
  get messages(): string[] {
    return this.events.items.flatMap((e) => (e.type === 'message' ? [text(e.payload)] : []));
  }

  /** The close frames the hub sent on this engine's links, in order. */
  get closes(): { readonly reason: CloseReason; readonly reconnect: boolean }[] {
    return this.links.flatMap((l) => l.received.flatMap((f) => (f.kind === 'close' ? [{ reason: f.reason, reconnect: f.reconnect }] : [])));
  }
}

// ---- the world ----------------------------------------------------------------------------

export class World {
  readonly hub: HubRig;
  readonly engines: Engine[] = [];
  /** Client transports driven by something else than an `Engine` (the promise facade): polled in every round too. */
  readonly transports: FtpClientTransport[] = [];
  rounds = 0;
  private seed = 1;

  constructor(
    readonly server: TestServer,
    options: HubRigOptions = {},
  ) {
    this.hub = new HubRig(server, options);
  }

  /** A new engine (not started) that registers `id` in `profile` (default 1), or logs in with `credentials`. */
  engine(name: string, credentials: Credentials | number, profile = 1, settings: Partial<ClientSettings> = {}, client: Partial<FtpClientOptions> = {}): Engine {
    const c: Credentials = typeof credentials === 'number' ? { register: { profileId: profile, clientId: credentials, contact: contact(name) } } : credentials;
    const e = new Engine(name, this.server, c, 0xe000 + this.seed++, settings, client);
    this.engines.push(e);
    return e;
  }

  /** One hub tick (when the hub is up, and unless `hub` is false), then one poll of every engine that is not switched off. */
  async round(hub = true): Promise<void> {
    this.rounds++;
    const t = this.hub.transport;
    if (t !== null && hub) await t.tick();
    await settle();
    for (const e of this.engines) if (!e.off && !e.asleep) await e.ftp.poll();
    for (const t of this.transports) await t.poll();
    // A link being opened is I/O in flight: the round ends when it has, so a round is never an empty spin.
    await Promise.allSettled(this.engines.map((e) => e.opening));
    await settle();
  }

  /** Runs rounds until `done()` holds; fails after `maxRounds` with `what`. With `hub` false, only the engines poll. */
  async until(done: () => boolean, what: string, maxRounds = MAX_ROUNDS, hub = true): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      if (done()) return;
      await this.round(hub);
    }
    if (!done()) throw new Error(`not reached in ${maxRounds} rounds: ${what}`);
  }

  /** Runs exactly `n` rounds (time for something that must NOT happen to show up). */
  async idle(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.round();
  }

  /** Starts `engine` and waits until it is online. */
  async online(engine: Engine): Promise<void> {
    engine.start();
    await this.until(() => engine.isOnline || engine.isStopped, `${engine.name} online`);
    expect(engine.stopReason, `${engine.name} stopped (${engine.snapshot().context.lastFailure})`).toBeNull();
  }

  /** Names of the files in the mailbox's two directories, on the server's disk. */
  files(): { readonly c2h: string[]; readonly h2c: string[] } {
    // `diskRoot` is what the login directory's `box/` (vsftpd) or the login directory itself (ftp-srv) holds.
    const dir = join(this.server.diskRoot, this.server.mailboxDir.replace(/^box\//, ''));
    const list = (d: string): string[] => {
      try {
        return readdirSync(join(dir, d)).sort();
      } catch {
        return [];
      }
    };
    return { c2h: list('c2h'), h2c: list('h2c') };
  }

  async dispose(): Promise<void> {
    for (const e of this.engines) if (!e.off) await e.powerOff().catch(() => {});
    for (const t of this.transports) await t.close().catch(() => {});
    await this.hub.close();
    await this.server.dispose();
  }
}
