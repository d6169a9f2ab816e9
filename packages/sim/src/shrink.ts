/**
 * Theory of operation: from a violation to the shortest history that still
 * shows it.
 *
 * A history is the list of core inputs (with their `now`) that the hub
 * stepped — the live state's lineage — plus restart markers. `replayHistory`
 * runs one through the core with a fresh `CoreChecker` and returns the first
 * violation. The core accepts any input sequence, so every sub-list is a valid
 * candidate, and shrinking is plain delta debugging (Zeller's ddmin) with the
 * predicate "the replay reports a violation of the same kind":
 *
 * 1. cut the history after the step that showed the violation;
 * 2. try slices first: only the inputs that concern the violation's client,
 *    the clients of its profile and their links (without, then with, the
 *    timer inputs) — one replay that often removes all but a few dozen
 *    inputs;
 * 3. ddmin over what is left, within a budget of replays and wall time;
 *    the result is 1-minimal when the budget allows (removing any one input
 *    loses the violation).
 *
 * A restart marker replays as serialize + deserialize of the state, so a
 * snapshot bug shrinks like any other. End-to-end violations, which need the
 * world's clients to be seen, usually do not reproduce from core inputs
 * alone; their history is kept whole (cut after the violation when it names
 * a step).
 */
import { deserialize, serialize, type HubCommand, type HubState } from '@dialoghub/core';
import { CoreChecker } from './checker.js';
import type { HistoryEntry } from './hub-host.js';
import type { ShrinkOptions, StepFn } from './options.js';
import type { Violation } from './violation.js';

export interface HistoryReplayResult {
  /** The first violation, or null when every check held. */
  readonly violation: Violation | null;
  /** The state after the last entry replayed. */
  readonly state: HubState;
  /** Commands per entry (only with `collect`; empty for restart markers). */
  readonly commands: (readonly HubCommand[])[];
}

