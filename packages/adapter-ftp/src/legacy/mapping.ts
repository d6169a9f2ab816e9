/**
 * Theory of operation: what of the original Hub protocol maps onto
 * dialoghub's model (packages/core: requests.ts, messages.ts, model.ts), for
 * an FTP adapter that serves legacy Hub clients. Pure functions, no I/O, no
 * decisions: each returns `mapped` (with the `losses`, the fields that could
 * not travel and why) or `unmappable` (with the reason), never a guess.
 * docs/adapters/ftp-legacy.md §7 lists the same table for people.
 *
 * Three mismatches shape everything here:
 *
 * 1. **Credentials.** dialoghub authenticates `start`, `resume` and `sync`
 *    with a secret issued at registration; the legacy protocol has no secret
 *    and no field to carry one. A request maps only when the caller supplies
 *    a credential; where it comes from is the adapter's (security) decision.
 * 2. **Id spaces.** dialoghub's sequence numbers are never reset; a legacy
 *    client restarts both its counters at 0 on every launch (§5.3) and the
 *    governor resets `.hub` on Start. So client → hub ids are offset:
 *    `seq = inSeqBase + legacy id`, where `inSeqBase` is the hub's `inSeq`
 *    when the legacy session began (the `lastReceived` of the admitting `ok`),
 *    and the adapter must keep it for the session. Hub → client ids need no
 *    offset: the adapter writes `.gov` with `legacy id = seq`, and a legacy
 *    client takes any id above its (restarted) counter as new.
 * 3. **Environment.** The legacy ClientEnvironment is six fixed fields; a
 *    dialoghub environment is an open string map. Legacy → dialoghub always
 *    works with the keys of {@link LEGACY_ENVIRONMENT_KEYS}; the reverse only
 *    for a map of exactly those keys and values.
 */
import { clientId as toClientId, isU32, isU32Id, profileId as toProfileId } from '@dialoghub/core';
import type { Answer, ClientStatus, Contact, Credential, DialogMessage, Environment, MessageBody, ProfileSummary, Request } from '@dialoghub/core';
import type { LegacyCnxAnswerPayload, LegacyCnxPayload, LegacyDialogPayload } from './payloads.js';
import { isNullOrWhiteSpace } from './structures.js';
import { epochMsToTicks, ticksToEpochMs } from './ticks.js';
import {
  LEGACY_ARCHITECTURES,
  type LegacyArchitecture,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyClientStatus,
  type LegacyProfileInfo,
} from './types.js';

/** Why a value cannot be mapped. */
export type UnmappableReason =
  /** dialoghub needs a credential and the caller supplied none (the legacy protocol has none). */
  | 'noCredential'
  /** The value has no counterpart on the other side (a dialoghub `app` message, a legacy governor Null...). */
  | 'noLegacyEquivalent'
  /** The code or type does not travel in this direction or on this channel. */
  | 'wrongDirection'
  /** Declared by the legacy protocol, implemented by neither side (`sendInfo`, `runOnce`). */
  | 'notImplemented'
  /** The target needs a field the source does not have. */
  | 'missingField'
  /** An id or a time does not fit the target's range. */
  | 'outOfRange'
  /** A dialoghub environment that is not exactly the six legacy fields. */
  | 'environmentShape';

/** A field dropped or approximated on the way, and why. */
export interface MappingLoss {
  readonly field: string;
  readonly detail: string;
}

/** The outcome of every mapping function. */
export type LegacyMapping<T> =
  | { readonly type: 'mapped'; readonly value: T; readonly losses: readonly MappingLoss[] }
  | { readonly type: 'unmappable'; readonly reason: UnmappableReason; readonly field: string; readonly detail: string };

/** Which way a dialog message travels: `<ID>.hub` is client → hub, `<ID>.gov` hub → client. */
export type LegacyDirection = 'clientToHub' | 'hubToClient';

/** A dialog message with its payload decoded: the message's ids and `decodeDialogPayload`'s value. */
export interface LegacyDialogEntry {
  readonly id: number;
  readonly reqId: number;
  readonly payload: LegacyDialogPayload;
}

