/**
 * Theory of operation: the binary wire codec of protocol v1. The normative
 * layout is docs/wire-format.md; this module is its reference implementation.
 *
 * A frame is `[WIRE_VERSION][kind][body]` with no trailing bytes. Bodies are
 * fields in the order the types in requests.ts, messages.ts and model.ts
 * declare them. Enumerations travel as one-byte codes from the literal tables
 * below (code = position + 1; 0 is never a valid code).
 *
 * Two directions, two error regimes (h11's split, errors.ts):
 * - `encodeFrame` takes values from our own code; a value that has no
 *   encoding is local misuse and throws `HubUsageError('invalidInput')`.
 * - `decodeFrame` takes bytes from a peer; it never throws and returns a
 *   `Result` whose error names the first problem and its byte offset.
 *
 * The encoding is canonical: the decoder accepts exactly the byte strings the
 * encoder can produce (shortest varuints, booleans 0/1, strict UTF-8, sorted
 * unique environment keys, safe-integer times), so decode-then-encode gives
 * back the input bytes. Limits are checked before the work they bound: the
 * frame size before parsing, every count and length before reading or
 * allocating what it announces.
 *
 * The codec does not know the protocol's rules beyond what the types say
 * (which direction may send which message, whether a close reason matches
 * `reconnect`): the core judges decoded values.
 */
import { HubUsageError } from '../errors.js';
import { isU32, isU32Id, type ClientId, type ProfileId } from '../ids.js';
import type { DialogMessage, MessageBody, MessageType } from '../messages.js';
import { CLIENT_STATUSES, MANAGEMENT_MODES, type ClientStatus, type Contact, type Environment, type ManagementMode } from '../model.js';
import { err, ok, type Result } from '../result.js';
import { DEFAULT_LIMITS } from '../config.js';
import {
  CLOSE_REASONS,
  REJECT_REASONS,
  type Answer,
  type AnswerCode,
  type CloseReason,
  type Credential,
  type ProfileSummary,
  type RejectReason,
  type Request,
  type RequestKind,
} from '../requests.js';
import { ByteReader, ByteWriter, MAX_VARUINT, U32_MAX } from './bytes.js';
import { compareCodePoints, toWellFormed } from './utf8.js';

/** The version byte every v1 frame starts with. A decoder refuses any other (`badVersion`). */
export const WIRE_VERSION = 1;

/** One unit of the wire protocol: what a transport carries as one length-delimited message. */
export type Frame =
  /** Client → hub: a connection-channel request. */
  | { readonly kind: 'request'; readonly request: Request }
  /** Hub → client: the answer to the client's request `requestId`. */
  | { readonly kind: 'answer'; readonly requestId: number; readonly answer: Answer }
  /** Both ways: dialog messages of client `clientId`, in sending order. */
  | { readonly kind: 'dialog'; readonly clientId: ClientId; readonly messages: readonly DialogMessage[] }
  /** Hub → client, just before the link ends: why, and whether a client engine may reconnect by itself. */
  | { readonly kind: 'close'; readonly reason: CloseReason; readonly reconnect: boolean };

/** The kinds of {@link Frame}. */
export type FrameKind = Frame['kind'];

/**
 * What a decoder accepts. Every limit bounds memory or work a peer can cause;
 * exceeding one is `limitExceeded` (or `tooLarge` for the frame itself).
 */
export interface CodecLimits {
  /** Largest frame, in bytes, checked before anything is parsed. */
  maxFrameBytes: number;
  /** Longest string (any text field, key, value, name, secret), in UTF-8 bytes. */
  maxTextBytes: number;
  /** Most dialog messages in one frame. */
  maxMessages: number;
  /** Largest application payload, in bytes. */
  maxPayloadBytes: number;
  /** Most entries in one environment. */
  maxEnvironmentEntries: number;
  /** Most profile summaries in one answer. */
  maxProfiles: number;
}