export interface HistoryReplayOptions {
  /** Keep each step's commands. */
  readonly collect?: boolean;
  /** Run the core's full `checkInvariants` after every step (small states only), not just at the end. */
  readonly fullEveryStep?: boolean;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Replays a history from `base` through `step`, checking after every entry,
 * and stops at the first violation (its `step` is the entry's index).
 */
export function replayHistory(base: HubState, entries: readonly HistoryEntry[], stepFn: StepFn, options: HistoryReplayOptions = {}): HistoryReplayResult {
  const checker = new CoreChecker(false);
  const commands: (readonly HubCommand[])[] = [];
  let state = base;
  const done = (violation: Violation | null): HistoryReplayResult => ({ violation, state, commands });
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if ('restart' in e) {
      const bytes = serialize(state);
      const restored = deserialize(bytes);
      if (!restored.ok || !bytesEqual(serialize(restored.value), bytes)) {
        return done({
          kind: 'recoveryDiverged',
          message: restored.ok ? 'the state changed through serialize + deserialize' : `the snapshot does not restore: ${restored.error.message}`,
          now: e.now,
          step: i,
          clientId: null,
        });
      }
      state = restored.value;
      if (options.collect === true) commands.push([]);
      continue;
    }
    let r;
    try {
      r = stepFn(state, e.input, e.now);
    } catch (err) {
      return done({ kind: 'coreThrew', message: `step threw on ${e.input.type}: ${err instanceof Error ? err.message : String(err)}`, now: e.now, step: i, clientId: null });
    }
    const v = checker.afterStep(state, e.input, r.state, r.commands, i);
    state = r.state;
    if (options.collect === true) commands.push(r.commands);
    if (v !== null) return done(v);
    if (options.fullEveryStep === true) {
      const full = checker.full(state, i);
      if (full !== null) return done(full);
    }
  }
  return done(checker.full(state, entries.length - 1));
}

export interface ShrinkResult {
  readonly entries: readonly HistoryEntry[];
  /** The violation the shrunk history shows (null when the history did not reproduce at all). */
  readonly violation: Violation | null;
  /** True when the shrunk history reproduces the violation from core inputs alone. */
  readonly reproduced: boolean;
  readonly originalLength: number;
  readonly tests: number;
  readonly ms: number;
}

/** The inputs that concern a set of clients, their profiles and their links. */
function slice(entries: readonly HistoryEntry[], clients: ReadonlySet<number>, profiles: ReadonlySet<number>, withTimers: boolean): HistoryEntry[] {
  const links = new Set<number>();
  for (const e of entries) {
    if ('restart' in e) continue;
    const i = e.input;
    if (i.type === 'requestReceived' && (clients.has(i.request.clientId) || (i.request.kind === 'register' && profiles.has(i.request.profileId)))) links.add(i.link);
  }
  return entries.filter((e) => {
    if ('restart' in e) return true;
    const i = e.input;
    switch (i.type) {
      case 'requestReceived':
        return links.has(i.link) || clients.has(i.request.clientId);
      case 'messagesReceived':
      case 'connectionClosed':
      case 'commandFailed':
        return links.has(i.link);
      case 'appMessageSent':
        return 'clientId' in i.to ? clients.has(i.to.clientId) : profiles.has(i.to.profileId);
      case 'appMessageHandled':
      case 'statusSet':
      case 'clientKicked':
      case 'clientDeleted':
        return clients.has(i.clientId);
      case 'profileCreated':
      case 'profileRenamed':
      case 'profileRemoved':
      case 'profileModeSet':
      case 'profilePolicySet':
        return profiles.has(i.profileId);
      case 'timerFired':
        return withTimers;
      default:
        return true;
    }
  });
}

/**
 * Shrinks `history` (replayed from `base`) to a short history that still
 * shows a violation of `target`'s kind.
 */
export function shrinkHistory(base: HubState, history: readonly HistoryEntry[], target: Violation, stepFn: StepFn, budget: ShrinkOptions, wallClock: () => number): ShrinkResult {
  const started = wallClock();
  let tests = 0;
  const fullEveryStep = target.kind === 'stateInvariant';
  const reproduces = (candidate: readonly HistoryEntry[]): Violation | null => {
    tests++;
    const v = replayHistory(base, candidate, stepFn, { fullEveryStep: fullEveryStep && candidate.length <= 5_000 }).violation;
    return v !== null && v.kind === target.kind ? v : null;
  };
  const exhausted = (): boolean => tests >= budget.maxTests || wallClock() - started >= budget.maxMs;

  let entries: readonly HistoryEntry[] = target.step >= 0 ? history.slice(0, target.step + 1) : history;
  const originalLength = entries.length;
  let found = reproduces(entries);
  if (found === null) {
    return { entries, violation: null, reproduced: false, originalLength, tests, ms: wallClock() - started };
  }

  // Slices around the violation's client and its profile's other clients.
  const subject = found.clientId ?? target.clientId;
  if (subject !== null) {
    const final = replayHistory(base, entries, stepFn).state;
    const clients = new Set<number>([subject]);
    const profiles = new Set<number>();
    const client = final.clients.get(subject) ?? base.clients.get(subject);
    if (client !== undefined) {
      profiles.add(client.profileId);
      for (const c of final.clients.values()) if (c.profileId === client.profileId) clients.add(c.id);
    }
    for (const withTimers of [false, true]) {
      const candidate = slice(entries, clients, profiles, withTimers);
      if (candidate.length < entries.length) {
        const v = reproduces(candidate);
        if (v !== null) {
          entries = candidate.slice(0, v.step + 1);
          found = v;
          break;
        }
      }
    }
  }

  // ddmin (subsets, then complements, doubling the granularity).
  let items = entries.slice();
  let n = 2;
  while (items.length >= 2 && !exhausted()) {
    const chunk = Math.ceil(items.length / n);
    let reduced = false;
    for (let i = 0; i < n && !reduced && !exhausted(); i++) {
      const subset = items.slice(i * chunk, (i + 1) * chunk);
      if (subset.length === 0 || subset.length === items.length) continue;
      const v = reproduces(subset);
      if (v !== null) {
        items = subset.slice(0, v.step + 1);
        found = v;
        n = 2;
        reduced = true;
      }
    }
    for (let i = 0; i < n && !reduced && !exhausted(); i++) {
      const complement = [...items.slice(0, i * chunk), ...items.slice((i + 1) * chunk)];
      if (complement.length === 0 || complement.length === items.length) continue;
      const v = reproduces(complement);
      if (v !== null) {
        items = complement.slice(0, v.step + 1);
        found = v;
        n = Math.max(n - 1, 2);
        reduced = true;
      }
    }
    if (!reduced) {
      if (n >= items.length) break;
      n = Math.min(items.length, n * 2);
    }
  }
  return { entries: items, violation: found, reproduced: true, originalLength, tests, ms: wallClock() - started };
}
