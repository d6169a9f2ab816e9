/**
 * Theory of operation: the five file kinds of the original dialog directory
 * (hub-protocol.md §3) in their plain (local) form. Each file is its
 * signature (raw UTF-8 bytes, no length prefix) followed by its body:
 *
 * | file | signature | body |
 * |---|---|---|
 * | `cxnreq.hub` | `CXNCLIENT1` | int32 count + messages |
 * | `cxnresp.gov` | `CXNSRV1` | int32 count + messages |
 * | `profiles.gov` | `USERPROF1` | int32 count + ProfileInfo |
 * | `<ID>.hub` | `HMSG1` | uint32 ClientID + int32 count + messages |
 * | `<ID>.gov` | `GMSG1` | ClientDialog (uint32 ClientID + status byte + int32 count + messages) |
 *
 * What travels over FTP is the transfer encoding of these bytes
 * (transfer.ts). `<ID>` is the client id in uppercase hexadecimal without
 * leading zeros (.NET `ToString("X")`).
 */
import { LegacyWriter, decodeAll, expectArray, expectObject, rangeError, typeError, type LegacyReader } from './bytes.js';
import { resolveLegacyLimits, type LegacyLimits, type LegacyResult } from './errors.js';
import { readClientDialog, readMessages, readProfileInfo, writeClientDialog, writeMessages, writeProfileInfo } from './structures.js';
import type { LegacyClientDialog, LegacyHubDialog, LegacyMessage, LegacyProfileInfo } from './types.js';

/** The kinds of legacy file. */
export type LegacyFileKind = 'cnxRequests' | 'cnxResponses' | 'profiles' | 'hubDialog' | 'govDialog';

/** The signature each file kind starts with, as the original's ASCII (hence UTF-8) text. */
export const LEGACY_SIGNATURES: Readonly<Record<LegacyFileKind, string>> = Object.freeze({
  cnxRequests: 'CXNCLIENT1',
  cnxResponses: 'CXNSRV1',
  profiles: 'USERPROF1',
  hubDialog: 'HMSG1',
  govDialog: 'GMSG1',
});

/** The names of the three shared files in the remote dialog directory (`/hub/dlg/`). */
export const LEGACY_FILE_NAMES = Object.freeze({
  cnxRequests: 'cxnreq.hub',
  cnxResponses: 'cxnresp.gov',
  profiles: 'profiles.gov',
} as const);

const SIGNATURE_BYTES: Readonly<Record<LegacyFileKind, Uint8Array>> = Object.freeze({
  cnxRequests: new TextEncoder().encode(LEGACY_SIGNATURES.cnxRequests),
  cnxResponses: new TextEncoder().encode(LEGACY_SIGNATURES.cnxResponses),
  profiles: new TextEncoder().encode(LEGACY_SIGNATURES.profiles),
  hubDialog: new TextEncoder().encode(LEGACY_SIGNATURES.hubDialog),
  govDialog: new TextEncoder().encode(LEGACY_SIGNATURES.govDialog),
});

function checkClientId(clientId: unknown, field: string): number {
  if (typeof clientId !== 'number') throw typeError(field, 'a number', clientId);
  if (!Number.isInteger(clientId) || clientId < 1 || clientId > 0xffffffff) throw rangeError(field, 'an integer in [1, 2^32)', clientId);
  return clientId;
}

/** `ClientID.ToString("X")`: uppercase hexadecimal, no leading zeros. Throws a `TypeError`/`RangeError` for an id that is not a non-zero uint32. */
export function legacyClientIdHex(clientId: number): string {
  return checkClientId(clientId, 'clientId').toString(16).toUpperCase();
}

/** The two dialog file names of a client: `<ID>.hub` (client → governor) and `<ID>.gov` (governor → client). */
export function legacyDialogFileNames(clientId: number): { readonly hub: string; readonly gov: string } {
  const hex = legacyClientIdHex(clientId);
  return { hub: `${hex}.hub`, gov: `${hex}.gov` };
}

/**
 * The client id and kind of a dialog file name, or null when `name` is not
 * exactly what {@link legacyDialogFileNames} produces (uppercase hex without
 * leading zeros, a non-zero uint32, `.hub` or `.gov`).
 */
export function parseLegacyDialogFileName(name: string): { readonly clientId: number; readonly kind: 'hubDialog' | 'govDialog' } | null {
  const m = /^([1-9A-F][0-9A-F]{0,7})\.(hub|gov)$/.exec(name);
  if (m === null) return null;
  const clientId = Number.parseInt(m[1]!, 16);
  return { clientId, kind: m[2] === 'hub' ? 'hubDialog' : 'govDialog' };
}

