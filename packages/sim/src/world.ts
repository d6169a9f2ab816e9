/**
 * Theory of operation: the world — one hub, N simulated client processes, a
 * seeded network, and a simulated application, advanced by a discrete-event
 * loop in virtual time.
 *
 * Everything that happens is an event in one queue ordered by (time,
 * insertion): a frame reaching the hub or a client, a client timer, the hub's
 * one timer, a group commit, the application finishing a hand-over, a push, a
 * crash, a restart, a partition. Handling an event may step the core (through
 * `HubHost`) and schedule more events; nothing else moves time. All
 * randomness comes from the world's one PRNG, so a run is a pure function of
 * its options.
 *
 * The transport is modelled as the memory adapter would carry it: links with
 * ids that are never reused, each open on the hub's side and on the client's
 * side separately. A frame travels through the network emulator; a command on
 * a link the hub already closed fails (`commandFailed`), as the adapter
 * contract says; a `close` reaches the client before the link ends; a link the
 * client drops reaches the hub as `connectionClosed` one latency later (at the
 * partition's detection when the client is cut off); a crash drops every link.
 *
 * Checks: the core-level ones after every step (`CoreChecker`, inside
 * `HubHost`), the end-to-end ones as clients and the application see things
 * (`Oracle`), and both at the end. The first violation stops the run.
 */
import {
  clientDialogOf,
  type Answer,
  type CloseReason,
  type CommandId,
  type DialogMessage,
  type HubCommand,
  type HubConfig,
  type HubInput,
  type LinkId,
  type ProfileId,
  type ClientId,
  type Request,
  type Step,
} from '@dialoghub/core';
import { CoreChecker } from './checker.js';
import { SimClient, T_CONNECT, type ClientHost } from './client.js';
import { EventQueue } from './event-queue.js';
import { HubHost, type StepMeta } from './hub-host.js';
import { Netem, newDirection, type Direction } from './netem.js';
import type { ResolvedSimOptions, StepFn } from './options.js';
import { Oracle } from './oracle.js';
import { encodePayload, PUSH_MAGIC } from './payload.js';
import { Rng } from './rng.js';
import type { EndToEndViolationKind, Violation } from './violation.js';

/** The virtual time a run starts at (2023-11-14T22:13:20Z): a realistic epoch-milliseconds clock. */
export const SIM_EPOCH = 1_700_000_000_000;

const E_HUB_FRAME = 0;
const E_CLIENT_FRAME = 1;
const E_HUB_LINK_LOST = 2;
const E_CLIENT_LINK_LOST = 3;
const E_CLIENT_TIMER = 4;
const E_HUB_TIMER = 5;
const E_COMMIT = 6;
const E_APP_HANDLED = 7;
const E_APP_PUSH = 8;
const E_CRASH = 9;
const E_RESTART = 10;
const E_PARTITION = 11;
const E_PARTITION_DETECT = 12;
const E_COMMAND_FAILED = 13;
const E_CONNECT = 14;
const E_PROGRESS = 15;
const E_CLONE = 16;
const E_CRASH_NOW = 17;
const E_OPERATOR = 18;

/** A link is lost to both ends this long after a partition cut it (a transport keep-alive timeout). */
const PARTITION_DETECT_MS = 60_000;

type ToHub = { readonly k: 0; readonly request: Request } | { readonly k: 1; readonly messages: readonly DialogMessage[] };
type ToClient =
  | { readonly k: 0; readonly requestId: number; readonly answer: Answer }
  | { readonly k: 1; readonly messages: readonly DialogMessage[] }
  | { readonly k: 2; readonly reason: CloseReason; readonly reconnect: boolean };

interface Link {
  readonly id: number;
  readonly client: SimClient;
  hubOpen: boolean;
  clientOpen: boolean;
  readonly up: Direction;
  readonly down: Direction;
}

interface Partition {
  readonly from: number;
  readonly count: number;
  readonly until: number;
}

/** What the world's application wants back with a step's commands. */
interface AppMeta {
  push?: { target: number; k: number; n: number; ok: boolean; actionId: string };
  confirm?: { clientId: number; seq: number };
}

