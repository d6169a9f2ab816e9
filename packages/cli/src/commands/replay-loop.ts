/**
 * Theory of operation: the replay loop the `replay` and `inspect` commands
 * share. @dialoghub/sim works out where a file's history starts
 * (`openTraceStart`: a data directory's snapshot, a trace's base snapshot or
 * header) and judges each record (`Replayer`); this loop only feeds the
 * records through, ticks a progress counter, and turns what the reader
 * throws into an `InputError`.
 */
import { stat } from 'node:fs/promises';
import { openTraceStart, Replayer, type FileReplayReport, type ReplayOptions } from '@dialoghub/sim';
import type { CommandContext } from '../command.js';
import { asInputError, InputError, UsageError } from '../errors.js';
import { counter } from '../output/progress.js';

/** Inputs this large (bytes, all files) get a progress counter. */
export const PROGRESS_BYTES = 4 * 1024 * 1024;

async function inputBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  return total;
}

/**
 * Replays a trace file, a journal segment or a data directory (see
 * `openTraceStart`). The reader's errors — a missing, unreadable or corrupt
 * file, a snapshot that does not restore — become an `InputError`.
 */
export async function replayPath(path: string, options: Pick<ReplayOptions, 'invariantsEvery' | 'compareCommands' | 'contextSize'>, ctx?: CommandContext): Promise<FileReplayReport> {
  let start;
  try {
    start = await openTraceStart(path);
  } catch (e) {
    // A snapshot that does not restore is a plain Error from the reader: the file's fault.
    // A TypeError or the like is a bug, and stays one.
    const mapped = asInputError(e, path);
    if (mapped instanceof UsageError || !(e instanceof Error) || e.constructor !== Error) throw mapped;
    throw new InputError(`${path}: ${e.message}`, { cause: e });
  }
  const replayer = new Replayer({ ...options, initial: start.initial, afterSeq: start.afterSeq, restarts: start.restarts });
  replayer.notes.push(...start.notes);
  const big = ctx !== undefined && ctx.io.progressStream !== null && (await inputBytes(start.trace.files)) >= PROGRESS_BYTES;
  const progress = big ? counter(ctx.io, 'replay', 'inputs') : null;
  let n = 0;
  try {
    for await (const r of start.trace.records()) {
      if (!replayer.feed(r)) break;
      if (progress !== null && (++n & 1023) === 0) progress.update(n);
    }
  } catch (e) {
    throw asInputError(e, path);
  } finally {
    progress?.stop();
  }
  const tail = start.trace.tail;
  if (tail !== null) replayer.notes.push(`torn tail in ${tail.file} at offset ${tail.offset} (${tail.bytes} bytes, ${tail.reason}): not replayed`);
  return { ...replayer.finish(), path, header: start.trace.header.json as Readonly<Record<string, unknown>> };
}
