/**
 * Theory of operation: the connection channel (docs/protocol.md §4; the seed's
 * ProcessConnectionReq, §8.1–8.4 of hub-protocol.md).
 *
 * Order of checks, the same for every request kind: malformed → closed;
 * link already carrying another client → `linkBusy`; unknown client →
 * `reset` (B23); wrong secret → `badCredentials`; then the client's status;
 * then the profile's management mode; then the re-login policy table
 * (policy.ts). Only then does anything change. A request that is refused
 * changes nothing but the command counter.
 *
 * Every answer goes to the link the request came from and names the
 * requesting client, so no client acts on another's answer (B14).
 */
import { credentialVerifier, verifiersEqual } from '../credentials.js';
import { HubUsageError } from '../errors.js';
import type { ClientId, LinkId } from '../ids.js';
import type { TransportInput } from '../inputs.js';
import { EMPTY_DIALOG, type Client, type Environment, type Profile } from '../model.js';
import { OTHER_CLIENT, SAME_CLIENT, type ClaimKind } from '../policy.js';
import type { Answer, CloseReason, ProfileSummary, RejectReason, Request } from '../requests.js';
import type { Tx } from '../tx.js';
import { requestProblem } from '../validate.js';

type RequestInput = Extract<TransportInput, { type: 'requestReceived' }>;
type Of<K extends Request['kind']> = Extract<Request, { kind: K }>;
type Authenticated = Of<'start'> | Of<'resume'> | Of<'sync'> | Of<'login'>;

export function requestReceived(tx: Tx, input: RequestInput): void {
  const { link, request } = input;
  if (tx.isClosing(link)) {
    // The link was closed earlier in this very step (a deadline handled first): nobody is there to answer.
    tx.log('info', 'requestOnClosedLink', null, { link, request: String(request?.kind) });
    return;
  }
  const problem = requestProblem(request, tx.config.limits);
  if (problem !== null) {
    if (problem === 'clientId' && request.kind === 'register' && request.clientId === 0 && requestProblem({ ...request, clientId: 1 as ClientId }, tx.config.limits) === null) {
      // Id 0 is not an id: the client draws another one (B25).
      tx.log('info', 'invalidClientId', null, { link, clientId: 0 });
      tx.reply(link, request.requestId, { code: 'invalidId', clientId: 0 as ClientId });
      return;
    }
    tx.log('warn', 'malformedRequest', null, { link, problem });
    tx.closeAny(link, null, 'refused');
    return;
  }
  if (request.kind === 'profiles') {
    tx.reply(link, request.requestId, { code: 'profiles', clientId: request.clientId, profiles: profileList(tx) });
    return;
  }
  const bound = tx.sessions.get(link);
  if (bound !== undefined && bound.clientId !== request.clientId) {
    // One link carries one client's session; answering on it must not disturb that session.
    tx.log('warn', 'linkBusy', request.clientId, { link, boundTo: bound.clientId });
    tx.reply(link, request.requestId, { code: 'rejected', clientId: request.clientId, reason: 'linkBusy' });
    tx.notify({ type: 'requestRejected', clientId: request.clientId, request: request.kind, reason: 'linkBusy' });
    return;
  }
  if (input.denied === true) {
    // The application's authentication hook refused this requester.
    tx.log('info', 'requestDenied', request.clientId, { link, request: request.kind });
    refuseWith(tx, link, request, 'denied');
    return;
  }
  switch (request.kind) {
    case 'register':
      register(tx, link, request, input.issued);
      return;
    case 'start':
    case 'resume':
    case 'sync':
    case 'login':
      authenticated(tx, link, request);
      return;
    default: {
      const never: never = request;
      throw new HubUsageError('invalidInput', `unknown request kind ${JSON.stringify(never)}`);
    }
  }
}

function profileList(tx: Tx): ProfileSummary[] {
  const list: ProfileSummary[] = [];
  for (const p of tx.profiles.values()) list.push({ id: p.id, name: p.name, mode: p.mode });
  return list;
}

function rejected(clientId: ClientId, reason: RejectReason): Answer {
  return { code: 'rejected', clientId, reason };
}

/** The close reason that goes with a refusal: the link is no use to the requester any more. */
function closeFor(reason: RejectReason): CloseReason {
  return reason === 'alreadyOnline' ? 'alreadyOnline' : reason === 'banned' ? 'banned' : reason === 'disabled' ? 'disabled' : 'refused';
}

function refuseWith(tx: Tx, link: LinkId, r: Request, reason: RejectReason): void {
  tx.refuse(link, r.requestId, r.clientId, r.kind, rejected(r.clientId, reason), closeFor(reason));
}

// ---- register (the seed's NewConnection, §8.1) --------------------------------

