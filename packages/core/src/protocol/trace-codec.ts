/**
 * Theory of operation: the binary payload of one trace record, the unit of
 * the hub's journal and of the simulator's traces: `{ seq, now, input,
 * commands? }`. The normative layout is docs/wire-format.md §9 ("Trace
 * records"); the file around the payloads (header, framing, checksums,
 * segments) is docs/trace-format.md's business, not this module's.
 *
 * A record is `[TRACE_RECORD_VERSION][seq][now][input][commands?]` with no
 * trailing bytes. It is built from the wire codec's parts: the primitives of
 * bytes.ts, its enumeration codes, and its contact and environment layouts.
 * Requests, answers and dialog messages keep the wire's fields in the wire's
 * order, with two differences. Every integer is a varuint (any safe
 * non-negative integer) and no wire-only rule is enforced (ids ≠ 0, the
 * seq-0-is-a-bare-ack rule), because a journal must record every input the
 * core was stepped with, and the core accepts, and answers, values the wire
 * refuses (a registration with client id 0 is answered `invalidId` for client
 * 0). And a credential may be a `{ secret }` or a `{ verifier }`: a tag byte,
 * then the secret's UTF-8 or the verifier's 32 raw bytes. Inputs, commands,
 * events and log details, which the wire never carries, have their own layouts.
 *
 * Two directions, two error regimes, as in codec.ts:
 * - `encodeRecord` takes values from our own code; a value with no encoding
 *   throws `HubUsageError('invalidInput')`, naming the field.
 * - `decodeRecord` takes bytes from a file that may be torn or corrupt; it
 *   never throws and returns a `Result` naming the first problem and its
 *   offset. Every count and length is checked against the bytes that remain
 *   before anything it announces is read or allocated.
 *
 * Records are local data, so there are no size limits beyond what the bytes
 * hold. The encoding is canonical (shortest varuints, 0/1 booleans, strict
 * UTF-8, sorted unique keys, one NaN), so decode-then-encode gives back the
 * input bytes. Decoding is the recovery hot path: it reads straight through
 * with the reader's sticky error and checks it once per structure.
 */
import type { HubCommand, HubEvent, LogDetail, LogLevel } from '../commands.js';
import { HubUsageError } from '../errors.js';
import type { ClientId, CommandId, LinkId, ProfileId } from '../ids.js';
import type { ActionId, AppTarget, HubInput, InputType } from '../inputs.js';
import type { DialogMessage, MessageBody } from '../messages.js';
import type { ClientStatus, ManagementMode, Policy } from '../model.js';
import { err, ok, type Result } from '../result.js';
import type { Answer, CloseReason, Credential, ProfileSummary, RejectReason, Request, RequestKind } from '../requests.js';
import { ByteReader, ByteWriter, MAX_VARUINT } from './bytes.js';
import {
  ANSWER_CODE,
  CLIENT_STATUS,
  CLOSE_REASON,
  MANAGEMENT_MODE,
  MESSAGE_TYPE,
  MESSAGE_TYPE_WIRE_CODES,
  REJECT_REASON,
  REQUEST_KIND,
  describe,
  enumCode,
  invalidInput,
  readContact,
  readEnum,
  readEnvironment,
  wireEnum,
  writeContact,
  writeEnvironment,
  type CodecLimits,
  type DecodeError,
  type WireEnum,
} from './codec.js';
import { compareCodePoints, toWellFormed } from './utf8.js';

/**
 * One step of a hub's history: the input stepped, the `now` it was stepped at,
 * its position, and (in a simulator's trace) the commands the step returned.
 * A journal record has no `commands`: replaying the inputs recomputes them.
 */
export interface TraceRecord {
  /** Position in the history (a journal counts from 1, without gaps). Any safe non-negative integer. */
  readonly seq: number;
  /** The `now` the input was stepped at. Any safe integer. */
  readonly now: number;
  readonly input: HubInput;
  readonly commands?: readonly HubCommand[];
}

/** The version byte every record payload starts with. A reader refuses any other (`badVersion`). */
export const TRACE_RECORD_VERSION = 1;

// ---------------------------------------------------------------------------
// Code tables (docs/wire-format.md §9.4). Codes are part of the format: never
// renumber, only append. Enumerations the wire also has (request kind, answer
// code, client status, management mode, reject and close reasons, message
// type) use the wire's codes and are not repeated here.

/** Code of each input type, in the order of the `HubInput` union. */
export const TRACE_INPUT_CODES: Readonly<Record<InputType, number>> = Object.freeze({
  requestReceived: 1,
  messagesReceived: 2,
  connectionClosed: 3,
  commandFailed: 4,
  profileCreated: 5,
  profileRenamed: 6,
  profileRemoved: 7,
  profileModeSet: 8,
  profilePolicySet: 9,
  statusSet: 10,
  clientKicked: 11,
  clientDeleted: 12,
  appMessageSent: 13,
  appMessageHandled: 14,
  timerFired: 15,
});

/** Code of each command type, in the order of the `HubCommand` union. */
export const TRACE_COMMAND_CODES: Readonly<Record<HubCommand['type'], number>> = Object.freeze({
  commit: 1,
  reply: 2,
  writeDialog: 3,
  close: 4,
  deliver: 5,
  notify: 6,
  actionResult: 7,
  log: 8,
});

/** Code of each event type, in the order of the `HubEvent` union. */
export const TRACE_EVENT_CODES: Readonly<Record<HubEvent['type'], number>> = Object.freeze({
  clientRegistered: 1,
  clientOnline: 2,
  clientOffline: 3,
  takeover: 4,
  statusChanged: 5,
  profileChanged: 6,
  requestRejected: 7,
  clientDeleted: 8,
});

/** Code of each log level, least severe first. */
export const TRACE_LOG_LEVEL_CODES: Readonly<Record<LogLevel, number>> = Object.freeze({ debug: 1, info: 2, warn: 3, error: 4 });

/** Code of each re-login policy (the order of `POLICIES`). */
export const TRACE_POLICY_CODES: Readonly<Record<Policy, number>> = Object.freeze({ replaceOld: 1, ignoreNew: 2, seniority: 3 });

type Conflict = Extract<HubEvent, { type: 'takeover' }>['conflict'];
type StatusCause = Extract<HubEvent, { type: 'statusChanged' }>['cause'];
type ProfileChange = Extract<HubEvent, { type: 'profileChanged' }>['change'];
type FailedCommand = Extract<HubInput, { type: 'commandFailed' }>['command'];
type RejectionOutcome = 'rejected' | 'invalidId' | 'invalidProfile' | 'reset';
type CredentialKind = 'secret' | 'verifier';
type TargetKind = 'clientId' | 'profileId';
type DetailKind = 'null' | 'false' | 'true' | 'number' | 'string';

