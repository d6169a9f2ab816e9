/**
 * Theory of operation: everything a run depends on, with defaults chosen for
 * long runs (docs/simulation.md §Defaults explains them). A run is a pure
 * function of its resolved options: the same options give the same run.
 */
import { MAILBOX_TIMINGS, type HubConfig, type HubInput, type HubState, type Policy, type Step } from '@dialoghub/core';
import { DEFAULT_NETWORK, type NetworkOptions } from './netem.js';

/** What goes wrong, and how often. */
export interface FaultOptions {
  /** Probability that a frame is lost. */
  readonly loss: number;
  /** Probability that a frame is duplicated. */
  readonly dup: number;
  /** Probability that a frame is held back so later frames overtake it. */
  readonly reorder: number;
  /** Number of hub crashes, spread over the run (each followed by a restart from the journal). */
  readonly crash: number;
  /** Number of network partitions, spread over the run (each cuts a block of clients for a while). */
  readonly partitions: number;
  /** Fraction of clients that flap (drop their link every `flapEveryMs` on average). */
  readonly flap: number;
  /** Probability that the transport fails to carry out a `reply` or `writeDialog` (a `commandFailed` input). */
  readonly writeFail: number;
}

export const NO_FAULTS: FaultOptions = Object.freeze({ loss: 0, dup: 0, reorder: 0, crash: 0, partitions: 0, flap: 0, writeFail: 0 });

/** How the simulated clients and the simulated application behave. Times in virtual milliseconds. */
export interface BehaviourOptions {
  /** Clients start uniformly over this window at the beginning of the run. */
  readonly joinOverMs: number;
  /** Mean gap between a client's chat messages while online (exponential). */
  readonly appEveryMs: number;
  /** Mean gap between the application's pushes to one client. */
  readonly pushEveryMs: number;
  /** Fraction of handed-over chat messages the application answers. */
  readonly replyFraction: number;
  /** The application takes up to this long to handle a message. */
  readonly appHandleMs: number;
  /** A client sends Null after this much silence; default 0.8 × the hub's syncAfterMs. */
  readonly heartbeatMs: number | null;
  /** Fraction of clients that never heartbeat (they only answer the hub's Syncs). */
  readonly quietFraction: number;
  /** Delay of a client's bare ack. */
  readonly ackDelayMs: number;
  /** A request unanswered for this long is sent again (same request id)… */
  readonly requestTimeoutMs: number;
  /** …up to this many times, then the link is dropped. */
  readonly requestTries: number;
  /** A client resends its unacknowledged messages when the oldest is this old. */
  readonly rtoMs: number;
  /** A bare ack that shows a gap triggers a resend of messages older than this. */
  readonly resendGuardMs: number;
  /** A gap in the hub's messages that lasts this long makes the client ask for a resend (a `sync` request). */
  readonly gapWaitMs: number;
  /** Reconnect backoff: full jitter over min(cap, base · 2^attempt). */
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** Time online before the attempt counter resets. */
  readonly minUptimeMs: number;
  /** A connection attempt to a hub that is down (or across a partition) fails after this long. */
  readonly connectFailMs: number;
  /** A client that heard nothing from the hub for this long drops its link; default 2 × deadAfterMs. */
  readonly clientDeadMs: number | null;
  /** Fraction of clients that use start/resume (mailbox style) instead of login. */
  readonly startFraction: number;
  /** Fraction of terminal stops followed by a relaunch by the user. */
  readonly relaunchFraction: number;
  readonly relaunchMinMs: number;
  readonly relaunchMaxMs: number;
  /** Fraction of clients whose application restarts now and then (link lost, persisted state kept). */
  readonly restartFraction: number;
  readonly restartEveryMs: number;
  /** A restarted application comes back within this long. */
  readonly restartPauseMs: number;
  /** Fraction of clients that get a second process sharing their id (a copied installation). */
  readonly sharedIdFraction: number;
  /** Mean gap between link drops of a flapping client. */
  readonly flapEveryMs: number;
  /** Fractions of client messages that are a SetInfo, a Log, or an application message of an unregistered type. */
  readonly infoFraction: number;
  readonly logFraction: number;
  readonly badTypeFraction: number;
  /**
   * Mean gap between operator actions on the whole hub (kick, disable, enable, ban, reset,
   * delete a client, set a profile back to auto), or 0 for none.
   */
  readonly operatorEveryMs: number;
}

