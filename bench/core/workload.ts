/**
 * Theory of operation: a closed-loop simulation of the hub's traffic, run
 * through the real `step`, whose input stream is recorded and then replayed
 * for timing.
 *
 * Virtual time advances by a fixed `dt` per drawn event, with
 * `dt = MEAN_GAP_MS / onlineTarget`: every online client sees the same traffic
 * whatever the hub's size, so the mix is the same at 1k and at 1M clients.
 * Three sources of inputs interleave in time order, as in a real shell:
 *
 * 1. drawn events (weights in `DRAW_WEIGHTS`): client app messages and
 *    keep-alive Nulls (each with a piggybacked ack), application pushes,
 *    churn (a login of an enabled offline client, or a lost connection,
 *    whichever moves the online count towards 10 %), and takeovers;
 * 2. client reactions 20–100 ms after the hub wrote to them: a Null answering
 *    a Sync (its ack piggybacked) or a bare ack of a push or resend; 2 % of the
 *    Syncs go unanswered (the client's network died silently) and that session
 *    ends by heartbeat timeout 30 s after the client was last heard;
 * 3. `timerFired` at `nextDeadline(state)` whenever that comes before the next
 *    input, exactly as the shell's one timer would.
 *
 * `now` is whole milliseconds (as `Date.now()`; snapshots store integer
 * times). So at 1M clients, where ~14 session deadlines fall in each
 * millisecond, one timer step handles several sessions, while at 1k each
 * handles about one: the large hub has fewer, heavier timer steps. The
 * `workload` record reports this (`dueSessionsPerTimerStep`), and `input_rate`
 * (non-timer inputs per second, timer work included) compares sizes without it.
 *
 * Clients learn their state only from the hub's commands (client-table.ts), so
 * every input is one a correct client would send. The simulation first runs
 * unrecorded for `SETTLE_MS` of virtual time (past every session's first
 * Sync, so the population's synchronised start has spread out), then records
 * the (input, now) pairs. Since `step` is pure and the state persistent,
 * replaying the recording from its start state redoes exactly the same work,
 * any number of times.
 */
import { nextDeadline, step, type HubCommand, type HubInput, type HubState } from './api.js';
import { ClientTable, DISABLED, ENABLED, type DeliveryHook } from './client-table.js';
import { EventQueue } from './event-queue.js';
import { appMessage, bareAck, connectionClosed, EPOCH, login, nullMessage, push, register, TIMER_FIRED } from './inputs.js';
import type { Population } from './population.js';
import { between, seeded, type Rng } from './rng.js';

/** The kinds of input in the stream, as the mix table reports them. */
export const CATEGORIES = {
  clientApp: 'dialog: app message from a client (piggybacked ack)',
  clientNull: 'dialog: keep-alive Null from a client (piggybacked ack)',
  heartbeat: 'dialog: Null answering a Sync (heartbeat)',
  bareAck: 'dialog: bare ack of a push or a resend',
  push: 'application push (appMessageSent)',
  login: 'login/start of an enabled offline client',
  takeoverLoginDisabled: 'takeover: login of a disabled client, displacing the enabled one',
  takeoverSecondLink: 'takeover: same client logs in on a second link',
  takeoverRegister: 'takeover: new client registers into a taken profile',
  connectionLost: 'connection lost (connectionClosed)',
  timer: 'timer step (timerFired at nextDeadline)',
} as const;

export type Category = keyof typeof CATEGORIES;
export const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];
const CAT: Readonly<Record<Category, number>> = Object.fromEntries(CATEGORY_NAMES.map((c, i) => [c, i])) as Record<Category, number>;

/** Relative weights of the drawn events (reactions and timer steps follow from the traffic). */
export const DRAW_WEIGHTS = {
  clientApp: 30,
  clientNull: 8,
  push: 18,
  churn: 8,
  takeover: 1.5,
} as const;

/** Mean virtual time between two drawn events concerning one online client. */
export const MEAN_GAP_MS = 5_000;
/** Share of pushes addressed to a random profile (mostly offline clients: store and forward). */
export const PUSH_TO_PROFILE = 0.15;
/** Share of logins sent as `start` with the (unchanged) environment; the rest are `login`. */
export const START_SHARE = 0.25;
/** Probability that a client never answers a Sync (its session then times out). */
export const MUTE_PROBABILITY = 0.02;
export const RTT_MS: readonly [number, number] = [20, 100];
/** Unrecorded virtual time before recording starts. */
export const SETTLE_MS = 20_000;

export interface MixStats {
  readonly steps: number;
  readonly byCategory: Readonly<Record<Category, number>>;
  readonly virtualSeconds: number;
  readonly syncsSent: number;
  readonly heartbeatTimeouts: number;
  readonly replacedOnline: number;
  readonly pushedOut: number;
  readonly delivered: number;
  readonly commands: number;
  /** Sessions handled (Sync sent, timed out, or re-filed) by the timer steps. */
  readonly timerSessions: number;
  readonly refused: number;
  /** Warn-level logs by event: a healthy stream has none but `outboxFull` from long-offline clients. */
  readonly warnings: Readonly<Record<string, number>>;
  readonly onlineAtStart: number;
  readonly onlineAtEnd: number;
}