const INPUT_TYPE = wireEnum('input type', TRACE_INPUT_CODES);
const COMMAND_TYPE = wireEnum('command type', TRACE_COMMAND_CODES);
const EVENT_TYPE = wireEnum('event type', TRACE_EVENT_CODES);
const LOG_LEVEL = wireEnum('log level', TRACE_LOG_LEVEL_CODES);
const POLICY = wireEnum('policy', TRACE_POLICY_CODES);
const CONFLICT = wireEnum<Conflict>('takeover conflict', { sameClient: 1, otherClient: 2 });
const STATUS_CAUSE = wireEnum<StatusCause>('status change cause', { request: 1, operator: 2 });
const PROFILE_CHANGE = wireEnum<ProfileChange>('profile change', { created: 1, renamed: 2, removed: 3, mode: 4, policy: 5 });
const CREDENTIAL_KIND = wireEnum<CredentialKind>('credential tag', { secret: 1, verifier: 2 });
const TARGET_KIND = wireEnum<TargetKind>('target tag', { clientId: 1, profileId: 2 });
const DETAIL_KIND = wireEnum<DetailKind>('detail value tag', { null: 1, false: 2, true: 3, number: 4, string: 5 });

/** Bytes of a verifier (SHA-256): 64 lower-case hex digits in a credential, 32 raw bytes in a record. */
const VERIFIER_BYTES = 32;

/**
 * Limits handed to the wire readers: none, since a record is local data.
 * Every length is still checked against the bytes that remain before use.
 */
const NO_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxFrameBytes: MAX_VARUINT,
  maxTextBytes: MAX_VARUINT,
  maxMessages: MAX_VARUINT,
  maxPayloadBytes: MAX_VARUINT,
  maxEnvironmentEntries: MAX_VARUINT,
  maxProfiles: MAX_VARUINT,
});

// ---------------------------------------------------------------------------
// Encoding

function object(v: unknown, field: string, what: string): void {
  if (typeof v !== 'object' || v === null) throw invalidInput(field, `must be ${what}, got ${describe(v)}`);
}

function array(v: unknown, field: string): void {
  if (!Array.isArray(v)) throw invalidInput(field, `must be an array, got ${describe(v)}`);
}

/** A trace-owned integer (id, link, command id, seq): a varuint, any safe non-negative integer. */
function writeNat(w: ByteWriter, v: number, field: string): void {
  w.varuint(v, field);
}

function writeNullableNat(w: ByteWriter, v: number | null, field: string): void {
  if (v === null) {
    w.u8(0);
  } else {
    w.u8(1);
    w.varuint(v, field);
  }
}

/** An enumeration that also has one non-enum value (null, `connectionLost`), written as code 0. */
function writeEnumOrZero<T extends string, Z>(w: ByteWriter, e: WireEnum<T>, v: T | Z, zero: Z, field: string): void {
  w.u8(v === zero ? 0 : enumCode(e, v as T, field));
}

const HEX_DIGIT = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) t[0x61 + i] = 10 + i;
  return t;
})();

