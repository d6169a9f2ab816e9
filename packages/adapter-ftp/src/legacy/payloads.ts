/**
 * Theory of operation: the `Data` of each message code (hub-protocol.md §6).
 * A payload's layout depends on the code **and the channel**: `ok` carries a
 * ClientID in `cxnresp.gov` but nothing in `<ID>.gov`, `sync` carries three
 * uint32 on the connection channel and nothing in a dialog. So there are two
 * decoders, one per channel, and each refuses the codes that do not belong on
 * its channel (`wrongChannel`, the guard the original lacked: B8).
 *
 * | code | cnx payload | dialog payload |
 * |---|---|---|
 * | newConnection | ClientInfo + ClientEnvironment | – |
 * | resume | ClientID | – |
 * | start | ClientID + ClientEnvironment + int64 ticks | – |
 * | sync | ClientID + last server msg ID + last client msg ID | none |
 * | ok | ClientID + rest | none |
 * | invalidId, invalidProfile, rejected | ClientID + rest | – |
 * | setInfo | – | ClientInfo |
 * | log | – | int64 ticks + bool + string |
 * | close, null, sendInfo | – | none |
 * | runOnce | – | raw bytes (never specified) |
 *
 * An answer's "rest" is whatever follows its ClientID: nothing for
 * NewConnection answers, the echoed remainder of the request for Start
 * answers (§8.2, B28). Clients read only the ClientID.
 *
 * Decoding is strict: a payload must be exactly its layout (`trailingBytes`
 * otherwise), and every ClientID must be non-zero, even where the original
 * read a bare uint (an id of 0 names no client: B25).
 */
import { err } from '@dialoghub/core';
import { LegacyWriter, decodeAll, enumCode, expectObject, rangeError, typeError, type LegacyReader } from './bytes.js';
import { decodeError, resolveLegacyLimits, type LegacyLimits, type LegacyResult } from './errors.js';
import { readClientEnvironment, readClientInfo, writeClientEnvironment, writeClientInfo } from './structures.js';
import type { DotNetTicks } from './ticks.js';
import { LEGACY_MESSAGE_CODES, type LegacyClientEnvironment, type LegacyClientInfo, type LegacyMessage, type LegacyMessageCode } from './types.js';

/** The answer codes of the connection channel. */
export type LegacyCnxAnswerCode = 'ok' | 'invalidId' | 'invalidProfile' | 'rejected';

/** A connection-channel request, as a client writes it into `cxnreq.hub`. */
export type LegacyCnxRequestPayload =
  /** Registration: the new ClientInfo and the machine it runs on. */
  | { readonly type: 'newConnection'; readonly info: LegacyClientInfo; readonly environment: LegacyClientEnvironment }
  /** A Disabled client asks to be enabled again. */
  | { readonly type: 'resume'; readonly clientId: number }
  /** An Enabled client launches; `startTime` is the client's local clock. */
  | { readonly type: 'start'; readonly clientId: number; readonly environment: LegacyClientEnvironment; readonly startTime: DotNetTicks }
  /** A client that heard nothing for long: the last governor message it saw and the last message it sent. */
  | { readonly type: 'sync'; readonly clientId: number; readonly lastServerMessageId: number; readonly lastClientMessageId: number };

/** A connection-channel answer, as the governor writes it into `cxnresp.gov`. */
export interface LegacyCnxAnswerPayload {
  readonly type: LegacyCnxAnswerCode;
  /** The requester (non-zero): the only part clients read. */
  readonly clientId: number;
  /** The bytes after the ClientID (the echoed rest of a Start request), usually empty. */
  readonly rest: Uint8Array;
}

/** Any payload of the connection channel. */
export type LegacyCnxPayload = LegacyCnxRequestPayload | LegacyCnxAnswerPayload;

