/**
 * Theory of operation: the values of the original Hub files
 * (hub-protocol.md §4, §6), as plain immutable data, and the literal tables
 * of their one-byte enumerations.
 *
 * Enumerations are named in camelCase after the C# members; the byte each
 * name travels as is in a table below, the only place that knows it. Counts
 * and lengths are not fields: they are the lengths of the arrays, so a count
 * can never disagree with its list.
 *
 * Ids are plain numbers (unsigned 32-bit). Every id the files carry is
 * non-zero except `reqId` (0 = "answers nothing").
 */
import type { DotNetTicks } from './ticks.js';

/**
 * `Message_t`, the message codes (§6). `UnknonwnMsg` (0) is not a name here:
 * it is invalid on the wire. `sendInfo` and `runOnce` are declared by the
 * original but implemented by neither side; they still decode.
 */
export type LegacyMessageCode =
  | 'newConnection'
  | 'resume'
  | 'ok'
  | 'invalidId'
  | 'invalidProfile'
  | 'rejected'
  | 'sendInfo'
  | 'setInfo'
  | 'start'
  | 'close'
  | 'sync'
  | 'null'
  | 'log'
  | 'runOnce';

/** The byte of each {@link LegacyMessageCode}: the C# declaration order. Never renumber. */
export const LEGACY_MESSAGE_CODES: Readonly<Record<LegacyMessageCode, number>> = Object.freeze({
  newConnection: 1,
  resume: 2,
  ok: 3,
  invalidId: 4,
  invalidProfile: 5,
  rejected: 6,
  sendInfo: 7,
  setInfo: 8,
  start: 9,
  close: 10,
  sync: 11,
  null: 12,
  log: 13,
  runOnce: 14,
});

/**
 * `ClientStatus_t` as `<ID>.gov` carries it. `Unknown` (0) is invalid on the
 * wire; `reset` is the source's `Reseted`.
 */
export type LegacyClientStatus = 'enabled' | 'disabled' | 'banned' | 'reset';

/** The byte of each {@link LegacyClientStatus}. */
export const LEGACY_CLIENT_STATUSES: Readonly<Record<LegacyClientStatus, number>> = Object.freeze({
  enabled: 1,
  disabled: 2,
  banned: 3,
  reset: 4,
});

/** `AppArchitecture_t`: which build of the Hub client runs. */
export type LegacyArchitecture = 'win7sp1' | 'win7sp1x64' | 'winXP';

/** The byte of each {@link LegacyArchitecture}. 0 is a valid value here. */
export const LEGACY_ARCHITECTURES: Readonly<Record<LegacyArchitecture, number>> = Object.freeze({
  win7sp1: 0,
  win7sp1x64: 1,
  winXP: 2,
});

/** `ProfilePrivilege_t`: only `Default` exists. */
export type LegacyPrivilege = 'default';

/** The byte of each {@link LegacyPrivilege}. */
export const LEGACY_PRIVILEGES: Readonly<Record<LegacyPrivilege, number>> = Object.freeze({
  default: 0,
});

/**
 * One message of any legacy file. `data` is the raw payload; decode it with
 * `decodeCnxPayload` or `decodeDialogPayload`, whose layout depends on the
 * code and the channel.
 */
export interface LegacyMessage {
  /** Non-zero, in the sender's id space for this channel (§6 "ID spaces"). */
  readonly id: number;
  /** The id of the message this one answers, or 0. */
  readonly reqId: number;
  readonly code: LegacyMessageCode;
  /** When the sender built the message, on the sender's local clock. */
  readonly timestamp: DotNetTicks;
  /** The payload; empty when the code has none. */
  readonly data: Uint8Array;
}

/** `ClientInfo`: a registration's identity and contact fields. */
export interface LegacyClientInfo {
  /** Non-zero. */
  readonly clientId: number;
  /** Non-zero. */
  readonly profileId: number;
  readonly contactName: string;
  readonly contactPhone: string;
  /** The source's `ContaclEMail`. */
  readonly contactEmail: string;
}

/** `ClientEnvironment`: what a client reports about its machine. */
export interface LegacyClientEnvironment {
  readonly architecture: LegacyArchitecture;
  readonly is64BitOperatingSystem: boolean;
  readonly userName: string;
  readonly machineName: string;
  readonly osVersion: string;
  readonly hubVersion: string;
}

/** `ProfileInfo`, one entry of `profiles.gov`. */
export interface LegacyProfileInfo {
  /** Non-zero. */
  readonly profileId: number;
  /** Not blank (not empty, not only white space). */
  readonly name: string;
  /** Validated on read but never assigned by the original (B27); this codec keeps it. */
  readonly privilege: LegacyPrivilege;
}

/** `ClientDialog`, the body of `<ID>.gov`: the client's authoritative status and the governor's messages. */
export interface LegacyClientDialog {
  /** Non-zero. */
  readonly clientId: number;
  readonly status: LegacyClientStatus;
  readonly messages: readonly LegacyMessage[];
}

/** The body of `<ID>.hub`: the client's messages to the governor. */
export interface LegacyHubDialog {
  /** Non-zero; the original reader also requires it to equal the id in the file name. */
  readonly clientId: number;
  readonly messages: readonly LegacyMessage[];
}
