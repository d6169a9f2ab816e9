/**
 * Arbitraries and a driver for *hub input sequences* that exercise the protocol.
 *
 * The universe is deliberately small (2–4 profiles, 3–8 client ids, 1–6 links,
 * a handful of secrets) so that id collisions, takeovers, duplicates and
 * reorderings are frequent rather than astronomically rare.
 *
 * Generated values are *abstract actions*, not ready-made inputs: a request
 * says "the right secret" or "a wrong one", a message says "the next in-order
 * seq", "a duplicate", "a gap", "ack everything". The {@link Driver} turns an
 * action into a concrete `HubInput` against the current state, the way a
 * shell plus a crowd of client engines would: it remembers the secret each
 * client got in the `ok` answer to its registration, the commands that carried
 * an id (for `commandFailed`) and its own clock (which may jump backwards).
 * The driver is deterministic: the same actions from the same state give the
 * same inputs, so a shrunk counterexample replays exactly.
 *
 * Also here, shared by the property files: `deepFreeze` and `canonicalDump`
 * (a key-sorted rendering of every public state field, for comparing states).
 */
import * as fc from 'fast-check';
import type { HubCommand } from '../src/commands.js';
import type { HubConfig } from '../src/config.js';
import { verifierOf } from '../src/credentials.js';
import type { ClientId, CommandId, LinkId, ProfileId } from '../src/ids.js';
import type { HubInput } from '../src/inputs.js';
import type { DialogMessage, MessageBody } from '../src/messages.js';
import { POLICIES, type ClientStatus, type DialogState, type Environment, type ManagementMode, type Policy } from '../src/model.js';
import type { Credential } from '../src/requests.js';
import { clientDialogOf, initialState, type HubState } from '../src/state.js';
import { nextDeadline, step, type Step } from '../src/step.js';

// ---- universe and config ------------------------------------------------------

export interface Universe {
  readonly profiles: readonly number[];
  readonly clients: readonly number[];
  readonly links: readonly number[];
  /** The hub-wide policy (profiles may override it). */
  readonly policy: Policy;
}

/** A few secrets: the shell issues one of these at registration; wrong credentials come from the same pool. */
export const SECRETS: readonly string[] = ['alpha', 'bravo', 'charlie', 'delta'];

/** Short timings so that Syncs, retries and heartbeat timeouts happen within a run. */
export const TIMINGS = Object.freeze({ syncAfterMs: 1_000, syncEveryMs: 400, deadAfterMs: 2_500, retryAfterMs: 300 });
export const MAX_OUTBOX = 5;
export const MAX_BATCH = 4;
/** Few unconfirmed hand-overs per client, so that the application backlog path is taken. */
export const MAX_UNCONFIRMED = 3;
/** The one application message type the embedding application registers. */
export const APP_TYPE = 'chat';
/** A type nobody registered. */
export const UNKNOWN_APP_TYPE = 'bogus';
/** The hub's clock at creation. */
export const START = 1_000_000;

export function hubConfig(u: Universe): HubConfig {
  return {
    policy: u.policy,
    ...TIMINGS,
    maxOutbox: MAX_OUTBOX,
    maxUnconfirmed: MAX_UNCONFIRMED,
    appMessageTypes: [APP_TYPE],
    limits: { maxBatch: MAX_BATCH },
  };
}

export const arbUniverse: fc.Arbitrary<Universe> = fc
  .record({
    profileCount: fc.integer({ min: 2, max: 4 }),
    clientCount: fc.integer({ min: 3, max: 8 }),
    linkCount: fc.integer({ min: 1, max: 6 }),
    policy: fc.constantFrom(...POLICIES),
    /** Use the largest u32 as one of the client ids, link 0 as one of the links, and let clients try the invalid id 0 (B25). */
    edgeIds: fc.boolean(),
  })
  .map(({ profileCount, clientCount, linkCount, policy, edgeIds }) => {
    const clients = range(1, clientCount);
    if (edgeIds) clients[clients.length - 1] = 0xffffffff;
    if (edgeIds) clients.push(0);
    return {
      profiles: range(1, profileCount),
      clients,
      links: edgeIds ? range(0, linkCount - 1) : range(1, linkCount),
      policy,
    };
  });

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ---- actions --------------------------------------------------------------------