/** Counters of a run. */
export interface SimStats {
  /** Clients registered (`clientRegistered`). */
  registrations: number;
  /** Sessions opened by start, login, sync or resume (`clientOnline` not via register). */
  logins: number;
  /** Disabled clients re-enabled by their own request (resume, or login of a disabled client). */
  resumes: number;
  /** Takeovers (`takeover` events) by close reason: replaced, disabled, banned, pushedOut. */
  takeovers: Record<string, number>;
  /** Application messages handed over (`deliver`), re-deliveries after crashes included. */
  messagesDelivered: number;
  /** Pushes and answers the application was told were queued. */
  pushes: number;
  /** Application messages the clients received from the hub. */
  pushesReceived: number;
  crashes: number;
  /** Frames the network lost (loss, partitions). */
  lost: number;
  /** Inputs stepped but never committed, discarded by crashes. */
  uncommitted: number;
  frames: { sent: number; duplicated: number; reordered: number };
  partitions: number;
  snapshots: number;
  /** Refusals by reason (`requestRejected`). */
  rejections: Record<string, number>;
  /** Sessions ended, by reason (`clientOffline`). */
  offline: Record<string, number>;
  /** Client-side events: terminal stops by reason, relaunches, flaps, restarts, resends, gap resyncs… */
  clientEvents: Record<string, number>;
  /** The hub's log commands by event. */
  hubLogs: Record<string, number>;
  /** Inputs the hub stepped, by type. */
  inputs: Record<string, number>;
  /** Operator actions by kind and outcome (`disable:ok`, `delete:notReset`…). */
  operator: Record<string, number>;
  /** At the end of the run. */
  onlineAtEnd: number;
  clientsAtEnd: number;
  /** Hub→client messages still unacknowledged at the end. */
  outboxAtEnd: number;
  /** Pushes not yet received at the end; the age of the oldest one whose client is online; the longest delivery delay seen. */
  pushesPendingAtEnd: number;
  oldestPendingPushToOnlineMs: number | null;
  maxPushDelayMs: number;
}

function bump(r: Record<string, number>, key: string): void {
  r[key] = (r[key] ?? 0) + 1;
}

export class World implements ClientHost {
  now: number;
  readonly rng: Rng;
  readonly start: number;
  readonly end: number;
  readonly hub: HubHost;
  readonly oracle = new Oracle();
  readonly netem: Netem;
  readonly checker = new CoreChecker(true);
  readonly clients: SimClient[] = [];
  readonly violations: Violation[] = [];
  readonly stats: SimStats;
  readonly config: HubConfig;
  private readonly q = new EventQueue();
  private readonly byId = new Map<number, SimClient[]>();
  private readonly links = new Map<number, Link>();
  private nextLink = 1;
  private stopped = false;
  private readonly pushCounters = new Map<number, number>();
  private readonly known: number[] = [];
  private readonly knownSet = new Set<number>();
  private readonly appBusy = new Map<number, number>();
  private readonly cloneOf = new Map<number, number>();
  private actionSeq = 0;
  /** Clients the operator reset: their `reset` answer is expected, not a lost registration. */
  private readonly resetByOperator = new Set<number>();
  /** A crash is due: it strikes right after the next step, while that step's batch is not yet committed. */
  private crashArmed = false;
  private onProgress: ((fraction: number) => void) | undefined;

