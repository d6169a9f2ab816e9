/**
 * Theory of operation: replay of a file, through the runtime's trace reader
 * (`openTrace`, docs/trace-format.md). Where the history starts is decided
 * from what the file says, most specific first:
 *
 * 1. the caller's `initial` state (with its `afterSeq`);
 * 2. a data directory's newest valid snapshot: its state, and the records
 *    after its seq;
 * 3. a simulator trace's `baseSnapshot` (a file next to the trace holding the
 *    core's `serialize` bytes);
 * 4. `initialState(config, hubCreatedAt)` from the header; a header without
 *    them replays from the core's defaults, and the report says so.
 *
 * The simulator's `restarts` header member becomes the replay's restarts.
 * A torn tail is not an error for a reader (the writer never acknowledged
 * it): the report notes it.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deserialize, initialState, type HubConfig, type HubState } from '@dialoghub/core';
import { openTrace, readLatestSnapshot, type OpenedTrace } from '@dialoghub/runtime';
import { Replayer, type ReplayOptions, type ReplayReport } from './replay.js';

/** Where a file's history starts, and what the header says about it. */
export interface TraceStart {
  readonly trace: OpenedTrace;
  /** The state before the first record to replay. */
  readonly initial: HubState;
  /** The seq `initial` includes (records up to it are skipped). */
  readonly afterSeq: number;
  /** Seqs after which the hub restarted (the simulator's `restarts`). */
  readonly restarts: readonly number[];
  readonly notes: readonly string[];
}

function restore(bytes: Uint8Array, what: string): HubState {
  const restored = deserialize(bytes, { verify: false });
  if (!restored.ok) throw new Error(`${what} does not restore: ${restored.error.message}`);
  return restored.value;
}

/**
 * Opens a trace file, a journal segment or a data directory and works out the
 * state its history starts from (see the module comment).
 */
export async function openTraceStart(path: string, options: Pick<ReplayOptions, 'initial' | 'afterSeq'> = {}): Promise<TraceStart> {
  const trace = await openTrace(path);
  const json = trace.header.json as Readonly<Record<string, unknown>>;
  const notes: string[] = [];
  const restarts = Array.isArray(json['restarts']) ? (json['restarts'] as unknown[]).filter((n): n is number => Number.isSafeInteger(n)) : [];
  if (options.initial !== undefined) {
    return { trace, initial: options.initial, afterSeq: options.afterSeq ?? trace.header.firstSeq - 1, restarts, notes };
  }
  if ((await stat(path)).isDirectory()) {
    const snap = await readLatestSnapshot(path);
    if (snap !== null) {
      notes.push(`started from snapshot-${snap.seq}.dhs`);
      return { trace, initial: restore(snap.bytes, `snapshot-${snap.seq}.dhs`), afterSeq: snap.seq, restarts, notes };
    }
  }
  const base = json['baseSnapshot'];
  if (typeof base === 'string') {
    notes.push(`started from the base snapshot ${base}`);
    return { trace, initial: restore(await readFile(join(dirname(path), base)), `the base snapshot ${base}`), afterSeq: trace.header.firstSeq - 1, restarts, notes };
  }
  const config = trace.header.config;
  if (config === null) notes.push("the header has no config: replayed with the core's default config");
  if (trace.header.hubCreatedAt === null) notes.push('the header has no hubCreatedAt: the initial state starts at now = 0');
  if (trace.header.firstSeq !== 1) notes.push(`the file starts at seq ${trace.header.firstSeq}, not 1: give the state before it as \`initial\``);
  return { trace, initial: initialState((config ?? {}) as HubConfig, trace.header.hubCreatedAt ?? 0), afterSeq: 0, restarts, notes };
}

export interface FileReplayReport extends ReplayReport {
  readonly path: string;
  /** The file's JSON header (unknown members included). */
  readonly header: Readonly<Record<string, unknown>>;
}

/**
 * Replays a trace file, a journal segment or a data directory with the
 * runtime's reader (`openTrace`). Throws the reader's `JournalError` on a
 * corrupt file; a torn tail is noted in the report.
 */
export async function replayFile(path: string, options: Omit<ReplayOptions, 'config' | 'hubCreatedAt'> = {}): Promise<FileReplayReport> {
  const start = await openTraceStart(path, options);
  const replayer = new Replayer({ ...options, initial: start.initial, afterSeq: start.afterSeq, restarts: options.restarts ?? start.restarts });
  replayer.notes.push(...start.notes);
  for await (const r of start.trace.records()) if (!replayer.feed(r)) break;
  const tail = start.trace.tail;
  if (tail !== null) replayer.notes.push(`torn tail in ${tail.file} at offset ${tail.offset} (${tail.bytes} bytes, ${tail.reason}): not replayed`);
  return { ...replayer.finish(), path, header: start.trace.header.json as Readonly<Record<string, unknown>> };
}
