/**
 * Theory of operation: the five structures of hub-protocol.md §4 (Message,
 * ClientDialog, ClientInfo, ClientEnvironment, ProfileInfo), each as a reader
 * and a writer over the primitive layer, in the table's field order, with the
 * table's validation on read:
 *
 * | structure | refused on read (`corrupt`) |
 * |---|---|
 * | Message | ID 0; code 0 or undefined; DataLength < 0; ticks outside DateTime |
 * | ClientDialog | ClientID 0; status 0 or undefined; Count < 0 |
 * | ClientInfo | ClientID 0; ProfileID 0 |
 * | ClientEnvironment | architecture undefined |
 * | ProfileInfo | ID 0; name blank; privilege undefined |
 *
 * Writers refuse the same values (and anything beyond the limits) with a
 * `TypeError`/`RangeError`, so what they write always reads back.
 *
 * The standalone `encodeLegacy*`/`decodeLegacy*` functions encode one
 * structure on its own (no signature), as it appears inside a payload or a
 * file; the file functions (files.ts) are what an adapter normally calls.
 */
import { LegacyWriter, decodeAll, enumCode, enumNames, expectArray, expectObject, rangeError, type LegacyReader } from './bytes.js';
import { resolveLegacyLimits, type LegacyLimits, type LegacyResult } from './errors.js';
import {
  LEGACY_ARCHITECTURES,
  LEGACY_CLIENT_STATUSES,
  LEGACY_MESSAGE_CODES,
  LEGACY_PRIVILEGES,
  type LegacyClientDialog,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyMessage,
  type LegacyProfileInfo,
} from './types.js';

const MESSAGE_CODE_NAMES = enumNames(LEGACY_MESSAGE_CODES);
const STATUS_NAMES = enumNames(LEGACY_CLIENT_STATUSES);
const ARCHITECTURE_NAMES = enumNames(LEGACY_ARCHITECTURES);
const PRIVILEGE_NAMES = enumNames(LEGACY_PRIVILEGES);

/**
 * .NET `string.IsNullOrWhiteSpace`: empty, or only characters for which
 * `Char.IsWhiteSpace` is true (the Unicode White_Space property; JS `\s`
 * differs: it includes U+FEFF and leaves out U+0085).
 */