  constructor(
    readonly o: ResolvedSimOptions,
    stepFn: StepFn,
  ) {
    this.rng = new Rng(o.seed);
    this.start = SIM_EPOCH;
    this.now = SIM_EPOCH;
    this.end = SIM_EPOCH + Math.round(o.hours * 3_600_000);
    this.netem = new Netem(this.rng, o.faults, o.network);
    this.config = { ...o.hub, policy: o.policy, ...o.timings, appMessageTypes: ['chat'] };
    this.stats = {
      registrations: 0,
      logins: 0,
      resumes: 0,
      takeovers: {},
      messagesDelivered: 0,
      pushes: 0,
      pushesReceived: 0,
      crashes: 0,
      lost: 0,
      uncommitted: 0,
      frames: { sent: 0, duplicated: 0, reordered: 0 },
      partitions: 0,
      snapshots: 0,
      rejections: {},
      offline: {},
      clientEvents: {},
      hubLogs: {},
      inputs: {},
      operator: {},
      onlineAtEnd: 0,
      clientsAtEnd: 0,
      outboxAtEnd: 0,
      pushesPendingAtEnd: 0,
      oldestPendingPushToOnlineMs: null,
      maxPushDelayMs: 0,
    };
    this.hub = new HubHost(
      this.config,
      this.start,
      stepFn,
      this.checker,
      o.shell,
      {
        scheduleCommit: (at, gen) => this.q.push(at, E_COMMIT, gen),
        scheduleTimer: (at, gen) => this.q.push(at, E_HUB_TIMER, gen),
        afterStep: (input, result, meta) => this.afterStep(input, result, meta as AppMeta | null),
        execute: (commands, meta, now) => this.execute(commands, meta as AppMeta | null, now),
        violation: (v) => this.fail(v),
      },
      o.keepHistory,
      o.fullCheckEvery,
    );
    this.populate();
  }

  // ---- set-up ------------------------------------------------------------------------------

  private populate(): void {
    const o = this.o;
    const b = o.behaviour;
    const rng = this.rng;
    // The operator creates the profiles.
    for (let p = 1; p <= o.profiles; p++) {
      this.hub.feed({ type: 'profileCreated', actionId: `profile-${p}`, profileId: p as ProfileId, name: `profile ${p}` }, this.start);
    }
    this.hub.commit(this.start);
    const shared = Math.min(o.clients - 1, Math.round(o.clients * b.sharedIdFraction));
    const originals = o.clients - shared;
    for (let i = 0; i < o.clients; i++) {
      const original = i >= originals ? rng.int(originals) : -1;
      const profileId = original >= 0 ? this.clients[original]!.traits.profileId : (i % o.profiles) + 1;
      const c = new SimClient(
        i,
        i + 1,
        {
          profileId,
          baseLatency: this.netem.baseLatency(),
          quiet: rng.chance(b.quietFraction),
          usesStart: rng.chance(b.startFraction),
          flapper: rng.chance(o.faults.flap),
          restarter: rng.chance(b.restartFraction),
        },
        this,
        b,
      );
      this.clients.push(c);
      if (original >= 0) {
        this.cloneOf.set(i, original);
        const span = Math.max(1, Math.floor((this.end - this.start - b.joinOverMs) / 2));
        this.q.push(this.start + b.joinOverMs + rng.int(span), E_CLONE, i);
      } else {
        c.arm(T_CONNECT, this.start + 1 + rng.int(Math.max(1, b.joinOverMs)));
      }
    }
    const span = this.end - this.start;
    for (let k = 0; k < o.faults.crash; k++) {
      const spacing = span / (o.faults.crash + 1);
      this.q.push(Math.round(this.start + spacing * (k + 1) + (rng.float() - 0.5) * spacing * 0.5), E_CRASH);
    }
    for (let k = 0; k < o.faults.partitions; k++) {
      const count = Math.max(1, rng.between(Math.ceil(o.clients * 0.005), Math.ceil(o.clients * 0.05)));
      const from = rng.int(o.clients);
      const duration = rng.between(30_000, 15 * 60_000);
      this.q.push(this.start + Math.round(span * (0.05 + 0.9 * rng.float())), E_PARTITION, from, count, duration);
    }
    this.q.push(this.start + this.pushGap(), E_APP_PUSH);
    if (b.operatorEveryMs > 0) this.q.push(this.start + b.joinOverMs + Math.round(rng.exp(b.operatorEveryMs)), E_OPERATOR);
    this.q.push(this.start + Math.max(1, Math.floor(span / 100)), E_PROGRESS);
  }

  private pushGap(): number {
    return Math.max(1, Math.round(this.rng.exp(this.o.behaviour.pushEveryMs / this.o.clients)));
  }

  // ---- the loop ------------------------------------------------------------------------------

