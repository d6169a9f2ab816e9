/**
 * Theory of operation: how the command line fails. Every failure a user can
 * cause — a bad argument, a file that cannot be read, a file that is not what
 * it claims to be — ends as one line on stderr (`dialoghub: <message>`) and
 * exit code 2; never a stack trace. Commands throw these errors; only the
 * program (main.ts) turns them into output and exit codes.
 */
import { JournalError } from '@dialoghub/runtime';
import { BridgeStateError } from '@dialoghub/adapter-ftp';

/** The exit codes of `dialoghub` (docs/cli.md §Exit codes). */
export const EXIT = Object.freeze({
  /** The command did what was asked and found nothing wrong. */
  ok: 0,
  /** The command ran and found a problem: a sim violation, a replay divergence. */
  findings: 1,
  /** Bad arguments, or an input file that cannot be read or is corrupt. */
  usage: 2,
  /** A bug in dialoghub itself (DIALOGHUB_DEBUG=1 prints the stack). */
  internal: 3,
  /** `serve` stopped because its store failed (disk full, I/O error): restart it to recover from the journal. */
  storeFailed: 4,
});

/** The user asked for something the command cannot do: an unknown option, a malformed value. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/**
 * The hub stopped on a store failure while serving: its in-memory state is
 * ahead of the journal, so the process must exit (exit code 4) and be
 * restarted, which recovers from what is on the disk.
 */
export class StoreFailedError extends Error {
  override readonly name: string = 'StoreFailedError';
}

/** An input the command was given cannot be used: missing, unreadable, corrupt, or of the wrong kind. */
export class InputError extends UsageError {
  override readonly name: string = 'InputError';
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

function errnoOf(e: unknown): { code: string; path: string | undefined } | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return null;
  const path = (e as { path?: unknown }).path;
  return { code, path: typeof path === 'string' ? path : undefined };
}

/**
 * Turns what a command threw while reading or writing `what` into an
 * `InputError`: file-system errors, the journal's `JournalError` (a
 * corrupt or unsupported file) and the legacy bridge's `BridgeStateError`
 * (its state file; the message names it). Anything else is passed through
 * unchanged.
 */
export function asInputError(e: unknown, what: string): unknown {
  if (e instanceof UsageError) return e;
  if (e instanceof JournalError || e instanceof BridgeStateError) return new InputError(e.message, { cause: e });
  const errno = errnoOf(e);
  if (errno !== null) return new InputError(`${errno.path ?? what}: ${ERRNO_TEXT[errno.code] ?? errno.code}`, { cause: e });
  return e;
}

/** Runs `task`; a file error it throws becomes an `InputError` naming `what`. */
export async function readingInput<T>(what: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (e) {
    throw asInputError(e, what);
  }
}

/** One line, whatever the message held. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
