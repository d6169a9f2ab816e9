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
import type { Client } from '../src/model.js';
import { CLOSE_REASONS } from '../src/requests.js';
import { clientDialogOf, type HubState } from '../src/state.js';
import { nextDeadline } from '../src/step.js';
import { allActions, APP_TYPE, arbScenario, canonicalDump, runActions, show, type Scenario, type StepRecord } from './hub-arbitraries.js';

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

describe('hub invariants over random input sequences', () => {
  test.prop([scenarios], RUNS)('checkInvariants is empty, one enabled client per profile, only enabled clients online, the next deadline is in the future', (s) => {
    everyStep(s, ({ now, result: { state } }) => {
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
    });
  });

  test.prop([scenarios], RUNS)('sequence numbers never go backwards and no client message is handed over twice', (s) => {
    const lastDelivered = new Map<string, number>();
    everyStep(s, ({ prev, input, result: { state, commands } }) => {
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
    });
  });

  test.prop([scenarios], RUNS)('every loser is told why (close before the winner’s reply), and only an ok answer puts a client online', (s) => {
    everyStep(s, ({ prev, input, result: { state, commands } }) => {
      const problems: string[] = [];
      const events = notifications(commands);
      const firstReply = commands.findIndex((c) => c.type === 'reply');
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
        if (firstReply >= 0 && firstReply < ci) problems.push(`the reply (command ${firstReply}) comes before the loser's close (command ${ci}) on link ${session.link}`);
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
    });
  });

  test.prop([scenarios], RUNS)('statuses change only by a request or the operator, and never by themselves in a manual profile', (s) => {
    everyStep(s, ({ prev, input, result: { state } }) => {
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
    });
  });

  test.prop([scenarios], RUNS)('commit comes first exactly when the state changed (other than now), and nowhere else', (s) => {
    everyStep(s, ({ prev, result: { state, commands } }) => {
      const problems: string[] = [];
      const changed = canonicalDump(prev, { withoutNow: true }) !== canonicalDump(state, { withoutNow: true });
      const commitFirst = commands[0]?.type === 'commit';
      if (changed && !commitFirst) problems.push(`the state changed but commands do not start with commit (${diff(prev, state)})`);
      if (!changed && commitFirst) problems.push('commit but the state did not change');
      if (commands.slice(1).some((c) => c.type === 'commit')) problems.push('commit after the first command');
      return problems;
    });
  });

  test.prop([scenarios], RUNS)('requests are answered once, on their link, naming the requester; command ids count up from the state', (s) => {
    everyStep(s, ({ prev, input, result: { state, commands } }) => {
      const problems: string[] = [];
      const replies = commands.flatMap((c) => (c.type === 'reply' ? [c] : []));
      if (input.type === 'requestReceived') {
        if (replies.length !== 1) problems.push(`${replies.length} replies to one request`);
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
    });
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
