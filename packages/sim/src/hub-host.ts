/**
 * Theory of operation: the simulated shell — the runtime's hub driver
 * (packages/runtime/src/hub.ts) reduced to what matters for correctness, run
 * synchronously in virtual time.
 *
 * - Every input is stepped at once through the pure core (`step`, or the
 *   injected replacement), checked (`CoreChecker`), and appended to the
 *   pending batch with its redacted form.
 * - Group commit: the batch becomes durable `commitDelayMs` after its first
 *   input (or when it reaches `maxBatch`). Only then are its commands run, in
 *   order — nothing the hub reveals can be lost by a crash.
 * - The journal is the in-memory list of committed records (redacted inputs
 *   with their `now`) after the latest snapshot (`serialize`, every
 *   `snapshotEvery` records, taken at a commit point). It is kept as a window
 *   of the history below rather than a copy: a long run holds hundreds of
 *   thousands of records, and one object per record less is a third less
 *   garbage collection.
 * - A crash discards the live state and the pending batch: its inputs were
 *   never durable and its commands never ran. A restart restores the
 *   snapshot, replays the journal (checking the result equals the state of
 *   the last commit), takes every recovered session offline with
 *   `connectionClosed` (cause `hubRestarted`), commits, and hands over again
 *   every unconfirmed application message (`pendingDeliveries`) — as the
 *   runtime does.
 * - One timer, armed at `nextDeadline` rounded up to `timerResolutionMs`.
 *
 * It also keeps the run's history — the inputs of the live state's lineage,
 * i.e. without those a crash discarded, with a marker at each restart — from
 * the first step (`keepHistory`) or from the latest snapshot. The shrinker
 * replays it.
 */
import {
  deserialize,
  initialState,
  nextDeadline,
  pendingDeliveries,
  redactInput,
  serialize,
  type HubCommand,
  type HubConfig,
  type HubInput,
  type HubState,
  type LinkId,
  type Step,
} from '@dialoghub/core';
import type { CoreChecker } from './checker.js';
import type { ShellOptions, StepFn } from './options.js';
import type { Violation } from './violation.js';

/** One entry of a run's history: an input the hub stepped, or a restart of the hub. */
export type HistoryEntry = { readonly now: number; readonly input: HubInput } | { readonly now: number; readonly restart: true };

/** Whatever the world wants back with a step's commands when they run. */
export type StepMeta = unknown;

export interface HubHostEnv {
  scheduleCommit(at: number, gen: number): void;
  scheduleTimer(at: number, gen: number): void;
  /** Called right after a step, before it can be committed. */
  afterStep(input: HubInput, result: Step, meta: StepMeta): void;
  /** Runs a committed step's commands. `meta` is null for re-deliveries after a restart. */
  execute(commands: readonly HubCommand[], meta: StepMeta, now: number): void;
  violation(v: Violation): void;
}

export class HubHost {
  /** The live state; null while the hub is down. */
  state: HubState | null;
  /** The state as of the last commit (what a restart must restore). */
  committed: HubState;
  up = true;
  /** Inputs stepped in the whole run, including those a crash discarded. */
  steps = 0;
  /** Inputs stepped, by input type. */
  readonly inputCounts: Record<string, number> = {};
  /** Inputs discarded by crashes (stepped, never committed). */
  uncommitted = 0;
  snapshots = 0;
  /**
   * The history (see the module comment), as two parallel arrays — one object
   * per step less for the garbage collector to trace — where a null input is
   * a restart marker; and what it starts from: null = `initialState(config, start)`.
   */
  private historyNow: number[] = [];
  private historyInput: (HubInput | null)[] = [];
  historyBase: Uint8Array | null = null;
  private historyCommitted = 0;
  private seq = 0;
  private committedSeq = 0;
  private snapshot: Uint8Array | null = null;
  private snapSeq = 0;
  /**
   * The journal is the committed part of the history after the latest
   * snapshot: history[journalFrom, historyCommitted), restart markers aside.
   */
  private journalFrom = 0;
  /** The pending batch: each stepped input's commands and the world's meta, in step order. */
  private batchCommands: (readonly HubCommand[])[] = [];
  private batchMeta: StepMeta[] = [];
  private commitGen = 0;
  private commitArmed = false;
  private timerAt: number | undefined;
  timerGen = 0;
  private sinceFull = 0;
  stopped = false;