export type CredentialKind = 'right' | 'rightVerifier' | 'wrong';
/** How a sequence number or an acknowledgement is chosen relative to the dialog at that moment. */
export type AckKind = 'none' | 'all' | 'part' | 'beyond' | 'stale';
export type SeqKind = 'next' | 'dup' | 'gap';

export type BodySpec =
  | { readonly type: 'null' }
  | { readonly type: 'setInfo'; readonly claim: 'none' | 'self' | 'otherClient' | 'otherProfile' }
  | { readonly type: 'log'; readonly isError: boolean }
  | { readonly type: 'close' }
  | { readonly type: 'app'; readonly appType: string }
  | { readonly type: 'ack' };

export interface MessageSpec {
  readonly seq: SeqKind;
  /** Spread for duplicates and gaps, and the overshoot of an ack beyond what was sent. */
  readonly offset: number;
  readonly ack: AckKind;
  /** Where in the unacknowledged range a partial ack lands, in [0, 1]. */
  readonly frac: number;
  readonly body: BodySpec;
}

export type ActionBody =
  | {
      readonly kind: 'register';
      readonly link: number;
      readonly client: number;
      readonly profile: number;
      readonly requestId: number;
      readonly secret: string;
      /** The application's authentication hook refused the requester. */
      readonly denied: boolean;
    }
  | {
      readonly kind: 'start' | 'resume' | 'sync' | 'login';
      readonly link: number;
      readonly client: number;
      readonly requestId: number;
      readonly credential: CredentialKind;
      readonly wrongSecret: string;
      readonly lastReceived: AckKind;
      readonly frac: number;
      /** Index into {@link ENVIRONMENTS}, or null (login only: "no environment"). */
      readonly env: number | null;
      readonly denied: boolean;
    }
  | { readonly kind: 'profiles'; readonly link: number; readonly client: number; readonly requestId: number }
  | {
      readonly kind: 'messages';
      /** The link, or null for "the link of the `pick`-th online client" (a client engine that is online talks). */
      readonly link: number | null;
      readonly pick: number;
      readonly messages: readonly MessageSpec[];
    }
  | { readonly kind: 'connectionClosed'; readonly link: number }
  | { readonly kind: 'commandFailed'; readonly pick: number; readonly link: number; readonly command: 'reply' | 'writeDialog' | 'close' }
  | { readonly kind: 'timerFired'; readonly atDeadline: boolean }
  /** The application confirms a hand-over: one it was given (`pick`), or else a made-up one. */
  | { readonly kind: 'appMessageHandled'; readonly pick: number; readonly client: number; readonly seq: number }
  | {
      readonly kind: 'appMessageSent';
      readonly to: { readonly clientId: number } | { readonly profileId: number };
      readonly appType: string;
      readonly size: number;
      readonly replyTo: number;
    }
  | { readonly kind: 'profileCreated'; readonly profile: number; readonly mode: ManagementMode; readonly policy: Policy | null }
  | { readonly kind: 'profileRenamed'; readonly profile: number; readonly name: string }
  | { readonly kind: 'profileRemoved'; readonly profile: number }
  | { readonly kind: 'profileModeSet'; readonly profile: number; readonly mode: ManagementMode }
  | { readonly kind: 'profilePolicySet'; readonly profile: number; readonly policy: Policy | null }
  | { readonly kind: 'statusSet'; readonly client: number; readonly status: ClientStatus }
  | { readonly kind: 'clientKicked'; readonly client: number }
  | { readonly kind: 'clientDeleted'; readonly client: number };

/** One abstract input, with how far the shell's clock moves before it (may be negative). */
export type Action = ActionBody & { readonly dt: number };