function writeCredential(w: ByteWriter, c: Credential, field: string): void {
  object(c, field, 'a Credential');
  if ('secret' in c) {
    w.u8(1);
    w.string(c.secret, `${field}.secret`);
    return;
  }
  const v: unknown = (c as { verifier?: unknown }).verifier;
  if (typeof v !== 'string' || v.length !== 2 * VERIFIER_BYTES) {
    throw invalidInput(`${field}.verifier`, `must be 64 lower-case hex digits, got ${describe(v)}`);
  }
  w.u8(2);
  for (let i = 0; i < 2 * VERIFIER_BYTES; i += 2) {
    const hi = HEX_DIGIT[v.charCodeAt(i)] ?? -1;
    const lo = HEX_DIGIT[v.charCodeAt(i + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw invalidInput(`${field}.verifier`, `must be 64 lower-case hex digits, got ${describe(v)}`);
    w.u8((hi << 4) | lo);
  }
}

/**
 * A request: the wire's fields in the wire's order (§3.2), but every integer a
 * varuint (the core accepts, and so a journal records, ids the wire refuses,
 * such as client id 0) and the credential a record credential.
 */
function writeRequest(w: ByteWriter, r: Request): void {
  object(r, 'request', 'a Request');
  w.u8(enumCode(REQUEST_KIND, r.kind, 'request.kind'));
  writeNat(w, r.requestId, 'request.requestId');
  writeNat(w, r.clientId, 'request.clientId');
  switch (r.kind) {
    case 'register':
      writeNat(w, r.profileId, 'request.profileId');
      writeContact(w, r.contact, 'request.contact');
      writeEnvironment(w, r.environment, 'request.environment');
      return;
    case 'start':
      writeCredential(w, r.credential, 'request.credential');
      writeEnvironment(w, r.environment, 'request.environment');
      writeNat(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'resume':
    case 'sync':
      writeCredential(w, r.credential, 'request.credential');
      writeNat(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'login':
      writeCredential(w, r.credential, 'request.credential');
      if (r.environment === null) {
        w.u8(0);
      } else {
        w.u8(1);
        writeEnvironment(w, r.environment, 'request.environment');
      }
      writeNat(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'profiles':
      return;
    default:
      return unreachable(r, 'request.kind');
  }
}

function writeProfiles(w: ByteWriter, profiles: readonly ProfileSummary[], field: string): void {
  array(profiles, field);
  w.varuint(profiles.length, `${field} count`);
  for (const p of profiles) {
    object(p, field, 'a ProfileSummary');
    writeNat(w, p.id, `${field}.id`);
    w.string(p.name, `${field}.name`);
    w.u8(enumCode(MANAGEMENT_MODE, p.mode, `${field}.mode`));
  }
}

/** An answer: the wire's fields in the wire's order (§3.3), every integer a varuint (the core answers client id 0 with `invalidId`). */
function writeAnswer(w: ByteWriter, a: Answer): void {
  object(a, 'answer', 'an Answer');
  w.u8(enumCode(ANSWER_CODE, a.code, 'answer.code'));
  writeNat(w, a.clientId, 'answer.clientId');
  switch (a.code) {
    case 'ok':
      w.u8(enumCode(CLIENT_STATUS, a.status, 'answer.status'));
      if (a.secret === null) {
        w.u8(0);
      } else {
        w.u8(1);
        w.string(a.secret, 'answer.secret');
      }
      writeNat(w, a.lastReceived, 'answer.lastReceived');
      writeNat(w, a.lastSent, 'answer.lastSent');
      return;
    case 'rejected':
      w.u8(enumCode(REJECT_REASON, a.reason, 'answer.reason'));
      return;
    case 'invalidId':
    case 'reset':
      return;
    case 'invalidProfile':
    case 'profiles':
      writeProfiles(w, a.profiles, 'answer.profiles');
      return;
    default:
      return unreachable(a, 'answer.code');
  }
}

function writeOptionalNat(w: ByteWriter, v: number | undefined, field: string): void {
  if (v === undefined) {
    w.u8(0);
  } else {
    w.u8(1);
    w.varuint(v, field);
  }
}

/**
 * A dialog message: the wire's fields in the wire's order (§3.4), but every
 * integer a varuint, `log.at` an f64, and no seq/ack rule: a record keeps
 * what the core was given, and the core answers a malformed message itself.
 */
function writeMessage(w: ByteWriter, m: DialogMessage): void {
  object(m, 'message', 'a DialogMessage');
  const body: MessageBody = m.body;
  object(body, 'message.body', 'a MessageBody');
  const type = enumCode(MESSAGE_TYPE, body.type, 'message.body.type');
  writeNat(w, m.seq, 'message.seq');
  writeNat(w, m.ack, 'message.ack');
  w.u8(type);
  switch (body.type) {
    case 'sync':
    case 'close':
    case 'ack':
      return;
    case 'null':
    case 'ok':
      writeNat(w, body.replyTo, 'message.body.replyTo');
      return;
    case 'setInfo':
      writeContact(w, body.contact, 'message.body.contact');
      writeOptionalNat(w, body.clientId, 'message.body.clientId');
      writeOptionalNat(w, body.profileId, 'message.body.profileId');
      return;
    case 'refused':
      writeNat(w, body.replyTo, 'message.body.replyTo');
      w.string(body.reason, 'message.body.reason');
      return;
    case 'log':
      w.f64(body.at, 'message.body.at');
      w.bool(body.isError, 'message.body.isError');
      w.string(body.text, 'message.body.text');
      return;
    case 'app':
      w.string(body.appType, 'message.body.appType');
      w.bytes(body.payload, 'message.body.payload');
      writeNat(w, body.replyTo, 'message.body.replyTo');
      return;
    default:
      return unreachable(body, 'message.body.type');
  }
}

function writeMessages(w: ByteWriter, messages: readonly DialogMessage[], field: string): void {
  array(messages, field);
  w.varuint(messages.length, field);
  for (const m of messages) writeMessage(w, m);
}

function writeTarget(w: ByteWriter, to: AppTarget, field: string): void {
  object(to, field, 'an AppTarget');
  if ('clientId' in to) {
    w.u8(1);
    writeNat(w, to.clientId, `${field}.clientId`);
  } else {
    w.u8(2);
    writeNat(w, to.profileId, `${field}.profileId`);
  }
}

function writeInput(w: ByteWriter, input: HubInput): void {
  object(input, 'input', 'a HubInput');
  w.u8(enumCode(INPUT_TYPE, input.type, 'input.type'));
  switch (input.type) {
    case 'requestReceived':
      writeNat(w, input.link, 'input.link');
      writeRequest(w, input.request);
      if (input.issued === undefined) {
        w.u8(0);
      } else {
        w.u8(1);
        writeCredential(w, input.issued, 'input.issued');
      }
      if (input.denied === undefined) {
        w.u8(0);
      } else {
        w.u8(1);
        w.bool(input.denied, 'input.denied');
      }
      return;
    case 'messagesReceived':
      writeNat(w, input.link, 'input.link');
      writeMessages(w, input.messages, 'input.messages');
      return;
    case 'connectionClosed':
      writeNat(w, input.link, 'input.link');
      w.string(input.cause, 'input.cause');
      return;
    case 'commandFailed':
      writeNat(w, input.commandId, 'input.commandId');
      if (input.command !== 'reply' && input.command !== 'writeDialog' && input.command !== 'close') {
        throw invalidInput('input.command', `must be reply, writeDialog or close, got ${describe(input.command)}`);
      }
      w.u8(TRACE_COMMAND_CODES[input.command]);
      writeNat(w, input.link, 'input.link');
      w.string(input.reason, 'input.reason');
      return;
    case 'profileCreated':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.profileId, 'input.profileId');
      w.string(input.name, 'input.name');
      if (input.mode === undefined) {
        w.u8(0);
      } else {
        w.u8(1);
        w.u8(enumCode(MANAGEMENT_MODE, input.mode, 'input.mode'));
      }
      if (input.policy === undefined) {
        w.u8(0);
      } else {
        w.u8(1);
        writeEnumOrZero(w, POLICY, input.policy, null, 'input.policy');
      }
      return;
    case 'profileRenamed':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.profileId, 'input.profileId');
      w.string(input.name, 'input.name');
      return;
    case 'profileRemoved':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.profileId, 'input.profileId');
      return;
    case 'profileModeSet':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.profileId, 'input.profileId');
      w.u8(enumCode(MANAGEMENT_MODE, input.mode, 'input.mode'));
      return;
    case 'profilePolicySet':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.profileId, 'input.profileId');
      writeEnumOrZero(w, POLICY, input.policy, null, 'input.policy');
      return;
    case 'statusSet':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.clientId, 'input.clientId');
      w.u8(enumCode(CLIENT_STATUS, input.status, 'input.status'));
      return;
    case 'clientKicked':
    case 'clientDeleted':
      w.string(input.actionId, 'input.actionId');
      writeNat(w, input.clientId, 'input.clientId');
      return;
    case 'appMessageSent':
      w.string(input.actionId, 'input.actionId');
      writeTarget(w, input.to, 'input.to');
      w.string(input.appType, 'input.appType');
      w.bytes(input.payload, 'input.payload');
      writeNat(w, input.replyTo, 'input.replyTo');
      return;
    case 'appMessageHandled':
      writeNat(w, input.clientId, 'input.clientId');
      writeNat(w, input.seq, 'input.seq');
      return;
    case 'timerFired':
      return;
    default:
      return unreachable(input, 'input.type');
  }
}