/**
 * Limits used when `decodeFrame` is given none, matched to the core's
 * `DEFAULT_LIMITS` so the codec never refuses what the core would accept:
 * 3 UTF-8 bytes per UTF-16 unit of `maxTextLength` (12 288), `maxBatch`
 * messages (1 024), `maxPayloadBytes` (1 MiB) and `maxEnvironmentEntries`
 * (32); a frame may hold one maximal payload plus 64 KiB of envelope
 * (1 114 112 bytes); 10 000 profiles.
 */
export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_LIMITS.maxPayloadBytes + 65_536,
  maxTextBytes: 3 * DEFAULT_LIMITS.maxTextLength,
  maxMessages: DEFAULT_LIMITS.maxBatch,
  maxPayloadBytes: DEFAULT_LIMITS.maxPayloadBytes,
  maxEnvironmentEntries: DEFAULT_LIMITS.maxEnvironmentEntries,
  maxProfiles: 10_000,
});

/** Machine-readable reasons a byte string is not a valid frame (docs/wire-format.md §6). */
export type DecodeErrorCode =
  | 'empty'
  | 'tooLarge'
  | 'badVersion'
  | 'unknownKind'
  | 'truncated'
  | 'badValue'
  | 'badUtf8'
  | 'limitExceeded'
  | 'trailingBytes';

/** Why `decodeFrame` refused its input: a code, a message for people, and the byte offset of the offending field. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly message: string;
  readonly offset: number;
}

// ---------------------------------------------------------------------------
// Enumeration tables (docs/wire-format.md §4). Codes are part of the wire
// format: never renumber, only append.

/** Wire code of each frame kind (byte 1 of every frame). */
export const FRAME_KIND_WIRE_CODES: Readonly<Record<FrameKind, number>> = Object.freeze({
  request: 1,
  answer: 2,
  dialog: 3,
  close: 4,
});

/** Wire code of each request kind, in the order of the `Request` union. */
export const REQUEST_KIND_WIRE_CODES: Readonly<Record<RequestKind, number>> = Object.freeze({
  register: 1,
  start: 2,
  resume: 3,
  sync: 4,
  login: 5,
  profiles: 6,
});

/** Wire code of each answer code, in the order of the `Answer` union. */
export const ANSWER_WIRE_CODES: Readonly<Record<AnswerCode, number>> = Object.freeze({
  ok: 1,
  rejected: 2,
  invalidId: 3,
  invalidProfile: 4,
  reset: 5,
  profiles: 6,
});

/** Wire code of each dialog message body type, in the order of the `MessageBody` union. */
export const MESSAGE_TYPE_WIRE_CODES: Readonly<Record<MessageType, number>> = Object.freeze({
  sync: 1,
  null: 2,
  setInfo: 3,
  ok: 4,
  refused: 5,
  log: 6,
  close: 7,
  app: 8,
  ack: 9,
});

function codesInOrder<T extends string>(values: readonly T[]): Readonly<Record<T, number>> {
  const codes = {} as Record<T, number>;
  values.forEach((v, i) => {
    codes[v] = i + 1;
  });
  return Object.freeze(codes);
}

/** Wire code of each reject reason: position in `REJECT_REASONS` + 1. */
export const REJECT_REASON_WIRE_CODES: Readonly<Record<RejectReason, number>> = codesInOrder(REJECT_REASONS);
/** Wire code of each close reason: position in `CLOSE_REASONS` + 1. */
export const CLOSE_REASON_WIRE_CODES: Readonly<Record<CloseReason, number>> = codesInOrder(CLOSE_REASONS);
/** Wire code of each client status: position in `CLIENT_STATUSES` + 1. */
export const CLIENT_STATUS_WIRE_CODES: Readonly<Record<ClientStatus, number>> = codesInOrder(CLIENT_STATUSES);
/** Wire code of each management mode: position in `MANAGEMENT_MODES` + 1. */
export const MANAGEMENT_MODE_WIRE_CODES: Readonly<Record<ManagementMode, number>> = codesInOrder(MANAGEMENT_MODES);