  /** Runs the world to its end (or its first violation). */
  run(onProgress?: (fraction: number) => void): void {
    this.onProgress = onProgress;
    const q = this.q;
    while (!this.stopped) {
      if (q.peekTime() > this.end) break;
      const e = q.pop()!;
      this.now = e.t;
      this.dispatch(e.kind, e.a, e.b, e.x);
      q.release(e);
    }
    if (!this.stopped) this.now = this.end;
    this.finish();
  }

  private dispatch(kind: number, a: number, b: number, x: unknown): void {
    switch (kind) {
      case E_HUB_FRAME:
        return this.hubFrame(a, x as ToHub);
      case E_CLIENT_FRAME:
        return this.clientFrame(a, x as ToClient);
      case E_HUB_LINK_LOST: {
        const l = this.links.get(a);
        if (l === undefined || !l.hubOpen || !this.hub.up) return;
        l.hubOpen = false;
        this.cleanup(l);
        this.hub.feed({ type: 'connectionClosed', link: a as LinkId, cause: x as string }, this.now);
        return;
      }
      case E_CLIENT_LINK_LOST: {
        const l = this.links.get(a);
        if (l === undefined || !l.clientOpen) return;
        l.clientOpen = false;
        this.cleanup(l);
        l.client.onLinkLost(a);
        return;
      }
      case E_CLIENT_TIMER: {
        const c = this.clients[a]!;
        const slot = b % 16;
        if (c.gens[slot] === Math.floor(b / 16)) c.onTimer(slot);
        return;
      }
      case E_HUB_TIMER:
        return this.hub.onTimer(a, this.now);
      case E_COMMIT:
        return this.hub.onCommitDue(a, this.now);
      case E_APP_HANDLED:
        return this.appHandled(a, b, x as number);
      case E_APP_PUSH:
        return this.appPush();
      case E_CRASH:
        if (this.hub.pending > 0) return this.crash();
        this.crashArmed = true;
        return;
      case E_CRASH_NOW:
        return this.crash();
      case E_RESTART:
        this.hub.restart(this.now);
        return;
      case E_PARTITION:
        return this.partition(a, b, x as number);
      case E_PARTITION_DETECT:
        return this.partitionDetected(x as Partition);
      case E_COMMAND_FAILED:
        if (a === this.oracle.life && this.hub.up) this.hub.feed(x as HubInput, this.now);
        return;
      case E_CONNECT:
        return this.connected(a, b);
      case E_PROGRESS:
        this.onProgress?.((this.now - this.start) / (this.end - this.start));
        this.q.push(this.now + Math.max(1, Math.floor((this.end - this.start) / 100)), E_PROGRESS);
        return;
      case E_CLONE:
        return this.clone(a);
      case E_OPERATOR:
        return this.operate();
      default:
        throw new Error(`unknown event kind ${kind}`);
    }
  }

  private fail(v: Violation): void {
    if (this.stopped) return;
    this.violations.push(v);
    this.stopped = true;
    this.hub.stopped = true;
  }

  // ---- the transport -----------------------------------------------------------------------------

  private cleanup(l: Link): void {
    if (!l.hubOpen && !l.clientOpen) this.links.delete(l.id);
  }

  private cut(c: SimClient): boolean {
    return c.cutUntil > this.now;
  }

  private hubFrame(linkId: number, frame: ToHub): void {
    const l = this.links.get(linkId);
    if (l === undefined || !l.hubOpen || !this.hub.up || this.cut(l.client)) {
      this.stats.lost++;
      return;
    }
    const link = linkId as LinkId;
    if (frame.k === 0) {
      const request = frame.request;
      // The shell draws a registration's secret (entropy enters the core in an input).
      const input: HubInput =
        request.kind === 'register' ? { type: 'requestReceived', link, request, issued: { secret: this.rng.hex(16) } } : { type: 'requestReceived', link, request };
      this.hub.feed(input, this.now);
    } else {
      this.hub.feed({ type: 'messagesReceived', link, messages: frame.messages }, this.now);
    }
  }

