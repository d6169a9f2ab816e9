/**
 * Theory of operation: a simulator trace is a trace file of the runtime's
 * trace format (docs/trace-format.md): the runtime's `TraceWriter` frames one
 * record per step with the core's record codec (`{ seq, now, input, commands }`,
 * redacted). The JSON file header carries what a replay needs: the hub's
 * config and `hubCreatedAt` (the history starts at `initialState(config,
 * hubCreatedAt)`), plus the simulator's own fields, which other readers
 * ignore:
 *
 * - `sim`: seed, options, the violation, how much shrinking removed;
 * - `restarts`: the seqs after which the hub restarted (a replay round-trips
 *   the state through serialize + deserialize there);
 * - `baseSnapshot`: when the history starts from a snapshot (long runs keep
 *   their history only since the latest one), the name of a file next to the
 *   trace holding the core's `serialize` bytes; `hubCreatedAt` is then null.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deserialize, initialState, redactCommand, step as coreStep, type HubCommand, type HubConfig, type HubState } from '@dialoghub/core';
import { openTrace, TraceWriter, type TraceRecord } from '@dialoghub/runtime';
import type { HistoryEntry } from './hub-host.js';
import type { StepFn } from './options.js';
import { replayHistory } from './shrink.js';
import type { Violation } from './violation.js';

export interface SimTraceInfo {
  readonly config: HubConfig;
  /** The `now` of the initial state, or null when the history starts from `baseSnapshot`. */
  readonly hubCreatedAt: number | null;
  readonly baseSnapshot: Uint8Array | null;
  /** Free-form description stored in the header's `sim` field. */
  readonly sim: Readonly<Record<string, unknown>>;
}

/** The records of a history: restart markers become the header's `restarts`. */
export function historyRecords(entries: readonly HistoryEntry[], commands: readonly (readonly HubCommand[])[] | null): { records: TraceRecord[]; restarts: number[] } {
  const records: TraceRecord[] = [];
  const restarts: number[] = [];
  entries.forEach((e, i) => {
    if ('restart' in e) {
      restarts.push(records.length);
      return;
    }
    const seq = records.length + 1;
    const cmds = commands?.[i];
    records.push(cmds === undefined ? { seq, now: e.now, input: e.input } : { seq, now: e.now, input: e.input, commands: cmds.map(redactCommand) });
  });
  return { records, restarts };
}

/** Writes a simulator trace (replacing `path`), and the base snapshot next to it when there is one. */
export async function writeSimTrace(path: string, info: SimTraceInfo, records: readonly TraceRecord[], restarts: readonly number[]): Promise<void> {
  rmSync(path, { force: true });
  let baseSnapshot: string | null = null;
  if (info.baseSnapshot !== null) {
    baseSnapshot = `${basename(path)}.base-snapshot`;
    writeFileSync(join(dirname(path), baseSnapshot), info.baseSnapshot);
  }
  const writer = await TraceWriter.create(path, {
    kind: 'trace',
    firstSeq: 1,
    config: info.config,
    hubCreatedAt: info.hubCreatedAt,
    writer: '@dialoghub/sim',
    extra: { sim: info.sim, restarts, baseSnapshot },
  });
  try {
    const chunk = 4096;
    for (let i = 0; i < records.length; i += chunk) await writer.write(records.slice(i, i + chunk));
  } finally {
    await writer.close();
  }
}

export interface LoadedSimTrace {
  readonly base: HubState;
  readonly entries: HistoryEntry[];
  readonly records: TraceRecord[];
  readonly header: Readonly<Record<string, unknown>>;
}

/** Reads a simulator trace back as a base state and a history. */
export async function readSimTrace(path: string): Promise<LoadedSimTrace> {
  const trace = await openTrace(path);
  const json = trace.header.json as Readonly<Record<string, unknown>>;
  const records: TraceRecord[] = [];
  for await (const r of trace.records()) records.push(r);
  const restarts = new Set(Array.isArray(json['restarts']) ? (json['restarts'] as number[]) : []);
  const entries: HistoryEntry[] = [];
  if (restarts.has(0)) entries.push({ now: records[0]?.now ?? 0, restart: true });
  records.forEach((r, i) => {
    entries.push({ now: r.now, input: r.input });
    if (restarts.has(i + 1)) entries.push({ now: r.now, restart: true });
  });
  let base: HubState;
  const snap = json['baseSnapshot'];
  if (typeof snap === 'string') {
    const restored = deserialize(readFileSync(join(dirname(path), snap)));
    if (!restored.ok) throw new Error(`the trace's base snapshot does not restore: ${restored.error.message}`);
    base = restored.value;
  } else {
    base = initialState((trace.header.config ?? {}) as HubConfig, trace.header.hubCreatedAt ?? 0);
  }
  return { base, entries, records, header: json };
}

/**
 * Replays a simulator trace through the core (or `step`) with the
 * simulator's checks, and returns the first violation (null if none).
 */
export async function reproduceTrace(path: string, step?: StepFn): Promise<{ violation: Violation | null; records: number }> {
  const t = await readSimTrace(path);
  const r = replayHistory(t.base, t.entries, step ?? coreStep);
  return { violation: r.violation, records: t.records.length };
}
