/**
 * Theory of operation: `legacy-hub/1`, a `MailboxFormat` (format.ts) whose
 * files are written in the original Hub's file format wherever that format
 * has a field for what a frame says (docs/adapters/ftp-legacy.md §9).
 *
 * A file is the legacy transfer encoding (gzip, then every byte inverted) of:
 *
 * 1. **legacy parts**, one per run of consecutive frames that have a legacy
 *    form, each a complete legacy file: requests as `CXNCLIENT1` (the body
 *    of `cxnreq.hub`), answers as `CXNSRV1` (`cxnresp.gov`), client dialog
 *    messages as `HMSG1` (`<ID>.hub`), hub dialog messages as `GMSG1`
 *    (`<ID>.gov`, status byte Enabled). Values go through mapping.ts, so a
 *    part says exactly what the legacy mapping says; legacy message ids are
 *    dialoghub's (request id, seq; `inSeqBase` 0), an answer's id is its
 *    frame number;
 * 2. **the supplement** (`DHX1`), after the last part — where the .NET
 *    readers stop reading: the stream's header (session, epoch, generation,
 *    base, peerAck, ended), the parts' kinds and lengths, and per frame
 *    either where its messages are in the parts plus each message's `ack`
 *    (no legacy file carries acks), or, for a frame with no legacy form,
 *    the core's `encodeFrame` bytes;
 * 3. the supplement's length, u32 little-endian, as the last four bytes.
 *
 * An answer's legacy message carries the full dialoghub answer frame after
 * its ClientID (the payload's `rest`, which legacy readers skip: B28), so
 * the secret of an `ok` survives. What has no legacy form at all travels
 * natively in the supplement: every request but `register` with a legacy
 * environment (`start`, `resume`, `sync`, `login` carry a credential no
 * legacy request has a field for), `app` messages, bare acks, `refused`,
 * `profiles` answers, close frames, and anything the legacy encoders refuse
 * (a zero id, a lone surrogate, a string over the legacy limits).
 *
 * Decoding is as strict as DHMB's: the gzip CRC covers the file, every part
 * must be exactly its legacy file, every legacy message must belong to
 * exactly one frame in order, every frame must pass the core's codec with
 * the reader's limits, and an answer's legacy code and ClientID must agree
 * with the frame it carries. A plain legacy file — no supplement — is
 * refused: it names no session and holds no stream position.
 *
 * What this does not do: serve an unmodified legacy fleet. The files keep the
 * transport's names and per-session layout (`c2h/<session>.<gen>.dhm`,
 * `h2c/<session>.dhm`), not the shared `/hub/dlg/` directory with
 * `cxnreq.hub` and `<ID>.gov`; see the docs for why and what it would take.
 */
import { decodeFrame, encodeFrame, isU32, isU32Id, type ClientId, type CodecLimits, type DialogMessage, type Frame, type Result } from '@dialoghub/core';
import { DIRECTION_CODE, FLAG_ENDED, checkFileValues, formatFailure as fail, hex64, type FormatError, type MailboxFile, type MailboxFormat } from './format.js';
import { isSessionId, type Direction } from './names.js';
import {
  answerToLegacyAnswer,
  environmentToLegacyEnvironment,
  legacyDialogToMessage,
  legacyRequestToRequest,
  messageToLegacyDialog,
} from './legacy/mapping.js';
import { decodeCnxPayload, decodeDialogPayload, encodeCnxPayload, encodeDialogPayload } from './legacy/payloads.js';
import {
  LEGACY_SIGNATURES,
  decodeCnxRequestFile,
  decodeCnxResponseFile,
  decodeGovDialogFile,
  decodeHubDialogFile,
  encodeCnxRequestFile,
  encodeCnxResponseFile,
  encodeGovDialogFile,
  encodeHubDialogFile,
} from './legacy/files.js';
import { decodeLegacyTransfer, encodeLegacyTransfer } from './legacy/transfer.js';
import { epochMsToTicks } from './legacy/ticks.js';
import type { LegacyMessage } from './legacy/types.js';

/** `DHX1`: the first four bytes of the supplement. */
export const LEGACY_SUPPLEMENT_MAGIC = Uint8Array.of(0x44, 0x48, 0x58, 0x31);
/** The supplement's version byte. */
export const LEGACY_SUPPLEMENT_VERSION = 1;