/** What the dialog mappings need to know besides the message. */
export interface LegacyDialogContext {
  readonly direction: LegacyDirection;
  /** The hub's `inSeq` when this legacy session began: client → hub legacy id n is seq `inSeqBase + n`. */
  readonly inSeqBase: number;
}

function mapped<T>(value: T, losses: readonly MappingLoss[] = []): LegacyMapping<T> {
  return { type: 'mapped', value, losses };
}

function unmappable<T>(reason: UnmappableReason, field: string, detail: string): LegacyMapping<T> {
  return { type: 'unmappable', reason, field, detail };
}

function loss(field: string, detail: string): MappingLoss {
  return { field, detail };
}

// ---------------------------------------------------------------------------
// Statuses, contact, environment, profiles

/** Literal table: legacy `ClientStatus_t` → dialoghub status. One to one (`Reseted` is `reset`). */
export const LEGACY_STATUS_TO_STATUS: Readonly<Record<LegacyClientStatus, ClientStatus>> = Object.freeze({
  enabled: 'enabled',
  disabled: 'disabled',
  banned: 'banned',
  reset: 'reset',
});

/** Literal table: dialoghub status → legacy `ClientStatus_t`, the status byte of `<ID>.gov`. */
export const STATUS_TO_LEGACY_STATUS: Readonly<Record<ClientStatus, LegacyClientStatus>> = Object.freeze({
  enabled: 'enabled',
  disabled: 'disabled',
  banned: 'banned',
  reset: 'reset',
});

/** The dialoghub status of a legacy status (total: the four statuses match one to one). */
export function legacyStatusToStatus(status: LegacyClientStatus): ClientStatus {
  return LEGACY_STATUS_TO_STATUS[status];
}

/** The legacy status to write into `<ID>.gov` for a dialoghub status (total). */
export function statusToLegacyStatus(status: ClientStatus): LegacyClientStatus {
  return STATUS_TO_LEGACY_STATUS[status];
}

/** The contact fields of a ClientInfo (everything but the two ids). */
export function legacyContact(info: LegacyClientInfo): Contact {
  return { name: info.contactName, phone: info.contactPhone, email: info.contactEmail };
}

/** The dialoghub environment keys a legacy ClientEnvironment maps to, in layout order. */
export const LEGACY_ENVIRONMENT_KEYS = Object.freeze([
  'hubArchitecture',
  'is64BitOperatingSystem',
  'userName',
  'machineName',
  'osVersion',
  'hubVersion',
] as const);

/**
 * A legacy ClientEnvironment as a dialoghub environment: the six
 * {@link LEGACY_ENVIRONMENT_KEYS}, the architecture by name (`win7sp1`...),
 * the boolean as `'true'`/`'false'`. Total and reversible.
 */
export function legacyEnvironmentToEnvironment(env: LegacyClientEnvironment): Environment {
  return {
    hubArchitecture: env.architecture,
    is64BitOperatingSystem: env.is64BitOperatingSystem ? 'true' : 'false',
    userName: env.userName,
    machineName: env.machineName,
    osVersion: env.osVersion,
    hubVersion: env.hubVersion,
  };
}

/**
 * A dialoghub environment as a legacy ClientEnvironment: only a map with
 * exactly the six {@link LEGACY_ENVIRONMENT_KEYS}, a known architecture and
 * `'true'`/`'false'`; anything else is `environmentShape` (an open map has
 * no place in six fixed fields).
 */