  private clientFrame(linkId: number, frame: ToClient): void {
    const l = this.links.get(linkId);
    if (l === undefined) return;
    const c = l.client;
    if (this.cut(c)) {
      this.stats.lost++;
      return;
    }
    if (frame.k === 2) {
      const wasOpen = l.clientOpen;
      l.clientOpen = false;
      this.cleanup(l);
      if (wasOpen) c.onClose(linkId, frame.reason, frame.reconnect);
      return;
    }
    if (!l.clientOpen) return;
    if (frame.k === 0) c.onReply(linkId, frame.requestId, frame.answer);
    else c.onDialog(linkId, frame.messages);
  }

  private route(l: Link, down: boolean, frame: ToHub | ToClient, reliable: boolean): void {
    const netem = this.netem;
    const n = netem.route(down ? l.down : l.up, l.client.traits.baseLatency, this.now, reliable);
    const kind = down ? E_CLIENT_FRAME : E_HUB_FRAME;
    for (let i = 0; i < n; i++) this.q.push(netem.arrivals[i]!, kind, l.id, 0, frame);
  }

  /** A transport command the hub gave: carried out, or failed back to the hub. */
  private transmit(linkId: LinkId, commandId: CommandId, command: 'reply' | 'writeDialog', frame: ToClient): void {
    const l = this.links.get(linkId);
    if (l === undefined || !l.hubOpen || this.rng.chance(this.o.faults.writeFail)) {
      const input: HubInput = { type: 'commandFailed', commandId, command, link: linkId, reason: l === undefined || !l.hubOpen ? 'link closed' : 'write failed' };
      this.q.push(this.now, E_COMMAND_FAILED, this.oracle.life, 0, input);
      return;
    }
    if (this.cut(l.client)) {
      this.stats.lost++;
      return;
    }
    this.route(l, true, frame, false);
  }

  // ---- ClientHost ---------------------------------------------------------------------------------

  connect(c: SimClient): void {
    if (!this.hub.up || this.cut(c)) {
      this.q.push(this.now + this.o.behaviour.connectFailMs, E_CONNECT, c.index, 0);
      return;
    }
    const id = this.nextLink++;
    this.links.set(id, { id, client: c, hubOpen: true, clientOpen: true, up: newDirection(), down: newDirection() });
    this.q.push(this.now + c.traits.baseLatency, E_CONNECT, c.index, id);
  }

  private connected(index: number, linkId: number): void {
    const c = this.clients[index]!;
    const l = linkId === 0 ? undefined : this.links.get(linkId);
    if (l === undefined || !l.hubOpen || !l.clientOpen) {
      if (l !== undefined) {
        l.clientOpen = false;
        this.cleanup(l);
      }
      c.onConnectFailed();
      return;
    }
    c.onConnected(linkId);
  }

  sendRequest(c: SimClient, link: number, request: Request): void {
    const l = this.links.get(link);
    if (l === undefined || !l.clientOpen) return;
    if (this.cut(c)) {
      this.stats.lost++;
      return;
    }
    this.route(l, false, { k: 0, request }, false);
  }

  sendMessages(c: SimClient, link: number, messages: DialogMessage[]): void {
    const l = this.links.get(link);
    if (l === undefined || !l.clientOpen) return;
    if (this.cut(c)) {
      this.stats.lost++;
      return;
    }
    this.route(l, false, { k: 1, messages }, false);
  }

  dropLink(c: SimClient, link: number): void {
    const l = this.links.get(link);
    if (l === undefined || !l.clientOpen) return;
    l.clientOpen = false;
    // The hub hears of it one latency later, unless the client is cut off (then at the partition's detection).
    if (l.hubOpen && !this.cut(c)) this.q.push(this.now + c.traits.baseLatency, E_HUB_LINK_LOST, link, 0, 'clientDropped');
    this.cleanup(l);
  }

  setTimer(c: SimClient, slot: number, at: number): void {
    const gen = ++c.gens[slot]!;
    this.q.push(Math.max(at, this.now), E_CLIENT_TIMER, c.index, gen * 16 + slot);
  }

  clientIdChanged(c: SimClient, previous: number): void {
    if (previous !== 0) {
      const list = this.byId.get(previous);
      if (list !== undefined) {
        const rest = list.filter((x) => x !== c);
        if (rest.length === 0) this.byId.delete(previous);
        else this.byId.set(previous, rest);
      }
    }
    const list = this.byId.get(c.clientId);
    if (list === undefined) this.byId.set(c.clientId, [c]);
    else if (!list.includes(c)) list.push(c);
  }

