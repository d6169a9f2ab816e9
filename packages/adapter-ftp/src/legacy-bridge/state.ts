/**
 * Theory of operation: what the legacy bridge must remember across restarts,
 * and how it is kept on local disk.
 *
 * The bridge is, towards the hub, an ordinary dialoghub client on behalf of
 * each legacy client, so it holds what any client holds — its secret — plus
 * what the governor kept in memory and lost on every restart (B17, §8.4):
 * the last connection request handled, the response-id counter, the answers
 * still published in `cxnresp.gov`, and for each legacy session the base that
 * maps legacy ids onto the hub's sequence numbers and the messages still in
 * `<ID>.gov`.
 *
 * Durability: the whole state is one JSON document, written to a temporary
 * file, flushed (`fsync`), renamed over the previous one, and the directory
 * flushed — so a crash leaves either the old or the new state, never a mix.
 * The bridge saves before it uploads anything that reveals a change (an
 * answer, a `.gov`), so nothing it published is unknown to it after a crash.
 * The file holds client secrets: it is created with mode 0600 and must stay
 * off the FTP server.
 *
 * Invariants checked on load (a corrupt file is an error, never a guess):
 * version 1; ids are uint32; every session's messages have increasing ids at
 * most `legacyOut`.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientStatus } from '@dialoghub/core';

/** A message the bridge wrote into a client's `<ID>.gov`. */
export interface GovEntry {
  /** The legacy message id (this legacy session's counter, from 1). */
  readonly id: number;
  /** The legacy id it answers (a SetInfo's), or 0. */
  readonly reqId: number;
  readonly type: 'sync' | 'ok' | 'null';
  /** The hub's seq of the message it carries, or 0 for the bridge's own Null. */
  readonly hubSeq: number;
  /** When the bridge wrote it (ms since 1970): the legacy Timestamp. */
  readonly at: number;
}

/** One legacy session: from the legacy client's Start/Resume/registration to its next launch. */
export interface LegacySession {
  /** The hub's client→hub seq before the session's first legacy message: legacy id n is seq `inSeqBase + n`. */
  inSeqBase: number;
  /** Highest legacy id of `<ID>.hub` handed to the hub (re-derived from the hub's `ok` after a re-login). */
  legacyIn: number;
  /** Last legacy id used in `<ID>.gov`. */
  legacyOut: number;
  /** The messages in `<ID>.gov`, oldest first; trimmed when the client's Null shows it read them. */
  gov: GovEntry[];
  /**
   * The hub holds this session (admitted, not ended by the hub or the client): a restarted bridge
   * logs it in again. False after a kick, a heartbeat timeout or the client's Close: the client
   * comes back by itself (a cnx Sync, a Start), if it still runs.
   */
  linked: boolean;
}

/** What the bridge keeps per legacy client. */
export interface BridgeClient {
  /** The secret the hub issued at registration (the bridge presents it for the client). */
  secret: string;
  /** The status last written into `<ID>.gov`. */
  status: ClientStatus;
  /** Highest hub→client seq the legacy client confirmed reading (the `lastReceived` of the next login). */
  hubAcked: number;
  /** Highest hub→client seq already placed in `<ID>.gov` (duplicates from a resend are dropped). */
  hubForwarded: number;
  /** The current legacy session, or null before the first admission and after a status change ends it. */
  session: LegacySession | null;
}

/** An answer published in `cxnresp.gov`. */
export interface PublishedAnswer {
  readonly id: number;
  readonly reqId: number;
  readonly code: 'ok' | 'invalidId' | 'invalidProfile' | 'rejected';
  readonly clientId: number;
  /** When it was published (ms since 1970). */
  readonly at: number;
}

export interface BridgeState {
  /** Highest `cxnreq.hub` message id handled (the governor's `m_lastCxnReqMsgID`, kept across restarts). */
  lastRequestId: number;
  /** Last `cxnresp.gov` message id used (the governor's `m_lastCnxRespMsgID`, kept across restarts: B17). */
  lastResponseId: number;
  /** The answers `cxnresp.gov` holds, oldest first. */
  answers: PublishedAnswer[];
  /** By legacy ClientID. */
  clients: Map<number, BridgeClient>;
}

export function emptyBridgeState(): BridgeState {
  return { lastRequestId: 0, lastResponseId: 0, answers: [], clients: new Map() };
}

/** The state file cannot be used: unreadable, not JSON, or breaking an invariant. */
export class BridgeStateError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`legacy bridge state ${path}: ${detail}`);
    this.name = 'BridgeStateError';
  }
}

const STATUSES: ReadonlySet<string> = new Set(['enabled', 'disabled', 'banned', 'reset']);
const GOV_TYPES: ReadonlySet<string> = new Set(['sync', 'ok', 'null']);
const ANSWER_CODES: ReadonlySet<string> = new Set(['ok', 'invalidId', 'invalidProfile', 'rejected']);

function u32(v: unknown, field: string, fail: (d: string) => never): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(`${field} must be a uint32, got ${JSON.stringify(v)}`);
  return v as number;
}

function ms(v: unknown, field: string, fail: (d: string) => never): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field} must be a number, got ${JSON.stringify(v)}`);
  return v as number;
}

function bool(v: unknown, field: string, fail: (d: string) => never): boolean {
  if (typeof v !== 'boolean') fail(`${field} must be true or false, got ${JSON.stringify(v)}`);
  return v as boolean;
}

function obj(v: unknown, field: string, fail: (d: string) => never): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${field} must be an object`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, field: string, fail: (d: string) => never): unknown[] {
  if (!Array.isArray(v)) fail(`${field} must be an array`);
  return v as unknown[];
}