export function environmentToLegacyEnvironment(env: Environment): LegacyMapping<LegacyClientEnvironment> {
  const keys = Object.keys(env);
  const extra = keys.find((k) => !(LEGACY_ENVIRONMENT_KEYS as readonly string[]).includes(k));
  if (extra !== undefined) return unmappable('environmentShape', `environment.${extra}`, `no legacy field for key "${extra}"`);
  const missing = LEGACY_ENVIRONMENT_KEYS.find((k) => !Object.prototype.hasOwnProperty.call(env, k));
  if (missing !== undefined) return unmappable('environmentShape', `environment.${missing}`, `the legacy environment needs "${missing}"`);
  const arch = env['hubArchitecture']!;
  if (!Object.prototype.hasOwnProperty.call(LEGACY_ARCHITECTURES, arch)) {
    return unmappable('environmentShape', 'environment.hubArchitecture', `"${arch}" is not one of ${Object.keys(LEGACY_ARCHITECTURES).join(', ')}`);
  }
  const is64 = env['is64BitOperatingSystem']!;
  if (is64 !== 'true' && is64 !== 'false') return unmappable('environmentShape', 'environment.is64BitOperatingSystem', `"${is64}" is not "true" or "false"`);
  return mapped({
    architecture: arch as LegacyArchitecture,
    is64BitOperatingSystem: is64 === 'true',
    userName: env['userName']!,
    machineName: env['machineName']!,
    osVersion: env['osVersion']!,
    hubVersion: env['hubVersion']!,
  });
}

/**
 * dialoghub's profile list as the entries of `profiles.gov`, which is how a
 * legacy client learns the profiles (there is no `profiles` request). The
 * management mode is lost (`profiles.gov` has no field for it); a name the
 * legacy reader would find blank is `outOfRange`.
 */
export function profileSummariesToLegacy(profiles: readonly ProfileSummary[]): LegacyMapping<readonly LegacyProfileInfo[]> {
  const out: LegacyProfileInfo[] = [];
  for (const [i, p] of profiles.entries()) {
    if (isNullOrWhiteSpace(p.name)) return unmappable('outOfRange', `profiles[${i}].name`, 'the legacy reader refuses a blank profile name');
    out.push({ profileId: p.id, name: p.name, privilege: 'default' });
  }
  return mapped(out, [loss('profiles[].mode', 'profiles.gov has no management mode; legacy clients never see it')]);
}

// ---------------------------------------------------------------------------
// Connection channel

const LAST_RECEIVED_ZERO = loss(
  'lastReceived',
  'set to 0: a legacy client restarts its counters on every launch (§5.3), so the hub resends its whole unacknowledged outbox',
);

/**
 * The dialoghub request for a legacy connection request. `requestId` is the
 * legacy message id (global among legacy clients, B16; dialoghub pairs it
 * with the client id, so collisions are harmless). `credential` is what the
 * adapter presents for `start`, `resume` and `sync`: without one they are
 * `noCredential`. `newConnection` needs none (the shell issues the secret).
 * Answer codes are `wrongDirection`.
 */
export function legacyRequestToRequest(requestId: number, payload: LegacyCnxPayload, credential: Credential | null): LegacyMapping<Request> {
  if (!isU32(requestId)) return unmappable('outOfRange', 'requestId', `${String(requestId)} is not a uint32`);
  const noCredential = (): LegacyMapping<Request> =>
    unmappable('noCredential', 'credential', `dialoghub authenticates ${payload.type}; the legacy protocol carries no secret and none was supplied`);
  switch (payload.type) {
    case 'newConnection':
      return mapped({
        kind: 'register',
        requestId,
        clientId: toClientId(payload.info.clientId),
        profileId: toProfileId(payload.info.profileId),
        contact: legacyContact(payload.info),
        environment: legacyEnvironmentToEnvironment(payload.environment),
      });
    case 'start':
      if (credential === null) return noCredential();
      return mapped(
        {
          kind: 'start',
          requestId,
          clientId: toClientId(payload.clientId),
          credential,
          environment: legacyEnvironmentToEnvironment(payload.environment),
          lastReceived: 0,
        },
        [loss('startTime', "the client's clock; dialoghub uses only the hub's (B24)"), LAST_RECEIVED_ZERO],
      );
    case 'resume':
      if (credential === null) return noCredential();
      return mapped({ kind: 'resume', requestId, clientId: toClientId(payload.clientId), credential, lastReceived: 0 }, [LAST_RECEIVED_ZERO]);
    case 'sync':
      if (credential === null) return noCredential();
      return mapped(
        { kind: 'sync', requestId, clientId: toClientId(payload.clientId), credential, lastReceived: payload.lastServerMessageId },
        [
          loss(
            'lastClientMessageId',
            "dialoghub's ok answer says which client messages the hub handled (lastReceived); the adapter may use the pair to set the session's inSeqBase",
          ),
        ],
      );
    case 'ok':
    case 'invalidId':
    case 'invalidProfile':
    case 'rejected':
      return unmappable('wrongDirection', 'type', `${payload.type} is an answer, not a request`);
    default:
      return assertNever(payload);
  }
}

