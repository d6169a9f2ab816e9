/**
 * Theory of operation: replay re-runs a trace (or a journal) through the pure
 * core and says whether the core still does what the trace recorded
 * (docs/architecture.md §8).
 *
 * - It starts from the state before the trace's first record: a given
 *   `HubState` (a snapshot's, for a journal that starts after one), or
 *   `initialState(config, hubCreatedAt)` from the file header.
 * - It steps every record's input at the record's `now`, in seq order, and,
 *   when the record carries the commands the step returned when it was
 *   recorded, compares them with the recomputed ones (redacted as a trace
 *   writer redacts them, docs/trace-format.md §4). A difference is a
 *   *divergence*: the core changed, or the trace was tampered with. The state
 *   is never compared (a trace does not hold it); a divergence in commands is
 *   what a person can see.
 * - It checks the hub's invariants (`checkInvariants`, linear in the hub's
 *   size) every `invariantsEvery` records and after the last one.
 * - At each restart the simulator recorded (the trace header's `restarts`),
 *   the state goes through `serialize` + `deserialize`, as the hub's recovery
 *   does, so a snapshot bug replays too.
 *
 * It keeps only the last `contextSize` records (references, no copies) to
 * describe the first divergence, so a replay runs in constant memory over a
 * stream of any length. The hot loop allocates nothing beyond what `step`
 * does: command comparison is an allocation-free deep equality.
 */
import { checkInvariants, deserialize, initialState, redactCommand, serialize, step as coreStep, type HubCommand, type HubConfig, type HubInput, type HubState, type TraceRecord } from '@dialoghub/core';
import type { StepFn } from '../options.js';
import { differences, firstDifferentIndex, valuesEqual } from './deep-equal.js';
import { summariseRecord } from './summary.js';

export interface ReplayOptions {
  /**
   * The state before the first record replayed, e.g. a snapshot's (then also
   * give `afterSeq`). Default: `initialState(config, hubCreatedAt)`.
   */
  readonly initial?: HubState;
  /** The hub's config, for the default initial state. Default `{}` (the core's defaults). */
  readonly config?: HubConfig;
  /** The `now` of the default initial state. Default 0. */
  readonly hubCreatedAt?: number;
  /**
   * The seq the initial state includes: records with a seq ≤ `afterSeq` are
   * skipped, and the first replayed must be `afterSeq + 1`. Default: 0 without
   * `initial`; with `initial`, records are replayed from the first one given.
   */
  readonly afterSeq?: number;
  /** Seqs after which the hub restarted (the simulator's header `restarts`); 0 = before the first record. */
  readonly restarts?: Iterable<number>;
  /**
   * Check the invariants after every this many records (and after the last).
   * 0: only after the last. Default 50 000: a check walks the whole state
   * (about 20 ms for 10,000 clients), so checking more often than that costs
   * more than the replay itself; use 1 to find the first bad step of a small trace.
   */
  readonly invariantsEvery?: number;
  /** Records summarised before the first divergence. Default 8. */
  readonly contextSize?: number;
  /** Compare recorded commands (default true). */
  readonly compareCommands?: boolean;
  /** Stop at the first divergence (default false: count them all). */
  readonly stopAtFirstDivergence?: boolean;
  /** The step function (default the core's `step`); tests inject a broken core. */
  readonly step?: StepFn;
}

/** The first record whose recomputed commands differ from the recorded ones. */
export interface Divergence {
  readonly seq: number;
  readonly now: number;
  readonly input: HubInput;
  /** The commands the trace recorded. */
  readonly expected: readonly HubCommand[];
  /** The commands the core returns now (redacted). */
  readonly actual: readonly HubCommand[];
  /** Index of the first command that differs (the shorter list's length when one list is a prefix of the other). */
  readonly index: number;
  /** Leaf-level differences, one per line: `commands[2].answer.reason: expected …, actual …`. */
  readonly differences: readonly string[];
  /** The previous records (up to `contextSize`), one summary line each, oldest first. */
  readonly context: readonly string[];
}

