/**
 * Model-based test of the hub core (`fc.commands` + `fc.modelRun`).
 *
 * The reference model is deliberately much simpler than the core: two plain
 * mutable Maps, client → { profile, status, online link, inSeq, outSeq,
 * outAcked, delivered seqs } and profile → { mode, policy }. It does not
 * re-implement the protocol. It predicts what is simple to predict (operator
 * actions, the effect of a lost link or a kick, that nothing changes status
 * by itself) and bounds what is not (a request may only enable its own
 * client, and only disable or ban others of the same auto profile). Every
 * command applies one input to the real core, checks the result against the
 * model, then refreshes the model from what the core reported.
 *
 * Checked after every step: checkInvariants is empty; at most one enabled
 * client per profile; only enabled clients online; per-client inSeq, outSeq,
 * outAcked never go backwards; no client message is handed over twice and the
 * seqs handed over per client increase; every client that loses its session is
 * told why (a `close` with a reason and `notify clientOffline`; a request's
 * loser is closed before the winner's `reply`) unless the transport lost the
 * link; manual profiles never change status by themselves; nextDeadline is
 * undefined or after now.
 *
 * Delivered seqs are tracked per client *incarnation* (id + registration
 * sequence): a deleted client's id may be registered again, with fresh
 * sequence spaces, and then seq 1 is a new message.
 *
 * No seed is pinned here: the core bugs these runs met were first shrunk by
 * invariants.prop.test.ts, which replays them as regression scenarios.
 */
import { fc, test } from '@fast-check/vitest';
import { describe } from 'vitest';
import type { HubCommand, HubEvent } from '../src/commands.js';
import type { ClientId } from '../src/ids.js';
import type { HubInput } from '../src/inputs.js';
import { checkInvariants } from '../src/invariants.js';
import type { ClientStatus, ManagementMode, Policy } from '../src/model.js';
import { CLOSE_REASONS } from '../src/requests.js';
import { clientDialogOf, initialState, type HubState } from '../src/state.js';
import { nextDeadline, step, type Step } from '../src/step.js';
import { APP_TYPE, arbAction, arbSetup, arbUniverse, Driver, hubConfig, show, START, type Action, type Universe } from './hub-arbitraries.js';

// ---- the reference model -----------------------------------------------------------------

interface ModelClient {
  profile: number;
  status: ClientStatus;
  regSeq: number;
  /** The link it is online on, or null. */
  link: number | null;
  inSeq: number;
  outSeq: number;
  outAcked: number;
  /** Seqs handed to the application (`deliver`), and the last one. */
  delivered: Set<number>;
  lastDelivered: number;
}

interface ModelProfile {
  mode: ManagementMode;
  policy: Policy | null;
}

class HubModel {
  readonly clients = new Map<number, ModelClient>();
  readonly profiles = new Map<number, ModelProfile>();
}

interface Real {
  state: HubState;
  readonly driver: Driver;
}

type Status = ClientStatus | 'deleted';

// ---- predictions ---------------------------------------------------------------------------

/** The profiles after `input`, as the model sees them. */
function expectedProfiles(m: HubModel, input: HubInput): Map<number, ModelProfile> {
  const out = new Map<number, ModelProfile>([...m.profiles].map(([id, p]) => [id, { ...p }]));
  switch (input.type) {
    case 'profileCreated':
      if (!out.has(input.profileId)) out.set(input.profileId, { mode: input.mode ?? 'auto', policy: input.policy ?? null });
      break;
    case 'profileRemoved':
      if (out.has(input.profileId) && ![...m.clients.values()].some((c) => c.profile === input.profileId)) out.delete(input.profileId);
      break;
    case 'profileModeSet': {
      const p = out.get(input.profileId);
      if (p !== undefined) p.mode = input.mode;
      break;
    }
    case 'profilePolicySet': {
      const p = out.get(input.profileId);
      if (p !== undefined) p.policy = input.policy;
      break;
    }
    case 'statusSet': {
      // The operator's choice switches an auto profile to manual, so no takeover undoes it (reset excepted).
      const c = m.clients.get(input.clientId);
      const p = c === undefined ? undefined : out.get(c.profile);
      if (c !== undefined && p !== undefined && c.status !== input.status && input.status !== 'reset') p.mode = 'manual';
      break;
    }
    default:
      break;
  }
  return out;
}

