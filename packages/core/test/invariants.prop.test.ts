/**
 * Global properties of `step` over random input sequences (plain `test.prop`
 * over arrays of actions; model.prop.test.ts checks the same ground against a
 * reference model with `fc.commands`). Every property is checked after every
 * step, comparing the state a step was given with the one it returned.
 *
 * A failure message names the step, the concrete input and what broke; the
 * shrunk scenario (universe + actions) replays it through the Driver.
 */
import { fc, test } from '@fast-check/vitest';
import { describe } from 'vitest';
import type { HubCommand, HubEvent } from '../src/commands.js';
import type { ClientId } from '../src/ids.js';
import { checkInvariants } from '../src/invariants.js';
import type { Client, ManagementMode, Policy } from '../src/model.js';
import { CLOSE_REASONS } from '../src/requests.js';
import { clientDialogOf, type HubState } from '../src/state.js';
import { nextDeadline } from '../src/step.js';
import {
  allActions,
  APP_TYPE,
  arbScenario,
  canonicalDump,
  runActions,
  show,
  type Action,
  type BodySpec,
  type Scenario,
  type StepRecord,
  type Universe,
} from './hub-arbitraries.js';

const RUNS = { numRuns: 100 };
const scenarios = arbScenario(150);

/** Runs the scenario and fails at the first step where `check` reports a problem. */
function everyStep(s: Scenario, check: (r: StepRecord) => string[]): void {
  runActions(s.universe, allActions(s), (r) => {
    const problems = check(r);
    if (problems.length > 0) {
      throw new Error(`step ${r.index} at now=${r.now}: ${show(r.input)}\n  - ${problems.join('\n  - ')}\n  commands: ${show(r.result.commands)}`);
    }
  });
}

function notifications(commands: readonly HubCommand[]): HubEvent[] {
  return commands.flatMap((c) => (c.type === 'notify' ? [c.event] : []));
}

/** A client's incarnation: a deleted client's id may be registered again, with fresh sequence spaces. */
function incarnation(c: Client): string {
  return `${c.id}#${c.regSeq}`;
}

/**
 * Shrunk counterexamples these properties found in the core, replayed forever.
 * Seeds are those of the run that found them (the generator has grown since,
 * so a seed alone would not replay them; the scenarios do).
 */
const REGRESSIONS: { readonly name: string; readonly scenario: Scenario }[] = (() => {
  const u = (profiles: number[], clients: number[], links: number[], policy: Policy = 'replaceOld'): Universe => ({ profiles, clients, links, policy });
  const created = (profile: number, mode: ManagementMode = 'auto'): Action => ({ kind: 'profileCreated', profile, mode, policy: null, dt: 0 });
  const register = (client: number, link: number, profile: number, dt: number, denied = false): Action =>
    ({ kind: 'register', link, client, profile, requestId: 1, secret: 'alpha', denied, dt });
  const login = (kind: 'start' | 'login', client: number, link: number, credential: 'right' | 'wrong', dt: number, denied = false): Action =>
    ({ kind, link, client, requestId: 1, credential, wrongSecret: 'wrong-secret', lastReceived: 'all', frac: 0, env: 0, denied, dt });
  const say = (body: BodySpec, dt: number): Action => ({ kind: 'messages', link: null, pick: 0, messages: [{ seq: 'next', offset: 0, ack: 'none', frac: 0, body }], dt });
  const two = u([1, 2], [1, 2, 3], [1]);
  return [
    // seed 1540689580: renaming a profile to its own name changed nothing, yet led with commit.
    { name: 'a no-op rename has no commit', scenario: { universe: two, setup: [created(1), created(2, 'manual')], actions: [
      { kind: 'profileRenamed', profile: 1, name: 'north', dt: 1 }, { kind: 'profileRenamed', profile: 1, name: 'north', dt: 0 }] } },
    // seed -1906785067 (and most runs): an empty batch moved lastHeard and the deadlines, without commit.
    { name: 'an empty batch on a live session', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 0), { kind: 'messages', link: 1, pick: 0, messages: [], dt: 1 }] } },
    // Found by classifying commit mismatches: the application's confirmation changed `unconfirmed` without commit.
    { name: 'appMessageHandled is committed', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 0), say({ type: 'app', appType: APP_TYPE }, 1), { kind: 'appMessageHandled', pick: 0, client: 1, seq: 1, dt: 1 }] } },
    // Found by classifying commit mismatches: a timer step that only re-filed a session changed it without commit.
    { name: 'a timer step that only re-files a session', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 0), say({ type: 'null' }, 500), { kind: 'timerFired', atDeadline: true, dt: 0 }] } },
    // seed -786739965: a wrong secret on the client's own session link closed the link ('refused') but kept the session.
    { name: 'a refused request on the requester’s own session link ends that session', scenario: { universe: u([1, 2], [1, 2, 3], [1, 2], 'ignoreNew'), setup: [created(1), created(2)], actions: [
      register(3, 1, 1, 1), login('start', 3, 1, 'wrong', 1)] } },
    { name: 'a denied request on the requester’s own session link ends that session', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 1), login('login', 1, 1, 'right', 1, true)] } },
    // seed 1186959391: a repeated registration arriving as the session timed out reopened a session on the link just closed.
    { name: 'no session on a link a heartbeat timeout closed in the same step (same client)', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 1), register(1, 1, 1, 2500)] } },
    { name: 'no session on a link a heartbeat timeout closed in the same step (another client)', scenario: { universe: two, setup: [created(1), created(2)], actions: [
      register(1, 1, 1, 1), register(2, 1, 2, 2500)] } },
  ];
})();