  onAcked(c: SimClient, seq: number): void {
    if (c.shared) return;
    const v = this.oracle.onAcked(c.clientId, seq, this.now);
    if (v !== null) this.fail(v);
  }

  onReceivedApp(c: SimClient, seq: number, payload: Uint8Array): void {
    this.stats.pushesReceived++;
    if (c.shared) return;
    const v = this.oracle.onReceived(c.clientId, seq, payload, this.now);
    if (v !== null) this.fail(v);
  }

  violation(c: SimClient, kind: EndToEndViolationKind, message: string): void {
    if (kind === 'registrationLost' && this.resetByOperator.has(c.clientId)) return;
    this.fail({ kind, message, now: this.now, step: -1, clientId: c.clientId });
  }

  count(event: string): void {
    bump(this.stats.clientEvents, event);
  }

  // ---- the application ---------------------------------------------------------------------

  private afterStep(input: HubInput, r: Step, meta: AppMeta | null): void {
    if (this.crashArmed && r.commands.length > 0) {
      // Crash between the step and its group commit: the worst moment for durability.
      this.crashArmed = false;
      this.q.push(this.now, E_CRASH_NOW);
    }
    const push = meta?.push;
    if (push === undefined || input.type !== 'appMessageSent') return;
    for (const c of r.commands) {
      if (c.type === 'actionResult' && c.actionId === push.actionId && c.ok) {
        const client = r.state.clients.get(push.target);
        const d = client === undefined ? null : clientDialogOf(r.state, client);
        if (d !== null) {
          push.n = d.outSeq;
          push.ok = true;
        }
      }
    }
  }

  /** Sends an application message (a push, or an answer to `replyTo`) to a client or its profile. */
  private send(target: number, to: { clientId: ClientId } | { profileId: ProfileId }, replyTo: number, meta: AppMeta): void {
    const k = (this.pushCounters.get(target) ?? 0) + 1;
    this.pushCounters.set(target, k);
    const actionId = `app-${++this.actionSeq}`;
    meta.push = { target, k, n: 0, ok: false, actionId };
    this.hub.feed({ type: 'appMessageSent', actionId, to, appType: 'chat', payload: encodePayload(PUSH_MAGIC, target, k, replyTo), replyTo }, this.now, meta);
  }

  private appPush(): void {
    this.q.push(this.now + this.pushGap(), E_APP_PUSH);
    const state = this.hub.state;
    if (this.known.length === 0 || state === null) return;
    const id = this.known[this.rng.int(this.known.length)]!;
    if (this.rng.chance(0.1)) {
      // To the profile: whichever client is enabled there gets it.
      const profileId = this.byId.get(id)?.[0]?.traits.profileId;
      if (profileId === undefined) return;
      const enabled = state.profiles.get(profileId)?.enabledClient ?? null;
      if (enabled === null) {
        this.hub.feed({ type: 'appMessageSent', actionId: `app-${++this.actionSeq}`, to: { profileId: profileId as ProfileId }, appType: 'chat', payload: new Uint8Array(16), replyTo: 0 }, this.now);
        return;
      }
      this.send(enabled, { profileId: profileId as ProfileId }, 0, {});
      return;
    }
    this.send(id, { clientId: id as ClientId }, 0, {});
  }

  private appHandled(clientId: number, seq: number, life: number): void {
    if (life !== this.oracle.life || !this.hub.up) return;
    if (this.rng.chance(this.o.behaviour.replyFraction)) this.send(clientId, { clientId: clientId as ClientId }, seq, {});
    this.hub.feed({ type: 'appMessageHandled', clientId: clientId as ClientId, seq }, this.now, { confirm: { clientId, seq } });
  }

