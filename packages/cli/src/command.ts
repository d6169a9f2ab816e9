/**
 * Theory of operation: what one `dialoghub` subcommand is. A command module
 * (src/commands/<name>.ts) declares its arguments and options on the
 * commander command the program gives it, runs with what commander parsed and
 * returns a result object, and says how that result reads as text, as JSON
 * and as an exit code. It never writes to stdout, never exits the process:
 * the program (main.ts) does both. Adding a command is a new module plus one
 * line in src/commands/index.ts.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.js';

export interface CommandContext {
  /** For progress bars (stderr, terminal only) and warnings; results are returned, not written. */
  readonly io: CliIo;
}

/**
 * One subcommand: `P` is what its arguments mean once checked, `R` what a run
 * returns.
 */
export interface CliCommand<P, R> {
  /** The subcommand's name (`dialoghub <name> …`). */
  readonly name: string;
  /** Declares the description, arguments and options on `command` (commander). */
  configure(command: Command): void;
  /**
   * Checks commander's positional arguments and parsed options (`--json`
   * included) before anything runs; throws `UsageError` for a bad one.
   */
  parse(args: readonly string[], options: Readonly<Record<string, unknown>>): P;
  /** Runs. Throws `InputError` for an unusable input. */
  run(params: P, ctx: CommandContext): Promise<R>;
  /** The result as text for a person (tables), without a trailing newline. */
  render(result: R, params: P): string;
  /** The one JSON object `--json` prints. */
  json(result: R): unknown;
  /** 0 when the result reports nothing wrong, 1 when it reports a finding (a violation, a divergence). */
  exitCode(result: R): number;
}