function writeEvent(w: ByteWriter, e: HubEvent): void {
  object(e, 'event', 'a HubEvent');
  w.u8(enumCode(EVENT_TYPE, e.type, 'event.type'));
  switch (e.type) {
    case 'clientRegistered':
      writeNat(w, e.clientId, 'event.clientId');
      writeNat(w, e.profileId, 'event.profileId');
      return;
    case 'clientOnline':
      writeNat(w, e.clientId, 'event.clientId');
      writeNat(w, e.link, 'event.link');
      w.u8(enumCode(REQUEST_KIND, e.via, 'event.via'));
      return;
    case 'clientOffline':
      writeNat(w, e.clientId, 'event.clientId');
      writeNat(w, e.link, 'event.link');
      writeEnumOrZero(w, CLOSE_REASON, e.reason, 'connectionLost', 'event.reason');
      return;
    case 'takeover':
      writeNat(w, e.profileId, 'event.profileId');
      w.u8(enumCode(CONFLICT, e.conflict, 'event.conflict'));
      writeNat(w, e.winner, 'event.winner');
      writeNat(w, e.loser, 'event.loser');
      w.u8(enumCode(CLOSE_REASON, e.reason, 'event.reason'));
      return;
    case 'statusChanged':
      writeNat(w, e.clientId, 'event.clientId');
      w.u8(enumCode(CLIENT_STATUS, e.from, 'event.from'));
      w.u8(enumCode(CLIENT_STATUS, e.to, 'event.to'));
      w.u8(enumCode(STATUS_CAUSE, e.cause, 'event.cause'));
      return;
    case 'profileChanged':
      writeNat(w, e.profileId, 'event.profileId');
      w.u8(enumCode(PROFILE_CHANGE, e.change, 'event.change'));
      w.u8(enumCode(MANAGEMENT_MODE, e.mode, 'event.mode'));
      writeEnumOrZero(w, POLICY, e.policy, null, 'event.policy');
      return;
    case 'requestRejected':
      writeNat(w, e.clientId, 'event.clientId');
      w.u8(enumCode(REQUEST_KIND, e.request, 'event.request'));
      if (e.reason === 'invalidId' || e.reason === 'invalidProfile' || e.reason === 'reset') {
        w.u8(enumCode(ANSWER_CODE, e.reason, 'event.reason'));
      } else {
        w.u8(enumCode(ANSWER_CODE, 'rejected', 'event.reason'));
        w.u8(enumCode(REJECT_REASON, e.reason, 'event.reason'));
      }
      return;
    case 'clientDeleted':
      writeNat(w, e.clientId, 'event.clientId');
      return;
    default:
      return unreachable(e, 'event.type');
  }
}

function writeDetail(w: ByteWriter, detail: LogDetail, field: string): void {
  object(detail, field, 'a LogDetail');
  const keys = Object.keys(detail);
  // Sorted by the bytes a reader will see (lone surrogates become U+FFFD), as an Environment is.
  const entries = keys.map((key) => [toWellFormed(key), key] as const);
  if (entries.length > 1) entries.sort((a, b) => compareCodePoints(a[0], b[0]));
  w.varuint(entries.length, `${field} count`);
  let prev: string | undefined;
  for (const [wire, key] of entries) {
    if (prev === wire) throw invalidInput(field, `two keys encode to the same UTF-8 key ${JSON.stringify(wire)}`);
    prev = wire;
    w.string(wire, `${field} key`);
    const v = detail[key];
    if (v === null) {
      w.u8(1);
    } else if (v === false) {
      w.u8(2);
    } else if (v === true) {
      w.u8(3);
    } else if (typeof v === 'number') {
      w.u8(4);
      w.f64(v, 'detail value');
    } else if (typeof v === 'string') {
      w.u8(5);
      w.string(v, 'detail value');
    } else {
      throw invalidInput(`${field}[${JSON.stringify(key)}]`, `must be a string, number, boolean or null, got ${describe(v)}`);
    }
  }
}

function writeCommand(w: ByteWriter, c: HubCommand): void {
  object(c, 'command', 'a HubCommand');
  w.u8(enumCode(COMMAND_TYPE, c.type, 'command.type'));
  switch (c.type) {
    case 'commit':
      return;
    case 'reply':
      writeNat(w, c.commandId, 'command.commandId');
      writeNat(w, c.link, 'command.link');
      writeNat(w, c.requestId, 'command.requestId');
      writeAnswer(w, c.answer);
      return;
    case 'writeDialog':
      writeNat(w, c.commandId, 'command.commandId');
      writeNat(w, c.link, 'command.link');
      writeNat(w, c.clientId, 'command.clientId');
      writeMessages(w, c.messages, 'command.messages');
      return;
    case 'close':
      writeNat(w, c.commandId, 'command.commandId');
      writeNat(w, c.link, 'command.link');
      writeNullableNat(w, c.clientId, 'command.clientId');
      w.u8(enumCode(CLOSE_REASON, c.reason, 'command.reason'));
      w.bool(c.reconnect, 'command.reconnect');
      return;
    case 'deliver':
      writeNat(w, c.clientId, 'command.clientId');
      writeNat(w, c.seq, 'command.seq');
      w.string(c.appType, 'command.appType');
      w.bytes(c.payload, 'command.payload');
      writeNat(w, c.replyTo, 'command.replyTo');
      return;
    case 'notify':
      writeEvent(w, c.event);
      return;
    case 'actionResult':
      w.string(c.actionId, 'command.actionId');
      w.bool(c.ok, 'command.ok');
      if (c.reason === null) {
        w.u8(0);
      } else {
        w.u8(1);
        w.string(c.reason, 'command.reason');
      }
      w.string(c.message, 'command.message');
      return;
    case 'log':
      w.u8(enumCode(LOG_LEVEL, c.level, 'command.level'));
      w.string(c.event, 'command.event');
      writeNullableNat(w, c.clientId, 'command.clientId');
      writeDetail(w, c.detail, 'command.detail');
      return;
    default:
      return unreachable(c, 'command.type');
  }
}

/** Exhaustiveness check: enumCode has already refused unknown discriminants, so this only guards a table/switch mismatch. */
function unreachable(_: never, field: string): never {
  throw invalidInput(field, 'has no trace layout');
}

/** Writers above this size are not kept between calls, so one huge record does not pin its buffer. */
const RETAINED_WRITER_BYTES = 64 * 1024;
/** One writer reused by every `encodeRecord` call: encoding is synchronous and never re-entered. */
let shared = new ByteWriter(1024);

/**
 * Encodes one trace record into a fresh byte array laid out as
 * docs/wire-format.md §9 says: the payload a journal or trace file frames.
 * Call it once per record; the bytes are the caller's to keep.
 *
 * A journal should record `redactInput(input)`: both `{ secret }` and
 * `{ verifier }` credentials are encodable, so nothing here stops a raw
 * secret from reaching the disk.
 *
 * @throws HubUsageError `invalidInput` for a value that has no encoding:
 * `now` not a safe integer; any other integer (`seq`, an id, a link, a
 * command id, a message seq or ack, a request id, a reply-to...) not a safe
 * non-negative integer; an unknown input, command or event type or
 * enumeration string; a verifier that is not 64 lower-case hex digits; a log detail value that is not a string,
 * number, boolean or null; a non-string text, a non-Uint8Array payload; or two
 * environment or detail keys that collide once lone surrogates become U+FFFD.
 * Strings are UTF-8 with lone surrogates written as U+FFFD, as on the wire, so
 * such a string decodes with U+FFFD in their place.
 */