  /** Runs a committed step's commands, in order. */
  private execute(commands: readonly HubCommand[], meta: AppMeta | null, now: number): void {
    const s = this.stats;
    for (const c of commands) {
      switch (c.type) {
        case 'commit':
          break;
        case 'reply':
          this.transmit(c.link, c.commandId, 'reply', { k: 0, requestId: c.requestId, answer: c.answer });
          break;
        case 'writeDialog':
          this.transmit(c.link, c.commandId, 'writeDialog', { k: 1, messages: c.messages });
          break;
        case 'close': {
          const l = this.links.get(c.link);
          if (l === undefined || !l.hubOpen) break;
          l.hubOpen = false;
          if (this.cut(l.client)) this.stats.lost++;
          else this.route(l, true, { k: 2, reason: c.reason, reconnect: c.reconnect }, true);
          this.cleanup(l);
          break;
        }
        case 'deliver': {
          s.messagesDelivered++;
          const v = this.oracle.onDeliver(c.clientId, c.seq, now);
          if (v !== null) this.fail(v);
          const at = Math.max(now, this.appBusy.get(c.clientId) ?? 0) + this.rng.between(1, Math.max(1, this.o.behaviour.appHandleMs));
          this.appBusy.set(c.clientId, at);
          this.q.push(at, E_APP_HANDLED, c.clientId, c.seq, this.oracle.life);
          break;
        }
        case 'notify': {
          const e = c.event;
          switch (e.type) {
            case 'clientRegistered':
              s.registrations++;
              if (!this.knownSet.has(e.clientId)) {
                this.knownSet.add(e.clientId);
                this.known.push(e.clientId);
              }
              break;
            case 'clientOnline':
              if (e.via !== 'register') s.logins++;
              break;
            case 'clientOffline':
              bump(s.offline, e.reason);
              break;
            case 'takeover':
              bump(s.takeovers, e.reason);
              break;
            case 'statusChanged':
              if (e.from === 'disabled' && e.to === 'enabled' && e.cause === 'request') s.resumes++;
              break;
            case 'requestRejected':
              bump(s.rejections, e.reason);
              break;
            case 'clientDeleted':
              this.oracle.forget(e.clientId);
              break;
            default:
              break;
          }
          break;
        }
        case 'actionResult':
          if (c.actionId.startsWith('op-')) bump(s.operator, `${c.actionId.split(':')[1]}:${c.ok ? 'ok' : c.reason}`);
          if (c.ok && c.actionId.startsWith('op-') && c.actionId.split(':')[1] === 'reset') this.resetByOperator.add(Number(c.actionId.split(':')[2]));
          break;
        case 'log':
          bump(s.hubLogs, c.event);
          break;
        default: {
          const never: never = c;
          throw new Error(`unknown command ${JSON.stringify(never)}`);
        }
      }
    }
    if (meta !== null) {
      if (meta.push?.ok === true) {
        s.pushes++;
        this.oracle.onQueued(meta.push.target, meta.push.n, meta.push.k, now);
      }
      if (meta.confirm !== undefined) this.oracle.onConfirmed(meta.confirm.clientId, meta.confirm.seq);
    }
  }

  /** An operator action on a random registered client (or its profile). */
  private operate(): void {
    this.q.push(this.now + Math.max(1, Math.round(this.rng.exp(this.o.behaviour.operatorEveryMs))), E_OPERATOR);
    const state = this.hub.state;
    if (this.known.length === 0 || state === null) return;
    const id = this.known[this.rng.int(this.known.length)]!;
    const clientId = id as ClientId;
    const kinds = ['kick', 'disable', 'enable', 'ban', 'reset', 'delete', 'auto'] as const;
    const kind = kinds[this.rng.int(kinds.length)]!;
    const actionId = `op-${++this.actionSeq}:${kind}:${id}`;
    switch (kind) {
      case 'kick':
        this.hub.feed({ type: 'clientKicked', actionId, clientId }, this.now);
        return;
      case 'disable':
      case 'enable':
      case 'ban':
      case 'reset': {
        const status = kind === 'disable' ? 'disabled' : kind === 'enable' ? 'enabled' : kind === 'ban' ? 'banned' : 'reset';
        this.hub.feed({ type: 'statusSet', actionId, clientId, status }, this.now);
        return;
      }
      case 'delete':
        this.hub.feed({ type: 'clientDeleted', actionId, clientId }, this.now);
        return;
      case 'auto': {
        const profileId = state.clients.get(clientId)?.profileId;
        if (profileId !== undefined) this.hub.feed({ type: 'profileModeSet', actionId, profileId, mode: 'auto' }, this.now);
        return;
      }
      default: {
        const never: never = kind;
        throw new Error(`unknown operator action ${String(never)}`);
      }
    }
  }

