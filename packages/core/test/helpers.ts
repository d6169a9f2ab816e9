/**
 * Builders for the core's example tests.
 *
 * A test builds a hub by running ordinary inputs (never by writing state by
 * hand), then asserts the whole step result of the input under test. Every
 * helper steps through `stepF`, which deep-freezes the state it steps from (a
 * step that wrote into the state it was given throws instead of passing
 * silently) and checks, after every step, the hub's invariants and that no
 * session survives on a link the hub closed.
 */
import { expect } from 'vitest';
import type { HubConfig } from '../src/config.js';
import { verifierOf } from '../src/credentials.js';
import type { ClientId, CommandId, LinkId, ProfileId } from '../src/ids.js';
import type { HubInput } from '../src/inputs.js';
import { checkInvariants } from '../src/invariants.js';
import type { DialogMessage, MessageBody } from '../src/messages.js';
import type { Client, ClientStatus, Contact, DialogState, Environment, ManagementMode, Policy, Profile, Session } from '../src/model.js';
import type { Credential } from '../src/requests.js';
import { clientDialogOf, initialState, type HubState } from '../src/state.js';
import { step, type Step } from '../src/step.js';

/** The clock the builders start at (any value works; a round one reads well). */
export const T0 = 1_000_000;

export const cid = (n: number): ClientId => n as ClientId;
export const pid = (n: number): ProfileId => n as ProfileId;
export const lnk = (n: number): LinkId => n as LinkId;

/** Each test client's secret is derived from its id, so tests never have to carry it around. */
export const secretOf = (clientId: number): string => `secret-of-${clientId}`;
export const verifierFor = (clientId: number): string => verifierOf(secretOf(clientId));

export const CONTACT: Contact = Object.freeze({ name: 'Alice', phone: '+33 1 23 45 67 89', email: 'alice@example.org' });
export const ENV: Environment = Object.freeze({ os: 'linux', arch: 'x64' });

/** Freezes a value and everything it reaches, except typed arrays (which cannot be frozen). */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d !== undefined && 'value' in d) deepFreeze(d.value as unknown, seen);
  }
  return Object.freeze(value);
}

/**
 * `step` on a deep-frozen state (the step must never write into what it was
 * given), then the hub's invariants checked on the state it returns, so every
 * scenario built from these helpers is checked after each of its steps.
 */
export function stepF(state: HubState, input: HubInput, now: number = state.now): Step {
  const r = step(deepFreeze(state), input, now);
  expectInvariants(r.state);
  expectNoSessionOnClosedLink(r);
  return r;
}

/**
 * A link the hub closes carries no session afterwards: a `close` ends the
 * link, so a session left on it would be "online" on a dead link (its client
 * shut out by alreadyOnline, Syncs written into the void) until it times out.
 */
export function expectNoSessionOnClosedLink(r: Step): void {
  for (const c of r.commands) {
    if (c.type === 'close') expect(r.state.sessions.get(c.link), `session left on link ${c.link} after close(${c.reason})`).toBeUndefined();
  }
}

/** Asserts the hub's invariants hold (an empty problem list). */
export function expectInvariants(state: HubState): void {
  expect(checkInvariants(state)).toEqual([]);
}

/** Command ids the next step will hand out: `cmd(s, 0)` is the first. */
export function cmd(state: HubState, n: number): CommandId {
  return (state.nextCommandId + n) as CommandId;
}

// ---- inputs -------------------------------------------------------------------

export interface RegisterArgs {
  readonly link: number;
  readonly clientId: number;
  readonly profileId: number;
  /** The secret the shell issues; defaults to `secretOf(clientId)`. */
  readonly secret?: string;
  readonly requestId?: number;
  readonly contact?: Contact;
  readonly environment?: Environment;
}

export function registerInput(a: RegisterArgs): HubInput {
  return {
    type: 'requestReceived',
    link: lnk(a.link),
    request: {
      kind: 'register',
      requestId: a.requestId ?? 1,
      clientId: cid(a.clientId),
      profileId: pid(a.profileId),
      contact: a.contact ?? CONTACT,
      environment: a.environment ?? {},
    },
    issued: { secret: a.secret ?? secretOf(a.clientId) },
  };
}

export function register(s: HubState, a: RegisterArgs, now: number = s.now): Step {
  return stepF(s, registerInput(a), now);
}

export type LoginKind = 'start' | 'resume' | 'sync' | 'login';

export interface LoginArgs {
  readonly link: number;
  readonly clientId: number;
  readonly kind?: LoginKind;
  readonly secret?: string;
  readonly credential?: Credential;
  readonly requestId?: number;
  readonly lastReceived?: number;
  readonly environment?: Environment | null;
}