function encodeFile(kind: LegacyFileKind, limits: Partial<LegacyLimits> | undefined, write: (w: LegacyWriter) => void): Uint8Array {
  const w = new LegacyWriter(resolveLegacyLimits(limits));
  w.raw(SIGNATURE_BYTES[kind]);
  write(w);
  return w.finish(LEGACY_SIGNATURES[kind]);
}

function decodeFile<T>(kind: LegacyFileKind, bytes: Uint8Array, limits: Partial<LegacyLimits> | undefined, read: (r: LegacyReader) => T): LegacyResult<T> {
  return decodeAll(bytes, resolveLegacyLimits(limits), (r) => {
    r.signature(SIGNATURE_BYTES[kind]);
    return read(r);
  });
}

/** The plain bytes of `cxnreq.hub`. Throws a `TypeError`/`RangeError` naming the bad field. */
export function encodeCnxRequestFile(messages: readonly LegacyMessage[], limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeFile('cnxRequests', limits, (w) => writeMessages(w, messages, 'messages'));
}

/** The messages of a plain `cxnreq.hub`. Payloads are left raw: decode each with `decodeCnxPayload`. Never throws on any bytes. */
export function decodeCnxRequestFile(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<readonly LegacyMessage[]> {
  return decodeFile('cnxRequests', bytes, limits, (r) => readMessages(r, 'messages'));
}

/** The plain bytes of `cxnresp.gov`. Throws a `TypeError`/`RangeError` naming the bad field. */
export function encodeCnxResponseFile(messages: readonly LegacyMessage[], limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeFile('cnxResponses', limits, (w) => writeMessages(w, messages, 'messages'));
}

/** The messages of a plain `cxnresp.gov`. Never throws on any bytes. */
export function decodeCnxResponseFile(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<readonly LegacyMessage[]> {
  return decodeFile('cnxResponses', bytes, limits, (r) => readMessages(r, 'messages'));
}

/** The plain bytes of `profiles.gov`. Throws a `TypeError`/`RangeError` naming the bad field (a blank name, an id of 0...). */
export function encodeProfilesFile(profiles: readonly LegacyProfileInfo[], limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeFile('profiles', limits, (w) => {
    const list = expectArray(profiles, 'profiles');
    w.count(list.length, w.limits.maxCount, 'profiles.count');
    list.forEach((p, i) => writeProfileInfo(w, p, `profiles[${i}]`));
  });
}

/** The profiles of a plain `profiles.gov`. Never throws on any bytes. */
export function decodeProfilesFile(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<readonly LegacyProfileInfo[]> {
  return decodeFile('profiles', bytes, limits, (r) => {
    const n = r.count('profiles.count', r.limits.maxCount);
    const out: LegacyProfileInfo[] = [];
    for (let i = 0; i < n; i++) out.push(readProfileInfo(r, `profiles[${i}]`));
    return out;
  });
}

/** The plain bytes of `<ID>.hub`. Throws a `TypeError`/`RangeError` naming the bad field. */
export function encodeHubDialogFile(dialog: LegacyHubDialog, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeFile('hubDialog', limits, (w) => {
    const o = expectObject(dialog, 'dialog');
    w.id(o['clientId'], 'dialog.clientId');
    writeMessages(w, o['messages'], 'dialog.messages');
  });
}

/**
 * The client id and messages of a plain `<ID>.hub`. With `expectedClientId`
 * (the id from the file name), a different id in the file is `corrupt`, as
 * the original's `ReadHubDialog` has it. Never throws on any bytes.
 */
export function decodeHubDialogFile(bytes: Uint8Array, limits?: Partial<LegacyLimits>, expectedClientId?: number): LegacyResult<LegacyHubDialog> {
  if (expectedClientId !== undefined) checkClientId(expectedClientId, 'expectedClientId');
  return decodeFile('hubDialog', bytes, limits, (r) => {
    const at = r.offset;
    const clientId = r.id('dialog.clientId');
    if (expectedClientId !== undefined && clientId !== expectedClientId) {
      r.fail('corrupt', `dialog.clientId: ${clientId} is not the expected ${expectedClientId}`, at, 'dialog.clientId');
    }
    const messages = readMessages(r, 'dialog.messages');
    return { clientId, messages };
  });
}

/** The plain bytes of `<ID>.gov`. Throws a `TypeError`/`RangeError` naming the bad field. */
export function encodeGovDialogFile(dialog: LegacyClientDialog, limits?: Partial<LegacyLimits>): Uint8Array {
  return encodeFile('govDialog', limits, (w) => writeClientDialog(w, dialog, 'dialog'));
}

/** The ClientDialog of a plain `<ID>.gov`: the client's status and the governor's messages. Never throws on any bytes. */
export function decodeGovDialogFile(bytes: Uint8Array, limits?: Partial<LegacyLimits>): LegacyResult<LegacyClientDialog> {
  return decodeFile('govDialog', bytes, limits, (r) => readClientDialog(r, 'dialog'));
}