export interface Recording {
  readonly start: HubState;
  readonly end: HubState;
  readonly inputs: readonly HubInput[];
  readonly nows: Float64Array;
  readonly categories: Uint8Array;
  readonly stats: MixStats;
}

export class Workload implements DeliveryHook {
  private state: HubState;
  private readonly table: ClientTable;
  private readonly rng: Rng;
  private readonly queue = new EventQueue();
  private readonly dt: number;
  private readonly target: number;
  private readonly profiles: number;
  private readonly drawTotal: number;
  private vt: number;
  private nextDrawAt: number;
  private nextLink: number;
  private nextClient: number;
  private requestId = 1;
  private pushes = 0;
  private order = 0;
  private msgN = 0;

  private rec: { inputs: HubInput[]; nows: Float64Array; cats: Uint8Array } | null = null;
  private counts = new Array<number>(CATEGORY_NAMES.length).fill(0);
  private syncs = 0;
  private timeouts = 0;
  private replaced = 0;
  private pushedOut = 0;
  private delivered_ = 0;
  private commands = 0;
  private timerSessions = 0;
  private refused = 0;
  private warnings: Record<string, number> = {};

  constructor(pop: Population, seed: number) {
    this.state = pop.state;
    this.table = pop.table;
    this.rng = seeded(seed);
    this.target = Math.round(pop.clients / 10);
    this.dt = MEAN_GAP_MS / this.target;
    this.profiles = pop.profiles;
    this.vt = pop.vt;
    this.nextDrawAt = pop.vt;
    this.nextLink = pop.nextLink;
    this.nextClient = pop.clients + 1;
    this.drawTotal = Object.values(DRAW_WEIGHTS).reduce((a, b) => a + b, 0);
  }

  /** Runs unrecorded for `ms` of virtual time (steady state before measuring). */
  settle(ms: number): void {
    const stop = this.vt + ms;
    while (this.vt < stop) this.advance();
  }

  /** Runs and records `steps` step calls. */
  record(steps: number): Recording {
    const start = this.state;
    const vt0 = this.vt;
    const onlineAtStart = this.table.onlineCount;
    this.rec = { inputs: [], nows: new Float64Array(steps), cats: new Uint8Array(steps) };
    while (this.rec.inputs.length < steps) this.advance();
    const { inputs, nows, cats } = this.rec;
    this.rec = null;
    const byCategory = Object.fromEntries(CATEGORY_NAMES.map((c, i) => [c, this.counts[i]!])) as Record<Category, number>;
    return {
      start,
      end: this.state,
      inputs,
      nows,
      categories: cats,
      stats: {
        steps,
        byCategory,
        virtualSeconds: (this.vt - vt0) / 1000,
        syncsSent: this.syncs,
        heartbeatTimeouts: this.timeouts,
        replacedOnline: this.replaced,
        pushedOut: this.pushedOut,
        delivered: this.delivered_,
        commands: this.commands,
        timerSessions: this.timerSessions,
        refused: this.refused,
        warnings: this.warnings,
        onlineAtStart,
        onlineAtEnd: this.table.onlineCount,
      },
    };
  }

  // ---- the loop -------------------------------------------------------------

  private advance(): void {
    const top = this.queue.peekTime();
    const t = Math.min(this.nextDrawAt, top);
    const now = EPOCH + Math.floor(t);
    const due = nextDeadline(this.state);
    if (due !== undefined && due <= now) {
      // The shell's timer fires at the deadline; reactions to what it sends start from there.
      this.vt = Math.max(this.vt, due - EPOCH);
      if (this.rec !== null) this.timerSessions += this.dueCount(due);
      this.apply(TIMER_FIRED, due, CAT.timer);
      return;
    }
    this.vt = t;
    if (top <= this.nextDrawAt) {
      const r = this.queue.pop()!;
      const c = r.client;
      if (this.table.link[c] !== r.link || this.table.muted[c] === 1) return;
      if (r.kind === 'heartbeat') this.apply(nullMessage(r.link, ++this.table.seq[c]!, this.table.heard[c]!, r.replyTo), now, CAT.heartbeat);
      else this.apply(bareAck(r.link, this.table.heard[c]!), now, CAT.bareAck);
      return;
    }
    this.nextDrawAt += this.dt;
    this.draw(now);
  }

  private apply(input: HubInput, now: number, cat: number): void {
    const r = step(this.state, input, now);
    this.state = r.state;
    if (this.rec !== null) {
      const i = this.rec.inputs.length;
      this.rec.inputs.push(input);
      this.rec.nows[i] = now;
      this.rec.cats[i] = cat;
      this.counts[cat]!++;
      this.tally(r.commands);
    }
    this.table.observe(r.commands, this);
  }