/** A payload of a dialog file (`<ID>.hub` or `<ID>.gov`). */
export type LegacyDialogPayload =
  /** Client → governor: the client goes away. */
  | { readonly type: 'close' }
  /** Both ways: keep-alive; the message's `reqId` names the Sync it answers, or is 0. */
  | { readonly type: 'null' }
  /** Governor → client: "are you there?". */
  | { readonly type: 'sync' }
  /** Governor → client: the SetInfo named by the message's `reqId` was applied. */
  | { readonly type: 'ok' }
  /** Governor → client: declared, never implemented. */
  | { readonly type: 'sendInfo' }
  /** Client → governor: new contact fields. */
  | { readonly type: 'setInfo'; readonly info: LegacyClientInfo }
  /** Client → governor: a log entry, with the client's local clock. */
  | { readonly type: 'log'; readonly time: DotNetTicks; readonly isError: boolean; readonly text: string }
  /** Declared in the last commit, never implemented; its bytes are kept as they are. */
  | { readonly type: 'runOnce'; readonly data: Uint8Array };

/** A message's code and data: what a payload encoder produces and a payload decoder takes. */
export type LegacyCodeAndData = Pick<LegacyMessage, 'code' | 'data'>;

const CNX_CODES: ReadonlySet<LegacyMessageCode> = new Set<LegacyMessageCode>(['newConnection', 'resume', 'start', 'sync', 'ok', 'invalidId', 'invalidProfile', 'rejected']);
const DIALOG_CODES: ReadonlySet<LegacyMessageCode> = new Set<LegacyMessageCode>(['close', 'null', 'sync', 'ok', 'sendInfo', 'setInfo', 'log', 'runOnce']);

function decodePayload<T>(
  channel: string,
  codes: ReadonlySet<LegacyMessageCode>,
  message: LegacyCodeAndData,
  limits: Partial<LegacyLimits> | undefined,
  read: (r: LegacyReader, code: LegacyMessageCode) => T,
): LegacyResult<T> {
  const l = resolveLegacyLimits(limits);
  const { code, data } = message;
  if (!codes.has(code)) return err(decodeError('wrongChannel', `code ${String(code)} does not belong on the ${channel} channel`, 0, 'code'));
  if (!(data instanceof Uint8Array)) throw typeError('data', 'a Uint8Array', data);
  if (data.length > l.maxDataLength) return err(decodeError('oversize', `${data.length} bytes exceeds maxDataLength ${l.maxDataLength}`, 0, 'data'));
  return decodeAll(data, l, (r) => read(r, code));
}

/**
 * The typed payload of a connection-channel message (from `cxnreq.hub` or
 * `cxnresp.gov`). Offsets in errors index `message.data`. Never throws on any
 * bytes; a code of the dialog channel is `wrongChannel`.
 */
export function decodeCnxPayload(message: LegacyCodeAndData, limits?: Partial<LegacyLimits>): LegacyResult<LegacyCnxPayload> {
  return decodePayload('cnx', CNX_CODES, message, limits, (r, code): LegacyCnxPayload => {
    switch (code) {
      case 'newConnection':
        return { type: code, info: readClientInfo(r, 'info'), environment: readClientEnvironment(r, 'environment') };
      case 'resume':
        return { type: code, clientId: r.id('clientId') };
      case 'start':
        return { type: code, clientId: r.id('clientId'), environment: readClientEnvironment(r, 'environment'), startTime: r.ticks('startTime') };
      case 'sync':
        return { type: code, clientId: r.id('clientId'), lastServerMessageId: r.u32('lastServerMessageId'), lastClientMessageId: r.u32('lastClientMessageId') };
      case 'ok':
      case 'invalidId':
      case 'invalidProfile':
      case 'rejected':
        return { type: code, clientId: r.id('clientId'), rest: r.raw(r.remaining, 'rest') };
      default:
        return r.fail('wrongChannel', `code ${code} does not belong on the cnx channel`, 0, 'code');
    }
  });
}

/**
 * The typed payload of a dialog message (from `<ID>.hub` or `<ID>.gov`).
 * Offsets in errors index `message.data`. Never throws on any bytes; a code
 * of the connection channel is `wrongChannel`.
 */