export const DEFAULT_BEHAVIOUR: BehaviourOptions = Object.freeze({
  joinOverMs: 30 * 60_000,
  appEveryMs: 20 * 60_000,
  pushEveryMs: 60 * 60_000,
  replyFraction: 0.25,
  appHandleMs: 50,
  heartbeatMs: null,
  quietFraction: 0.1,
  ackDelayMs: 500,
  requestTimeoutMs: 10_000,
  requestTries: 3,
  rtoMs: 30_000,
  resendGuardMs: 2_000,
  gapWaitMs: 3_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 120_000,
  minUptimeMs: 60_000,
  connectFailMs: 3_000,
  clientDeadMs: null,
  startFraction: 0.3,
  relaunchFraction: 0.8,
  relaunchMinMs: 10 * 60_000,
  relaunchMaxMs: 2 * 3_600_000,
  restartFraction: 0.05,
  restartEveryMs: 6 * 3_600_000,
  restartPauseMs: 5 * 60_000,
  sharedIdFraction: 0.005,
  flapEveryMs: 10 * 60_000,
  infoFraction: 0.01,
  logFraction: 0.01,
  badTypeFraction: 0.002,
  operatorEveryMs: 0,
});

/** The hub's liveness timings (a subset of the core's HubConfig). */
export interface SimTimings {
  readonly syncAfterMs: number;
  readonly syncEveryMs: number;
  readonly deadAfterMs: number;
  readonly retryAfterMs: number;
}

/** How the simulated shell runs the core. */
export interface ShellOptions {
  /** Group commit: inputs stepped within this window are made durable together. */
  readonly commitDelayMs: number;
  /** A batch this large is committed at once. */
  readonly maxBatch: number;
  /** A snapshot is taken after this many journal records. */
  readonly snapshotEvery: number;
  /** The hub's one timer is armed at nextDeadline rounded up to this (a mailbox shell ticks). */
  readonly timerResolutionMs: number;
  /** A crashed hub is down for a time drawn uniformly from this range. */
  readonly downtimeMinMs: number;
  readonly downtimeMaxMs: number;
}

export const DEFAULT_SHELL: ShellOptions = Object.freeze({
  commitDelayMs: 2,
  maxBatch: 4096,
  snapshotEvery: 200_000,
  timerResolutionMs: 1_000,
  downtimeMinMs: 5_000,
  downtimeMaxMs: 60_000,
});

export type StepFn = (state: HubState, input: HubInput, now: number) => Step;

export interface ShrinkOptions {
  /** Most candidate traces tried. */
  readonly maxTests: number;
  /** Wall-clock budget for shrinking, in milliseconds. */
  readonly maxMs: number;
}

export interface SimOptions {
  readonly seed: number;
  readonly clients: number;
  readonly hours: number;
  /** Number of profiles; clients are spread over them round-robin (fewer profiles than clients → collisions). Default 95 % of clients. */
  readonly profiles?: number;
  readonly policy?: Policy;
  readonly faults?: Partial<FaultOptions>;
  /** Hub timings; default the core's MAILBOX_TIMINGS. */
  readonly timings?: Partial<SimTimings>;
  /** Other hub settings (`maxOutbox`, `maxUnconfirmed`, `limits`); `appMessageTypes` is always `['chat']`. */
  readonly hub?: Pick<HubConfig, 'maxOutbox' | 'maxUnconfirmed' | 'limits'>;
  /** Where to write the trace of a violation (or of the whole run with `traceAlways`). */
  readonly traceFile?: string | null;
  /** Write the trace even when every invariant held (small runs only: the whole history). */
  readonly traceAlways?: boolean;
  readonly onProgress?: (fraction: number) => void;
  readonly behaviour?: Partial<BehaviourOptions>;
  readonly network?: Partial<NetworkOptions>;
  readonly shell?: Partial<ShellOptions>;
  /** The core's `step`, replaceable to test the simulator itself (e.g. a deliberately broken core). */
  readonly step?: StepFn;
  /** Run the core's full `checkInvariants` every this many steps (default max(5 000, 20 × clients)). */
  readonly fullCheckEvery?: number;
  /** Keep the whole history from the first step (for the shortest traces); default when clients × hours ≤ 20 000. */
  readonly keepHistory?: boolean;
  /** Shrink a violation's trace (default on). */
  readonly shrink?: Partial<ShrinkOptions> | false;
}