  /** DeliveryHook: a client got hub→client messages; it answers a Sync, or acks. */
  delivered(client: number, link: number, syncSeq: number): void {
    if (this.table.muted[client] === 1) return;
    if (syncSeq > 0 && this.rng() < MUTE_PROBABILITY) {
      this.table.mute(client);
      return;
    }
    this.queue.push({
      t: this.vt + between(this.rng, RTT_MS[0], RTT_MS[1]),
      order: this.order++,
      kind: syncSeq > 0 ? 'heartbeat' : 'ack',
      client,
      link,
      replyTo: syncSeq,
    });
  }

  // ---- drawn events -----------------------------------------------------------

  private draw(now: number): void {
    const t = this.table;
    let r = this.rng() * this.drawTotal;
    if ((r -= DRAW_WEIGHTS.clientApp) < 0) {
      const c = t.pickOnline(this.rng);
      if (c !== 0) this.apply(appMessage(t.link[c]!, ++t.seq[c]!, t.heard[c]!, this.msgN++), now, CAT.clientApp);
      return;
    }
    if ((r -= DRAW_WEIGHTS.clientNull) < 0) {
      const c = t.pickOnline(this.rng);
      if (c !== 0) this.apply(nullMessage(t.link[c]!, ++t.seq[c]!, t.heard[c]!, 0), now, CAT.clientNull);
      return;
    }
    if ((r -= DRAW_WEIGHTS.push) < 0) {
      const n = this.pushes++;
      if (this.rng() < PUSH_TO_PROFILE) {
        this.apply(push(n, { profileId: between(this.rng, 1, this.profiles) }), now, CAT.push);
        return;
      }
      const c = t.pickOnline(this.rng);
      if (c !== 0) this.apply(push(n, { clientId: c }), now, CAT.push);
      return;
    }
    if ((r -= DRAW_WEIGHTS.churn) < 0) {
      if (t.onlineCount < this.target) {
        const c = t.pickWhere(this.rng, (x) => t.status[x] === ENABLED && t.link[x] === 0);
        if (c !== 0) this.apply(login(this.nextLink++, c, this.requestId++, t.heard[c]!, this.rng() < START_SHARE), now, CAT.login);
      } else {
        const c = t.pickOnline(this.rng);
        if (c !== 0) this.apply(connectionClosed(t.link[c]!), now, CAT.connectionLost);
      }
      return;
    }
    const kind = Math.floor(this.rng() * 3);
    if (kind === 0) {
      const c = t.pickWhere(this.rng, (x) => t.status[x] === DISABLED && t.link[x] === 0, 256);
      if (c !== 0) this.apply(login(this.nextLink++, c, this.requestId++, t.heard[c]!, false), now, CAT.takeoverLoginDisabled);
    } else if (kind === 1) {
      const c = t.pickOnline(this.rng);
      if (c !== 0) this.apply(login(this.nextLink++, c, this.requestId++, t.heard[c]!, false), now, CAT.takeoverSecondLink);
    } else {
      const c = this.nextClient++;
      const p = between(this.rng, 1, this.profiles);
      t.add(c, p);
      this.apply(register(this.nextLink++, c, p, this.requestId++), now, CAT.takeoverRegister);
    }
  }

  // ---- statistics (recording only) ----------------------------------------------

  private dueCount(at: number): number {
    let n = 0;
    this.state.deadlines.forEach((key) => (key[0] > at ? true : void n++));
    return n;
  }

  private tally(commands: readonly HubCommand[]): void {
    this.commands += commands.length;
    for (const cmd of commands) {
      switch (cmd.type) {
        case 'writeDialog':
          for (const m of cmd.messages) if (m.body.type === 'sync') this.syncs++;
          break;
        case 'close':
          if (cmd.reason === 'heartbeatTimeout') this.timeouts++;
          else if (cmd.reason === 'replaced') this.replaced++;
          else if (cmd.reason === 'pushedOut') this.pushedOut++;
          break;
        case 'deliver':
          this.delivered_++;
          break;
        case 'reply':
          if (cmd.answer.code !== 'ok') this.refused++;
          break;
        case 'log':
          if (cmd.level === 'warn' || cmd.level === 'error') this.warnings[cmd.event] = (this.warnings[cmd.event] ?? 0) + 1;
          break;
        default:
          break;
      }
    }
  }
}

/** Replays the first `count` inputs of `rec` from its start state; returns the time spent in `step` and the final state. */
export function replay(rec: Recording, count = rec.inputs.length): { ns: bigint; state: HubState } {
  const inputs = rec.inputs;
  const nows = rec.nows;
  let s = rec.start;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) s = step(s, inputs[i]!, nows[i]!).state;
  const ns = process.hrtime.bigint() - t0;
  return { ns, state: s };
}