export const ENVIRONMENTS: readonly Environment[] = [{}, { os: 'linux' }, { os: 'windows', version: '10' }];

const arbPolicyOrNull: fc.Arbitrary<Policy | null> = fc.constantFrom<Policy | null>(null, ...POLICIES);
const arbMode: fc.Arbitrary<ManagementMode> = fc.oneof({ weight: 3, arbitrary: fc.constant('auto' as const) }, { weight: 1, arbitrary: fc.constant('manual' as const) });
const arbFrac = fc.integer({ min: 0, max: 100 }).map((n) => n / 100);
const arbAckKind: fc.Arbitrary<AckKind> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('none' as const) },
  { weight: 4, arbitrary: fc.constant('all' as const) },
  { weight: 2, arbitrary: fc.constant('part' as const) },
  { weight: 1, arbitrary: fc.constant('beyond' as const) },
  { weight: 1, arbitrary: fc.constant('stale' as const) },
);

/** Time steps: mostly small, sometimes past a whole heartbeat timeout, sometimes backwards. */
export const arbDt: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 12, arbitrary: fc.integer({ min: 1, max: TIMINGS.syncEveryMs }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * TIMINGS.deadAfterMs }) },
  { weight: 1, arbitrary: fc.integer({ min: -TIMINGS.syncEveryMs, max: -1 }) },
);

const arbBody: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ type: 'null' } as const) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('setInfo' as const), claim: fc.constantFrom('none' as const, 'self' as const, 'otherClient' as const, 'otherProfile' as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('log' as const), isError: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'close' } as const) },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('app' as const), appType: fc.oneof({ weight: 4, arbitrary: fc.constant(APP_TYPE) }, { weight: 1, arbitrary: fc.constant(UNKNOWN_APP_TYPE) }) }) },
  { weight: 2, arbitrary: fc.constant({ type: 'ack' } as const) },
);

const arbMessageSpec: fc.Arbitrary<MessageSpec> = fc.record({
  seq: fc.oneof({ weight: 6, arbitrary: fc.constant('next' as const) }, { weight: 2, arbitrary: fc.constant('dup' as const) }, { weight: 2, arbitrary: fc.constant('gap' as const) }),
  offset: fc.integer({ min: 0, max: 3 }),
  ack: arbAckKind,
  frac: arbFrac,
  body: arbBody,
});

