/**
 * Theory of operation: `dialoghub replay FILE` — re-run a trace, a journal
 * segment or a data directory through the core and report whether it still
 * does what the file recorded (@dialoghub/sim's replay; the verdict and its
 * text are the library's). Exits 1 when the replay found a divergence, a
 * broken invariant, or had to stop.
 */
import type { Command } from 'commander';
import { formatReplayReport, type FileReplayReport } from '@dialoghub/sim';
import type { CliCommand, CommandContext } from '../command.js';
import { replayPath } from './replay-loop.js';

export interface ReplayCommandOptions {
  readonly file: string;
}

/** The library's report (its `state`, the hub after the last record, stays out of the JSON). */
export type ReplayCommandResult = FileReplayReport;

export async function runReplay(options: ReplayCommandOptions, ctx?: CommandContext): Promise<ReplayCommandResult> {
  return replayPath(options.file, {}, ctx);
}

/** True when nothing is wrong: no divergence, no broken invariant, no early stop. */
export function replayClean(r: ReplayCommandResult): boolean {
  return r.divergences === 0 && r.invariantViolations.length === 0 && r.error === undefined;
}

/** The JSON object of `dialoghub replay --json`: the report without the final state. */
export function replayJson(r: ReplayCommandResult): unknown {
  return {
    path: r.path,
    inputs: r.inputs,
    divergences: r.divergences,
    ...(r.first !== undefined ? { first: r.first } : {}),
    firstSeq: r.firstSeq,
    lastSeq: r.lastSeq,
    compared: r.compared,
    invariantChecks: r.invariantChecks,
    invariantViolations: r.invariantViolations,
    restarts: r.restarts,
    ...(r.error !== undefined ? { error: r.error } : {}),
    notes: r.notes,
    elapsedMs: r.elapsedMs,
  };
}

export const replayCommand: CliCommand<ReplayCommandOptions, ReplayCommandResult> = {
  name: 'replay',
  configure(command: Command): void {
    command
      .description('re-run a trace, a journal segment or a data directory through the core; report the first divergence')
      .argument('<file>', 'a trace (.dht), a journal segment (.dhj) or a hub data directory')
      .option('--json', 'print one JSON object instead of text');
  },
  parse: (args) => ({ file: args[0]! }),
  run: runReplay,
  render: (r) => `file: ${r.path}\n${formatReplayReport(r)}`,
  json: replayJson,
  exitCode: (r) => (replayClean(r) ? 0 : 1),
};