export function decodeDialogPayload(message: LegacyCodeAndData, limits?: Partial<LegacyLimits>): LegacyResult<LegacyDialogPayload> {
  return decodePayload('dialog', DIALOG_CODES, message, limits, (r, code): LegacyDialogPayload => {
    switch (code) {
      case 'close':
      case 'null':
      case 'sync':
      case 'ok':
      case 'sendInfo':
        return { type: code };
      case 'setInfo':
        return { type: code, info: readClientInfo(r, 'info') };
      case 'log':
        return { type: code, time: r.ticks('time'), isError: r.bool('isError'), text: r.string('text') };
      case 'runOnce':
        return { type: code, data: r.raw(r.remaining, 'data') };
      default:
        return r.fail('wrongChannel', `code ${code} does not belong on the dialog channel`, 0, 'code');
    }
  });
}

function finishPayload(w: LegacyWriter, code: LegacyMessageCode, field: string): LegacyCodeAndData {
  if (w.length > w.limits.maxDataLength) throw rangeError(field, `at most ${w.limits.maxDataLength} bytes (maxDataLength)`, `${w.length} bytes`);
  return { code, data: w.finish(field) };
}

function payloadType(payload: unknown, codes: ReadonlySet<LegacyMessageCode>, channel: string): LegacyMessageCode {
  const o = expectObject(payload, 'payload');
  const type = o['type'];
  enumCode(LEGACY_MESSAGE_CODES, type, 'payload.type');
  if (!codes.has(type as LegacyMessageCode)) throw rangeError('payload.type', `a code of the ${channel} channel`, type);
  return type as LegacyMessageCode;
}

/**
 * The code and data of a connection-channel message, to spread into a
 * {@link LegacyMessage}. Throws a `TypeError`/`RangeError` naming the bad
 * field (an id of 0, a dialog-only code, a string over the limits...).
 */
export function encodeCnxPayload(payload: LegacyCnxPayload, limits?: Partial<LegacyLimits>): LegacyCodeAndData {
  const code = payloadType(payload, CNX_CODES, 'cnx');
  const w = new LegacyWriter(resolveLegacyLimits(limits));
  const p = payload as unknown as Readonly<Record<string, unknown>>;
  switch (code) {
    case 'newConnection':
      writeClientInfo(w, p['info'], 'payload.info');
      writeClientEnvironment(w, p['environment'], 'payload.environment');
      break;
    case 'resume':
      w.id(p['clientId'], 'payload.clientId');
      break;
    case 'start':
      w.id(p['clientId'], 'payload.clientId');
      writeClientEnvironment(w, p['environment'], 'payload.environment');
      w.ticks(p['startTime'], 'payload.startTime');
      break;
    case 'sync':
      w.id(p['clientId'], 'payload.clientId');
      w.u32(p['lastServerMessageId'], 'payload.lastServerMessageId');
      w.u32(p['lastClientMessageId'], 'payload.lastClientMessageId');
      break;
    default: {
      // ok, invalidId, invalidProfile, rejected (payloadType admitted only cnx codes).
      w.id(p['clientId'], 'payload.clientId');
      const rest = p['rest'];
      if (!(rest instanceof Uint8Array)) throw typeError('payload.rest', 'a Uint8Array', rest);
      w.raw(rest);
    }
  }
  return finishPayload(w, code, 'payload');
}

/**
 * The code and data of a dialog message, to spread into a
 * {@link LegacyMessage}. Throws a `TypeError`/`RangeError` naming the bad field.
 */
export function encodeDialogPayload(payload: LegacyDialogPayload, limits?: Partial<LegacyLimits>): LegacyCodeAndData {
  const code = payloadType(payload, DIALOG_CODES, 'dialog');
  const w = new LegacyWriter(resolveLegacyLimits(limits));
  const p = payload as unknown as Readonly<Record<string, unknown>>;
  switch (code) {
    case 'setInfo':
      writeClientInfo(w, p['info'], 'payload.info');
      break;
    case 'log':
      w.ticks(p['time'], 'payload.time');
      w.bool(p['isError'], 'payload.isError');
      w.string(p['text'], 'payload.text');
      break;
    case 'runOnce': {
      const data = p['data'];
      if (!(data instanceof Uint8Array)) throw typeError('payload.data', 'a Uint8Array', data);
      w.raw(data);
      break;
    }
    default:
      // close, null, sync, ok, sendInfo: no data.
      break;
  }
  return finishPayload(w, code, 'payload');
}
