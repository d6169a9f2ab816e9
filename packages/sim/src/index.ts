/**
 * @packageDocumentation
 * `@dialoghub/sim`: a deterministic simulator for dialoghub. A seeded world of
 * one hub (the pure core, stepped directly) and N simulated clients in
 * virtual time, with a seeded network (latency, loss, duplication,
 * reordering, partitions), hub crashes with restart from the journal, the
 * hub's invariants and end-to-end guarantees checked after every step, and
 * delta-debugging of any violation down to a short replayable trace.
 * docs/simulation.md explains the model.
 */
export { simulate, runSimulation, type SimResult, type SimRun, type ShrinkSummary } from './simulate.js';
export {
  resolveOptions,
  DEFAULT_BEHAVIOUR,
  DEFAULT_SHELL,
  NO_FAULTS,
  type SimOptions,
  type ResolvedSimOptions,
  type FaultOptions,
  type BehaviourOptions,
  type ShellOptions,
  type ShrinkOptions,
  type SimTimings,
  type StepFn,
} from './options.js';
export { CORE_VIOLATION_KINDS, type Violation, type ViolationKind, type CoreViolationKind, type EndToEndViolationKind } from './violation.js';
export { World, SIM_EPOCH, type SimStats } from './world.js';
export { Rng } from './rng.js';
export { EventQueue, type SimEvent } from './event-queue.js';
export { Netem, DEFAULT_NETWORK, newDirection, type NetworkOptions, type LinkFaults, type Direction, type NetemCounters } from './netem.js';
export {
  SimClient,
  TIMER_SLOTS,
  T_CONNECT,
  T_REQUEST,
  T_APP,
  T_HEARTBEAT,
  T_ACK,
  T_RTO,
  T_GAP,
  T_FLAP,
  T_RESTART,
  type ClientHost,
  type ClientTraits,
  type ClientPhase,
} from './client.js';
export { CoreChecker } from './checker.js';
export { Oracle } from './oracle.js';
export { HubHost, type HistoryEntry, type HubHostEnv } from './hub-host.js';
export { replayHistory, shrinkHistory, type HistoryReplayResult, type HistoryReplayOptions, type ShrinkResult } from './shrink.js';
export { writeSimTrace, readSimTrace, reproduceTrace, historyRecords, type SimTraceInfo, type LoadedSimTrace } from './trace.js';
export { encodePayload, decodePayload, CHAT_MAGIC, PUSH_MAGIC, type PayloadFields } from './payload.js';
// Replay and the timeline viewer (their own folders).
export * from './replay/index.js';
export * from './view/index.js';
