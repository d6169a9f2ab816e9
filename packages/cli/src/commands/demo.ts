/**
 * Theory of operation: `dialoghub demo --clients N --seconds S` — a hub and
 * N client engines over real loopback TCP in this process, playing
 * registrations, takeovers under each policy, messages both ways and cut
 * links for S seconds (src/demo/ does it), then a summary: what the hub
 * decided, and whether anything acknowledged was lost. Writes the run's
 * trace and its HTML timeline. Exits 1 when something was lost or handed
 * over twice, or an invariant fails.
 */
import type { Command } from 'commander';
import { integer, positive } from '../args.js';
import type { CliCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { demoClean, demoJson, renderDemo } from '../demo/report.js';
import { runDemo, type DemoOptions, type DemoResult } from '../demo/run-demo.js';

/** Where the trace and the timeline go unless `--out` says otherwise. */
export const DEFAULT_DEMO_OUT = './dialoghub-demo';
/** Most clients (each holds two sockets in this process). */
export const MAX_DEMO_CLIENTS = 5_000;
/** Longest run. */
export const MAX_DEMO_SECONDS = 3_600;

export const demoCommand: CliCommand<DemoOptions, DemoResult> = {
  name: 'demo',
  configure(command: Command): void {
    command
      .description('a hub and N clients over real loopback TCP for S seconds: takeovers under each policy, messages both ways, cut links; reports anything lost')
      .option('--clients <n>', 'client installations (at least 6 for every policy to meet both conflicts; default 20)')
      .option('--seconds <s>', 'how long the clients run (default 10)')
      .option('--out <dir>', `where trace.dhj and timeline.html go (default ${DEFAULT_DEMO_OUT})`)
      .option('--json', 'print one JSON object instead of tables');
  },
  parse(_args, o): DemoOptions {
    const seconds = o['seconds'] === undefined ? 10 : positive(o['seconds'], '--seconds');
    if (seconds > MAX_DEMO_SECONDS) throw new UsageError(`--seconds must be at most ${MAX_DEMO_SECONDS}, got ${seconds}`);
    return {
      clients: o['clients'] === undefined ? 20 : integer(o['clients'], '--clients', 1, MAX_DEMO_CLIENTS),
      seconds,
      out: typeof o['out'] === 'string' ? o['out'] : DEFAULT_DEMO_OUT,
    };
  },
  run: runDemo,
  render: renderDemo,
  json: demoJson,
  exitCode: (r) => (demoClean(r) ? 0 : 1),
};
