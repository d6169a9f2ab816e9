/**
 * @packageDocumentation
 * `@dialoghub/cli`: the `dialoghub` command (`serve`, `demo`, `sim`,
 * `replay`, `view`, `inspect`; docs/cli.md). The program and each command are
 * exported too, so tests and other tools run them in-process: `runCli(argv,
 * io)` returns the exit code and writes only through `io`; `runSim`,
 * `runReplay`, `runView`, `runInspect` and `runDemo` return result objects;
 * `runServe` runs a hub until its `until` promise resolves.
 */
export { runCli, createProgram, VERSION } from './program.js';
export { processIo, memoryIo, type CliIo } from './io.js';
export { UsageError, InputError, EXIT } from './errors.js';
export type { CliCommand, CommandContext } from './command.js';
export { COMMANDS } from './commands/index.js';
export { simCommand, runSim, renderSim, simJson, FAULT_KEYS, type SimCommandOptions, type SimCommandResult } from './commands/sim.js';
export { replayCommand, runReplay, replayJson, replayClean, type ReplayCommandOptions, type ReplayCommandResult } from './commands/replay.js';
export { viewCommand, runView, type ViewCommandOptions, type ViewCommandResult } from './commands/view.js';
export {
  inspectCommand,
  runInspect,
  renderInspect,
  summariseState,
  DEFAULT_LIMIT,
  type InspectCommandOptions,
  type InspectSummary,
  type LockInfo,
  type ProfileRow,
  type ClientRow,
  type SessionRow,
  type OfflineRow,
} from './commands/inspect.js';
export { serveCommand, runServe, parseServe, DEFAULT_PORT, type ServeCommandOptions, type ServeCommandResult } from './commands/serve.js';
export { demoCommand, DEFAULT_DEMO_OUT } from './commands/demo.js';
export { runDemo, type DemoOptions, type DemoResult } from './demo/run-demo.js';
export { demoJson, renderDemo, demoClean } from './demo/report.js';