export function isNullOrWhiteSpace(s: string): boolean {
  return /^[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/.test(s);
}

function readEnum<T>(r: LegacyReader, names: ReadonlyMap<number, T>, field: string, what: string): T {
  const at = r.offset;
  const b = r.u8(field);
  const name = names.get(b);
  if (name === undefined) return r.fail('corrupt', `${field}: ${b} is not a defined ${what}`, at, field);
  return name;
}

// ---------------------------------------------------------------------------
// Message: ID u32 · ReqID u32 · code byte · Timestamp i64 ticks · DataLength i32 · Data

/** Reads one Message; `field` names it in errors (`messages[2]`). */
export function readMessage(r: LegacyReader, field: string): LegacyMessage {
  const idAt = r.offset;
  const id = r.u32(`${field}.id`);
  const reqId = r.u32(`${field}.reqId`);
  const codeAt = r.offset;
  const codeByte = r.u8(`${field}.code`);
  // The original checks ID and code together, after reading both (Message.Read).
  if (id === 0) r.fail('corrupt', `${field}.id: must not be 0`, idAt, `${field}.id`);
  const code = MESSAGE_CODE_NAMES.get(codeByte);
  if (code === undefined) r.fail('corrupt', `${field}.code: ${codeByte} is not a defined message code`, codeAt, `${field}.code`);
  const timestamp = r.ticks(`${field}.timestamp`);
  const lengthAt = r.offset;
  const length = r.i32(`${field}.data.length`);
  if (length < 0) r.fail('corrupt', `${field}.data.length: negative length ${length}`, lengthAt, `${field}.data.length`);
  if (length > r.limits.maxDataLength) {
    r.fail('oversize', `${field}.data.length: ${length} exceeds maxDataLength ${r.limits.maxDataLength}`, lengthAt, `${field}.data.length`);
  }
  const data = r.raw(length, `${field}.data`);
  return { id, reqId, code, timestamp, data };
}

/** Writes one Message, validating every field. */
export function writeMessage(w: LegacyWriter, m: unknown, field: string): void {
  const o = expectObject(m, field);
  w.id(o['id'], `${field}.id`);
  w.u32(o['reqId'], `${field}.reqId`);
  w.u8(enumCode(LEGACY_MESSAGE_CODES, o['code'], `${field}.code`), `${field}.code`);
  w.ticks(o['timestamp'], `${field}.timestamp`);
  w.data(o['data'], `${field}.data`);
}

/** Reads an int32 count and that many messages. */
export function readMessages(r: LegacyReader, field: string): LegacyMessage[] {
  const n = r.count(`${field}.count`, r.limits.maxCount);
  const out: LegacyMessage[] = [];
  for (let i = 0; i < n; i++) out.push(readMessage(r, `${field}[${i}]`));
  return out;
}

/** Writes an int32 count and the messages. */
export function writeMessages(w: LegacyWriter, messages: unknown, field: string): void {
  const list = expectArray(messages, field);
  w.count(list.length, w.limits.maxCount, `${field}.count`);
  list.forEach((m, i) => writeMessage(w, m, `${field}[${i}]`));
}

// ---------------------------------------------------------------------------
// ClientDialog: ClientID u32 · Status byte · Count i32 · Count × Message

/** Reads a ClientDialog (the body of `<ID>.gov`). */
export function readClientDialog(r: LegacyReader, field: string): LegacyClientDialog {
  const idAt = r.offset;
  const clientId = r.u32(`${field}.clientId`);
  const statusAt = r.offset;
  const statusByte = r.u8(`${field}.status`);
  if (clientId === 0) r.fail('corrupt', `${field}.clientId: must not be 0`, idAt, `${field}.clientId`);
  const status = STATUS_NAMES.get(statusByte);
  if (status === undefined) r.fail('corrupt', `${field}.status: ${statusByte} is not a defined client status`, statusAt, `${field}.status`);
  const messages = readMessages(r, `${field}.messages`);
  return { clientId, status, messages };
}

/** Writes a ClientDialog, validating every field. */
export function writeClientDialog(w: LegacyWriter, d: unknown, field: string): void {
  const o = expectObject(d, field);
  w.id(o['clientId'], `${field}.clientId`);
  w.u8(enumCode(LEGACY_CLIENT_STATUSES, o['status'], `${field}.status`), `${field}.status`);
  writeMessages(w, o['messages'], `${field}.messages`);
}

// ---------------------------------------------------------------------------
// ClientInfo: ClientID u32 · ProfileID u32 · ContactName · ContactPhone · ContaclEMail

/** Reads a ClientInfo. */
export function readClientInfo(r: LegacyReader, field: string): LegacyClientInfo {
  const clientId = r.id(`${field}.clientId`);
  const profileId = r.id(`${field}.profileId`);
  const contactName = r.string(`${field}.contactName`);
  const contactPhone = r.string(`${field}.contactPhone`);
  const contactEmail = r.string(`${field}.contactEmail`);
  return { clientId, profileId, contactName, contactPhone, contactEmail };
}

/** Writes a ClientInfo, validating every field. */
export function writeClientInfo(w: LegacyWriter, info: unknown, field: string): void {
  const o = expectObject(info, field);
  w.id(o['clientId'], `${field}.clientId`);
  w.id(o['profileId'], `${field}.profileId`);
  w.string(o['contactName'], `${field}.contactName`);
  w.string(o['contactPhone'], `${field}.contactPhone`);
  w.string(o['contactEmail'], `${field}.contactEmail`);
}

// ---------------------------------------------------------------------------
// ClientEnvironment: HubArchitecture byte · Is64BitOperatingSystem bool · UserName · MachineName · OSVersion · HubVersion

/** Reads a ClientEnvironment. */
export function readClientEnvironment(r: LegacyReader, field: string): LegacyClientEnvironment {
  const architecture = readEnum(r, ARCHITECTURE_NAMES, `${field}.architecture`, 'architecture');
  const is64BitOperatingSystem = r.bool(`${field}.is64BitOperatingSystem`);
  const userName = r.string(`${field}.userName`);
  const machineName = r.string(`${field}.machineName`);
  const osVersion = r.string(`${field}.osVersion`);
  const hubVersion = r.string(`${field}.hubVersion`);
  return { architecture, is64BitOperatingSystem, userName, machineName, osVersion, hubVersion };
}

/** Writes a ClientEnvironment, validating every field. */
export function writeClientEnvironment(w: LegacyWriter, env: unknown, field: string): void {
  const o = expectObject(env, field);
  w.u8(enumCode(LEGACY_ARCHITECTURES, o['architecture'], `${field}.architecture`), `${field}.architecture`);
  w.bool(o['is64BitOperatingSystem'], `${field}.is64BitOperatingSystem`);
  w.string(o['userName'], `${field}.userName`);
  w.string(o['machineName'], `${field}.machineName`);
  w.string(o['osVersion'], `${field}.osVersion`);
  w.string(o['hubVersion'], `${field}.hubVersion`);
}

// ---------------------------------------------------------------------------
// ProfileInfo: ProfileID u32 · ProfileName · Privilege byte

/** Reads a ProfileInfo. */
export function readProfileInfo(r: LegacyReader, field: string): LegacyProfileInfo {
  const idAt = r.offset;
  const profileId = r.u32(`${field}.profileId`);
  const nameAt = r.offset;
  const name = r.string(`${field}.name`);
  const privAt = r.offset;
  const privByte = r.u8(`${field}.privilege`);
  // Checked together after the three reads, as ProfileInfo.Read does.
  if (profileId === 0) r.fail('corrupt', `${field}.profileId: must not be 0`, idAt, `${field}.profileId`);
  if (isNullOrWhiteSpace(name)) r.fail('corrupt', `${field}.name: must not be blank`, nameAt, `${field}.name`);
  const privilege = PRIVILEGE_NAMES.get(privByte);
  if (privilege === undefined) r.fail('corrupt', `${field}.privilege: ${privByte} is not a defined privilege`, privAt, `${field}.privilege`);
  return { profileId, name, privilege };
}

/** Writes a ProfileInfo, validating every field (a blank name included). */
export function writeProfileInfo(w: LegacyWriter, p: unknown, field: string): void {
  const o = expectObject(p, field);
  w.id(o['profileId'], `${field}.profileId`);
  if (typeof o['name'] === 'string' && isNullOrWhiteSpace(o['name'])) throw rangeError(`${field}.name`, 'not blank', o['name']);
  w.string(o['name'], `${field}.name`);
  w.u8(enumCode(LEGACY_PRIVILEGES, o['privilege'], `${field}.privilege`), `${field}.privilege`);
}

// ---------------------------------------------------------------------------
// Standalone structure codecs

function encodeWith(limits: Partial<LegacyLimits> | undefined, what: string, write: (w: LegacyWriter) => void): Uint8Array {
  const w = new LegacyWriter(resolveLegacyLimits(limits));
  write(w);
  return w.finish(what);
}

/** The bytes of one Message (no signature). Throws `TypeError`/`RangeError` naming the bad field. */
export function encodeLegacyMessage(message: LegacyMessage, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeWith(limits, 'message', (w) => writeMessage(w, message, 'message'));
}

/** One Message from exactly `bytes`. Never throws on any bytes. */
export function decodeLegacyMessage(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyMessage> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => readMessage(r, 'message'));
}