function register(tx: Tx, link: LinkId, r: Of<'register'>, issued: RequestInput['issued']): void {
  const profile = tx.profile(r.profileId);
  if (profile === undefined) {
    // The answer lists the profiles, so a client can register without waiting for a publication (B26).
    tx.refuse(link, r.requestId, r.clientId, r.kind, { code: 'invalidProfile', clientId: r.clientId, profiles: profileList(tx) }, null);
    return;
  }
  if (issued === undefined) {
    throw new HubUsageError('invalidInput', 'a register request must come with the secret the shell issued (input.issued)', {
      clientId: r.clientId,
    });
  }
  const existing = tx.client(r.clientId);
  if (existing !== undefined) {
    if (isRepeatedRegistration(existing, r)) {
      reRegister(tx, link, existing, r, issued);
      return;
    }
    // The id is taken (or was 0, which the validator refused earlier: B25): the client draws another.
    tx.refuse(link, r.requestId, r.clientId, r.kind, { code: 'invalidId', clientId: r.clientId }, null);
    return;
  }
  if (profile.mode === 'manual') {
    refuseWith(tx, link, r, 'profileManual');
    return;
  }
  const claim = claimProfile(tx, profile, r.clientId, Number.POSITIVE_INFINITY, 'register');
  if (claim !== null) {
    refuseWith(tx, link, r, claim);
    return;
  }
  tx.regSeq += 1;
  const client: Client = {
    id: r.clientId,
    profileId: profile.id,
    status: 'enabled',
    regSeq: tx.regSeq,
    registeredAt: tx.now,
    contact: r.contact,
    environments: Object.keys(r.environment).length === 0 ? [] : [{ at: tx.now, env: r.environment }],
    verifier: credentialVerifier(issued),
    registrationRequestId: r.requestId,
    proven: false,
    dialog: EMPTY_DIALOG,
  };
  tx.addClient(client);
  admit(tx, link, client, r, 0, null, 'secret' in issued ? issued.secret : null);
}

/**
 * A registration whose answer was lost is sent again with the same client id
 * and request id. It is answered alike (seed invariant: idempotent
 * registration) as long as the client never used its secret; the secret is
 * issued anew, since only its verifier was kept. Anything else with a taken id
 * is `invalidId`.
 */
function isRepeatedRegistration(c: Client, r: Of<'register'>): boolean {
  return c.profileId === r.profileId && c.registrationRequestId === r.requestId && !c.proven && c.status === 'enabled';
}

function reRegister(tx: Tx, link: LinkId, existing: Client, r: Of<'register'>, issued: NonNullable<RequestInput['issued']>): void {
  tx.putClient({ ...existing, verifier: credentialVerifier(issued), contact: r.contact });
  tx.log('info', 'registrationRepeated', existing.id, { requestId: r.requestId });
  // The earlier link never got its answer (no secret reached it), so it cannot be a live
  // session worth keeping: the repeat moves to the new link whatever the policy.
  const old = tx.online.get(existing.id);
  if (old !== undefined && old !== link) tx.endSession(tx.sessions.get(old)!, 'pushedOut');
  admit(tx, link, tx.client(existing.id)!, r, 0, null, 'secret' in issued ? issued.secret : null);
}

// ---- start / resume / sync / login (§8.2–8.4) -------------------------------------

function authenticated(tx: Tx, link: LinkId, r: Authenticated): void {
  const client = tx.client(r.clientId);
  if (client === undefined) {
    // Unknown id: tell the client to register again, at once (B23).
    tx.refuse(link, r.requestId, r.clientId, r.kind, { code: 'reset', clientId: r.clientId }, 'reset');
    return;
  }
  if (!verifiersEqual(credentialVerifier(r.credential), client.verifier)) {
    tx.log('warn', 'badCredentials', client.id, { link, request: r.kind });
    refuseWith(tx, link, r, 'badCredentials');
    return;
  }
  const proven = client.proven ? client : { ...client, proven: true };
  if (proven !== client) tx.putClient(proven);
  switch (proven.status) {
    case 'reset':
      tx.refuse(link, r.requestId, r.clientId, r.kind, { code: 'reset', clientId: r.clientId }, 'reset');
      return;
    case 'banned':
      // A banned client is never re-enabled by a request (B11).
      refuseWith(tx, link, r, 'banned');
      return;
    case 'disabled':
      if (r.kind === 'resume' || r.kind === 'login') {
        reEnable(tx, link, proven, r);
      } else {
        refuseWith(tx, link, r, 'disabled');
      }
      return;
    case 'enabled': {
      // Already enabled: start, sync and login open a session; resume is answered ok (B10).
      const env = r.kind === 'start' || r.kind === 'login' ? r.environment : null;
      admit(tx, link, proven, r, r.lastReceived, env, null);
      return;
    }
    default: {
      const never: never = proven.status;
      throw new HubUsageError('invariantBroken', `unknown status ${String(never)}`);
    }
  }
}

