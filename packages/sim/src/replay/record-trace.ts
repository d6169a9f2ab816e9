/**
 * Theory of operation: the smallest trace writer there is. It steps the core
 * over a scripted list of inputs and keeps `{ seq, now, input, commands }`
 * per step, redacted as a trace file stores them (docs/trace-format.md §4),
 * so the records can be replayed, viewed or written with the runtime's
 * `TraceWriter` as they are. Tests and examples use it to get a trace without
 * running the simulator; `withCommands` fills in the commands of a journal's
 * records (which have none) for the viewer.
 */
import { initialState, redactCommand, redactInput, step as coreStep, type HubConfig, type HubInput, type HubState, type TraceRecord } from '@dialoghub/core';
import type { StepFn } from '../options.js';

export interface RecordTraceOptions {
  /** The state before the first input. Default `initialState(config, hubCreatedAt)`. */
  readonly initial?: HubState;
  readonly config?: HubConfig;
  readonly hubCreatedAt?: number;
  /** Seq of the first record. Default 1. */
  readonly firstSeq?: number;
  /** Keep each step's commands (default true). */
  readonly commands?: boolean;
  readonly step?: StepFn;
}

export interface RecordedTrace {
  readonly records: TraceRecord[];
  /** The state after the last input. */
  readonly state: HubState;
}

/** Steps the core over `inputs` and records each step as a (redacted) trace record. */
export function recordTrace(inputs: Iterable<{ readonly now: number; readonly input: HubInput }>, options: RecordTraceOptions = {}): RecordedTrace {
  const stepFn = options.step ?? coreStep;
  const keep = options.commands ?? true;
  let state = options.initial ?? initialState(options.config ?? {}, options.hubCreatedAt ?? 0);
  let seq = options.firstSeq ?? 1;
  const records: TraceRecord[] = [];
  for (const { now, input } of inputs) {
    const r = stepFn(state, input, now);
    state = r.state;
    const redacted = redactInput(input);
    records.push(keep ? { seq, now, input: redacted, commands: r.commands.map(redactCommand) } : { seq, now, input: redacted });
    seq++;
  }
  return { records, state };
}

/**
 * The records with the commands their steps return, computed from `initial`
 * for records that carry none (a journal's). Records that carry commands keep
 * theirs; the state still advances through them.
 */
export function* withCommands(records: Iterable<TraceRecord>, initial: HubState, stepFn: StepFn = coreStep): Generator<TraceRecord> {
  let state = initial;
  for (const record of records) {
    const r = stepFn(state, record.input, record.now);
    state = r.state;
    yield record.commands !== undefined ? record : { ...record, commands: r.commands.map(redactCommand) };
  }
}