/** The statuses after `input` for the inputs whose outcome the model knows; undefined for requests. */
function expectedStatuses(m: HubModel, input: HubInput): Map<number, Status> | undefined {
  if (input.type === 'requestReceived') return undefined;
  const out = new Map<number, Status>([...m.clients].map(([id, c]) => [id, c.status]));
  if (input.type === 'statusSet') {
    const c = m.clients.get(input.clientId);
    if (c !== undefined && c.status !== input.status) {
      if (input.status === 'enabled') {
        for (const [id, other] of m.clients) if (id !== input.clientId && other.profile === c.profile && other.status === 'enabled') out.set(id, 'disabled');
      }
      out.set(input.clientId, input.status);
    }
  }
  if (input.type === 'clientDeleted' && m.clients.get(input.clientId)?.status === 'reset') out.set(input.clientId, 'deleted');
  return out;
}

// ---- checks --------------------------------------------------------------------------------

function events(commands: readonly HubCommand[]): HubEvent[] {
  return commands.flatMap((c) => (c.type === 'notify' ? [c.event] : []));
}

function check(m: HubModel, prev: HubState, input: HubInput, now: number, result: Step): string[] {
  const { state, commands } = result;
  const problems: string[] = checkInvariants(state).map((p) => `checkInvariants: ${p}`);
  const due = nextDeadline(state);
  if (due !== undefined && !(due > now && due > state.now)) problems.push(`nextDeadline ${due} is not after now ${state.now}`);
  const notified = events(commands);

  // Profiles: as predicted.
  const profiles = expectedProfiles(m, input);
  for (const [id, p] of profiles) {
    const real = state.profiles.get(id);
    if (real === undefined) problems.push(`profile ${id} is missing`);
    else if (real.mode !== p.mode || real.policy !== p.policy) problems.push(`profile ${id} is ${real.mode}/${real.policy}, expected ${p.mode}/${p.policy}`);
  }
  for (const id of state.profiles.keys()) if (!profiles.has(id)) problems.push(`profile ${id} appeared on ${input.type}`);

  // At most one enabled client per profile; only enabled clients online.
  const enabled = new Map<number, number>();
  for (const c of state.clients.values()) {
    if (c.status !== 'enabled') continue;
    if (enabled.has(c.profileId)) problems.push(`profile ${c.profileId} has two enabled clients: ${enabled.get(c.profileId)} and ${c.id}`);
    enabled.set(c.profileId, c.id);
  }
  for (const [client, link] of state.online.entries()) {
    const status = state.clients.get(client)?.status;
    if (status !== 'enabled') problems.push(`client ${client} is online on link ${link} but ${status ?? 'unknown'}`);
  }

  // Statuses: as predicted, or within what a request may do.
  const predicted = expectedStatuses(m, input);
  const request = input.type === 'requestReceived' ? input.request : undefined;
  const requesterProfile =
    request === undefined ? undefined : request.kind === 'register' ? request.profileId : m.clients.get(request.clientId)?.profile;
  for (const [id, mc] of m.clients) {
    const real = state.clients.get(id);
    const status: Status = real === undefined || real.regSeq !== mc.regSeq ? 'deleted' : real.status;
    if (predicted !== undefined && status !== predicted.get(id)) problems.push(`client ${id} is ${status}, expected ${predicted.get(id)} (was ${mc.status})`);
    if (status === mc.status) continue;
    // Manual profiles never change status by themselves: only the operator's statusSet/clientDeleted may.
    if (m.profiles.get(mc.profile)?.mode === 'manual' && input.type !== 'statusSet' && input.type !== 'clientDeleted') {
      problems.push(`client ${id} of manual profile ${mc.profile} went ${mc.status} -> ${status} on ${input.type}`);
    }
    if (request !== undefined) {
      // A request may re-enable its own disabled client, and disable or ban the profile's other enabled one.
      const change = `client ${id} went ${mc.status} -> ${status} on a ${request.kind} request of client ${request.clientId}`;
      if (id === request.clientId ? !(mc.status === 'disabled' && status === 'enabled') : !(mc.status === 'enabled' && (status === 'disabled' || status === 'banned') && mc.profile === requesterProfile)) {
        problems.push(change);
      }
    }
  }
  for (const c of state.clients.values()) {
    const mc = m.clients.get(c.id);
    if (mc !== undefined && mc.regSeq === c.regSeq) continue;
    const registered =
      request?.kind === 'register' &&
      request.clientId === c.id &&
      request.profileId === c.profileId &&
      c.status === 'enabled' &&
      commands.some((x) => x.type === 'reply' && x.answer.code === 'ok' && x.answer.clientId === c.id) &&
      notified.some((e) => e.type === 'clientRegistered' && e.clientId === c.id);
    if (!registered) problems.push(`client ${c.id} appeared on ${input.type} without a granted registration`);
  }

  // Sessions: who lost one is told why (the loser's close before the winner's reply); who got one was answered ok.
  // A winner is a requester answered ok; a refused requester is answered first and then closed.
  const firstOk = commands.findIndex((c) => c.type === 'reply' && c.answer.code === 'ok');
  for (const [id, mc] of m.clients) {
    if (mc.link === null) continue;
    const link = mc.link;
    if (state.sessions.get(link)?.clientId === id) {
      if (input.type === 'connectionClosed' && input.link === link) problems.push(`client ${id} still online on lost link ${link}`);
      if (input.type === 'clientKicked' && input.clientId === id) problems.push(`client ${id} still online after a kick`);
      continue;
    }
    const offline = notified.find((e) => e.type === 'clientOffline' && e.clientId === id && e.link === link);
    if (offline?.type !== 'clientOffline') {
      problems.push(`client ${id} left link ${link} without notify clientOffline`);
      continue;
    }
    if (input.type === 'connectionClosed' && input.link === link && offline.reason === 'connectionLost') continue;
    const ci = commands.findIndex((c) => c.type === 'close' && c.link === link && c.clientId === id);
    const close = commands[ci];
    if (close?.type !== 'close') {
      problems.push(`client ${id} lost its session on link ${link} (${offline.reason}) without a close`);
      continue;
    }
    if (!CLOSE_REASONS.includes(close.reason) || offline.reason !== close.reason) problems.push(`client ${id}: close says ${close.reason}, clientOffline says ${offline.reason}`);
    if (firstOk >= 0 && firstOk < ci) problems.push(`the ok reply (command ${firstOk}) comes before the close of loser ${id} (command ${ci})`);
    // (A deadline due at `now` is handled before the input: the kick may find the client already timed out.)
    if (input.type === 'clientKicked' && input.clientId === id && close.reason !== 'kicked' && close.reason !== 'heartbeatTimeout') {
      problems.push(`client ${id} kicked with reason ${close.reason}`);
    }
  }
  for (const [id, link] of state.online.entries()) {
    if (m.clients.get(id)?.link === link) continue;
    const granted =
      input.type === 'requestReceived' &&
      input.link === link &&
      commands.some((c) => c.type === 'reply' && c.link === link && c.answer.code === 'ok' && c.answer.clientId === id);
    if (!granted) problems.push(`client ${id} came online on link ${link} without an ok answer there`);
  }

  // Sequence numbers never go backwards (within one incarnation of a client).
  for (const [id, mc] of m.clients) {
    const real = state.clients.get(id as ClientId);
    if (real === undefined || real.regSeq !== mc.regSeq) continue;
    const d = clientDialogOf(state, real)!;
    for (const k of ['inSeq', 'outSeq', 'outAcked'] as const) {
      if (d[k] < mc[k]) problems.push(`client ${id}: ${k} went back from ${mc[k]} to ${d[k]}`);
    }
  }

  // No client message is handed over twice; per client the seqs handed over increase.
  const last = new Map<number, number>();
  for (const c of commands) {
    if (c.type !== 'deliver') continue;
    const mc = m.clients.get(c.clientId);
    if (mc === undefined) {
      problems.push(`deliver for client ${c.clientId}, unknown before the step`);
      continue;
    }
    const real = state.clients.get(c.clientId);
    const inSeq = real === undefined ? mc.inSeq : (clientDialogOf(state, real)?.inSeq ?? mc.inSeq);
    const previous = last.get(c.clientId) ?? mc.lastDelivered;
    if (mc.delivered.has(c.seq)) problems.push(`client ${c.clientId}: message ${c.seq} handed over twice`);
    if (c.seq <= previous) problems.push(`client ${c.clientId}: message ${c.seq} handed over after ${previous}`);
    if (!(c.seq > mc.inSeq && c.seq <= inSeq)) problems.push(`client ${c.clientId}: handed over ${c.seq}, outside the newly handled (${mc.inSeq}, ${inSeq}]`);
    if (c.appType !== APP_TYPE) problems.push(`handed over unregistered app type ${c.appType}`);
    if (input.type !== 'messagesReceived' || mc.link !== input.link) problems.push(`client ${c.clientId}: handed over ${c.seq} without a message from its session`);
    last.set(c.clientId, c.seq);
  }
  return problems;
}