/** The legacy file kinds a part can be, with their code in the supplement. */
export const LEGACY_PART_KINDS = Object.freeze({ cnxRequests: 1, cnxResponses: 2, hubDialog: 3, govDialog: 4 } as const);
type PartKind = keyof typeof LEGACY_PART_KINDS;

/** The frame kinds of the supplement: 1 in the legacy parts, 2 the core's frame bytes. */
export const LEGACY_FRAME_PLACES = Object.freeze({ legacy: 1, native: 2 } as const);

/** Supplement bytes up to and with the part count. */
const SUPPLEMENT_HEADER_BYTES = 52;
/** The smallest supplement: the header, a frame count, the length. */
const MIN_SUPPLEMENT_BYTES = SUPPLEMENT_HEADER_BYTES + 8;

export interface LegacyHubFormatOptions {
  /**
   * The time written into each legacy message's `Timestamp` (ms since 1970,
   * as .NET ticks read as UTC). Decoding ignores it: dialoghub messages carry
   * no time. Default `Date.now`.
   */
  readonly now?: () => number;
}

interface Part {
  readonly kind: PartKind;
  /** For dialog parts, the ClientID every message belongs to. */
  readonly clientId: number;
  readonly messages: LegacyMessage[];
}

/** How one frame sits in the file. */
type Placed =
  | { readonly place: 'legacy'; readonly part: number; readonly count: number; readonly acks: readonly number[] }
  | { readonly place: 'native'; readonly bytes: Uint8Array };

/** The legacy messages for one frame, or null when it has no legacy form (then it travels natively). */
function legacyForm(
  frame: Frame,
  direction: Direction,
  number: number,
  timestamp: bigint,
): { readonly kind: PartKind; readonly clientId: number; readonly messages: LegacyMessage[]; readonly acks: number[] } | null {
  try {
    switch (frame.kind) {
      case 'request': {
        const r = frame.request;
        if (direction !== 'clientToHub' || r.kind !== 'register' || !isU32Id(r.requestId)) return null;
        const environment = environmentToLegacyEnvironment(r.environment);
        if (environment.type !== 'mapped') return null;
        const info = { clientId: r.clientId, profileId: r.profileId, contactName: r.contact.name, contactPhone: r.contact.phone, contactEmail: r.contact.email };
        const payload = encodeCnxPayload({ type: 'newConnection', info, environment: environment.value });
        return { kind: 'cnxRequests', clientId: 0, messages: [{ id: r.requestId, reqId: 0, timestamp, ...payload }], acks: [] };
      }
      case 'answer': {
        if (direction !== 'hubToClient' || !isU32(frame.requestId)) return null;
        const mapped = answerToLegacyAnswer(frame.answer);
        if (mapped.type !== 'mapped') return null;
        // The whole answer after the ClientID, where legacy readers stop (B28): the secret survives.
        const payload = encodeCnxPayload({ ...mapped.value, rest: encodeFrame(frame) });
        return { kind: 'cnxResponses', clientId: 0, messages: [{ id: number, reqId: frame.requestId, timestamp, ...payload }], acks: [] };
      }
      case 'dialog': {
        if (!isU32Id(frame.clientId) || frame.messages.length === 0) return null;
        const messages: LegacyMessage[] = [];
        for (const m of frame.messages) {
          const mapped = messageToLegacyDialog(m, { direction, inSeqBase: 0 });
          // Losses other than the ack (which the supplement carries) would change the message.
          if (mapped.type !== 'mapped' || mapped.losses.some((l) => l.field !== 'ack')) return null;
          const payload = encodeDialogPayload(mapped.value.payload);
          messages.push({ id: mapped.value.id, reqId: mapped.value.reqId, timestamp, ...payload });
        }
        return { kind: direction === 'clientToHub' ? 'hubDialog' : 'govDialog', clientId: frame.clientId, messages, acks: frame.messages.map((m) => m.ack) };
      }
      case 'close':
        // No legacy message closes a link.
        return null;
      default:
        return assertNever(frame);
    }
  } catch {
    // A legacy encoder refused a value (a lone surrogate, a string over its limits): the frame travels natively.
    return null;
  }
}

function encodePart(part: Part): Uint8Array {
  switch (part.kind) {
    case 'cnxRequests':
      return encodeCnxRequestFile(part.messages);
    case 'cnxResponses':
      return encodeCnxResponseFile(part.messages);
    case 'hubDialog':
      return encodeHubDialogFile({ clientId: part.clientId, messages: part.messages });
    case 'govDialog':
      return encodeGovDialogFile({ clientId: part.clientId, status: 'enabled', messages: part.messages });
    default:
      return assertNever(part.kind);
  }
}