  // ---- faults ----------------------------------------------------------------------------------

  private crash(): void {
    if (!this.hub.up || this.stopped) return;
    this.stats.crashes++;
    this.hub.crash();
    this.oracle.life++;
    this.appBusy.clear();
    // Every link drops; each client notices after a little while.
    for (const l of this.links.values()) {
      l.hubOpen = false;
      if (l.clientOpen) this.q.push(this.now + this.rng.between(1, 5_000), E_CLIENT_LINK_LOST, l.id);
      else this.links.delete(l.id);
    }
    this.q.push(this.now + this.rng.between(this.o.shell.downtimeMinMs, this.o.shell.downtimeMaxMs), E_RESTART);
  }

  private partition(from: number, count: number, duration: number): void {
    this.stats.partitions++;
    const until = this.now + duration;
    const n = this.clients.length;
    for (let i = 0; i < count; i++) {
      const c = this.clients[(from + i) % n]!;
      if (c.cutUntil < until) c.cutUntil = until;
    }
    this.q.push(this.now + Math.min(duration, PARTITION_DETECT_MS), E_PARTITION_DETECT, 0, 0, { from, count, until } satisfies Partition);
  }

  /** The transport gives up on the links of clients still cut off: both ends learn the link is lost. */
  private partitionDetected(p: Partition): void {
    const n = this.clients.length;
    const inside = (c: SimClient): boolean => (c.index - p.from + n) % n < p.count && this.cut(c);
    const lost: Link[] = [];
    for (const l of this.links.values()) if (inside(l.client)) lost.push(l);
    for (const l of lost) {
      if (l.hubOpen && this.hub.up) {
        l.hubOpen = false;
        this.hub.feed({ type: 'connectionClosed', link: l.id as LinkId, cause: 'partition' }, this.now);
      }
      l.hubOpen = false;
      const wasOpen = l.clientOpen;
      l.clientOpen = false;
      this.cleanup(l);
      if (wasOpen) l.client.onLinkLost(l.id);
    }
  }

  private clone(index: number): void {
    const c = this.clients[index]!;
    const original = this.clients[this.cloneOf.get(index)!]!;
    if (!original.registered) {
      this.q.push(this.now + 30 * 60_000, E_CLONE, index);
      return;
    }
    c.copyPersisted(original);
    this.oracle.markShared(c.clientId);
    this.clientIdChanged(c, 0);
    this.count('clones');
    c.launch();
  }

  // ---- the end -------------------------------------------------------------------------------------

  private finish(): void {
    const s = this.stats;
    const n = this.netem.counters;
    s.lost += n.lost;
    s.frames = { sent: n.sent, duplicated: n.duplicated, reordered: n.reordered };
    s.uncommitted = this.hub.uncommitted;
    s.snapshots = this.hub.snapshots;
    s.inputs = { ...this.hub.inputCounts };
    const state = this.hub.state ?? this.hub.committed;
    s.onlineAtEnd = state.sessions.size;
    s.clientsAtEnd = state.clients.size;
    let outbox = 0;
    for (const c of state.clients.values()) outbox += clientDialogOf(state, c)?.outbox.length ?? 0;
    s.outboxAtEnd = outbox;
    const pending = this.oracle.pending((id) => state.online.has(id));
    s.pushesPendingAtEnd = pending.count;
    s.oldestPendingPushToOnlineMs = pending.oldestOnline === null ? null : this.now - pending.oldestOnline;
    s.maxPushDelayMs = this.oracle.maxPushDelay;
    if (this.stopped) return;
    const full = this.checker.full(state, this.hub.historyLength - 1);
    if (full !== null) {
      this.fail(full);
      return;
    }
    for (const v of this.oracle.endCheck(state, this.now)) this.violations.push(v);
  }
}