/** One enumeration's two lookup directions. A Map, not the record, so a name like "toString" is unknown. */
export interface WireEnum<T extends string> {
  readonly name: string;
  readonly toCode: ReadonlyMap<string, number>;
  readonly fromCode: readonly (T | undefined)[];
}

export function wireEnum<T extends string>(name: string, codes: Readonly<Record<T, number>>): WireEnum<T> {
  const toCode = new Map<string, number>();
  const fromCode: (T | undefined)[] = [undefined];
  for (const key of Object.keys(codes) as T[]) {
    const code = codes[key];
    toCode.set(key, code);
    while (fromCode.length <= code) fromCode.push(undefined);
    fromCode[code] = key;
  }
  return { name, toCode, fromCode };
}

// The lookups and the writeX/readX helpers marked `export` below are shared with
// the trace codec (trace-codec.ts); index.ts does not re-export them.
const FRAME_KIND = wireEnum('frame kind', FRAME_KIND_WIRE_CODES);
export const REQUEST_KIND = wireEnum('request kind', REQUEST_KIND_WIRE_CODES);
export const ANSWER_CODE = wireEnum('answer code', ANSWER_WIRE_CODES);
export const MESSAGE_TYPE = wireEnum('message type', MESSAGE_TYPE_WIRE_CODES);
export const REJECT_REASON = wireEnum('reject reason', REJECT_REASON_WIRE_CODES);
export const CLOSE_REASON = wireEnum('close reason', CLOSE_REASON_WIRE_CODES);
export const CLIENT_STATUS = wireEnum('client status', CLIENT_STATUS_WIRE_CODES);
export const MANAGEMENT_MODE = wireEnum('management mode', MANAGEMENT_MODE_WIRE_CODES);

// ---------------------------------------------------------------------------
// Encoding

export function invalidInput(field: string, message: string): HubUsageError {
  return new HubUsageError('invalidInput', `${field}: ${message}`, { field });
}

export function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function enumCode<T extends string>(e: WireEnum<T>, value: T, field: string): number {
  const code = e.toCode.get(value);
  if (code === undefined) throw invalidInput(field, `unknown ${e.name} ${describe(value)}`);
  return code;
}

function writeId(w: ByteWriter, v: number, field: string): void {
  if (!isU32Id(v)) throw invalidInput(field, `must be an integer in [1, 2^32), got ${describe(v)}`);
  w.u32(v, field);
}

/**
 * A client id that may be 0: only in a `register` request (a client whose id
 * generator drew 0) and in the `invalidId` answer to it, so the hub can tell
 * that client to draw another id (seed bug B25).
 */
function writeIdOrZero(w: ByteWriter, v: number, field: string): void {
  if (!isU32(v)) throw invalidInput(field, `must be an integer in [0, 2^32), got ${describe(v)}`);
  w.u32(v, field);
}

function writeVarU32(w: ByteWriter, v: number, field: string): void {
  w.varuint(v, field, U32_MAX);
}

export function writeContact(w: ByteWriter, c: Contact, field: string): void {
  if (typeof c !== 'object' || c === null) throw invalidInput(field, `must be a Contact, got ${describe(c)}`);
  w.string(c.name, `${field}.name`);
  w.string(c.phone, `${field}.phone`);
  w.string(c.email, `${field}.email`);
}

function writeCredential(w: ByteWriter, c: Credential, field: string): void {
  if (typeof c !== 'object' || c === null || !('secret' in c) || typeof c.secret !== 'string') {
    throw invalidInput(field, 'only a { secret } credential may travel on the wire (a { verifier } never leaves the hub)');
  }
  w.string(c.secret, `${field}.secret`);
}