export interface InvariantViolation {
  /** The last record stepped before the check. */
  readonly seq: number;
  readonly now: number;
  readonly problems: readonly string[];
}

/** Replay stopped early: the core threw, the seqs have a gap, or a restart did not restore. */
export interface ReplayError {
  readonly seq: number;
  readonly now: number;
  readonly message: string;
}

export interface ReplayReport {
  /** Records replayed (stepped through the core). */
  readonly inputs: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Records that carried commands, which were compared. */
  readonly compared: number;
  /** Records whose commands differ from the recorded ones. */
  readonly divergences: number;
  readonly first?: Divergence;
  /** Invariant checks run. */
  readonly invariantChecks: number;
  /** Checks that found problems (the first 100 kept). */
  readonly invariantViolations: readonly InvariantViolation[];
  /** Restarts replayed (serialize + deserialize round trips). */
  readonly restarts: number;
  readonly error?: ReplayError;
  /** What the reader should know: a missing config, a torn tail… */
  readonly notes: readonly string[];
  /** The state after the last record replayed. */
  readonly state: HubState;
  /** Wall-clock time of the replay (the only non-deterministic field). */
  readonly elapsedMs: number;
}

const MAX_INVARIANT_REPORTS = 100;

/**
 * Replays records one at a time. `replayTrace` drives it over a sync or an
 * async iterable; it is exported for callers that already loop over records.
 */
export class Replayer {
  private state: HubState;
  private readonly step: StepFn;
  private readonly every: number;
  private readonly contextSize: number;
  private readonly compare: boolean;
  private readonly stopAtFirst: boolean;
  private readonly restartsAfter: Set<number>;
  private readonly skipThrough: number;
  private expectedSeq: number | null;
  private readonly ring: TraceRecord[] = [];
  private ringAt = 0;
  private inputs = 0;
  private compared = 0;
  private divergenceCount = 0;
  private first: Divergence | undefined;
  private checks = 0;
  private sinceCheck = 0;
  private readonly violations: InvariantViolation[] = [];
  private restartCount = 0;
  private error: ReplayError | undefined;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private lastNow = 0;
  private readonly started = performance.now();
  readonly notes: string[] = [];

  constructor(options: ReplayOptions = {}) {
    this.state = options.initial ?? initialState(options.config ?? {}, options.hubCreatedAt ?? 0);
    this.step = options.step ?? coreStep;
    this.every = options.invariantsEvery ?? 50_000;
    this.contextSize = options.contextSize ?? 8;
    this.compare = options.compareCommands ?? true;
    this.stopAtFirst = options.stopAtFirstDivergence ?? false;
    this.restartsAfter = new Set(options.restarts ?? []);
    this.skipThrough = options.afterSeq ?? -1;
    this.expectedSeq = options.afterSeq !== undefined ? options.afterSeq + 1 : options.initial === undefined ? 1 : null;
    const before = options.afterSeq ?? 0;
    if (this.restartsAfter.has(before)) this.restart(before, this.state.now);
  }

  /** True once replay must stop (an error, or the first divergence with `stopAtFirstDivergence`). */
  get stopped(): boolean {
    return this.error !== undefined || (this.stopAtFirst && this.divergenceCount > 0);
  }

  /** Steps one record. Returns false when replay must stop. */
  feed(record: TraceRecord): boolean {
    if (this.stopped) return false;
    const seq = record.seq;
    if (seq <= this.skipThrough) return true;
    if (this.expectedSeq !== null && seq !== this.expectedSeq) {
      this.error = {
        seq,
        now: record.now,
        message: this.lastSeq === null ? `the first record replayed is seq ${seq}, but the initial state is before seq ${this.expectedSeq}` : `seq ${seq} follows seq ${this.lastSeq}: records are missing`,
      };
      return false;
    }
    let result;
    try {
      result = this.step(this.state, record.input, record.now);
    } catch (e) {
      this.error = { seq, now: record.now, message: `step threw on ${record.input.type}: ${e instanceof Error ? e.message : String(e)}` };
      return false;
    }
    this.state = result.state;
    this.inputs++;
    if (this.firstSeq === null) this.firstSeq = seq;
    this.lastSeq = seq;
    this.lastNow = record.now;
    this.expectedSeq = seq + 1;
    const expected = record.commands;
    if (this.compare && expected !== undefined) {
      this.compared++;
      const actual = result.commands;
      let same = expected.length === actual.length;
      for (let i = 0; same && i < actual.length; i++) same = valuesEqual(expected[i], redactCommand(actual[i]!));
      if (!same) this.diverged(record, expected, actual.map(redactCommand));
    }
    if (this.contextSize > 0) this.remember(record);
    if (this.every > 0 && ++this.sinceCheck >= this.every) this.check();
    if (this.restartsAfter.size > 0 && this.restartsAfter.has(seq)) this.restart(seq, record.now);
    return !this.stopped;
  }