/** The supplement being written: little-endian fields and byte strings, joined at `finish`. */
class Out {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  u8(v: number): void {
    this.push(Uint8Array.of(v));
  }

  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }

  u64(v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.push(b);
  }

  be64(v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, false);
    this.push(b);
  }

  bytes(b: Uint8Array): void {
    this.push(b);
  }

  get length(): number {
    return this.size;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A bounds-checked little-endian reader over the supplement; `null` from any read past the end. */
class In {
  at = 0;
  constructor(private readonly b: Uint8Array) {}

  get left(): number {
    return this.b.length - this.at;
  }

  u8(): number | null {
    if (this.left < 1) return null;
    return this.b[this.at++]!;
  }

  u32(): number | null {
    if (this.left < 4) return null;
    let v = 0;
    for (let i = 3; i >= 0; i--) v = v * 256 + this.b[this.at + i]!;
    this.at += 4;
    return v;
  }

  u64(): bigint | null {
    if (this.left < 8) return null;
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.b[this.at + i]!);
    this.at += 8;
    return v;
  }

  hex64(): string | null {
    if (this.left < 8) return null;
    let s = '';
    for (let i = 0; i < 8; i++) s += this.b[this.at + i]!.toString(16).padStart(2, '0');
    this.at += 8;
    return s;
  }

  bytes(n: number): Uint8Array | null {
    if (this.left < n) return null;
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}


const PART_DIRECTION: Readonly<Record<PartKind, Direction>> = {
  cnxRequests: 'clientToHub',
  hubDialog: 'clientToHub',
  cnxResponses: 'hubToClient',
  govDialog: 'hubToClient',
};

/** The legacy messages of a part and, for dialog parts, its ClientID. Never throws. */
function decodePart(kind: PartKind, bytes: Uint8Array, maxFileBytes: number): Result<{ clientId: number; messages: readonly LegacyMessage[] }, string> {
  const limits = { maxFileBytes };
  switch (kind) {
    case 'cnxRequests': {
      const r = decodeCnxRequestFile(bytes, limits);
      return r.ok ? { ok: true, value: { clientId: 0, messages: r.value } } : { ok: false, error: `${r.error.code}: ${r.error.message}` };
    }
    case 'cnxResponses': {
      const r = decodeCnxResponseFile(bytes, limits);
      return r.ok ? { ok: true, value: { clientId: 0, messages: r.value } } : { ok: false, error: `${r.error.code}: ${r.error.message}` };
    }
    case 'hubDialog': {
      const r = decodeHubDialogFile(bytes, limits);
      return r.ok ? { ok: true, value: r.value } : { ok: false, error: `${r.error.code}: ${r.error.message}` };
    }
    case 'govDialog': {
      const r = decodeGovDialogFile(bytes, limits);
      if (!r.ok) return { ok: false, error: `${r.error.code}: ${r.error.message}` };
      if (r.value.status !== 'enabled') return { ok: false, error: `status ${r.value.status}: this format writes Enabled only` };
      return { ok: true, value: r.value };
    }
    default:
      return assertNever(kind);
  }
}

/** The frame a run of legacy messages stands for, or why not. Never throws. */
function frameOf(kind: PartKind, clientId: number, messages: readonly LegacyMessage[], acks: readonly number[], number: number, limits: Readonly<CodecLimits>): Result<Frame, string> {
  try {
    switch (kind) {
      case 'cnxRequests': {
        const m = messages[0]!;
        const payload = decodeCnxPayload(m);
        if (!payload.ok) return { ok: false, error: `${payload.error.code}: ${payload.error.message}` };
        if (payload.value.type !== 'newConnection') return { ok: false, error: `a ${payload.value.type} request is written natively in this format` };
        const mapped = legacyRequestToRequest(m.id, payload.value, null);
        if (mapped.type !== 'mapped') return { ok: false, error: `${mapped.reason}: ${mapped.detail}` };
        return check({ kind: 'request', request: mapped.value }, limits);
      }
      case 'cnxResponses': {
        const m = messages[0]!;
        if (m.id !== number) return { ok: false, error: `the answer's legacy id ${m.id} is not its frame number ${number}` };
        const payload = decodeCnxPayload(m);
        if (!payload.ok) return { ok: false, error: `${payload.error.code}: ${payload.error.message}` };
        if (!('rest' in payload.value)) return { ok: false, error: `a ${payload.value.type} is not an answer` };
        const inner = decodeFrame(payload.value.rest, limits);
        if (!inner.ok) return { ok: false, error: `the answer after the ClientID: ${inner.error.code}: ${inner.error.message}` };
        const frame = inner.value;
        if (frame.kind !== 'answer' || frame.requestId !== m.reqId) return { ok: false, error: 'the answer after the ClientID does not answer the legacy ReqID' };
        const view = answerToLegacyAnswer(frame.answer);
        if (view.type !== 'mapped' || view.value.type !== payload.value.type || view.value.clientId !== payload.value.clientId) {
          return { ok: false, error: `the legacy ${payload.value.type} for client ${payload.value.clientId} disagrees with the ${frame.answer.code} it carries` };
        }
        return { ok: true, value: frame };
      }
      case 'hubDialog':
      case 'govDialog': {
        const direction = PART_DIRECTION[kind];
        const out: DialogMessage[] = [];
        for (const [i, m] of messages.entries()) {
          const payload = decodeDialogPayload(m);
          if (!payload.ok) return { ok: false, error: `message ${m.id}: ${payload.error.code}: ${payload.error.message}` };
          const mapped = legacyDialogToMessage({ id: m.id, reqId: m.reqId, payload: payload.value }, { direction, inSeqBase: 0 });
          if (mapped.type !== 'mapped') return { ok: false, error: `message ${m.id}: ${mapped.reason}: ${mapped.detail}` };
          out.push({ ...mapped.value, ack: acks[i]! });
        }
        return check({ kind: 'dialog', clientId: clientId as ClientId, messages: out }, limits);
      }
      default:
        return assertNever(kind);
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The frame, if the core's codec takes it within `limits` (the same check a native frame gets). */
function check(frame: Frame, limits: Readonly<CodecLimits>): Result<Frame, string> {
  let bytes: Uint8Array;
  try {
    bytes = encodeFrame(frame);
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const decoded = decodeFrame(bytes, limits);
  return decoded.ok ? { ok: true, value: decoded.value } : { ok: false, error: `${decoded.error.code}: ${decoded.error.message}` };
}

/**
 * The `legacy-hub/1` mailbox format (see the module comment and
 * docs/adapters/ftp-legacy.md §9). Give the same format to both sides:
 *
 * ```ts
 * const hub = new FtpTransport({ server, remoteDir: 'hub/dlg', format: LEGACY_HUB_FORMAT });
 * const client = new FtpClientTransport({ server, remoteDir: 'hub/dlg', format: LEGACY_HUB_FORMAT });
 * ```
 */
export function legacyHubFormat(options: LegacyHubFormatOptions = {}): MailboxFormat {
  const now = options.now ?? Date.now;
  return Object.freeze({
    name: 'legacy-hub/1',

    encode(file: MailboxFile): Uint8Array {
      checkFileValues(file);
      const timestamp = epochMsToTicks(Math.floor(now()));
      const parts: Part[] = [];
      const placed: Placed[] = [];
      for (const [i, frame] of file.frames.entries()) {
        const form = legacyForm(frame, file.direction, file.base + i + 1, timestamp);
        if (form === null) {
          placed.push({ place: 'native', bytes: encodeFrame(frame) });
          continue;
        }
        const last = parts[parts.length - 1];
        // A frame joins the previous part when that part is of its kind and client and the frame before it is there too.
        const joins = last !== undefined && last.kind === form.kind && last.clientId === form.clientId && placed[placed.length - 1]?.place === 'legacy';
        if (!joins) parts.push({ kind: form.kind, clientId: form.clientId, messages: [] });
        const part = parts[parts.length - 1]!;
        part.messages.push(...form.messages);
        placed.push({ place: 'legacy', part: parts.length - 1, count: form.messages.length, acks: form.acks });
      }
      const encodedParts = parts.map(encodePart);
      const s = new Out();
      s.bytes(LEGACY_SUPPLEMENT_MAGIC);
      s.u8(LEGACY_SUPPLEMENT_VERSION);
      s.u8(DIRECTION_CODE[file.direction]);
      s.u8(file.ended ? FLAG_ENDED : 0);
      s.u8(0);
      s.be64(hex64('session', file.session));
      s.be64(hex64('epoch', file.epoch));
      s.u64(BigInt(file.generation));
      s.u64(BigInt(file.base));
      s.u64(BigInt(file.peerAck));
      s.u32(parts.length);
      for (const [i, p] of parts.entries()) {
        s.u8(LEGACY_PART_KINDS[p.kind]);
        s.u32(encodedParts[i]!.length);
      }
      s.u32(placed.length);
      for (const p of placed) {
        if (p.place === 'native') {
          s.u8(LEGACY_FRAME_PLACES.native);
          s.u32(p.bytes.length);
          s.bytes(p.bytes);
        } else {
          s.u8(LEGACY_FRAME_PLACES.legacy);
          s.u32(p.part);
          s.u32(p.count);
          for (const a of p.acks) s.u32(a);
        }
      }
      s.u32(s.length + 4);
      const supplement = s.finish();
      const size = encodedParts.reduce((n, p) => n + p.length, 0) + supplement.length;
      const plain = new Uint8Array(size);
      let at = 0;
      for (const p of encodedParts) {
        plain.set(p, at);
        at += p.length;
      }
      plain.set(supplement, at);
      return encodeLegacyTransfer(plain, { maxFileBytes: Math.max(plain.length, 1) });
    },

    decode(bytes: Uint8Array, limits: Readonly<CodecLimits>, maxFileBytes: number): Result<MailboxFile, FormatError> {
      if (bytes.length > maxFileBytes) return fail('tooLarge', `a file of ${bytes.length} bytes exceeds maxFileBytes (${maxFileBytes})`);
      const unwrapped = decodeLegacyTransfer(bytes, { maxFileBytes });
      if (!unwrapped.ok) {
        return unwrapped.error.code === 'oversize' ? fail('tooLarge', unwrapped.error.message) : fail('badChecksum', `not a legacy transfer (gzip + NOT): ${unwrapped.error.message}`);
      }
      const plain = unwrapped.value;
      if (plain.length < MIN_SUPPLEMENT_BYTES) return fail('truncated', `${plain.length} plain bytes cannot hold a DHX1 supplement (a legacy file without one names no session)`);
      const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
      const supLength = view.getUint32(plain.length - 4, true);
      if (supLength < MIN_SUPPLEMENT_BYTES || supLength > plain.length) return fail('badMagic', 'no DHX1 supplement at the end (a legacy file without one names no session)');
      const body = plain.subarray(0, plain.length - supLength);
      const r = new In(plain.subarray(plain.length - supLength, plain.length - 4));
      const magic = r.bytes(4)!;
      if (!magic.every((b, i) => b === LEGACY_SUPPLEMENT_MAGIC[i])) return fail('badMagic', 'no DHX1 supplement at the end (a legacy file without one names no session)');
      const version = r.u8()!;
      if (version !== LEGACY_SUPPLEMENT_VERSION) return fail('badVersion', `supplement version ${version} is not ${LEGACY_SUPPLEMENT_VERSION}`);
      const dirCode = r.u8()!;
      const direction: Direction | undefined = dirCode === 1 ? 'clientToHub' : dirCode === 2 ? 'hubToClient' : undefined;
      if (direction === undefined) return fail('badValue', `direction code ${dirCode}`);
      const flags = r.u8()!;
      if ((flags & ~FLAG_ENDED) !== 0 || r.u8() !== 0) return fail('badValue', 'unknown flags or a non-zero reserved byte');
      const session = r.hex64()!;
      if (!isSessionId(session)) return fail('badValue', 'session id of zero');
      const epoch = r.hex64()!;
      const counts: number[] = [];
      for (const name of ['generation', 'base', 'peerAck']) {
        const v = r.u64()!;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) return fail('badValue', `${name} is beyond 2^53`);
        counts.push(Number(v));
      }
      const [generation, base, peerAck] = counts as [number, number, number];
      if (generation < 1) return fail('badValue', 'generation 0');
      const partCount = r.u32();
      if (partCount === null) return fail('truncated', 'the part table is cut');
      const parts: { kind: PartKind; clientId: number; messages: readonly LegacyMessage[] }[] = [];
      let at = 0;
      for (let i = 0; i < partCount; i++) {
        const code = r.u8();
        const length = r.u32();
        if (code === null || length === null) return fail('truncated', `part ${i + 1} of ${partCount}: the table is cut`);
        const kind = (Object.keys(LEGACY_PART_KINDS) as PartKind[]).find((k) => LEGACY_PART_KINDS[k] === code);
        if (kind === undefined || PART_DIRECTION[kind] !== direction) return fail('badValue', `part ${i + 1}: kind ${code} does not belong in a ${direction} file`);
        if (at + length > body.length) return fail('truncated', `part ${i + 1}: ${length} bytes announced, fewer present`);
        const decoded = decodePart(kind, body.subarray(at, at + length), maxFileBytes);
        if (!decoded.ok) return fail('badFrame', `part ${i + 1} (${LEGACY_SIGNATURES[kind]}): ${decoded.error}`);
        if (decoded.value.messages.length === 0) return fail('badValue', `part ${i + 1} (${LEGACY_SIGNATURES[kind]}) holds no message`);
        parts.push({ kind, clientId: decoded.value.clientId, messages: decoded.value.messages });
        at += length;
      }
      if (at !== body.length) return fail('badValue', `${body.length - at} bytes before the supplement belong to no part`);
      const frameCount = r.u32();
      if (frameCount === null) return fail('truncated', 'the frame table is cut');
      const frames: Frame[] = [];
      // The legacy messages are taken in order: part `cur`, from message `next`.
      let cur = 0;
      let next = 0;
      for (let i = 0; i < frameCount; i++) {
        const number = base + i + 1;
        const place = r.u8();
        if (place === LEGACY_FRAME_PLACES.native) {
          const length = r.u32();
          if (length === null) return fail('truncated', `frame ${i + 1}: no length`);
          if (length > limits.maxFrameBytes) return fail('tooLarge', `frame ${i + 1}: ${length} bytes exceeds maxFrameBytes (${limits.maxFrameBytes})`);
          const b = r.bytes(length);
          if (b === null) return fail('truncated', `frame ${i + 1}: ${length} bytes announced, fewer present`);
          const decoded = decodeFrame(b, limits);
          if (!decoded.ok) return fail('badFrame', `frame ${i + 1}: ${decoded.error.code}: ${decoded.error.message}`);
          frames.push(decoded.value);
        } else if (place === LEGACY_FRAME_PLACES.legacy) {
          const partIndex = r.u32();
          const count = r.u32();
          if (partIndex === null || count === null) return fail('truncated', `frame ${i + 1}: cut`);
          if (next === (parts[cur]?.messages.length ?? 0) && partIndex === cur + 1) {
            cur++;
            next = 0;
          }
          const part = parts[cur];
          if (partIndex !== cur || part === undefined || count < 1 || next + count > part.messages.length) {
            return fail('badValue', `frame ${i + 1}: part ${partIndex} messages ${next + 1}…${next + count} are not the next legacy messages in order`);
          }
          if ((part.kind === 'cnxRequests' || part.kind === 'cnxResponses') && count !== 1) return fail('badValue', `frame ${i + 1}: a request or answer is one legacy message`);
          const isDialog = part.kind === 'hubDialog' || part.kind === 'govDialog';
          const acks: number[] = [];
          if (isDialog) {
            for (let k = 0; k < count; k++) {
              const a = r.u32();
              if (a === null) return fail('truncated', `frame ${i + 1}: acks cut`);
              acks.push(a);
            }
          }
          const frame = frameOf(part.kind, part.clientId, part.messages.slice(next, next + count), acks, number, limits);
          if (!frame.ok) return fail('badFrame', `frame ${i + 1} (${LEGACY_SIGNATURES[part.kind]}): ${frame.error}`);
          frames.push(frame.value);
          next += count;
        } else {
          return fail(place === null ? 'truncated' : 'badValue', `frame ${i + 1}: place ${String(place)}`);
        }
      }
      if (parts.length > 0 && (cur !== parts.length - 1 || next !== parts[cur]!.messages.length)) return fail('badValue', 'legacy messages that belong to no frame');
      if (r.left !== 0) return fail('badValue', `${r.left} bytes after the frame table`);
      return { ok: true, value: { direction, session, epoch, generation, base, peerAck, ended: (flags & FLAG_ENDED) !== 0, frames } };
    },
  });
}

/** `legacy-hub/1` with the wall clock for message timestamps. */
export const LEGACY_HUB_FORMAT: MailboxFormat = legacyHubFormat();

function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
