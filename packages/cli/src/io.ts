/**
 * Theory of operation: where a command's output goes. The program writes
 * results to `stdout` (one JSON object with `--json`, tables otherwise) and
 * errors to `stderr`; progress bars go to `stderr` only when it is a
 * terminal, so piped or captured output never holds them. Tests pass their
 * own `CliIo` and capture both streams in memory.
 */

export interface CliIo {
  /** Results. */
  writeOut(text: string): void;
  /** Errors and warnings. */
  writeErr(text: string): void;
  /** The stream progress bars draw on, or null when stderr is not a terminal (no bar then). */
  readonly progressStream: NodeJS.WritableStream | null;
  /** Environment variables (DIALOGHUB_DEBUG). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    writeOut: (text) => void process.stdout.write(text),
    writeErr: (text) => void process.stderr.write(text),
    progressStream: process.stderr.isTTY === true ? process.stderr : null,
    env: process.env,
  };
}

/** An in-memory `CliIo` for tests and embedding: what was written, and no progress bar. */
export function memoryIo(env: Readonly<Record<string, string | undefined>> = {}): CliIo & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    writeOut: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    progressStream: null,
    env,
  };
}