type Check = (r: StepRecord) => string[];

/** The properties, each a factory of a per-run checker (some remember things across the steps of a run). */
const PROPERTIES: { readonly name: string; readonly make: () => Check }[] = [];

function property(name: string, make: () => Check): void {
  PROPERTIES.push({ name, make });
}

property('checkInvariants is empty, one enabled client per profile, only enabled clients online, the next deadline is in the future', () => {
  return ({ now, result: { state } }) => {
    const problems = checkInvariants(state).map((p) => `checkInvariants: ${p}`);
    const due = nextDeadline(state);
    if (due !== undefined && !(due > now && due > state.now)) problems.push(`nextDeadline ${due} is not after now ${state.now}`);
    const enabled = new Map<number, number[]>();
    for (const c of state.clients.values()) {
      if (c.status === 'enabled') enabled.set(c.profileId, [...(enabled.get(c.profileId) ?? []), c.id]);
    }
    for (const [profile, ids] of enabled) if (ids.length > 1) problems.push(`profile ${profile} has ${ids.length} enabled clients: ${ids.join(', ')}`);
    for (const session of state.sessions.values()) {
      const c = state.clients.get(session.clientId);
      if (c === undefined || c.status !== 'enabled') problems.push(`client ${session.clientId} is online on link ${session.link} but ${c?.status ?? 'unknown'}`);
    }
    return problems;
  };
});

property('sequence numbers never go backwards and no client message is handed over twice', () => {
  const lastDelivered = new Map<string, number>();
  return ({ prev, input, result: { state, commands } }) => {
    const problems: string[] = [];
    for (const before of prev.clients.values()) {
      const after = state.clients.get(before.id);
      if (after === undefined || after.regSeq !== before.regSeq) continue;
      const a = clientDialogOf(prev, before)!;
      const b = clientDialogOf(state, after)!;
      for (const k of ['inSeq', 'outSeq', 'outAcked'] as const) {
        if (b[k] < a[k]) problems.push(`client ${before.id}: ${k} went back from ${a[k]} to ${b[k]}`);
      }
    }
    for (const c of commands) {
      if (c.type !== 'deliver') continue;
      const client = state.clients.get(c.clientId) ?? prev.clients.get(c.clientId);
      if (client === undefined) {
        problems.push(`deliver for unknown client ${c.clientId}`);
        continue;
      }
      const key = incarnation(client);
      const last = lastDelivered.get(key) ?? 0;
      if (c.seq <= last) problems.push(`client ${c.clientId}: message ${c.seq} handed over after ${last} (twice or out of order)`);
      lastDelivered.set(key, Math.max(last, c.seq));
      if (c.appType !== APP_TYPE) problems.push(`delivered an unregistered app type ${c.appType}`);
      const before = prev.clients.get(c.clientId);
      const fromLink = input.type === 'messagesReceived' ? prev.sessions.get(input.link)?.clientId : undefined;
      if (before === undefined || fromLink !== c.clientId) {
        problems.push(`client ${c.clientId}: deliver without a message from its own session`);
        continue;
      }
      const inBefore = clientDialogOf(prev, before)!.inSeq;
      const inAfter = clientDialogOf(state, state.clients.get(c.clientId) ?? before)?.inSeq ?? inBefore;
      if (!(c.seq > inBefore && c.seq <= inAfter)) problems.push(`client ${c.clientId}: delivered seq ${c.seq} outside the newly handled range (${inBefore}, ${inAfter}]`);
    }
    return problems;
  };
});