/** Refreshes the model from the state the core returned (after it was checked). */
function sync(m: HubModel, state: HubState, commands: readonly HubCommand[]): void {
  for (const id of [...m.clients.keys()]) {
    const real = state.clients.get(id);
    if (real === undefined || real.regSeq !== m.clients.get(id)!.regSeq) m.clients.delete(id);
  }
  for (const c of state.clients.values()) {
    const d = clientDialogOf(state, c)!;
    const mc = m.clients.get(c.id);
    const next: ModelClient = {
      profile: c.profileId,
      status: c.status,
      regSeq: c.regSeq,
      link: state.online.get(c.id) ?? null,
      inSeq: d.inSeq,
      outSeq: d.outSeq,
      outAcked: d.outAcked,
      delivered: mc?.delivered ?? new Set(),
      lastDelivered: mc?.lastDelivered ?? 0,
    };
    m.clients.set(c.id, next);
  }
  for (const c of commands) {
    if (c.type !== 'deliver') continue;
    const mc = m.clients.get(c.clientId);
    if (mc === undefined) continue;
    mc.delivered.add(c.seq);
    mc.lastDelivered = Math.max(mc.lastDelivered, c.seq);
  }
  m.profiles.clear();
  for (const p of state.profiles.values()) m.profiles.set(p.id, { mode: p.mode, policy: p.policy });
}