const NO_RESPONSE_DATA = new Uint8Array(0);

/**
 * The legacy answer (for `cxnresp.gov`) to a dialoghub answer. The data is
 * the 4-byte ClientID only: legacy clients read nothing else. The adapter
 * chooses the response's message id and sets `reqId` to the request's.
 * A `profiles` answer is `noLegacyEquivalent` (publish `profiles.gov`).
 */
export function answerToLegacyAnswer(answer: Answer): LegacyMapping<LegacyCnxAnswerPayload> {
  const payload = (type: LegacyCnxAnswerPayload['type']): LegacyCnxAnswerPayload => ({ type, clientId: answer.clientId, rest: NO_RESPONSE_DATA });
  switch (answer.code) {
    case 'ok': {
      const losses: MappingLoss[] = [
        loss('lastReceived', 'a legacy client does not resend; it restarts its ids at 1 (see inSeqBase)'),
        loss('lastSent', 'a legacy client reads every message in <ID>.gov whose id is above its own counter'),
      ];
      if (answer.secret !== null) {
        losses.unshift(loss('secret', 'the legacy answer has no field for it: the client can never present it, so the adapter must hold it or give up authentication'));
      }
      return mapped(payload('ok'), losses);
    }
    case 'rejected':
      return mapped(payload('rejected'), [loss('reason', `"${answer.reason}" has no legacy code; the client only sees Rejected`)]);
    case 'invalidId':
      return mapped(payload('invalidId'));
    case 'invalidProfile':
      return mapped(payload('invalidProfile'), [loss('profiles', 'a legacy client re-reads profiles.gov: publish the list there (profileSummariesToLegacy)')]);
    case 'reset':
      return mapped(payload('rejected'), [
        loss(
          'code',
          'no legacy Reset answer: the original answers Rejected and writes <ID>.gov with status reset (§8.2 step 1); write that .gov too, or the client learns of the reset only at its next launch (B23)',
        ),
      ]);
    case 'profiles':
      return unmappable('noLegacyEquivalent', 'code', 'legacy clients read profiles.gov instead of asking: publish it (profileSummariesToLegacy)');
    default:
      return assertNever(answer);
  }
}

/**
 * The dialoghub answer for a legacy answer (a dialoghub client reading a
 * legacy governor's `cxnresp.gov`). `ok` maps with `lastReceived = lastSent
 * = 0`, which is what the governor's counters are after NewConnection, Start
 * and Resume (§5.2, except a stale entry: B4). `rejected` has no reason and
 * `invalidProfile` no profile list with modes: both are `missingField`.
 */
export function legacyAnswerToAnswer(payload: LegacyCnxAnswerPayload): LegacyMapping<Answer> {
  const id = toClientId(payload.clientId);
  const restLoss = payload.rest.length > 0 ? [loss('rest', `${payload.rest.length} echoed bytes after the ClientID, ignored as legacy clients do`)] : [];
  switch (payload.type) {
    case 'ok':
      return mapped({ code: 'ok', clientId: id, status: 'enabled', secret: null, lastReceived: 0, lastSent: 0 }, [
        loss('lastReceived', 'assumed 0: the governor resets its counters when it admits a client (§5.2); B4 can break this'),
        loss('lastSent', 'assumed 0, as lastReceived'),
        ...restLoss,
      ]);
    case 'invalidId':
      return mapped({ code: 'invalidId', clientId: id }, restLoss);
    case 'invalidProfile':
      return unmappable('missingField', 'profiles', 'dialoghub lists the profiles with their management mode; the legacy answer has no list and profiles.gov no modes');
    case 'rejected':
      return unmappable('missingField', 'reason', 'dialoghub requires a reject reason; the legacy answer has none');
    default:
      return assertNever(payload.type);
  }
}