/** The bytes of one ClientDialog (the body of `<ID>.gov` without its signature). */
export function encodeLegacyClientDialog(dialog: LegacyClientDialog, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeWith(limits, 'dialog', (w) => writeClientDialog(w, dialog, 'dialog'));
}

/** One ClientDialog from exactly `bytes`. Never throws on any bytes. */
export function decodeLegacyClientDialog(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyClientDialog> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => readClientDialog(r, 'dialog'));
}

/** The bytes of one ClientInfo. */
export function encodeLegacyClientInfo(info: LegacyClientInfo, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeWith(limits, 'info', (w) => writeClientInfo(w, info, 'info'));
}

/** One ClientInfo from exactly `bytes`. Never throws on any bytes. */
export function decodeLegacyClientInfo(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyClientInfo> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => readClientInfo(r, 'info'));
}

/** The bytes of one ClientEnvironment. */
export function encodeLegacyClientEnvironment(env: LegacyClientEnvironment, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeWith(limits, 'environment', (w) => writeClientEnvironment(w, env, 'environment'));
}

/** One ClientEnvironment from exactly `bytes`. Never throws on any bytes. */
export function decodeLegacyClientEnvironment(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyClientEnvironment> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => readClientEnvironment(r, 'environment'));
}

/** The bytes of one ProfileInfo. */
export function encodeLegacyProfileInfo(profile: LegacyProfileInfo, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeWith(limits, 'profile', (w) => writeProfileInfo(w, profile, 'profile'));
}

/** One ProfileInfo from exactly `bytes`. Never throws on any bytes. */
export function decodeLegacyProfileInfo(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyProfileInfo> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => readProfileInfo(r, 'profile'));
}