export function loginInput(a: LoginArgs): HubInput {
  const kind = a.kind ?? 'login';
  const base = {
    requestId: a.requestId ?? 7,
    clientId: cid(a.clientId),
    credential: a.credential ?? { secret: a.secret ?? secretOf(a.clientId) },
    lastReceived: a.lastReceived ?? 0,
  };
  switch (kind) {
    case 'start':
      return { type: 'requestReceived', link: lnk(a.link), request: { kind, ...base, environment: a.environment ?? {} } };
    case 'login':
      return { type: 'requestReceived', link: lnk(a.link), request: { kind, ...base, environment: a.environment === undefined ? null : a.environment } };
    case 'resume':
    case 'sync':
      return { type: 'requestReceived', link: lnk(a.link), request: { kind, ...base } };
  }
}

/** A start/resume/sync/login request (default `login`) with the client's own secret. */
export function login(s: HubState, a: LoginArgs, now: number = s.now): Step {
  return stepF(s, loginInput(a), now);
}

export function msg(seq: number, ack: number, body: MessageBody): DialogMessage {
  return { seq, ack, body };
}

export function messagesInput(link: number, messages: readonly DialogMessage[]): HubInput {
  return { type: 'messagesReceived', link: lnk(link), messages };
}

export function send(s: HubState, link: number, messages: readonly DialogMessage[], now: number = s.now): Step {
  return stepF(s, messagesInput(link, messages), now);
}

export function closed(s: HubState, link: number, now: number = s.now): Step {
  return stepF(s, { type: 'connectionClosed', link: lnk(link), cause: 'test' }, now);
}

export function timer(s: HubState, now: number): Step {
  return stepF(s, { type: 'timerFired' }, now);
}

export function setStatus(s: HubState, clientId: number, status: ClientStatus, id = 'op'): Step {
  return stepF(s, { type: 'statusSet', actionId: id, clientId: cid(clientId), status });
}

export function setMode(s: HubState, profileId: number, mode: ManagementMode, id = 'op'): Step {
  return stepF(s, { type: 'profileModeSet', actionId: id, profileId: pid(profileId), mode });
}

// ---- expected commands ----------------------------------------------------------
// Literal command shapes for whole-result assertions; `reconnect` is spelled out
// at each call site rather than looked up, so a wrong table entry shows up.

type Lit = Record<string, unknown>;

export const commit = { type: 'commit' } as const;

export function replyCmd(commandId: number, link: number, requestId: number, answer: Lit): Lit {
  return { type: 'reply', commandId, link, requestId, answer };
}

export function okAnswer(clientId: number, o: { secret?: string | null; lastReceived?: number; lastSent?: number } = {}): Lit {
  return { code: 'ok', clientId, status: 'enabled', secret: o.secret ?? null, lastReceived: o.lastReceived ?? 0, lastSent: o.lastSent ?? 0 };
}

export function rejectedAnswer(clientId: number, reason: string): Lit {
  return { code: 'rejected', clientId, reason };
}

export function closeCmd(commandId: number, link: number, clientId: number | null, reason: string, reconnect: boolean): Lit {
  return { type: 'close', commandId, link, clientId, reason, reconnect };
}

export function writeCmd(commandId: number, link: number, clientId: number, messages: readonly DialogMessage[]): Lit {
  return { type: 'writeDialog', commandId, link, clientId, messages };
}

export function notifyCmd(event: Lit): Lit {
  return { type: 'notify', event };
}

export function logCmd(level: string, event: string, clientId: number | null, detail: Lit = {}): Lit {
  return { type: 'log', level, event, clientId, detail };
}

/** An actionResult; the human-readable message is not part of the contract. */
export function actionCmd(actionId: string, ok: boolean, reason: string | null): Lit {
  return { type: 'actionResult', actionId, ok, reason, message: expect.any(String) };
}

export function rejectedEvent(clientId: number, request: string, reason: string): Lit {
  return notifyCmd({ type: 'requestRejected', clientId, request, reason });
}

export function statusEvent(clientId: number, from: ClientStatus, to: ClientStatus, cause: 'request' | 'operator'): Lit {
  return notifyCmd({ type: 'statusChanged', clientId, from, to, cause });
}

export function onlineEvent(clientId: number, link: number, via: string): Lit {
  return notifyCmd({ type: 'clientOnline', clientId, link, via });
}