// ---------------------------------------------------------------------------
// Dialog channel

function checkBase(inSeqBase: number): void {
  if (!isU32(inSeqBase)) throw new RangeError(`inSeqBase must be an integer in [0, 2^32), got ${String(inSeqBase)}`);
}

/** `base + n` when it is a valid sequence number (≥ 1, uint32), else null. */
function offset(base: number, n: number): number | null {
  const v = base + n;
  return isU32Id(v) ? v : null;
}

const LOG_TIME_LOSS = loss('time', 'the client\'s local wall clock with no zone (§4), read as UTC; sub-millisecond ticks dropped');

/**
 * The dialoghub message for a legacy dialog message. `ctx.direction` says
 * which file it came from (`<ID>.hub`: `clientToHub`, `<ID>.gov`:
 * `hubToClient`). Client → hub ids become `inSeqBase + id`; hub → client ids
 * are taken as seqs. A Null's `reqId` (the Sync it answers) becomes both its
 * `replyTo` and its `ack`: the legacy client answers a Sync after reading
 * every earlier message of `<ID>.gov` in order, which is the acknowledgement
 * B21 says the original wasted. The legacy timestamp is dropped (dialoghub
 * messages carry none).
 */
export function legacyDialogToMessage(entry: LegacyDialogEntry, ctx: LegacyDialogContext): LegacyMapping<DialogMessage> {
  checkBase(ctx.inSeqBase);
  const { payload } = entry;
  if (payload.type === 'sendInfo' || payload.type === 'runOnce') {
    return unmappable('notImplemented', 'type', `${payload.type} is declared by the legacy protocol but implemented by neither side`);
  }
  if (ctx.direction === 'clientToHub') {
    const seq = offset(ctx.inSeqBase, entry.id);
    if (seq === null) return unmappable('outOfRange', 'id', `inSeqBase ${ctx.inSeqBase} + id ${entry.id} is not a uint32 seq`);
    const message = (body: MessageBody, ack = 0): DialogMessage => ({ seq, ack, body });
    switch (payload.type) {
      case 'close':
        return mapped(message({ type: 'close' }));
      case 'null':
        return mapped(message({ type: 'null', replyTo: entry.reqId }, entry.reqId));
      case 'setInfo':
        return mapped(
          message({ type: 'setInfo', contact: legacyContact(payload.info), clientId: payload.info.clientId, profileId: payload.info.profileId }),
        );
      case 'log':
        return mapped(message({ type: 'log', at: ticksToEpochMs(payload.time), isError: payload.isError, text: payload.text }), [LOG_TIME_LOSS]);
      case 'sync':
      case 'ok':
        return unmappable('wrongDirection', 'type', `${payload.type} travels hub → client only`);
      default:
        return assertNever(payload);
    }
  }
  switch (payload.type) {
    case 'sync':
      return mapped({ seq: entry.id, ack: 0, body: { type: 'sync' } });
    case 'ok': {
      const replyTo = entry.reqId === 0 ? 0 : offset(ctx.inSeqBase, entry.reqId);
      if (replyTo === null) return unmappable('outOfRange', 'reqId', `inSeqBase ${ctx.inSeqBase} + reqId ${entry.reqId} is not a uint32 seq`);
      return mapped({ seq: entry.id, ack: 0, body: { type: 'ok', replyTo } }, [loss('ack', '<ID>.gov acknowledges no client message')]);
    }
    case 'null':
      return unmappable('noLegacyEquivalent', 'type', "the governor's Null answers a cnx Sync (§8.4); dialoghub answers a sync request with an ok answer instead");
    case 'close':
    case 'setInfo':
    case 'log':
      return unmappable('wrongDirection', 'type', `${payload.type} travels client → hub only`);
    default:
      return assertNever(payload);
  }
}

/**
 * The legacy dialog message for a dialoghub message: the reverse of
 * {@link legacyDialogToMessage}. The caller adds a timestamp (its clock, as
 * ticks: `epochMsToTicks`) and encodes the payload with `encodeDialogPayload`.
 * Hub → client: `sync` and `ok` map; `refused`, `app` and a bare `ack` have
 * no legacy form (`noLegacyEquivalent`; for an ack, write nothing).
 * Client → hub: `close`, `null`, `log`, and `setInfo` carrying both ids map.
 */