export function writeEnvironment(w: ByteWriter, env: Environment, field: string): void {
  if (typeof env !== 'object' || env === null) throw invalidInput(field, `must be an Environment, got ${describe(env)}`);
  const keys = Object.keys(env);
  if (inWireOrder(keys)) {
    // The usual case (an environment that was decoded, or built in order): nothing to sort, and
    // the field names of the error messages are built only when a value is bad.
    w.varuint(keys.length, field);
    for (const key of keys) {
      w.string(key, field);
      const value = env[key]!;
      // A non-string value is refused by `string`, under the name of its key.
      w.string(value, typeof value === 'string' ? field : `${field}[${JSON.stringify(key)}]`);
    }
    return;
  }
  // Sort by the bytes the receiver will see: lone surrogates become U+FFFD first.
  const entries = keys.map((key) => [toWellFormed(key), key] as const);
  entries.sort((a, b) => compareCodePoints(a[0], b[0]));
  w.varuint(entries.length, `${field} count`);
  let prev: string | undefined;
  for (const [wire, key] of entries) {
    if (prev === wire) throw invalidInput(field, `two keys encode to the same UTF-8 key ${JSON.stringify(wire)}`);
    prev = wire;
    w.string(wire, `${field} key`);
    w.string(env[key]!, `${field}[${JSON.stringify(key)}]`);
  }
}

/** True when `keys` are well-formed and strictly ascending by code point: already the wire's order. */
function inWireOrder(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (toWellFormed(key) !== key) return false;
    if (i > 0 && compareCodePoints(keys[i - 1]!, key) >= 0) return false;
  }
  return true;
}

function writeProfiles(w: ByteWriter, profiles: readonly ProfileSummary[], field: string): void {
  if (!Array.isArray(profiles)) throw invalidInput(field, 'must be an array');
  w.varuint(profiles.length, `${field} count`);
  for (const p of profiles) {
    writeId(w, p.id, `${field}.id`);
    w.string(p.name, `${field}.name`);
    w.u8(enumCode(MANAGEMENT_MODE, p.mode, `${field}.mode`));
  }
}