export interface ResolvedSimOptions {
  readonly seed: number;
  readonly clients: number;
  readonly hours: number;
  readonly profiles: number;
  readonly policy: Policy;
  readonly faults: FaultOptions;
  readonly timings: SimTimings;
  readonly hub: Pick<HubConfig, 'maxOutbox' | 'maxUnconfirmed' | 'limits'>;
  readonly behaviour: BehaviourOptions & { readonly heartbeatMs: number; readonly clientDeadMs: number };
  readonly network: NetworkOptions;
  readonly shell: ShellOptions;
  readonly fullCheckEvery: number;
  readonly keepHistory: boolean;
  readonly shrink: ShrinkOptions | false;
}

function probability(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${String(v)}`);
  return v;
}

function count(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

/** Fills in defaults and validates. Throws a RangeError on a bad option. */
export function resolveOptions(o: SimOptions): ResolvedSimOptions {
  if (!Number.isFinite(o.seed)) throw new RangeError(`seed must be a finite number, got ${String(o.seed)}`);
  const clients = count('clients', o.clients);
  if (clients < 1) throw new RangeError('clients must be at least 1');
  if (!(o.hours > 0 && Number.isFinite(o.hours))) throw new RangeError(`hours must be positive, got ${String(o.hours)}`);
  const profiles = count('profiles', o.profiles ?? Math.max(1, Math.round(clients * 0.95)));
  if (profiles < 1) throw new RangeError('profiles must be at least 1');
  const f = { ...NO_FAULTS, ...(o.faults ?? {}) };
  const faults: FaultOptions = {
    loss: probability('faults.loss', f.loss),
    dup: probability('faults.dup', f.dup),
    reorder: probability('faults.reorder', f.reorder),
    crash: count('faults.crash', f.crash),
    partitions: count('faults.partitions', f.partitions),
    flap: probability('faults.flap', f.flap),
    writeFail: probability('faults.writeFail', f.writeFail),
  };
  const timings: SimTimings = {
    syncAfterMs: MAILBOX_TIMINGS.syncAfterMs,
    syncEveryMs: MAILBOX_TIMINGS.syncEveryMs,
    deadAfterMs: MAILBOX_TIMINGS.deadAfterMs,
    retryAfterMs: MAILBOX_TIMINGS.retryAfterMs,
    ...(o.timings ?? {}),
  };
  const b = { ...DEFAULT_BEHAVIOUR, ...(o.behaviour ?? {}) };
  const behaviour = {
    ...b,
    heartbeatMs: b.heartbeatMs ?? Math.round(timings.syncAfterMs * 0.8),
    clientDeadMs: b.clientDeadMs ?? timings.deadAfterMs * 2,
  };
  return {
    seed: o.seed,
    clients,
    hours: o.hours,
    profiles,
    policy: o.policy ?? 'replaceOld',
    faults,
    timings,
    hub: { ...(o.hub ?? {}) },
    behaviour,
    network: { ...DEFAULT_NETWORK, ...(o.network ?? {}) },
    shell: { ...DEFAULT_SHELL, ...(o.shell ?? {}) },
    fullCheckEvery: o.fullCheckEvery ?? Math.max(5_000, 20 * clients),
    keepHistory: o.keepHistory ?? clients * o.hours <= 20_000,
    shrink: o.shrink === false ? false : { maxTests: 5_000, maxMs: 60_000, ...(o.shrink ?? {}) },
  };
}