export function messageToLegacyDialog(message: DialogMessage, ctx: LegacyDialogContext): LegacyMapping<LegacyDialogEntry> {
  checkBase(ctx.inSeqBase);
  const { body } = message;
  if (body.type === 'ack') return unmappable('noLegacyEquivalent', 'type', 'the legacy files carry no bare acknowledgement: write nothing');
  if (body.type === 'app') return unmappable('noLegacyEquivalent', 'type', 'the legacy protocol has no application messages (runOnce was never implemented)');
  if (ctx.direction === 'clientToHub') {
    const id = message.seq - ctx.inSeqBase;
    if (!isU32Id(id)) return unmappable('outOfRange', 'seq', `seq ${message.seq} - inSeqBase ${ctx.inSeqBase} is not a legacy id (1 to 2^32-1)`);
    const ackLoss = message.ack !== 0 ? [loss('ack', 'legacy client messages carry no acknowledgement (only a Null names its Sync)')] : [];
    switch (body.type) {
      case 'close':
        return mapped({ id, reqId: 0, payload: { type: 'close' } }, ackLoss);
      case 'null':
        return mapped(
          { id, reqId: body.replyTo, payload: { type: 'null' } },
          message.ack !== body.replyTo ? [loss('ack', 'a legacy Null acknowledges through its reqId (the Sync) only')] : [],
        );
      case 'log': {
        let time: bigint;
        try {
          time = epochMsToTicks(body.at);
        } catch {
          return unmappable('outOfRange', 'at', `${body.at} ms is outside the .NET DateTime range`);
        }
        return mapped({ id, reqId: 0, payload: { type: 'log', time, isError: body.isError, text: body.text } }, ackLoss);
      }
      case 'setInfo': {
        const { clientId, profileId } = body;
        if (clientId === undefined || !isU32Id(clientId)) return unmappable('missingField', 'clientId', 'a legacy ClientInfo needs the (non-zero) client id');
        if (profileId === undefined || !isU32Id(profileId)) return unmappable('missingField', 'profileId', 'a legacy ClientInfo needs the (non-zero) profile id');
        const info: LegacyClientInfo = {
          clientId,
          profileId,
          contactName: body.contact.name,
          contactPhone: body.contact.phone,
          contactEmail: body.contact.email,
        };
        return mapped({ id, reqId: 0, payload: { type: 'setInfo', info } }, ackLoss);
      }
      case 'sync':
      case 'ok':
      case 'refused':
        return unmappable('wrongDirection', 'type', `${body.type} travels hub → client only`);
      default:
        return assertNever(body);
    }
  }
  if (!isU32Id(message.seq)) return unmappable('outOfRange', 'seq', `seq ${message.seq} is not a legacy id (1 to 2^32-1)`);
  const ackLoss = message.ack !== 0 ? [loss('ack', '<ID>.gov acknowledges no client message')] : [];
  switch (body.type) {
    case 'sync':
      return mapped({ id: message.seq, reqId: 0, payload: { type: 'sync' } }, ackLoss);
    case 'ok': {
      const reqId = body.replyTo === 0 ? 0 : body.replyTo - ctx.inSeqBase;
      if (!isU32(reqId) || (body.replyTo !== 0 && reqId === 0)) {
        return unmappable('outOfRange', 'replyTo', `replyTo ${body.replyTo} - inSeqBase ${ctx.inSeqBase} is not a legacy id of this session`);
      }
      return mapped({ id: message.seq, reqId, payload: { type: 'ok' } }, ackLoss);
    }
    case 'refused':
      return unmappable('noLegacyEquivalent', 'type', `no legacy refusal ("${body.reason}"): a legacy client waits for its Ok and gives up (B20)`);
    case 'null':
    case 'setInfo':
    case 'log':
    case 'close':
      return unmappable('wrongDirection', 'type', `${body.type} travels client → hub only`);
    default:
      return assertNever(body);
  }
}

function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