export function encodeRecord(record: TraceRecord): Uint8Array {
  const w = shared;
  w.reset();
  try {
    object(record, 'record', 'a TraceRecord');
    w.u8(TRACE_RECORD_VERSION);
    w.varuint(record.seq, 'record.seq');
    w.i64(record.now, 'record.now');
    writeInput(w, record.input);
    const commands = record.commands;
    if (commands === undefined) {
      w.u8(0);
    } else {
      array(commands, 'record.commands');
      w.u8(1);
      w.varuint(commands.length, 'record.commands count');
      for (const c of commands) writeCommand(w, c);
    }
    return w.toBytes();
  } catch (e) {
    if (e instanceof HubUsageError) throw e;
    // A malformed value the checks above did not foresee (a getter that throws, a revoked proxy...).
    throw new HubUsageError('invalidInput', `record: not encodable (${e instanceof Error ? e.message : String(e)})`, { field: 'record' });
  } finally {
    if (w.capacity > RETAINED_WRITER_BYTES) shared = new ByteWriter(1024);
  }
}

// ---------------------------------------------------------------------------
// Decoding. As in codec.ts: every reader reads straight through; values read
// after the reader's first failure are placeholders that decodeRecord drops.

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A count of items of at least one byte each: more than the bytes left is `truncated` before any item is read. */
function readCount(r: ByteReader, what: string): number {
  const at = r.offset;
  const n = r.varuint(MAX_VARUINT, what);
  if (n > r.remaining) {
    r.fail('truncated', `${what}: ${n} item(s) cannot fit in the ${r.remaining} byte(s) left`, at);
    return 0;
  }
  return n;
}

function readNat(r: ByteReader, what: string): number {
  return r.varuint(MAX_VARUINT, what);
}

function readNullableNat(r: ByteReader, what: string): number | null {
  return r.bool(what) ? r.varuint(MAX_VARUINT, what) : null;
}