  /** Checks the invariants if records were stepped since the last check, and returns the report. */
  finish(): ReplayReport {
    if (this.sinceCheck > 0 || this.checks === 0) this.check();
    return {
      inputs: this.inputs,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      compared: this.compared,
      divergences: this.divergenceCount,
      ...(this.first !== undefined ? { first: this.first } : {}),
      invariantChecks: this.checks,
      invariantViolations: this.violations,
      restarts: this.restartCount,
      ...(this.error !== undefined ? { error: this.error } : {}),
      notes: this.notes,
      state: this.state,
      elapsedMs: performance.now() - this.started,
    };
  }

  private remember(record: TraceRecord): void {
    if (this.ring.length < this.contextSize) this.ring.push(record);
    else {
      this.ring[this.ringAt] = record;
      this.ringAt = (this.ringAt + 1) % this.contextSize;
    }
  }

  private context(): string[] {
    const ordered = this.ring.length < this.contextSize ? this.ring : [...this.ring.slice(this.ringAt), ...this.ring.slice(0, this.ringAt)];
    return ordered.map((r) => summariseRecord(r));
  }

  private diverged(record: TraceRecord, expected: readonly HubCommand[], actual: readonly HubCommand[]): void {
    this.divergenceCount++;
    if (this.first !== undefined) return;
    const index = firstDifferentIndex(expected, actual);
    this.first = { seq: record.seq, now: record.now, input: record.input, expected, actual, index, differences: differences(expected, actual, 'commands'), context: this.context() };
  }

  private check(): void {
    this.sinceCheck = 0;
    this.checks++;
    const problems = checkInvariants(this.state);
    if (problems.length > 0 && this.violations.length < MAX_INVARIANT_REPORTS) this.violations.push({ seq: this.lastSeq ?? 0, now: this.lastNow, problems });
  }

  /** The hub restarted after `seq`: its state goes through a snapshot, as recovery restores it. */
  private restart(seq: number, now: number): void {
    const bytes = serialize(this.state);
    // Invariants are this replay's to check and report; `verify` would turn a violation into an error.
    const restored = deserialize(bytes, { verify: false });
    if (!restored.ok) {
      this.error = { seq, now, message: `the state after seq ${seq} does not restore from its snapshot: ${restored.error.message}` };
      return;
    }
    this.state = restored.value;
    this.restartCount++;
  }
}

function isSync<T>(records: Iterable<T> | AsyncIterable<T>): records is Iterable<T> {
  return typeof (records as Iterable<T>)[Symbol.iterator] === 'function';
}

/**
 * Re-runs every record's input through the core from the trace's initial
 * state, compares the recomputed commands with the recorded ones (when the
 * records carry them), checks the invariants every `invariantsEvery` records
 * and at the end, and reports the first divergence with the records before it.
 *
 * A clean replay has `divergences === 0`, no `invariantViolations` and no
 * `error`. `formatReplayReport` turns the report into text for a person.
 */
export async function replayTrace(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>, options: ReplayOptions = {}): Promise<ReplayReport> {
  const replayer = new Replayer(options);
  if (isSync(records)) {
    for (const r of records) if (!replayer.feed(r)) break;
  } else {
    for await (const r of records) if (!replayer.feed(r)) break;
  }
  return replayer.finish();
}