  constructor(
    readonly config: HubConfig,
    readonly start: number,
    private readonly stepFn: StepFn,
    private readonly checker: CoreChecker,
    private readonly shell: ShellOptions,
    private readonly env: HubHostEnv,
    private readonly keepHistory: boolean,
    private readonly fullCheckEvery: number,
  ) {
    this.state = initialState(config, start);
    this.committed = this.state;
  }

  /**
   * Steps one input at `now`. Returns the step's result, or null when the hub
   * is down, the run stopped, or the core threw (reported as a violation).
   */
  feed(input: HubInput, now: number, meta: StepMeta = null): Step | null {
    const prev = this.state;
    if (!this.up || prev === null || this.stopped) return null;
    const index = this.historyInput.length;
    const redacted = redactInput(input);
    this.historyNow.push(now);
    this.historyInput.push(redacted);
    let r: Step;
    try {
      r = this.stepFn(prev, input, now);
    } catch (e) {
      this.stopped = true;
      this.env.violation({ kind: 'coreThrew', message: `step threw on ${input.type}: ${e instanceof Error ? e.message : String(e)}`, now, step: index, clientId: null });
      return null;
    }
    this.state = r.state;
    this.steps++;
    this.inputCounts[input.type] = (this.inputCounts[input.type] ?? 0) + 1;
    const v = this.checker.afterStep(prev, input, r.state, r.commands, index);
    if (v !== null) {
      this.stopped = true;
      this.env.violation(v);
      return null;
    }
    if (++this.sinceFull >= this.fullCheckEvery) {
      this.sinceFull = 0;
      const full = this.checker.full(r.state, index);
      if (full !== null) {
        this.stopped = true;
        this.env.violation(full);
        return null;
      }
    }
    this.env.afterStep(input, r, meta);
    this.seq++;
    this.batchCommands.push(r.commands);
    this.batchMeta.push(meta);
    if (this.batchCommands.length >= this.shell.maxBatch) this.commit(now);
    else if (!this.commitArmed) {
      this.commitArmed = true;
      this.env.scheduleCommit(now + this.shell.commitDelayMs, this.commitGen);
    }
    this.armTimer(this.checker.deadline);
    return r;
  }

  /** Entries in the history. */
  get historyLength(): number {
    return this.historyInput.length;
  }

  /** The history as entries (built on demand: for shrinking and traces). */
  history(): HistoryEntry[] {
    const out: HistoryEntry[] = new Array(this.historyInput.length);
    for (let i = 0; i < out.length; i++) {
      const input = this.historyInput[i]!;
      out[i] = input === null ? { now: this.historyNow[i]!, restart: true } : { now: this.historyNow[i]!, input };
    }
    return out;
  }

  /** Inputs stepped and not yet committed. */
  get pending(): number {
    return this.batchCommands.length;
  }

  /** The scheduled group commit `gen` is due. */
  onCommitDue(gen: number, now: number): void {
    if (gen === this.commitGen && this.up) this.commit(now);
  }

  /** Makes the pending batch durable, then runs its commands in order. */
  commit(now: number): void {
    this.commitArmed = false;
    this.commitGen++;
    const n = this.batchCommands.length;
    if (n === 0 || this.state === null) return;
    const commands = this.batchCommands;
    const meta = this.batchMeta;
    this.batchCommands = [];
    this.batchMeta = [];
    this.committedSeq = this.seq;
    this.committed = this.state;
    this.historyCommitted = this.historyInput.length;
    this.checker.commit();
    for (let i = 0; i < n; i++) this.env.execute(commands[i]!, meta[i], now);
    if (this.seq - this.snapSeq >= this.shell.snapshotEvery) this.takeSnapshot();
  }