property('every loser is told why (close before the winner’s reply), and only an ok answer puts a client online', () => {
  return ({ prev, input, result: { state, commands } }) => {
    const problems: string[] = [];
    const events = notifications(commands);
    // A winner is a requester answered ok; a refused requester is answered first and then closed.
    const firstOk = commands.findIndex((c) => c.type === 'reply' && c.answer.code === 'ok');
    for (const session of prev.sessions.values()) {
      if (state.sessions.get(session.link)?.clientId === session.clientId) continue;
      const offline = events.find((e) => e.type === 'clientOffline' && e.clientId === session.clientId && e.link === session.link);
      if (offline === undefined) problems.push(`client ${session.clientId} left link ${session.link} without a clientOffline notification`);
      // The transport lost the link: nobody to tell (unless a deadline due first had already ended the session).
      if (input.type === 'connectionClosed' && input.link === session.link && offline?.type === 'clientOffline' && offline.reason === 'connectionLost') continue;
      const ci = commands.findIndex((c) => c.type === 'close' && c.link === session.link && c.clientId === session.clientId);
      const close = commands[ci];
      if (close === undefined || close.type !== 'close') {
        problems.push(`client ${session.clientId} lost its session on link ${session.link} without a close`);
        continue;
      }
      if (!CLOSE_REASONS.includes(close.reason)) problems.push(`close on link ${session.link} has no valid reason (${String(close.reason)})`);
      if (offline !== undefined && offline.type === 'clientOffline' && offline.reason !== close.reason) problems.push(`clientOffline says ${offline.reason}, close says ${close.reason}`);
      if (firstOk >= 0 && firstOk < ci) problems.push(`the ok reply (command ${firstOk}) comes before the loser's close (command ${ci}) on link ${session.link}`);
    }
    for (const session of state.sessions.values()) {
      if (prev.sessions.get(session.link)?.clientId === session.clientId) continue;
      const granted =
        input.type === 'requestReceived' &&
        input.link === session.link &&
        commands.some((c) => c.type === 'reply' && c.link === session.link && c.answer.code === 'ok' && c.answer.clientId === session.clientId);
      if (!granted) problems.push(`client ${session.clientId} came online on link ${session.link} without an ok answer there`);
      if (!events.some((e) => e.type === 'clientOnline' && e.clientId === session.clientId && e.link === session.link)) {
        problems.push(`client ${session.clientId} came online on link ${session.link} without a clientOnline notification`);
      }
    }
    return problems;
  };
});

property('no session stays on, or is opened on, a link the step closes', () => {
  // A transport ends a link the hub closes and reports nothing more about it (runtime transport.ts, rule 4):
  // a session left on that link could never hear from its client again, nor be told it is gone.
  return ({ result: { state, commands } }) => {
    const problems: string[] = [];
    for (const c of commands) {
      if (c.type !== 'close') continue;
      const session = state.sessions.get(c.link);
      if (session !== undefined) problems.push(`link ${c.link} closed (${c.reason}) but client ${session.clientId} is still online on it`);
    }
    return problems;
  };
});

property('no command addresses an unknown client: dialog writes go to the client’s own session, with seqs the hub assigned', () => {
  return ({ prev, result: { state, commands } }) => {
    const problems: string[] = [];
    for (const c of commands) {
      if (c.type === 'writeDialog') {
        const own = (st: HubState): boolean => st.sessions.get(c.link)?.clientId === c.clientId;
        if (!own(prev) && !own(state)) problems.push(`writeDialog to client ${c.clientId} on link ${c.link}, which is not its session`);
        const client = state.clients.get(c.clientId) ?? prev.clients.get(c.clientId);
        const d = client === undefined ? null : (clientDialogOf(state, client) ?? clientDialogOf(prev, client));
        for (const m of c.messages) {
          if (d === null || m.seq > d.outSeq || m.ack > d.inSeq || (m.seq === 0) !== (m.body.type === 'ack')) {
            problems.push(`writeDialog to client ${c.clientId} carries seq ${m.seq}/ack ${m.ack} (${m.body.type}) beyond its dialog`);
          }
        }
      } else if (c.type === 'deliver') {
        // (A close may name an unknown requester: that is the `reset` answer's link.)
        if (!prev.clients.has(c.clientId) && !state.clients.has(c.clientId)) problems.push(`deliver names unknown client ${c.clientId}`);
      }
    }
    return problems;
  };
});