// ---- the command ---------------------------------------------------------------------------

/** Applies one input to the real core and checks the result against the model. */
class ApplyInput implements fc.Command<HubModel, Real> {
  constructor(readonly action: Action) {}

  check(): boolean {
    return true;
  }

  run(m: HubModel, r: Real): void {
    const prev = r.state;
    const { input, now } = r.driver.materialize(prev, this.action);
    const result = step(prev, input, now);
    r.driver.observe(result.commands);
    r.state = result.state;
    const problems = check(m, prev, input, now, result);
    if (problems.length > 0) {
      throw new Error(`at now=${now}: ${show(input)}\n  - ${problems.join('\n  - ')}\n  commands: ${show(result.commands)}`);
    }
    sync(m, result.state, result.commands);
  }

  toString(): string {
    return show(this.action);
  }
}

const arbRun = arbUniverse.chain((universe: Universe) =>
  fc.record({
    universe: fc.constant(universe),
    setup: arbSetup(universe),
    commands: fc.commands([arbAction(universe).map((a) => new ApplyInput(a))], { maxCommands: 200, size: 'max' }),
  }),
);

describe('the hub core against a reference model', () => {
  test.prop([arbRun], { numRuns: 200 })('every step keeps the model’s properties', ({ universe, setup, commands }) => {
    fc.modelRun(() => {
      const model = new HubModel();
      const real: Real = { state: initialState(hubConfig(universe), START), driver: new Driver(universe) };
      for (const a of setup) new ApplyInput(a).run(model, real);
      return { model, real };
    }, commands);
  });
});