  private takeSnapshot(): void {
    const bytes = serialize(this.committed);
    this.snapshot = bytes;
    this.snapSeq = this.committedSeq;
    this.snapshots++;
    if (!this.keepHistory) {
      this.historyBase = bytes;
      this.historyNow = this.historyNow.slice(this.historyCommitted);
      this.historyInput = this.historyInput.slice(this.historyCommitted);
      this.historyCommitted = 0;
    }
    this.journalFrom = this.historyCommitted;
  }

  /** The hub's one timer `gen` went off. */
  onTimer(gen: number, now: number): void {
    if (gen !== this.timerGen || !this.up) return;
    this.timerAt = undefined;
    this.feed({ type: 'timerFired' }, now);
  }

  /** Arms the one timer at `next`, the state's `nextDeadline` (the checker just computed it after a step). */
  private armTimer(next: number | undefined): void {
    const res = this.shell.timerResolutionMs;
    const at = next === undefined ? undefined : Math.ceil(next / res) * res;
    if (at === this.timerAt) return;
    this.timerAt = at;
    this.timerGen++;
    if (at !== undefined) this.env.scheduleTimer(at, this.timerGen);
  }

  /** The process dies: the live state and everything not committed are gone. */
  crash(): number {
    const lost = this.batchCommands.length;
    this.uncommitted += lost;
    this.batchCommands = [];
    this.batchMeta = [];
    this.historyNow.length = this.historyCommitted;
    this.historyInput.length = this.historyCommitted;
    this.checker.rollback();
    this.seq = this.committedSeq;
    this.state = null;
    this.up = false;
    this.commitArmed = false;
    this.commitGen++;
    this.timerGen++;
    this.timerAt = undefined;
    return lost;
  }

  /**
   * Restarts from the journal: snapshot + records, then every recovered
   * session goes offline and unconfirmed hand-overs are run again.
   */
  restart(now: number): void {
    let state: HubState;
    if (this.snapshot === null) state = initialState(this.config, this.start);
    else {
      const restored = deserialize(this.snapshot);
      if (!restored.ok) {
        this.stopped = true;
        this.env.violation({ kind: 'recoveryDiverged', message: `the snapshot does not restore: ${restored.error.message}`, now, step: this.historyInput.length, clientId: null });
        return;
      }
      state = restored.value;
    }
    try {
      for (let i = this.journalFrom; i < this.historyCommitted; i++) {
        const input = this.historyInput[i]!;
        if (input !== null) state = this.stepFn(state, input, this.historyNow[i]!).state;
      }
    } catch (e) {
      this.stopped = true;
      this.env.violation({ kind: 'coreThrew', message: `journal replay threw: ${e instanceof Error ? e.message : String(e)}`, now, step: this.historyInput.length, clientId: null });
      return;
    }
    if (!bytesEqual(serialize(state), serialize(this.committed))) {
      this.stopped = true;
      this.env.violation({
        kind: 'recoveryDiverged',
        message: 'the state restored from snapshot + journal differs from the state of the last commit',
        now,
        step: this.historyInput.length,
        clientId: null,
      });
      return;
    }
    this.state = state;
    this.up = true;
    this.historyNow.push(now);
    this.historyInput.push(null);
    this.historyCommitted = this.historyInput.length;
    // Links of the previous run are gone: their sessions end as lost connections (in link order).
    const links: number[] = [];
    for (const s of state.sessions.values()) links.push(s.link);
    links.sort((a, b) => a - b);
    for (const link of links) this.feed({ type: 'connectionClosed', link: link as LinkId, cause: 'hubRestarted' }, now);
    if (this.stopped) return;
    this.commit(now);
    this.env.execute(pendingDeliveries(this.state!), null, now);
    this.armTimer(nextDeadline(this.state!));
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