function writeRequest(w: ByteWriter, r: Request): void {
  w.u8(enumCode(REQUEST_KIND, r.kind, 'request.kind'));
  writeVarU32(w, r.requestId, 'request.requestId');
  if (r.kind === 'register') writeIdOrZero(w, r.clientId, 'request.clientId');
  else writeId(w, r.clientId, 'request.clientId');
  switch (r.kind) {
    case 'register':
      writeId(w, r.profileId, 'request.profileId');
      writeContact(w, r.contact, 'request.contact');
      writeEnvironment(w, r.environment, 'request.environment');
      return;
    case 'start':
      writeCredential(w, r.credential, 'request.credential');
      writeEnvironment(w, r.environment, 'request.environment');
      writeVarU32(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'resume':
    case 'sync':
      writeCredential(w, r.credential, 'request.credential');
      writeVarU32(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'login':
      writeCredential(w, r.credential, 'request.credential');
      if (r.environment === null) {
        w.u8(0);
      } else {
        w.u8(1);
        writeEnvironment(w, r.environment, 'request.environment');
      }
      writeVarU32(w, r.lastReceived, 'request.lastReceived');
      return;
    case 'profiles':
      return;
    default:
      return unreachable(r, 'request.kind');
  }
}

function writeAnswer(w: ByteWriter, requestId: number, a: Answer): void {
  writeVarU32(w, requestId, 'answer.requestId');
  w.u8(enumCode(ANSWER_CODE, a.code, 'answer.code'));
  if (a.code === 'invalidId') writeIdOrZero(w, a.clientId, 'answer.clientId');
  else writeId(w, a.clientId, 'answer.clientId');
  switch (a.code) {
    case 'ok':
      w.u8(enumCode(CLIENT_STATUS, a.status, 'answer.status'));
      if (a.secret === null) {
        w.u8(0);
      } else {
        w.u8(1);
        w.string(a.secret, 'answer.secret');
      }
      writeVarU32(w, a.lastReceived, 'answer.lastReceived');
      writeVarU32(w, a.lastSent, 'answer.lastSent');
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

function writeOptionalU32(w: ByteWriter, v: number | undefined, field: string): void {
  if (v === undefined) {
    w.u8(0);
  } else {
    w.u8(1);
    w.u32(v, field);
  }
}

function writeMessage(w: ByteWriter, m: DialogMessage): void {
  const body = m.body;
  const type = enumCode(MESSAGE_TYPE, body.type, 'message.body.type');
  if ((m.seq === 0) !== (body.type === 'ack')) {
    throw invalidInput('message.seq', `seq 0 is exactly the bare ack (got seq ${describe(m.seq)} with body ${describe(body.type)})`);
  }
  writeVarU32(w, m.seq, 'message.seq');
  writeVarU32(w, m.ack, 'message.ack');
  w.u8(type);
  switch (body.type) {
    case 'sync':
    case 'close':
    case 'ack':
      return;
    case 'null':
    case 'ok':
      writeVarU32(w, body.replyTo, 'message.body.replyTo');
      return;
    case 'setInfo':
      writeContact(w, body.contact, 'message.body.contact');
      writeOptionalU32(w, body.clientId, 'message.body.clientId');
      writeOptionalU32(w, body.profileId, 'message.body.profileId');
      return;
    case 'refused':
      writeVarU32(w, body.replyTo, 'message.body.replyTo');
      w.string(body.reason, 'message.body.reason');
      return;
    case 'log':
      w.i64(body.at, 'message.body.at');
      w.bool(body.isError, 'message.body.isError');
      w.string(body.text, 'message.body.text');
      return;
    case 'app':
      w.string(body.appType, 'message.body.appType');
      w.bytes(body.payload, 'message.body.payload');
      writeVarU32(w, body.replyTo, 'message.body.replyTo');
      return;
    default:
      return unreachable(body, 'message.body.type');
  }
}

/** Exhaustiveness check: enumCode has already refused unknown discriminants, so this only guards a table/switch mismatch. */
function unreachable(_: never, field: string): never {
  throw invalidInput(field, 'has no wire layout');
}

/** Writers above this size are not kept between calls, so one huge frame does not pin its buffer. */
const RETAINED_WRITER_BYTES = 64 * 1024;
/** One writer reused by every `encodeFrame` call: encoding is synchronous and never re-entered. */
let shared = new ByteWriter(1024);

/**
 * Encodes one frame into a fresh byte array laid out as docs/wire-format.md
 * says. Call it when a transport is about to send a frame; the bytes are the
 * caller's to keep.
 *
 * Limits are the receiver's business and are not checked here; a sender
 * should split batches so that frames stay within the peer's `CodecLimits`.
 *
 * @throws HubUsageError `invalidInput` for a value that has no encoding: an
 * id outside [1, 2^32), a sequence number or request id outside [0, 2^32), a
 * `{ verifier }` credential (only `{ secret }` travels), an unknown
 * enumeration string, a non-safe-integer `log.at`, a bare-ack rule violation,
 * or environment keys that collide once lone surrogates become U+FFFD.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const w = shared;
  w.reset();
  try {
    w.u8(WIRE_VERSION);
    w.u8(enumCode(FRAME_KIND, frame.kind, 'frame.kind'));
    switch (frame.kind) {
      case 'request':
        writeRequest(w, frame.request);
        break;
      case 'answer':
        writeAnswer(w, frame.requestId, frame.answer);
        break;
      case 'dialog': {
        writeId(w, frame.clientId, 'frame.clientId');
        const messages = frame.messages;
        if (!Array.isArray(messages)) throw invalidInput('frame.messages', 'must be an array');
        w.varuint(messages.length, 'frame.messages count');
        for (const m of messages) writeMessage(w, m);
        break;
      }
      case 'close':
        w.u8(enumCode(CLOSE_REASON, frame.reason, 'frame.reason'));
        w.bool(frame.reconnect, 'frame.reconnect');
        break;
      default:
        return unreachable(frame, 'frame.kind');
    }
    return w.toBytes();
  } finally {
    if (w.capacity > RETAINED_WRITER_BYTES) shared = new ByteWriter(1024);
  }
}

// ---------------------------------------------------------------------------
// Decoding. Every reader below reads straight through; the ByteReader's
// sticky error makes values read after a failure harmless, and decodeFrame
// discards them. Loops stop at the first error so hostile counts cost nothing.
// A `?? <value>` after an enum read is such a placeholder: it is only used when
// the read has already failed, and only keeps the object well typed.

export function readEnum<T extends string>(r: ByteReader, e: WireEnum<T>, code: 'badValue' | 'unknownKind'): T | undefined {
  const at = r.offset;
  const c = r.u8(e.name);
  const v = e.fromCode[c];
  if (v === undefined) r.fail(code, `unknown ${e.name} code ${c}`, at);
  return v;
}

function readId(r: ByteReader, what: string): number {
  const at = r.offset;
  const v = r.u32(what);
  if (v === 0 && r.error === undefined) r.fail('badValue', `${what}: id 0 is not a valid id`, at);
  return v;
}

function readCount(r: ByteReader, max: number, what: string): number {
  const at = r.offset;
  const n = r.varuint(MAX_VARUINT, what);
  if (n > max) {
    r.fail('limitExceeded', `${what}: ${n} exceeds the limit ${max}`, at);
    return 0;
  }
  return n;
}

function readPresence(r: ByteReader, what: string): boolean {
  return r.bool(`${what} presence`);
}

export function readContact(r: ByteReader, l: CodecLimits): Contact {
  const name = r.string(l.maxTextBytes, 'contact.name');
  const phone = r.string(l.maxTextBytes, 'contact.phone');
  const email = r.string(l.maxTextBytes, 'contact.email');
  return { name, phone, email };
}

function readCredential(r: ByteReader, l: CodecLimits): Credential {
  return { secret: r.string(l.maxTextBytes, 'credential.secret') };
}

export function readEnvironment(r: ByteReader, l: CodecLimits): Environment {
  const n = readCount(r, l.maxEnvironmentEntries, 'environment count');
  const env: Record<string, string> = {};
  let prev: string | undefined;
  for (let i = 0; i < n && r.error === undefined; i++) {
    const at = r.offset;
    const key = r.string(l.maxTextBytes, 'environment key');
    if (prev !== undefined && compareCodePoints(prev, key) >= 0) {
      r.fail('badValue', `environment key ${JSON.stringify(key)} is not after ${JSON.stringify(prev)} (keys must be unique and sorted by UTF-8 bytes)`, at);
    }
    const value = r.string(l.maxTextBytes, 'environment value');
    // "__proto__" is the one key that assignment would not make an own property (it would set the
    // prototype): it is defined instead, so it stays an ordinary key, as Object.fromEntries would.
    if (key === '__proto__') Object.defineProperty(env, key, { value, enumerable: true, writable: true, configurable: true });
    else env[key] = value;
    prev = key;
  }
  return env;
}

function readProfiles(r: ByteReader, l: CodecLimits): ProfileSummary[] {
  const n = readCount(r, l.maxProfiles, 'profiles count');
  const profiles: ProfileSummary[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    const id = readId(r, 'profile.id') as ProfileId;
    const name = r.string(l.maxTextBytes, 'profile.name');
    const mode = readEnum(r, MANAGEMENT_MODE, 'badValue') ?? 'auto';
    profiles.push({ id, name, mode });
  }
  return profiles;
}

function readRequest(r: ByteReader, l: CodecLimits): Request | undefined {
  const kind = readEnum(r, REQUEST_KIND, 'unknownKind');
  const requestId = r.varuint(U32_MAX, 'request.requestId');
  // A registration may name id 0: the hub answers invalidId and the client draws again (B25).
  const clientId = (kind === 'register' ? r.u32('request.clientId') : readId(r, 'request.clientId')) as ClientId;
  switch (kind) {
    case 'register': {
      const profileId = readId(r, 'request.profileId') as ProfileId;
      const contact = readContact(r, l);
      const environment = readEnvironment(r, l);
      return { kind, requestId, clientId, profileId, contact, environment };
    }
    case 'start': {
      const credential = readCredential(r, l);
      const environment = readEnvironment(r, l);
      const lastReceived = r.varuint(U32_MAX, 'request.lastReceived');
      return { kind, requestId, clientId, credential, environment, lastReceived };
    }
    case 'resume':
    case 'sync': {
      const credential = readCredential(r, l);
      const lastReceived = r.varuint(U32_MAX, 'request.lastReceived');
      return { kind, requestId, clientId, credential, lastReceived };
    }
    case 'login': {
      const credential = readCredential(r, l);
      const environment = readPresence(r, 'request.environment') ? readEnvironment(r, l) : null;
      const lastReceived = r.varuint(U32_MAX, 'request.lastReceived');
      return { kind, requestId, clientId, credential, environment, lastReceived };
    }
    case 'profiles':
      return { kind, requestId, clientId };
    case undefined:
      return undefined;
  }
}

function readAnswer(r: ByteReader, l: CodecLimits): Answer | undefined {
  const code = readEnum(r, ANSWER_CODE, 'unknownKind');
  const clientId = (code === 'invalidId' ? r.u32('answer.clientId') : readId(r, 'answer.clientId')) as ClientId;
  switch (code) {
    case 'ok': {
      const status = readEnum(r, CLIENT_STATUS, 'badValue') ?? 'enabled';
      const secret = readPresence(r, 'answer.secret') ? r.string(l.maxTextBytes, 'answer.secret') : null;
      const lastReceived = r.varuint(U32_MAX, 'answer.lastReceived');
      const lastSent = r.varuint(U32_MAX, 'answer.lastSent');
      return { code, clientId, status, secret, lastReceived, lastSent };
    }
    case 'rejected': {
      const reason = readEnum(r, REJECT_REASON, 'badValue') ?? 'badCredentials';
      return { code, clientId, reason };
    }
    case 'invalidId':
    case 'reset':
      return { code, clientId };
    case 'invalidProfile':
    case 'profiles':
      return { code, clientId, profiles: readProfiles(r, l) };
    case undefined:
      return undefined;
  }
}

function readOptionalU32(r: ByteReader, what: string): number | undefined {
  return readPresence(r, what) ? r.u32(what) : undefined;
}

function readBody(r: ByteReader, l: CodecLimits, type: MessageType): MessageBody {
  switch (type) {
    case 'sync':
    case 'close':
    case 'ack':
      return { type };
    case 'null':
    case 'ok':
      return { type, replyTo: r.varuint(U32_MAX, `${type}.replyTo`) };
    case 'setInfo': {
      const contact = readContact(r, l);
      const clientId = readOptionalU32(r, 'setInfo.clientId');
      const profileId = readOptionalU32(r, 'setInfo.profileId');
      // Optional fields exist only when they were sent, so decoded values deep-equal what was encoded.
      if (clientId === undefined) return profileId === undefined ? { type, contact } : { type, contact, profileId };
      return profileId === undefined ? { type, contact, clientId } : { type, contact, clientId, profileId };
    }
    case 'refused': {
      const replyTo = r.varuint(U32_MAX, 'refused.replyTo');
      const reason = r.string(l.maxTextBytes, 'refused.reason');
      return { type, replyTo, reason };
    }
    case 'log': {
      const at = r.i64('log.at');
      const isError = r.bool('log.isError');
      const text = r.string(l.maxTextBytes, 'log.text');
      return { type, at, isError, text };
    }
    case 'app': {
      const appType = r.string(l.maxTextBytes, 'app.appType');
      const payload = r.bytes(l.maxPayloadBytes, 'app.payload');
      const replyTo = r.varuint(U32_MAX, 'app.replyTo');
      return { type, appType, payload, replyTo };
    }
  }
}

function readMessages(r: ByteReader, l: CodecLimits): DialogMessage[] {
  const n = readCount(r, l.maxMessages, 'messages count');
  const messages: DialogMessage[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    const at = r.offset;
    const seq = r.varuint(U32_MAX, 'message.seq');
    const ack = r.varuint(U32_MAX, 'message.ack');
    const type = readEnum(r, MESSAGE_TYPE, 'unknownKind');
    if (type === undefined) break;
    if (seq === 0 && type !== 'ack') r.fail('badValue', `message with seq 0 must be a bare ack, got ${type}`, at);
    else if (seq !== 0 && type === 'ack') r.fail('badValue', `a bare ack must have seq 0, got ${seq}`, at);
    messages.push({ seq, ack, body: readBody(r, l, type) });
  }
  return messages;
}

function resolveLimits(p: Partial<CodecLimits>): CodecLimits {
  const d = DEFAULT_CODEC_LIMITS;
  return {
    maxFrameBytes: p.maxFrameBytes ?? d.maxFrameBytes,
    maxTextBytes: p.maxTextBytes ?? d.maxTextBytes,
    maxMessages: p.maxMessages ?? d.maxMessages,
    maxPayloadBytes: p.maxPayloadBytes ?? d.maxPayloadBytes,
    maxEnvironmentEntries: p.maxEnvironmentEntries ?? d.maxEnvironmentEntries,
    maxProfiles: p.maxProfiles ?? d.maxProfiles,
  };
}

/**
 * Decodes one frame from bytes a peer sent. Call it on each frame a
 * transport delimits; hand an `ok` frame to the core and answer an error
 * (log it, close the link) without trusting anything in the input.
 *
 * Never throws, whatever the bytes. Checks, in order: empty input, the
 * frame size against `maxFrameBytes`, the version byte, then the body
 * field by field (each count and length against its limit before use),
 * and finally that no bytes remain. Returns the first problem found.
 * Decoded values are fresh objects sharing nothing with `bytes` (payloads
 * are copies), with exactly the fields of their types.
 *
 * @param limits overrides of {@link DEFAULT_CODEC_LIMITS}, field by field.
 */
export function decodeFrame(bytes: Uint8Array, limits?: Partial<CodecLimits>): Result<Frame, DecodeError> {
  const l = limits === undefined ? DEFAULT_CODEC_LIMITS : resolveLimits(limits);
  if (!(bytes instanceof Uint8Array)) return err({ code: 'badValue', message: 'input is not a Uint8Array', offset: 0 });
  const size = bytes.length;
  if (size === 0) return err({ code: 'empty', message: 'empty frame', offset: 0 });
  if (size > l.maxFrameBytes) {
    return err({ code: 'tooLarge', message: `frame of ${size} bytes exceeds the limit ${l.maxFrameBytes}`, offset: l.maxFrameBytes });
  }
  const version = bytes[0]!;
  if (version !== WIRE_VERSION) {
    return err({ code: 'badVersion', message: `wire version ${version} is not supported (expected ${WIRE_VERSION})`, offset: 0 });
  }
  const r = new ByteReader(bytes, 1);
  const kind = readEnum(r, FRAME_KIND, 'unknownKind');
  let frame: Frame | undefined;
  switch (kind) {
    case 'request': {
      const request = readRequest(r, l);
      if (request !== undefined) frame = { kind, request };
      break;
    }
    case 'answer': {
      const requestId = r.varuint(U32_MAX, 'answer.requestId');
      const answer = readAnswer(r, l);
      if (answer !== undefined) frame = { kind, requestId, answer };
      break;
    }
    case 'dialog': {
      const clientId = readId(r, 'dialog.clientId') as ClientId;
      frame = { kind, clientId, messages: readMessages(r, l) };
      break;
    }
    case 'close': {
      const reason = readEnum(r, CLOSE_REASON, 'badValue');
      const reconnect = r.bool('close.reconnect');
      if (reason !== undefined) frame = { kind, reason, reconnect };
      break;
    }
    case undefined:
      break;
  }
  if (r.error !== undefined) return err(r.error);
  if (frame === undefined) return err({ code: 'badValue', message: 'no frame decoded', offset: 1 });
  if (r.remaining !== 0) {
    return err({ code: 'trailingBytes', message: `${r.remaining} byte(s) after the end of the frame`, offset: r.offset });
  }
  return ok(frame);
}
