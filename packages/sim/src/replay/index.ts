/**
 * Theory of operation: replay — re-run a trace or a journal through the core,
 * compare the commands, check the invariants, report the first divergence
 * (docs/architecture.md §8). This barrel is what the package index
 * re-exports; nothing outside the folder reaches in.
 */
export { replayTrace, Replayer, type ReplayOptions, type ReplayReport, type Divergence, type InvariantViolation, type ReplayError } from './replay.js';
export { replayFile, openTraceStart, type FileReplayReport, type TraceStart } from './replay-file.js';
export { formatReplayReport, type ReplayFormatOptions } from './format.js';
export { recordTrace, withCommands, type RecordTraceOptions, type RecordedTrace } from './record-trace.js';
export { demoTrace, DEMO_CONFIG, DEMO_EPOCH, type DemoTrace } from './demo-trace.js';
export { valuesEqual, differences } from './deep-equal.js';
export { summariseInput, summariseCommand, summariseEvent, summariseRecord, formatOffset } from './summary.js';