export function offlineEvent(clientId: number, link: number, reason: string): Lit {
  return notifyCmd({ type: 'clientOffline', clientId, link, reason });
}

export function takeoverEvent(profileId: number, conflict: 'sameClient' | 'otherClient', winner: number, loser: number, reason: string): Lit {
  return notifyCmd({ type: 'takeover', profileId, conflict, winner, loser, reason });
}

/** The whole step result: any state, exactly these commands. */
export function result(commands: readonly unknown[]): { state: unknown; commands: readonly unknown[] } {
  return { state: expect.anything(), commands };
}

// ---- hub builder ----------------------------------------------------------------

export interface ProfileSpec {
  readonly id: number;
  readonly name?: string;
  readonly mode?: ManagementMode;
  readonly policy?: Policy | null;
}

export interface ClientSpec {
  readonly id: number;
  readonly profileId: number;
  /** Final status; default: the last client listed in a profile is enabled, the others disabled. */
  readonly status?: ClientStatus;
  /** Online on this link at the end (the client must end up enabled). */
  readonly link?: number;
}

export interface HubSpec {
  readonly profiles?: readonly ProfileSpec[];
  readonly clients?: readonly ClientSpec[];
  readonly policy?: Policy;
  readonly config?: HubConfig;
  readonly now?: number;
}

/** Links used only while building; tests use small link numbers. */
const SETUP_LINK = 900_000;

/**
 * A hub built through ordinary inputs: profiles are created (auto while
 * building), clients registered in list order and taken offline (so each new
 * registration disables the profile's previous client), then the requested
 * statuses are set by the operator, each profile's final mode restored, and
 * the clients with a `link` logged in. Everything happens at `now` (default T0).
 */
export function hubWith(spec: HubSpec = {}): HubState {
  const now = spec.now ?? T0;
  const config: HubConfig = { ...(spec.config ?? {}), ...(spec.policy !== undefined ? { policy: spec.policy } : {}) };
  let s = initialState(config, now);
  const profiles = spec.profiles ?? [{ id: 1 }];
  for (const p of profiles) {
    s = ok(stepF(s, { type: 'profileCreated', actionId: 'setup', profileId: pid(p.id), name: p.name ?? `profile ${p.id}`, mode: 'auto', policy: p.policy ?? null }));
  }
  const clients = spec.clients ?? [];
  for (const c of clients) {
    const r = register(s, { link: SETUP_LINK + c.id, clientId: c.id, profileId: c.profileId });
    expect(r.commands).toContainEqual(expect.objectContaining({ type: 'reply', answer: expect.objectContaining({ code: 'ok' }) }));
    s = closed(r.state, SETUP_LINK + c.id).state;
  }
  for (const c of clients) {
    if (c.status !== undefined && s.clients.get(c.id)!.status !== c.status) s = ok(setStatus(s, c.id, c.status, 'setup'));
  }
  for (const p of profiles) {
    if (s.profiles.get(p.id)!.mode !== (p.mode ?? 'auto')) s = ok(setMode(s, p.id, p.mode ?? 'auto', 'setup'));
  }
  for (const c of clients) {
    if (c.link === undefined) continue;
    const r = login(s, { link: c.link, clientId: c.id, requestId: 1 });
    expect(r.commands).toContainEqual(expect.objectContaining({ type: 'reply', answer: expect.objectContaining({ code: 'ok' }) }));
    s = r.state;
  }
  expectInvariants(s);
  return s;
}

/** The state of a step whose actionResult (if any) was ok. */
function ok(r: Step): HubState {
  for (const c of r.commands) {
    if (c.type === 'actionResult' && !c.ok) throw new Error(`setup action failed: ${c.message}`);
  }
  return r.state;
}

// ---- state probes -------------------------------------------------------------

export function clientOf(s: HubState, id: number): Client {
  const c = s.clients.get(id);
  if (c === undefined) throw new Error(`no client ${id}`);
  return c;
}

export function profileOf(s: HubState, id: number): Profile {
  const p = s.profiles.get(id);
  if (p === undefined) throw new Error(`no profile ${id}`);
  return p;
}

export function sessionOn(s: HubState, link: number): Session | undefined {
  return s.sessions.get(link);
}

/** The link a client is online on, or undefined. */
export function linkOf(s: HubState, clientId: number): number | undefined {
  return s.online.get(clientId);
}

/** The client's dialog wherever it lives. */
export function dialogOf(s: HubState, clientId: number): DialogState {
  const d = clientDialogOf(s, clientOf(s, clientId));
  if (d === null) throw new Error(`client ${clientId} has no dialog`);
  return d;
}