property('statuses change only by a request or the operator, and never by themselves in a manual profile', () => {
  return ({ prev, input, result: { state } }) => {
    const problems: string[] = [];
    for (const before of prev.clients.values()) {
      const after = state.clients.get(before.id as ClientId);
      const to = after?.status ?? 'deleted';
      if (to === before.status) continue;
      const manual = prev.profiles.get(before.profileId)?.mode === 'manual';
      const byOperator = input.type === 'statusSet' || input.type === 'clientDeleted';
      if (manual && !byOperator) problems.push(`client ${before.id} of manual profile ${before.profileId} went ${before.status} -> ${to} on ${input.type}`);
      if (!byOperator && input.type !== 'requestReceived') problems.push(`client ${before.id} went ${before.status} -> ${to} on ${input.type}`);
      if (input.type === 'requestReceived' && (before.status === 'banned' || before.status === 'reset')) {
        problems.push(`a request moved client ${before.id} out of ${before.status} (to ${to})`);
      }
    }
    return problems;
  };
});

property('commit comes first exactly when the state changed (other than now), and nowhere else', () => {
  return ({ prev, result: { state, commands } }) => {
    const problems: string[] = [];
    const changed = canonicalDump(prev, { withoutNow: true }) !== canonicalDump(state, { withoutNow: true });
    const commitFirst = commands[0]?.type === 'commit';
    if (changed && !commitFirst) problems.push(`the state changed but commands do not start with commit (${diff(prev, state)})`);
    if (!changed && commitFirst) problems.push('commit but the state did not change');
    if (commands.slice(1).some((c) => c.type === 'commit')) problems.push('commit after the first command');
    return problems;
  };
});

property('requests are answered once (or their link closed), on their link, naming the requester; command ids count up', () => {
  return ({ prev, input, result: { state, commands } }) => {
    const problems: string[] = [];
    const replies = commands.flatMap((c) => (c.type === 'reply' ? [c] : []));
    if (input.type === 'requestReceived') {
      // A malformed request, or one on a link this step already closed, gets no answer: its link is closed instead.
      const closed = commands.some((c) => c.type === 'close' && c.link === input.link);
      if (replies.length > 1 || (replies.length === 0 && !closed)) problems.push(`${replies.length} replies to one request`);
      for (const r of replies) {
        if (r.link !== input.link || r.requestId !== input.request.requestId || r.answer.clientId !== input.request.clientId) {
          problems.push(`reply ${show(r)} does not answer request ${input.request.requestId} of client ${input.request.clientId} on link ${input.link}`);
        }
      }
    } else if (replies.length > 0) {
      problems.push(`${replies.length} replies without a request`);
    }
    let expected = prev.nextCommandId;
    for (const c of commands) {
      if (c.type !== 'reply' && c.type !== 'writeDialog' && c.type !== 'close') continue;
      if (c.commandId !== expected) problems.push(`command id ${c.commandId} where ${expected} was next`);
      expected = c.commandId + 1;
    }
    if (state.nextCommandId !== expected) problems.push(`nextCommandId ${state.nextCommandId} after using ids up to ${expected - 1}`);
    return problems;
  };
});

describe('hub invariants over random input sequences', () => {
  for (const { name, make } of PROPERTIES) {
    test.prop([scenarios], RUNS)(name, (s) => everyStep(s, make()));
  }

  test.each(REGRESSIONS)('regression: $name', ({ scenario }) => {
    for (const { make } of PROPERTIES) everyStep(scenario, make());
  });
});

/** Which state fields differ (for the commit property's message). */
function diff(a: HubState, b: HubState): string {
  const fields = ['nextCommandId', 'regSeq', 'profiles', 'clients', 'sessions', 'online', 'deadlines'] as const;
  const render = (s: HubState, f: (typeof fields)[number]): string => {
    const v = s[f];
    if (typeof v === 'number') return String(v);
    if (f === 'deadlines') {
      const keys: unknown[] = [];
      s.deadlines.forEach((k: unknown) => {
        keys.push(k);
        return undefined;
      });
      return show(keys);
    }
    return show([...(v as { entries(): Iterable<unknown> }).entries()]);
  };
  return fields
    .filter((f) => render(a, f) !== render(b, f))
    .map((f) => `${f}: ${render(a, f)} -> ${render(b, f)}`)
    .join('; ');
}

// fc is re-exported for readers replaying a seed: fc.configureGlobal({ seed, path }).
void fc;