/** Parses and checks a state document (exported for tests). */
export function parseBridgeState(text: string, path = '<memory>'): BridgeState {
  const fail = (d: string): never => {
    throw new BridgeStateError(path, d);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  const d = obj(doc, 'the document', fail);
  if (d['version'] !== 1) fail(`unknown version ${JSON.stringify(d['version'])} (this bridge reads version 1)`);
  const state = emptyBridgeState();
  state.lastRequestId = u32(d['lastRequestId'], 'lastRequestId', fail);
  state.lastResponseId = u32(d['lastResponseId'], 'lastResponseId', fail);
  for (const [i, a] of arr(d['answers'], 'answers', fail).entries()) {
    const o = obj(a, `answers[${i}]`, fail);
    const code = o['code'];
    if (typeof code !== 'string' || !ANSWER_CODES.has(code)) fail(`answers[${i}].code is not an answer code`);
    state.answers.push({
      id: u32(o['id'], `answers[${i}].id`, fail),
      reqId: u32(o['reqId'], `answers[${i}].reqId`, fail),
      code: code as PublishedAnswer['code'],
      clientId: u32(o['clientId'], `answers[${i}].clientId`, fail),
      at: ms(o['at'], `answers[${i}].at`, fail),
    });
  }
  for (const [key, value] of Object.entries(obj(d['clients'], 'clients', fail))) {
    const id = Number(key);
    if (String(id) !== key || id < 1 || id > 0xffffffff || !Number.isInteger(id)) fail(`client key ${JSON.stringify(key)} is not a ClientID`);
    const c = obj(value, `clients.${key}`, fail);
    const secret = c['secret'];
    if (typeof secret !== 'string' || secret === '') fail(`clients.${key}.secret must be a non-empty string`);
    const status = c['status'];
    if (typeof status !== 'string' || !STATUSES.has(status)) fail(`clients.${key}.status is not a status`);
    let session: LegacySession | null = null;
    if (c['session'] !== null) {
      const s = obj(c['session'], `clients.${key}.session`, fail);
      const legacyOut = u32(s['legacyOut'], `clients.${key}.session.legacyOut`, fail);
      const gov: GovEntry[] = [];
      let last = 0;
      for (const [i, e] of arr(s['gov'], `clients.${key}.session.gov`, fail).entries()) {
        const g = obj(e, `clients.${key}.session.gov[${i}]`, fail);
        const type = g['type'];
        if (typeof type !== 'string' || !GOV_TYPES.has(type)) fail(`clients.${key}.session.gov[${i}].type is not sync, ok or null`);
        const gid = u32(g['id'], `clients.${key}.session.gov[${i}].id`, fail);
        if (gid <= last || gid > legacyOut) fail(`clients.${key}.session.gov ids must increase up to legacyOut`);
        last = gid;
        gov.push({
          id: gid,
          reqId: u32(g['reqId'], `gov[${i}].reqId`, fail),
          type: type as GovEntry['type'],
          hubSeq: u32(g['hubSeq'], `gov[${i}].hubSeq`, fail),
          at: ms(g['at'], `gov[${i}].at`, fail),
        });
      }
      session = {
        inSeqBase: u32(s['inSeqBase'], `clients.${key}.session.inSeqBase`, fail),
        legacyIn: u32(s['legacyIn'], `clients.${key}.session.legacyIn`, fail),
        legacyOut,
        gov,
        linked: bool(s['linked'], `clients.${key}.session.linked`, fail),
      };
    }
    state.clients.set(id, {
      secret: secret as string,
      status: status as ClientStatus,
      hubAcked: u32(c['hubAcked'], `clients.${key}.hubAcked`, fail),
      hubForwarded: u32(c['hubForwarded'], `clients.${key}.hubForwarded`, fail),
      session,
    });
  }
  return state;
}

/** The state as its JSON document. */
export function stringifyBridgeState(state: BridgeState): string {
  const clients: Record<string, BridgeClient> = {};
  for (const [id, c] of state.clients) clients[String(id)] = c;
  return JSON.stringify({
    version: 1,
    lastRequestId: state.lastRequestId,
    lastResponseId: state.lastResponseId,
    answers: state.answers,
    clients,
  });
}

/** Where the bridge keeps its state. */
export interface BridgeStateStore {
  /** The saved state, or an empty one when none was ever saved. Rejects with `BridgeStateError` when it cannot be used. */
  load(): Promise<BridgeState>;
  /** Durably replaces the saved state. */
  save(state: BridgeState): Promise<void>;
}

/** A state file on local disk (atomic replace, flushed, mode 0600). */
export function fileStateStore(path: string): BridgeStateStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyBridgeState();
        throw new BridgeStateError(path, `cannot be read (${(error as Error).message})`);
      }
      return parseBridgeState(text, path);
    },
    async save(state) {
      const tmp = `${path}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(stringifyBridgeState(state), 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await rename(tmp, path);
      } catch (error) {
        await unlink(tmp).catch(() => {});
        throw error;
      }
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    },
  };
}

/** A state kept in memory only (tests, or a bridge whose restarts need not remember anything). Saves a copy, so later changes to the live state do not leak into it. */
export function memoryStateStore(): BridgeStateStore & { readonly saved: () => string | null } {
  let saved: string | null = null;
  return {
    load: () => Promise.resolve(saved === null ? emptyBridgeState() : parseBridgeState(saved)),
    save: (state) => {
      saved = stringifyBridgeState(state);
      return Promise.resolve();
    },
    saved: () => saved,
  };
}