/** One abstract input over the universe `u`. */
export function arbAction(u: Universe): fc.Arbitrary<Action> {
  const link = fc.constantFrom(...u.links);
  const client = fc.constantFrom(...u.clients);
  // Mostly profiles of the universe, once in a while one that was never created.
  const profile = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...u.profiles) }, { weight: 1, arbitrary: fc.constant(u.profiles.length + 7) });
  const secret = fc.constantFrom(...SECRETS);
  const denied = fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  const login = (kind: 'start' | 'resume' | 'sync' | 'login'): fc.Arbitrary<ActionBody> =>
    fc.record({
      kind: fc.constant(kind),
      link,
      client,
      requestId: fc.integer({ min: 1, max: 4 }),
      credential: fc.oneof(
        { weight: 6, arbitrary: fc.constant('right' as const) },
        { weight: 1, arbitrary: fc.constant('rightVerifier' as const) },
        { weight: 2, arbitrary: fc.constant('wrong' as const) },
      ),
      wrongSecret: fc.oneof(secret, fc.constant('wrong-secret')),
      lastReceived: arbAckKind,
      frac: arbFrac,
      env: kind === 'login' ? fc.option(fc.nat({ max: ENVIRONMENTS.length - 1 }), { nil: null }) : fc.nat({ max: ENVIRONMENTS.length - 1 }),
      denied,
    });
  const body: fc.Arbitrary<ActionBody> = fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('register' as const), link, client, profile, requestId: fc.integer({ min: 1, max: 3 }), secret, denied }) },
    { weight: 8, arbitrary: login('start') },
    { weight: 3, arbitrary: login('resume') },
    { weight: 2, arbitrary: login('sync') },
    { weight: 8, arbitrary: login('login') },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('profiles' as const), link, client, requestId: fc.nat({ max: 3 }) }) },
    {
      weight: 22,
      arbitrary: fc.record({
        kind: fc.constant('messages' as const),
        link: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: link }),
        pick: fc.nat({ max: 7 }),
        messages: fc.array(arbMessageSpec, { minLength: 0, maxLength: MAX_BATCH + 1 }),
      }),
    },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('connectionClosed' as const), link }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('commandFailed' as const), pick: fc.nat({ max: 7 }), link, command: fc.constantFrom('reply' as const, 'writeDialog' as const, 'close' as const) }),
    },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('timerFired' as const), atDeadline: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('appMessageHandled' as const), pick: fc.integer({ min: -1, max: 5 }), client, seq: fc.integer({ min: 1, max: 6 }) }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('appMessageSent' as const),
        to: fc.oneof(fc.record({ clientId: client }), fc.record({ profileId: profile })),
        appType: fc.oneof({ weight: 5, arbitrary: fc.constant(APP_TYPE) }, { weight: 1, arbitrary: fc.constant(UNKNOWN_APP_TYPE) }),
        size: fc.nat({ max: 4 }),
        replyTo: fc.nat({ max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('profileCreated' as const), profile, mode: arbMode, policy: arbPolicyOrNull }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('profileRenamed' as const), profile, name: fc.constantFrom('north', 'south') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('profileRemoved' as const), profile }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('profileModeSet' as const), profile, mode: arbMode }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('profilePolicySet' as const), profile, policy: arbPolicyOrNull }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('statusSet' as const), client, status: fc.constantFrom<ClientStatus>('enabled', 'disabled', 'banned', 'reset') }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('clientKicked' as const), client }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('clientDeleted' as const), client }) },
  );
  return fc.tuple(body, arbDt).map(([b, dt]) => ({ ...b, dt }));
}

/** The opening of every scenario: each profile of the universe is created, with a random mode and policy. */
export function arbSetup(u: Universe): fc.Arbitrary<Action[]> {
  return fc
    .tuple(...u.profiles.map(() => fc.tuple(arbMode, arbPolicyOrNull)))
    .map((specs) => specs.map(([mode, policy], i) => ({ kind: 'profileCreated' as const, profile: u.profiles[i]!, mode, policy, dt: 0 })));
}

export interface Scenario {
  readonly universe: Universe;
  readonly setup: readonly Action[];
  readonly actions: readonly Action[];
}

/** A universe, its setup and a sequence of actions. */
export function arbScenario(maxLength = 120): fc.Arbitrary<Scenario> {
  return arbUniverse.chain((universe) =>
    fc.record({
      universe: fc.constant(universe),
      setup: arbSetup(universe),
      actions: fc.array(arbAction(universe), { maxLength, size: 'max' }),
    }),
  );
}

// ---- the driver ---------------------------------------------------------------------

interface IdCommand {
  readonly commandId: number;
  readonly command: 'reply' | 'writeDialog' | 'close';
  readonly link: number;
}

/**
 * Plays the shell and the client engines: turns abstract actions into inputs.
 * It reads the state only where a real peer would know the answer (a client
 * knows the seqs of its own dialog; the shell knows when its timer is due).
 */
export class Driver {
  /** The shell's clock; it may go backwards (the core must clamp it). */
  clock: number;
  /** The secret each client got in the `ok` answer to its registration. */
  readonly secrets = new Map<number, string>();
  private readonly recent: IdCommand[] = [];
  /** Hand-overs (`deliver`) the application has not confirmed yet, oldest first. */
  private readonly handedOver: { clientId: number; seq: number }[] = [];
  private actions = 0;

  constructor(
    readonly universe: Universe,
    start: number = START,
  ) {
    this.clock = start;
  }