/** A disabled client asks to become its profile's enabled client (the seed's Resume). */
function reEnable(tx: Tx, link: LinkId, client: Client, r: Of<'resume'> | Of<'login'>): void {
  const profile = tx.profile(client.profileId)!;
  if (profile.mode === 'manual') {
    refuseWith(tx, link, r, 'profileManual');
    return;
  }
  const claim = claimProfile(tx, profile, client.id, client.regSeq, 'resume');
  if (claim !== null) {
    refuseWith(tx, link, r, claim);
    return;
  }
  const enabled = tx.setStatus(tx.client(client.id)!, 'enabled', 'resume', 'request');
  admit(tx, link, enabled, r, r.lastReceived, r.kind === 'login' ? r.environment : null, null);
}

/**
 * Settles the conflict with the profile's other enabled client, if any, by the
 * policy table. Applies the loser's side of the outcome (disable or ban, told
 * why if online) and returns null when the requester may proceed, or the
 * reason it is refused.
 */
function claimProfile(tx: Tx, profile: Profile, requester: ClientId, requesterRegSeq: number, kind: ClaimKind): RejectReason | null {
  const currentId = profile.enabledClient;
  if (currentId === null || currentId === requester) return null;
  const current = tx.client(currentId)!;
  const online = tx.online.has(currentId);
  const action = OTHER_CLIENT[online ? 'otherOnline' : 'otherOffline'][kind][tx.policyOf(profile)];
  switch (action) {
    case 'refuseNew':
      return 'profileInUse';
    case 'replaceOld':
    case 'disableOld':
      tx.setStatus(current, 'disabled', 'displaced', 'request', 'replaced');
      tx.notify({ type: 'takeover', profileId: profile.id, conflict: 'otherClient', winner: requester, loser: currentId, reason: online ? 'replaced' : 'disabled' });
      return null;
    case 'olderWins':
      if (requesterRegSeq < current.regSeq) {
        tx.setStatus(current, 'banned', 'outranked', 'request', 'banned');
        tx.notify({ type: 'takeover', profileId: profile.id, conflict: 'otherClient', winner: requester, loser: currentId, reason: 'banned' });
        return null;
      }
      return 'seniority';
    default: {
      const never: never = action;
      throw new HubUsageError('invariantBroken', `unknown policy action ${String(never)}`);
    }
  }
}

/**
 * Puts an enabled client online on `link`, settling the same-client conflict
 * (the client is already online on another link) by the policy table, then
 * answers ok and resends what the client has not acknowledged.
 */
function admit(
  tx: Tx,
  link: LinkId,
  client: Client,
  r: Request,
  lastReceived: number,
  environment: Environment | null,
  secret: string | null,
): void {
  const current = tx.online.get(client.id);
  if (current !== undefined && current !== link) {
    const profile = tx.profile(client.profileId)!;
    if (SAME_CLIENT[tx.policyOf(profile)] === 'refuseNew') {
      refuseWith(tx, link, r, 'alreadyOnline');
      return;
    }
    tx.endSession(tx.sessions.get(current)!, 'pushedOut');
    tx.notify({ type: 'takeover', profileId: profile.id, conflict: 'sameClient', winner: client.id, loser: client.id, reason: 'pushedOut' });
    client = tx.client(client.id)!;
  }
  if (environment !== null) client = recordEnvironment(tx, client, environment);
  const wasOnline = current === link;
  const session = tx.openSession(client, link, lastReceived);
  tx.reply(link, r.requestId, {
    code: 'ok',
    clientId: client.id,
    status: 'enabled',
    secret,
    lastReceived: session.dialog.inSeq,
    lastSent: session.dialog.outSeq,
  });
  tx.write(session, session.dialog.outbox);
  if (!wasOnline) tx.notify({ type: 'clientOnline', clientId: client.id, link, via: r.kind });
}

function sameEnvironment(a: Environment, b: Environment): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

/** Adds an environment entry only when it differs from the latest one (§8.7), keeping a bounded history. */
function recordEnvironment(tx: Tx, client: Client, env: Environment): Client {
  const last = client.environments[client.environments.length - 1];
  if (last !== undefined && sameEnvironment(last.env, env)) return client;
  if (last === undefined && Object.keys(env).length === 0) return client;
  const history = [...client.environments, { at: tx.now, env }];
  const keep = tx.config.limits.maxEnvironmentEntries;
  const updated: Client = { ...client, environments: history.length > keep ? history.slice(history.length - keep) : history };
  tx.putClient(updated);
  return updated;
}