/** The reverse of {@link writeEnumOrZero}; an unknown non-zero code is `badValue`. */
function readEnumOrZero<T extends string, Z>(r: ByteReader, e: WireEnum<T>, zero: Z): T | Z {
  const at = r.offset;
  const c = r.u8(e.name);
  if (c === 0) return zero;
  const v = e.fromCode[c];
  if (v === undefined) {
    r.fail('badValue', `unknown ${e.name} code ${c}`, at);
    return zero;
  }
  return v;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function readCredential(r: ByteReader): Credential {
  const kind = readEnum(r, CREDENTIAL_KIND, 'unknownKind');
  if (kind === 'secret') return { secret: r.string(MAX_VARUINT, 'credential.secret') };
  let verifier = '';
  if (kind === 'verifier') {
    if (r.remaining < VERIFIER_BYTES) r.fail('truncated', `credential.verifier: needs ${VERIFIER_BYTES} bytes, ${r.remaining} left`, r.offset);
    for (let i = 0; i < VERIFIER_BYTES && r.error === undefined; i++) verifier += HEX[r.u8('credential.verifier')];
  }
  return { verifier };
}

function readRequest(r: ByteReader): Request | undefined {
  const kind = readEnum(r, REQUEST_KIND, 'unknownKind');
  const requestId = readNat(r, 'request.requestId');
  const clientId = readNat(r, 'request.clientId') as ClientId;
  switch (kind) {
    case 'register': {
      const profileId = readNat(r, 'request.profileId') as ProfileId;
      const contact = readContact(r, NO_LIMITS);
      const environment = readEnvironment(r, NO_LIMITS);
      return { kind, requestId, clientId, profileId, contact, environment };
    }
    case 'start': {
      const credential = readCredential(r);
      const environment = readEnvironment(r, NO_LIMITS);
      const lastReceived = readNat(r, 'request.lastReceived');
      return { kind, requestId, clientId, credential, environment, lastReceived };
    }
    case 'resume':
    case 'sync': {
      const credential = readCredential(r);
      const lastReceived = readNat(r, 'request.lastReceived');
      return { kind, requestId, clientId, credential, lastReceived };
    }
    case 'login': {
      const credential = readCredential(r);
      const environment = r.bool('request.environment presence') ? readEnvironment(r, NO_LIMITS) : null;
      const lastReceived = readNat(r, 'request.lastReceived');
      return { kind, requestId, clientId, credential, environment, lastReceived };
    }
    case 'profiles':
      return { kind, requestId, clientId };
    case undefined:
      return undefined;
  }
}

function readProfiles(r: ByteReader): ProfileSummary[] {
  const n = readCount(r, 'profiles count');
  const profiles: ProfileSummary[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    const id = readNat(r, 'profile.id') as ProfileId;
    const name = readText(r, 'profile.name');
    const mode: ManagementMode = readEnum(r, MANAGEMENT_MODE, 'badValue') ?? 'auto';
    profiles.push({ id, name, mode });
  }
  return profiles;
}

function readAnswer(r: ByteReader): Answer | undefined {
  const code = readEnum(r, ANSWER_CODE, 'unknownKind');
  const clientId = readNat(r, 'answer.clientId') as ClientId;
  switch (code) {
    case 'ok': {
      const status: ClientStatus = readEnum(r, CLIENT_STATUS, 'badValue') ?? 'enabled';
      const secret = r.bool('answer.secret presence') ? readText(r, 'answer.secret') : null;
      const lastReceived = readNat(r, 'answer.lastReceived');
      const lastSent = readNat(r, 'answer.lastSent');
      return { code, clientId, status, secret, lastReceived, lastSent };
    }
    case 'rejected': {
      const reason: RejectReason = readEnum(r, REJECT_REASON, 'badValue') ?? 'badCredentials';
      return { code, clientId, reason };
    }
    case 'invalidId':
    case 'reset':
      return { code, clientId };
    case 'invalidProfile':
    case 'profiles':
      return { code, clientId, profiles: readProfiles(r) };
    case undefined:
      return undefined;
  }
}

function readOptionalNat(r: ByteReader, what: string): number | undefined {
  return r.bool(what) ? r.varuint(MAX_VARUINT, what) : undefined;
}

function readBody(r: ByteReader, type: MessageBody['type']): MessageBody {
  switch (type) {
    case 'sync':
    case 'close':
    case 'ack':
      return { type };
    case 'null':
    case 'ok':
      return { type, replyTo: readNat(r, 'message.replyTo') };
    case 'setInfo': {
      const contact = readContact(r, NO_LIMITS);
      const clientId = readOptionalNat(r, 'setInfo.clientId');
      const profileId = readOptionalNat(r, 'setInfo.profileId');
      // Optional fields exist only when they were encoded, so decoded values deep-equal what was encoded.
      if (clientId === undefined) return profileId === undefined ? { type, contact } : { type, contact, profileId };
      return profileId === undefined ? { type, contact, clientId } : { type, contact, clientId, profileId };
    }
    case 'refused': {
      const replyTo = readNat(r, 'refused.replyTo');
      return { type, replyTo, reason: readText(r, 'refused.reason') };
    }
    case 'log': {
      const at = r.f64('log.at');
      const isError = r.bool('log.isError');
      return { type, at, isError, text: readText(r, 'log.text') };
    }
    case 'app': {
      const appType = readText(r, 'app.appType');
      const payload = r.bytes(MAX_VARUINT, 'app.payload');
      return { type, appType, payload, replyTo: readNat(r, 'app.replyTo') };
    }
  }
}

function readMessages(r: ByteReader): DialogMessage[] {
  const n = readCount(r, 'messages count');
  const messages: DialogMessage[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    const seq = readNat(r, 'message.seq');
    const ack = readNat(r, 'message.ack');
    const type = readEnum(r, MESSAGE_TYPE, 'unknownKind');
    if (type === undefined) break;
    messages.push({ seq, ack, body: readBody(r, type) });
  }
  return messages;
}

function readTarget(r: ByteReader): AppTarget {
  const kind = readEnum(r, TARGET_KIND, 'unknownKind');
  const id = readNat(r, 'appMessageSent.to');
  return kind === 'profileId' ? { profileId: id as ProfileId } : { clientId: id as ClientId };
}

function readText(r: ByteReader, what: string): string {
  return r.string(MAX_VARUINT, what);
}

function readInput(r: ByteReader): HubInput | undefined {
  const type = readEnum(r, INPUT_TYPE, 'unknownKind');
  switch (type) {
    case 'requestReceived': {
      const link = readNat(r, 'input.link') as LinkId;
      const request = readRequest(r);
      const issued = r.bool('input.issued presence') ? readCredential(r) : undefined;
      const denied = r.bool('input.denied presence') ? r.bool('input.denied') : undefined;
      if (request === undefined) return undefined;
      const input: Mutable<Extract<HubInput, { type: 'requestReceived' }>> = { type, link, request };
      if (issued !== undefined) input.issued = issued;
      if (denied !== undefined) input.denied = denied;
      return input;
    }
    case 'messagesReceived': {
      const link = readNat(r, 'input.link') as LinkId;
      return { type, link, messages: readMessages(r) };
    }
    case 'connectionClosed': {
      const link = readNat(r, 'input.link') as LinkId;
      return { type, link, cause: readText(r, 'input.cause') };
    }
    case 'commandFailed': {
      const commandId = readNat(r, 'input.commandId') as CommandId;
      const at = r.offset;
      const failed = readEnum(r, COMMAND_TYPE, 'badValue');
      let command: FailedCommand = 'reply';
      if (failed === 'reply' || failed === 'writeDialog' || failed === 'close') command = failed;
      else if (failed !== undefined) r.fail('badValue', `commandFailed.command: ${failed} is not a transport command`, at);
      const link = readNat(r, 'input.link') as LinkId;
      return { type, commandId, command, link, reason: readText(r, 'input.reason') };
    }
    case 'profileCreated': {
      const actionId: ActionId = readText(r, 'input.actionId');
      const profileId = readNat(r, 'input.profileId') as ProfileId;
      const name = readText(r, 'input.name');
      const mode = r.bool('input.mode presence') ? (readEnum(r, MANAGEMENT_MODE, 'badValue') ?? 'auto') : undefined;
      const policy = r.bool('input.policy presence') ? readEnumOrZero(r, POLICY, null) : undefined;
      const input: Mutable<Extract<HubInput, { type: 'profileCreated' }>> = { type, actionId, profileId, name };
      if (mode !== undefined) input.mode = mode;
      if (policy !== undefined) input.policy = policy;
      return input;
    }
    case 'profileRenamed': {
      const actionId = readText(r, 'input.actionId');
      const profileId = readNat(r, 'input.profileId') as ProfileId;
      return { type, actionId, profileId, name: readText(r, 'input.name') };
    }
    case 'profileRemoved': {
      const actionId = readText(r, 'input.actionId');
      return { type, actionId, profileId: readNat(r, 'input.profileId') as ProfileId };
    }
    case 'profileModeSet': {
      const actionId = readText(r, 'input.actionId');
      const profileId = readNat(r, 'input.profileId') as ProfileId;
      const mode: ManagementMode = readEnum(r, MANAGEMENT_MODE, 'badValue') ?? 'auto';
      return { type, actionId, profileId, mode };
    }
    case 'profilePolicySet': {
      const actionId = readText(r, 'input.actionId');
      const profileId = readNat(r, 'input.profileId') as ProfileId;
      return { type, actionId, profileId, policy: readEnumOrZero(r, POLICY, null) };
    }
    case 'statusSet': {
      const actionId = readText(r, 'input.actionId');
      const clientId = readNat(r, 'input.clientId') as ClientId;
      const status: ClientStatus = readEnum(r, CLIENT_STATUS, 'badValue') ?? 'enabled';
      return { type, actionId, clientId, status };
    }
    case 'clientKicked':
    case 'clientDeleted': {
      const actionId = readText(r, 'input.actionId');
      return { type, actionId, clientId: readNat(r, 'input.clientId') as ClientId };
    }
    case 'appMessageSent': {
      const actionId = readText(r, 'input.actionId');
      const to = readTarget(r);
      const appType = readText(r, 'input.appType');
      const payload = r.bytes(MAX_VARUINT, 'input.payload');
      return { type, actionId, to, appType, payload, replyTo: readNat(r, 'input.replyTo') };
    }
    case 'appMessageHandled': {
      const clientId = readNat(r, 'input.clientId') as ClientId;
      return { type, clientId, seq: readNat(r, 'input.seq') };
    }
    case 'timerFired':
      return { type };
    case undefined:
      return undefined;
  }
}

function readEvent(r: ByteReader): HubEvent | undefined {
  const type = readEnum(r, EVENT_TYPE, 'unknownKind');
  switch (type) {
    case 'clientRegistered': {
      const clientId = readNat(r, 'event.clientId') as ClientId;
      return { type, clientId, profileId: readNat(r, 'event.profileId') as ProfileId };
    }
    case 'clientOnline': {
      const clientId = readNat(r, 'event.clientId') as ClientId;
      const link = readNat(r, 'event.link') as LinkId;
      const via: RequestKind = readEnum(r, REQUEST_KIND, 'badValue') ?? 'login';
      return { type, clientId, link, via };
    }
    case 'clientOffline': {
      const clientId = readNat(r, 'event.clientId') as ClientId;
      const link = readNat(r, 'event.link') as LinkId;
      return { type, clientId, link, reason: readEnumOrZero(r, CLOSE_REASON, 'connectionLost') };
    }
    case 'takeover': {
      const profileId = readNat(r, 'event.profileId') as ProfileId;
      const conflict: Conflict = readEnum(r, CONFLICT, 'badValue') ?? 'sameClient';
      const winner = readNat(r, 'event.winner') as ClientId;
      const loser = readNat(r, 'event.loser') as ClientId;
      const reason: CloseReason = readEnum(r, CLOSE_REASON, 'badValue') ?? 'pushedOut';
      return { type, profileId, conflict, winner, loser, reason };
    }
    case 'statusChanged': {
      const clientId = readNat(r, 'event.clientId') as ClientId;
      const from: ClientStatus = readEnum(r, CLIENT_STATUS, 'badValue') ?? 'enabled';
      const to: ClientStatus = readEnum(r, CLIENT_STATUS, 'badValue') ?? 'enabled';
      const cause: StatusCause = readEnum(r, STATUS_CAUSE, 'badValue') ?? 'request';
      return { type, clientId, from, to, cause };
    }
    case 'profileChanged': {
      const profileId = readNat(r, 'event.profileId') as ProfileId;
      const change: ProfileChange = readEnum(r, PROFILE_CHANGE, 'badValue') ?? 'created';
      const mode: ManagementMode = readEnum(r, MANAGEMENT_MODE, 'badValue') ?? 'auto';
      return { type, profileId, change, mode, policy: readEnumOrZero(r, POLICY, null) };
    }
    case 'requestRejected': {
      const clientId = readNat(r, 'event.clientId') as ClientId;
      const request: RequestKind = readEnum(r, REQUEST_KIND, 'badValue') ?? 'login';
      const at = r.offset;
      const outcome = readEnum(r, ANSWER_CODE, 'badValue');
      let reason: RejectReason | Exclude<RejectionOutcome, 'rejected'> = 'invalidId';
      if (outcome === 'rejected') reason = readEnum(r, REJECT_REASON, 'badValue') ?? 'badCredentials';
      else if (outcome === 'invalidId' || outcome === 'invalidProfile' || outcome === 'reset') reason = outcome;
      else if (outcome !== undefined) r.fail('badValue', `requestRejected.reason: answer code ${outcome} is not a rejection`, at);
      return { type, clientId, request, reason };
    }
    case 'clientDeleted':
      return { type, clientId: readNat(r, 'event.clientId') as ClientId };
    case undefined:
      return undefined;
  }
}

function readDetail(r: ByteReader): LogDetail {
  const n = readCount(r, 'log.detail count');
  const entries: [string, string | number | boolean | null][] = [];
  let prev: string | undefined;
  for (let i = 0; i < n && r.error === undefined; i++) {
    const at = r.offset;
    const key = r.string(MAX_VARUINT, 'log.detail key');
    if (prev !== undefined && compareCodePoints(prev, key) >= 0) {
      r.fail('badValue', `log.detail key ${JSON.stringify(key)} is not after ${JSON.stringify(prev)} (keys must be unique and sorted by UTF-8 bytes)`, at);
    }
    prev = key;
    const kind = readEnum(r, DETAIL_KIND, 'unknownKind');
    let value: string | number | boolean | null = null;
    if (kind === 'false') value = false;
    else if (kind === 'true') value = true;
    else if (kind === 'number') value = r.f64('log.detail value');
    else if (kind === 'string') value = r.string(MAX_VARUINT, 'log.detail value');
    entries.push([key, value]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(entries);
}

function readCommand(r: ByteReader): HubCommand | undefined {
  const type = readEnum(r, COMMAND_TYPE, 'unknownKind');
  switch (type) {
    case 'commit':
      return { type };
    case 'reply': {
      const commandId = readNat(r, 'reply.commandId') as CommandId;
      const link = readNat(r, 'reply.link') as LinkId;
      const requestId = readNat(r, 'reply.requestId');
      const answer = readAnswer(r);
      return answer === undefined ? undefined : { type, commandId, link, requestId, answer };
    }
    case 'writeDialog': {
      const commandId = readNat(r, 'writeDialog.commandId') as CommandId;
      const link = readNat(r, 'writeDialog.link') as LinkId;
      const clientId = readNat(r, 'writeDialog.clientId') as ClientId;
      return { type, commandId, link, clientId, messages: readMessages(r) };
    }
    case 'close': {
      const commandId = readNat(r, 'close.commandId') as CommandId;
      const link = readNat(r, 'close.link') as LinkId;
      const clientId = readNullableNat(r, 'close.clientId') as ClientId | null;
      const reason: CloseReason = readEnum(r, CLOSE_REASON, 'badValue') ?? 'pushedOut';
      return { type, commandId, link, clientId, reason, reconnect: r.bool('close.reconnect') };
    }
    case 'deliver': {
      const clientId = readNat(r, 'deliver.clientId') as ClientId;
      const seq = readNat(r, 'deliver.seq');
      const appType = readText(r, 'deliver.appType');
      const payload = r.bytes(MAX_VARUINT, 'deliver.payload');
      return { type, clientId, seq, appType, payload, replyTo: readNat(r, 'deliver.replyTo') };
    }
    case 'notify': {
      const event = readEvent(r);
      return event === undefined ? undefined : { type, event };
    }
    case 'actionResult': {
      const actionId = readText(r, 'actionResult.actionId');
      const isOk = r.bool('actionResult.ok');
      const reason = r.bool('actionResult.reason presence') ? readText(r, 'actionResult.reason') : null;
      return { type, actionId, ok: isOk, reason, message: readText(r, 'actionResult.message') };
    }
    case 'log': {
      const level: LogLevel = readEnum(r, LOG_LEVEL, 'badValue') ?? 'info';
      const event = readText(r, 'log.event');
      const clientId = readNullableNat(r, 'log.clientId') as ClientId | null;
      return { type, level, event, clientId, detail: readDetail(r) };
    }
    case undefined:
      return undefined;
  }
}

function readCommands(r: ByteReader): HubCommand[] {
  const n = readCount(r, 'record.commands count');
  const commands: HubCommand[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    const c = readCommand(r);
    if (c !== undefined) commands.push(c);
  }
  return commands;
}

// ---------------------------------------------------------------------------
// The recovery fast path. Most of a journal is `messagesReceived` records of
// small app messages, acks and keep-alives. For those, `decodeFast` reads the
// bytes directly: plain loops instead of the reader's generic calls, short
// ASCII strings from a cache instead of the UTF-8 decoder, small payloads
// copied by a loop. It accepts a strict subset of valid records and returns
// exactly what the general path returns for them; anything else (another
// input, another body type, non-ASCII text, any defect) makes it return
// undefined, and the general path decodes the record from the start and
// reports the error, if any. trace-codec.prop.test.ts round-trips such records
// and checks that whatever is accepted from mutated ones is canonical.

/** Cursor of the fast path's varuint reader (one synchronous decode at a time, never observable). */
let fastPos = 0;

/** A canonical varuint at `fastPos`, advancing it; -1 for anything else (the general path will say why). */
function fastVaruint(b: Uint8Array, end: number): number {
  let p = fastPos;
  if (p >= end) return -1;
  let byte = b[p++]!;
  if (byte < 0x80) {
    fastPos = p;
    return byte;
  }
  let v = byte & 0x7f;
  let scale = 128;
  for (let i = 1; i < 8; i++) {
    if (p >= end) return -1;
    byte = b[p++]!;
    v += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 || v > MAX_VARUINT) return -1;
      fastPos = p;
      return v;
    }
    scale *= 128;
  }
  return -1;
}

/** Longest string the fast path's cache keeps, in bytes. */
const ASCII_CACHE_MAX = 32;
/** Slots of the direct-mapped cache of short ASCII strings (app types repeat a lot). */
const ASCII_CACHE_SLOTS = 64;
const asciiKeys: (Uint8Array | null)[] = new Array<Uint8Array | null>(ASCII_CACHE_SLOTS).fill(null);
const asciiValues: string[] = new Array<string>(ASCII_CACHE_SLOTS).fill('');

/** `b[p, p + len)` as a string when it is all ASCII and at most ASCII_CACHE_MAX bytes, else undefined. */
function fastAscii(b: Uint8Array, p: number, len: number): string | undefined {
  if (len > ASCII_CACHE_MAX) return undefined;
  let h = len;
  for (let i = 0; i < len; i++) {
    const c = b[p + i]!;
    if (c >= 0x80) return undefined;
    h = (h * 31 + c) | 0;
  }
  const slot = h & (ASCII_CACHE_SLOTS - 1);
  const key = asciiKeys[slot];
  if (key !== null && key !== undefined && key.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (key[i] !== b[p + i]) {
        same = false;
        break;
      }
    }
    if (same) return asciiValues[slot]!;
  }
  let s = '';
  const copy = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const c = b[p + i]!;
    copy[i] = c;
    s += String.fromCharCode(c);
  }
  asciiKeys[slot] = copy;
  asciiValues[slot] = s;
  return s;
}