  /** The concrete input for `a` against `state`, and the `now` to step it at. */
  materialize(state: HubState, a: Action): { input: HubInput; now: number } {
    this.clock += a.dt;
    if (a.kind === 'timerFired' && a.atDeadline) {
      const due = nextDeadline(state);
      if (due !== undefined) this.clock = due;
    }
    return { input: this.input(state, a), now: this.clock };
  }

  /** Learns from what the hub said: issued secrets and the commands a failure may be reported for. */
  observe(commands: readonly HubCommand[]): void {
    for (const c of commands) {
      if (c.type === 'reply' && c.answer.code === 'ok' && c.answer.secret !== null) this.secrets.set(c.answer.clientId, c.answer.secret);
      if (c.type === 'deliver') this.handedOver.push({ clientId: c.clientId, seq: c.seq });
      if (c.type === 'reply' || c.type === 'writeDialog' || c.type === 'close') {
        this.recent.push({ commandId: c.commandId, command: c.type, link: c.link });
        if (this.recent.length > 8) this.recent.shift();
      }
    }
  }

  private actionId(): string {
    return `a${++this.actions}`;
  }

  private input(state: HubState, a: Action): HubInput {
    const link = (n: number) => n as LinkId;
    const cid = (n: number) => n as ClientId;
    const pid = (n: number) => n as ProfileId;
    switch (a.kind) {
      case 'register':
        return {
          type: 'requestReceived',
          link: link(a.link),
          request: {
            kind: 'register',
            requestId: a.requestId,
            clientId: cid(a.client),
            profileId: pid(a.profile),
            contact: { name: `c${a.client}`, phone: '', email: '' },
            environment: ENVIRONMENTS[a.client % ENVIRONMENTS.length]!,
          },
          issued: { secret: a.secret },
          ...(a.denied ? { denied: true } : {}),
        };
      case 'start':
      case 'resume':
      case 'sync':
      case 'login': {
        const known = this.secrets.get(a.client);
        let credential: Credential;
        if (a.credential === 'wrong' || known === undefined) credential = { secret: a.wrongSecret };
        else if (a.credential === 'right') credential = { secret: known };
        else credential = { verifier: verifierOf(known) };
        const c = state.clients.get(a.client);
        const d = c === undefined ? null : clientDialogOf(state, c);
        const lastReceived = ackFor(d, a.lastReceived, a.frac, 1);
        const base = { requestId: a.requestId, clientId: cid(a.client), credential, lastReceived };
        const env = a.env === null ? null : ENVIRONMENTS[a.env]!;
        const request =
          a.kind === 'start'
            ? { kind: 'start' as const, ...base, environment: env ?? {} }
            : a.kind === 'login'
              ? { kind: 'login' as const, ...base, environment: env }
              : { kind: a.kind, ...base };
        return { type: 'requestReceived', link: link(a.link), request, ...(a.denied ? { denied: true } : {}) };
      }
      case 'profiles':
        return { type: 'requestReceived', link: link(a.link), request: { kind: 'profiles', requestId: a.requestId, clientId: cid(a.client) } };
      case 'messages': {
        const online = a.link === null ? [...state.sessions.keys()] : [];
        const target = a.link ?? (online.length === 0 ? this.universe.links[0]! : online[a.pick % online.length]!);
        const session = state.sessions.get(target);
        const d = session?.dialog ?? null;
        const client = session === undefined ? undefined : state.clients.get(session.clientId);
        let next = (d?.inSeq ?? 0) + 1;
        const messages: DialogMessage[] = [];
        for (const m of a.messages) {
          const ack = ackFor(d, m.ack, m.frac, m.offset + 1);
          if (m.body.type === 'ack') {
            messages.push({ seq: 0, ack, body: { type: 'ack' } });
            continue;
          }
          let seq: number;
          if (m.seq === 'gap') seq = next + 1 + m.offset;
          else if (m.seq === 'dup' && next > 1) seq = 1 + (m.offset % (next - 1));
          else seq = next++;
          messages.push({ seq, ack, body: bodyFor(m.body, seq, session?.clientId ?? 1, client?.profileId ?? 1) });
        }
        return { type: 'messagesReceived', link: link(target), messages };
      }
      case 'connectionClosed':
        return { type: 'connectionClosed', link: link(a.link), cause: 'reset by peer' };
      case 'commandFailed': {
        const known = this.recent.length === 0 ? undefined : this.recent[this.recent.length - 1 - (a.pick % this.recent.length)];
        const failed = known ?? { commandId: 999_999, command: a.command, link: a.link };
        return { type: 'commandFailed', commandId: failed.commandId as CommandId, command: failed.command, link: link(failed.link), reason: 'broken pipe' };
      }
      case 'timerFired':
        return { type: 'timerFired' };
      case 'appMessageHandled': {
        // pick < 0, or nothing handed over: a confirmation of something never handed over.
        const i = a.pick < 0 || this.handedOver.length === 0 ? -1 : a.pick % this.handedOver.length;
        const handled = i < 0 ? { clientId: a.client, seq: a.seq } : this.handedOver.splice(i, 1)[0]!;
        return { type: 'appMessageHandled', clientId: cid(handled.clientId), seq: handled.seq };
      }
      case 'appMessageSent': {
        const payload = new Uint8Array(a.size);
        for (let i = 0; i < a.size; i++) payload[i] = (this.actions * 31 + i) & 0xff;
        const to = 'clientId' in a.to ? { clientId: cid(a.to.clientId) } : { profileId: pid(a.to.profileId) };
        return { type: 'appMessageSent', actionId: this.actionId(), to, appType: a.appType, payload, replyTo: a.replyTo };
      }
      case 'profileCreated':
        return { type: 'profileCreated', actionId: this.actionId(), profileId: pid(a.profile), name: `profile ${a.profile}`, mode: a.mode, policy: a.policy };
      case 'profileRenamed':
        return { type: 'profileRenamed', actionId: this.actionId(), profileId: pid(a.profile), name: a.name };
      case 'profileRemoved':
        return { type: 'profileRemoved', actionId: this.actionId(), profileId: pid(a.profile) };
      case 'profileModeSet':
        return { type: 'profileModeSet', actionId: this.actionId(), profileId: pid(a.profile), mode: a.mode };
      case 'profilePolicySet':
        return { type: 'profilePolicySet', actionId: this.actionId(), profileId: pid(a.profile), policy: a.policy };
      case 'statusSet':
        return { type: 'statusSet', actionId: this.actionId(), clientId: cid(a.client), status: a.status };
      case 'clientKicked':
        return { type: 'clientKicked', actionId: this.actionId(), clientId: cid(a.client) };
      case 'clientDeleted':
        return { type: 'clientDeleted', actionId: this.actionId(), clientId: cid(a.client) };
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }
}

/** An acknowledgement (or `lastReceived`) of the hub→client messages of `d`. */
function ackFor(d: DialogState | null, kind: AckKind, frac: number, overshoot: number): number {
  const outSeq = d?.outSeq ?? 0;
  const outAcked = d?.outAcked ?? 0;
  switch (kind) {
    case 'none':
      return 0;
    case 'all':
      return outSeq;
    case 'part':
      return Math.min(outSeq, outAcked + Math.floor(frac * (outSeq - outAcked + 1)));
    case 'beyond':
      return outSeq + overshoot;
    case 'stale':
      return Math.max(0, outAcked - 1);
  }
}

function bodyFor(spec: BodySpec, seq: number, clientId: number, profileId: number): MessageBody {
  switch (spec.type) {
    case 'null':
      return { type: 'null', replyTo: 0 };
    case 'setInfo': {
      const contact = { name: `name ${seq}`, phone: '555', email: 'x@example.org' };
      if (spec.claim === 'none') return { type: 'setInfo', contact };
      if (spec.claim === 'self') return { type: 'setInfo', contact, clientId, profileId };
      if (spec.claim === 'otherClient') return { type: 'setInfo', contact, clientId: clientId === 1 ? 2 : 1 };
      return { type: 'setInfo', contact, profileId: profileId + 1 };
    }
    case 'log':
      return { type: 'log', at: 42 + seq, isError: spec.isError, text: `line ${seq}` };
    case 'close':
      return { type: 'close' };
    case 'app':
      return { type: 'app', appType: spec.appType, payload: new Uint8Array([seq & 0xff, 7]), replyTo: 0 };
    case 'ack':
      return { type: 'ack' };
  }
}

// ---- running ------------------------------------------------------------------------

export interface StepRecord {
  /** Position in setup + actions. */
  readonly index: number;
  readonly action: Action;
  readonly prev: HubState;
  readonly input: HubInput;
  readonly now: number;
  readonly result: Step;
}

export interface RunOptions {
  /** Deep-freeze the state and the input before every step. */
  readonly freeze?: boolean;
  /** Called with the (frozen, when `freeze`) state and input just before each step. */
  readonly beforeStep?: (state: HubState, input: HubInput) => void;
  /** Start from this state instead of a fresh hub (with the driver given). */
  readonly from?: { readonly state: HubState; readonly driver: Driver; readonly index: number };
}

/** Runs actions one step at a time, calling `onStep` after each; returns the final state and the driver. */
export function runActions(
  universe: Universe,
  actions: readonly Action[],
  onStep: (r: StepRecord) => void = () => {},
  options: RunOptions = {},
): { state: HubState; driver: Driver } {
  let state = options.from?.state ?? initialState(hubConfig(universe), START);
  const driver = options.from?.driver ?? new Driver(universe);
  let index = options.from?.index ?? 0;
  // Whatever was deep-frozen stays so: later steps need not walk the shared parts again.
  const frozen = new WeakSet<object>();
  for (const action of actions) {
    const prev = options.freeze ? deepFreeze(state, frozen) : state;
    const materialized = driver.materialize(prev, action);
    const input = options.freeze ? deepFreeze(materialized.input, frozen) : materialized.input;
    options.beforeStep?.(prev, input);
    const result = step(prev, input, materialized.now);
    driver.observe(result.commands);
    onStep({ index, action, prev, input, now: materialized.now, result });
    state = result.state;
    index++;
  }
  return { state, driver };
}

/** The scenario's setup followed by its actions. */
export function allActions(s: Scenario): Action[] {
  return [...s.setup, ...s.actions];
}

// ---- freezing and comparing ---------------------------------------------------------------

/**
 * Freezes a value and everything it reaches: plain objects, arrays and class
 * instances' own fields (private ones included). Typed arrays and buffers are
 * skipped (a non-empty typed array cannot be frozen); functions are left alone.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d !== undefined && 'value' in d) deepFreeze(d.value as unknown, seen);
  }
  Object.freeze(value);
  return value;
}

/** A key-sorted, JSON-like rendering; byte arrays become hex; `undefined` fields are left out. */
export function canonical(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (value instanceof Uint8Array) return `u8"${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}"`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return String(value);
}

/**
 * Every public field of a state, tables as their entries in key order, the
 * deadline index as its (at, link) keys in order. Two states with equal dumps
 * behave alike. `withoutNow` leaves the clock out (to ask "did anything else change?").
 */
export function canonicalDump(s: HubState, { withoutNow = false }: { withoutNow?: boolean } = {}): string {
  const deadlines: [number, number, number][] = [];
  s.deadlines.forEach((key: readonly [number, number], link: number) => {
    deadlines.push([key[0], key[1], link]);
    return undefined;
  });
  return canonical({
    config: s.config,
    now: withoutNow ? undefined : s.now,
    nextCommandId: s.nextCommandId,
    regSeq: s.regSeq,
    profiles: [...s.profiles.entries()],
    clients: [...s.clients.entries()],
    sessions: [...s.sessions.entries()],
    online: [...s.online.entries()],
    deadlines,
  });
}

/** An input rendered for a failure message. */
export function show(v: unknown): string {
  return canonical(v);
}
