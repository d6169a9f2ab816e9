/**
 * Theory of operation: the simulator's entry points. `runSimulation` builds a
 * world from the options, runs it, and on a violation shrinks the history to
 * a short trace that reproduces it; it is synchronous and touches no file.
 * `simulate` does the same and writes the trace file (the runtime's trace
 * writer is asynchronous, hence the promise).
 *
 * The same options give the same result — steps, stats, violations, digest,
 * trace records — except the wall-clock figures (and a shrink cut short by its
 * wall-clock budget).
 */
import { createHash } from 'node:crypto';
import { deserialize, initialState, serialize, step as coreStep, type HubState } from '@dialoghub/core';
import type { TraceRecord } from '@dialoghub/runtime';
import { resolveOptions, type SimOptions } from './options.js';
import { replayHistory, shrinkHistory } from './shrink.js';
import { historyRecords, writeSimTrace, type SimTraceInfo } from './trace.js';
import type { Violation } from './violation.js';
import { World, type SimStats } from './world.js';

export interface ShrinkSummary {
  /** Entries of the history up to the violation. */
  readonly from: number;
  /** Entries of the shrunk history. */
  readonly to: number;
  /** Replays tried. */
  readonly tests: number;
  /** True when the shrunk trace reproduces the violation from core inputs alone. */
  readonly reproduced: boolean;
  readonly ms: number;
}

export interface SimResult {
  readonly seed: number;
  readonly clients: number;
  /** Inputs the hub stepped (crash-discarded ones included). */
  readonly steps: number;
  /** Empty when every invariant held. */
  readonly violations: readonly Violation[];
  /** The trace file written, or null. */
  readonly trace: string | null;
  readonly wallSeconds: number;
  readonly stepsPerSecond: number;
  readonly virtualHours: number;
  readonly stats: SimStats;
  /** SHA-256 of the final state's snapshot bytes: two runs with equal digests ended in the same state. */
  readonly digest: string;
  readonly shrink: ShrinkSummary | null;
}

/** A run with its trace still in memory (`runSimulation`). */
export interface SimRun extends SimResult {
  /** The trace's records (the shrunk history of a violation, or the whole history with `traceAlways`), or null. */
  readonly traceRecords: readonly TraceRecord[] | null;
  /** Seqs after which the hub restarted. */
  readonly traceRestarts: readonly number[];
  readonly traceInfo: SimTraceInfo | null;
}

/** Runs a simulation synchronously; writes no file (see `simulate`). */
export function runSimulation(options: SimOptions): SimRun {
  const o = resolveOptions(options);
  const stepFn = options.step ?? coreStep;
  const started = performance.now();
  const world = new World(o, stepFn);
  world.run(options.onProgress);
  const ranMs = performance.now() - started;

  const hub = world.hub;
  let base: HubState;
  if (hub.historyBase === null) base = initialState(world.config, world.start);
  else {
    const restored = deserialize(hub.historyBase);
    if (!restored.ok) throw new Error(`the history's base snapshot does not restore: ${restored.error.message}`);
    base = restored.value;
  }

  let shrink: ShrinkSummary | null = null;
  let traceRecords: TraceRecord[] | null = null;
  let traceRestarts: number[] = [];
  const violation = world.violations[0];
  let entries = hub.history();
  if (violation !== undefined || options.traceAlways === true) {
    if (violation !== undefined) {
      if (o.shrink !== false) {
        const r = shrinkHistory(base, entries, violation, stepFn, o.shrink, () => performance.now());
        entries = r.entries.slice();
        shrink = { from: r.originalLength, to: r.entries.length, tests: r.tests, reproduced: r.reproduced, ms: Math.round(r.ms) };
      } else if (violation.step >= 0) {
        entries = entries.slice(0, violation.step + 1);
      }
    }
    const replay = replayHistory(base, entries, stepFn, { collect: true });
    const h = historyRecords(entries, replay.commands);
    traceRecords = h.records;
    traceRestarts = h.restarts;
  }

  const state = hub.state ?? hub.committed;
  const digest = createHash('sha256').update(serialize(state)).digest('hex');
  const wallSeconds = (performance.now() - started) / 1000;
  const traceInfo: SimTraceInfo | null =
    traceRecords === null
      ? null
      : {
          config: base.config,
          hubCreatedAt: hub.historyBase === null ? world.start : null,
          baseSnapshot: hub.historyBase,
          sim: {
            seed: o.seed,
            clients: o.clients,
            hours: o.hours,
            profiles: o.profiles,
            policy: o.policy,
            faults: o.faults,
            violation: violation ?? null,
            shrink,
          },
        };
  return {
    seed: o.seed,
    clients: o.clients,
    steps: hub.steps,
    violations: world.violations,
    trace: null,
    wallSeconds,
    stepsPerSecond: Math.round(hub.steps / (ranMs / 1000)),
    virtualHours: (world.now - world.start) / 3_600_000,
    stats: world.stats,
    digest,
    shrink,
    traceRecords,
    traceRestarts,
    traceInfo,
  };
}

/**
 * Runs a simulation and, when there is a trace to keep (a violation, or
 * `traceAlways`) and `traceFile` is set, writes it there (replacing the file).
 */
export async function simulate(options: SimOptions): Promise<SimResult> {
  const run = runSimulation(options);
  let trace: string | null = null;
  if (options.traceFile != null && run.traceRecords !== null && run.traceInfo !== null) {
    await writeSimTrace(options.traceFile, run.traceInfo, run.traceRecords, run.traceRestarts);
    trace = options.traceFile;
  }
  const { traceRecords: _records, traceRestarts: _restarts, traceInfo: _info, ...result } = run;
  return { ...result, trace };
}