const FAST_SYNC = MESSAGE_TYPE_WIRE_CODES.sync;
const FAST_NULL = MESSAGE_TYPE_WIRE_CODES.null;
const FAST_OK = MESSAGE_TYPE_WIRE_CODES.ok;
const FAST_CLOSE = MESSAGE_TYPE_WIRE_CODES.close;
const FAST_APP = MESSAGE_TYPE_WIRE_CODES.app;
const FAST_ACK = MESSAGE_TYPE_WIRE_CODES.ack;
const FAST_MESSAGES_RECEIVED = TRACE_INPUT_CODES.messagesReceived;
const TWO_32 = 4294967296;

/** A `messagesReceived` record without commands whose bodies are sync, null, ok, close, app (short ASCII type) or ack; else undefined. */
function decodeFast(b: Uint8Array): TraceRecord | undefined {
  const end = b.length;
  fastPos = 1;
  const seq = fastVaruint(b, end);
  let p = fastPos;
  if (seq < 0 || p + 9 > end) return undefined;
  const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  const hi = b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24);
  const now = hi * TWO_32 + lo;
  if (!Number.isSafeInteger(now) || b[p + 8] !== FAST_MESSAGES_RECEIVED) return undefined;
  fastPos = p + 9;
  const link = fastVaruint(b, end);
  const n = fastVaruint(b, end);
  if (link < 0 || n < 0 || n > end - fastPos) return undefined;
  const messages: DialogMessage[] = [];
  for (let i = 0; i < n; i++) {
    const mseq = fastVaruint(b, end);
    const ack = fastVaruint(b, end);
    p = fastPos;
    if (mseq < 0 || ack < 0 || p >= end) return undefined;
    const type = b[p]!;
    fastPos = p + 1;
    if (type === FAST_APP) {
      const typeLen = fastVaruint(b, end);
      p = fastPos;
      if (typeLen < 0 || typeLen > end - p) return undefined;
      const appType = fastAscii(b, p, typeLen);
      if (appType === undefined) return undefined;
      fastPos = p + typeLen;
      const len = fastVaruint(b, end);
      p = fastPos;
      if (len < 0 || len > end - p) return undefined;
      const payload = new Uint8Array(len);
      if (len <= 64) {
        for (let k = 0; k < len; k++) payload[k] = b[p + k]!;
      } else {
        payload.set(b.subarray(p, p + len));
      }
      fastPos = p + len;
      const replyTo = fastVaruint(b, end);
      if (replyTo < 0) return undefined;
      messages.push({ seq: mseq, ack, body: { type: 'app', appType, payload, replyTo } });
    } else if (type === FAST_ACK) {
      messages.push({ seq: mseq, ack, body: { type: 'ack' } });
    } else if (type === FAST_NULL || type === FAST_OK) {
      const replyTo = fastVaruint(b, end);
      if (replyTo < 0) return undefined;
      messages.push({ seq: mseq, ack, body: { type: type === FAST_NULL ? 'null' : 'ok', replyTo } });
    } else if (type === FAST_SYNC || type === FAST_CLOSE) {
      messages.push({ seq: mseq, ack, body: { type: type === FAST_SYNC ? 'sync' : 'close' } });
    } else {
      return undefined;
    }
  }
  // No commands, and nothing after them.
  if (fastPos !== end - 1 || b[fastPos] !== 0) return undefined;
  return { seq, now, input: { type: 'messagesReceived', link: link as LinkId, messages } };
}

/**
 * Decodes one record payload, as read back from a journal or a trace file.
 * Call it on each payload the file format delimits (after its checksum
 * passed); stop or repair on an error, never trust a partial value.
 *
 * Never throws, whatever the bytes. Checks, in order: empty input, the version
 * byte (a version this reader does not know is `badVersion`), then the record
 * field by field (each count and length against the bytes left before use),
 * and finally that no bytes remain. Returns the first problem found. Decoded
 * values are fresh objects sharing nothing with `bytes` (payloads are copies),
 * with exactly the fields that were encoded: an absent optional field stays
 * absent.
 */
export function decodeRecord(bytes: Uint8Array): Result<TraceRecord, DecodeError> {
  if (!(bytes instanceof Uint8Array)) return err({ code: 'badValue', message: 'input is not a Uint8Array', offset: 0 });
  if (bytes.length === 0) return err({ code: 'empty', message: 'empty record', offset: 0 });
  const version = bytes[0]!;
  if (version !== TRACE_RECORD_VERSION) {
    return err({ code: 'badVersion', message: `trace record version ${version} is not supported (expected ${TRACE_RECORD_VERSION})`, offset: 0 });
  }
  const fast = decodeFast(bytes);
  if (fast !== undefined) return ok(fast);
  const r = new ByteReader(bytes, 1);
  const seq = r.varuint(MAX_VARUINT, 'record.seq');
  const now = r.i64('record.now');
  const input = readInput(r);
  const commands = r.bool('record.commands presence') ? readCommands(r) : undefined;
  if (r.error !== undefined) return err(r.error);
  if (input === undefined) return err({ code: 'badValue', message: 'no input decoded', offset: 1 });
  if (r.remaining !== 0) {
    return err({ code: 'trailingBytes', message: `${r.remaining} byte(s) after the end of the record`, offset: r.offset });
  }
  return ok(commands === undefined ? { seq, now, input } : { seq, now, input, commands });
}
