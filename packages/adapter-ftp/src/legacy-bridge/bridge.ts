/**
 * Theory of operation: a bridge that lets an unmodified fleet of original Hub
 * clients (hub-protocol.md §9) talk to a dialoghub hub. Towards the FTP
 * server it plays the governor's part of the file protocol — it reads
 * `cxnreq.hub` and each online client's `<ID>.hub`, and writes
 * `cxnresp.gov`, `profiles.gov` and `<ID>.gov` in the original format.
 * Towards the hub it is an ordinary dialoghub client on behalf of each legacy
 * client, over any client transport (memory link in the same process, TCP):
 * one link per legacy session, the client's secret presented for it
 * (docs/decisions/0007-legacy-bridge.md). The hub makes every protocol
 * decision (policies, statuses, liveness); the bridge only translates, in the
 * order the original governor did it:
 *
 * 1. requests of `cxnreq.hub` above the last one handled, each sent to the
 *    hub and its answer awaited (bounded); answers that reveal a status write
 *    `<ID>.gov` with it;
 * 2. re-logins of sessions whose link was lost (hub restart, bridge restart);
 * 3. for every online client, `<ID>.hub` when its size changed: new legacy
 *    messages become dialog messages with `seq = inSeqBase + legacy id`;
 * 4. what the hub sent since the last tick: Syncs and SetInfo Oks appended to
 *    `<ID>.gov` under this session's legacy ids, statuses from close reasons;
 * 5. the state saved (state.ts), then uploads: `<ID>.gov` and `.hub` resets
 *    first, `cxnresp.gov` last — an Ok is never visible before the client's
 *    files it promises.
 *
 * Ids: legacy client → hub ids map onto the hub's sequence space by the
 * session's `inSeqBase` (the `lastReceived` of the `ok` that admitted it), so
 * the client's `<ID>.hub` itself is the resend buffer: after a re-login the
 * bridge re-reads it from the hub's `lastReceived`. Hub → client messages get
 * the session's own legacy ids (from 1, as the governor's `LastSrvMessageID`),
 * each remembering the hub seq it confirms; a legacy Null naming a Sync is the
 * client's acknowledgement of everything before it (B21), and trims `.gov`.
 *
 * It must not decide anything the hub decides: no status is changed here
 * except to write what the hub said (an answer's reason, a close reason).
 */
import type { Answer, ClientId, ClientStatus, CloseReason, DialogMessage, MessageBody, ProfileSummary, Request } from '@dialoghub/core';
import type { ClientLink, ClientTransport } from '../client-transport.js';
import type { ClientFrame, HubFrame } from '../frames.js';
import { FtpConnection, describeError, isNoSuchFile, replyCode } from '../ftp-connection.js';
import { positive, resolveServer, type FtpServerOptions } from '../options.js';
import { resolveLegacyLimits, type LegacyLimits } from '../legacy/errors.js';
import {
  LEGACY_FILE_NAMES,
  decodeCnxRequestFile,
  decodeHubDialogFile,
  encodeCnxRequestFile,
  encodeCnxResponseFile,
  encodeGovDialogFile,
  encodeHubDialogFile,
  encodeProfilesFile,
  legacyDialogFileNames,
} from '../legacy/files.js';
import { decodeCnxPayload, decodeDialogPayload, encodeCnxPayload, encodeDialogPayload, type LegacyCnxRequestPayload } from '../legacy/payloads.js';
import { decodeLegacyTransfer, encodeLegacyTransfer } from '../legacy/transfer.js';
import { epochMsToTicks } from '../legacy/ticks.js';
import type { LegacyMessage } from '../legacy/types.js';
import { STATUS_TO_LEGACY_STATUS, legacyDialogToMessage, legacyRequestToRequest, profileSummariesToLegacy } from '../legacy/mapping.js';
import type { BridgeClient, BridgeState, BridgeStateStore, GovEntry, LegacySession } from './state.js';

/** What the bridge sends to the hub: the client frames. */
export type BridgeFrame = ClientFrame;
/** What the hub sends. */
export type BridgeHubFrame = HubFrame;
/** One link to the hub: a client link (the TCP adapter's, `@dialoghub/client`'s `memoryTransport(network)`'s, this package's). */
export type BridgeLink = ClientLink;
/** Opens links to the hub: a client transport. */
export type BridgeConnector = ClientTransport;

/** One thing the bridge did on its own, for the application's logger. */
export interface BridgeLogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** `badRequestFile`, `badRequest`, `badHubFile`, `badMessage`, `noAnswer`, `undeliverable`, `statusWritten`, `sessionEnded`, `relogin`, `unmappable`. */
  readonly event: string;
  readonly clientId: number | null;
  readonly detail: string;
}

export interface LegacyBridgeOptions {
  /** The FTP server the legacy fleet uses. */
  readonly server?: FtpServerOptions;
  /** The legacy dialog directory, relative to the login directory unless it starts with `/`. Default `hub/dlg` (the original's `/hub/dlg/`). */
  readonly remoteDir?: string;
  /** How to reach the hub. */
  readonly hub: BridgeConnector;
  /** Where the bridge keeps its state (`fileStateStore(path)`; it holds the clients' secrets — local disk only). */
  readonly state: BridgeStateStore;
  /** The clock for legacy Timestamps and answer retention (ms since 1970). Default `Date.now`. */
  readonly now?: () => number;
  /** Wall-clock bound on waiting for the hub's answer to one request. Default 10 000 ms. */
  readonly answerTimeoutMs?: number;
  /** How long an answer stays in `cxnresp.gov` (clients poll it for at most a few minutes, §9.2–9.4). Default 15 min. */
  readonly answerRetentionMs?: number;
  /** Re-publish `profiles.gov` from the hub every this many ticks (and whenever an answer lists the profiles). Default 20. */
  readonly profilesEveryTicks?: number;
  /** Limits for reading legacy files. */
  readonly limits?: Partial<LegacyLimits>;
  readonly onLog?: (entry: BridgeLogEntry) => void;
}

/** What one tick did. */
export interface BridgeTickReport {
  readonly tick: number;
  /** New requests read from `cxnreq.hub`. */
  readonly requests: number;
  /** Answers added to `cxnresp.gov`. */
  readonly answers: number;
  /** Legacy messages handed to the hub. */
  readonly toHub: number;
  /** Hub messages written into `.gov` files. */
  readonly toClients: number;
  readonly uploaded: number;
  readonly downloaded: number;
  /** Operations that failed (each retried at a later tick). */
  readonly failed: number;
  /** Legacy clients with a live link to the hub after the tick. */
  readonly online: number;
  readonly errors: readonly string[];
}

/** What the bridge keeps about a client besides the durable state. */
interface Live {
  link: BridgeLink | null;
  /** Frames and ends of `link` not yet handled, in arrival order. */
  inbox: Array<{ readonly frame: BridgeHubFrame } | { readonly ended: CloseReason | null; readonly cause: string }>;
  /** Answer waiters of `link`, by request id. */
  waiters: Map<number, (answer: Answer | null) => void>;
  /** Size of `<ID>.hub` when last read, or null to read it again. */
  hubSize: number | null;
  needsRelogin: boolean;
  govDirty: boolean;
  hubReset: boolean;
}

const EMPTY = new Uint8Array(0);
/** Request id the bridge uses for its own requests (re-logins, profile lists): legacy ids are used for the clients'. */
const OWN_REQUEST_ID = 0xfffffff0;
/** Client id for the profile list request (the answer echoes it; no client is concerned). */
const NO_CLIENT = 1 as ClientId;

/** The status a close reason or refusal tells, or null when the status did not change. */
function statusOfEnd(reason: CloseReason | null): ClientStatus | null {
  switch (reason) {
    case 'disabled':
    case 'replaced':
      return 'disabled';
    case 'banned':
      return 'banned';
    case 'reset':
    case 'deleted':
      return 'reset';
    default:
      return null;
  }
}

function statusOfRefusal(answer: Answer): ClientStatus | null {
  if (answer.code === 'reset' || answer.code === 'invalidId') return 'reset';
  if (answer.code !== 'rejected') return null;
  if (answer.reason === 'disabled') return 'disabled';
  if (answer.reason === 'banned') return 'banned';
  // The hub does not know the secret the bridge holds (its data was replaced): only a new registration helps.
  if (answer.reason === 'badCredentials') return 'reset';
  return null;
}

export class LegacyBridge {
  private readonly conn: FtpConnection;
  private readonly hub: BridgeConnector;
  private readonly store: BridgeStateStore;
  private readonly now: () => number;
  private readonly answerTimeoutMs: number;
  private readonly answerRetentionMs: number;
  private readonly profilesEveryTicks: number;
  private readonly limits: LegacyLimits;
  private readonly onLog: (entry: BridgeLogEntry) => void;
  private state: BridgeState | null = null;
  private readonly live = new Map<number, Live>();
  private ticks = 0;
  private running: Promise<BridgeTickReport> | null = null;
  private closed = false;
  private stateDirty = false;
  private answersDirty = false;
  private profilesBytes: Uint8Array | null = null;
  private profilesDirty = false;
  private readonly resetGovs = new Set<number>();
  // Per-tick counters.
  private counts = { requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 0, failed: 0 };
  private errors: string[] = [];

  constructor(options: LegacyBridgeOptions) {
    const dir = options.remoteDir ?? 'hub/dlg';
    if (typeof dir !== 'string' || dir === '' || dir.split('/').some((s) => s === '..')) throw new RangeError(`remoteDir must be a directory path without "..", got ${JSON.stringify(dir)}`);
    this.conn = new FtpConnection(resolveServer(options.server), () => {}, () => {}, dir);
    this.hub = options.hub;
    this.store = options.state;
    this.now = options.now ?? Date.now;
    this.answerTimeoutMs = positive('answerTimeoutMs', options.answerTimeoutMs, 10_000);
    this.answerRetentionMs = positive('answerRetentionMs', options.answerRetentionMs, 15 * 60_000);
    this.profilesEveryTicks = positive('profilesEveryTicks', options.profilesEveryTicks, 20);
    this.limits = resolveLegacyLimits(options.limits);
    this.onLog = options.onLog ?? (() => {});
  }

  /** The durable state as last loaded or changed (read-only use: inspection and tests). */
  get snapshot(): BridgeState | null {
    return this.state;
  }

  /** The legacy clients with a live link to the hub. */
  get onlineClients(): number[] {
    return [...this.live].filter(([, l]) => l.link !== null).map(([id]) => id);
  }

  /**
   * Loads the saved state (the first tick does it too): call it at start to
   * fail early on a state file that cannot be used (`BridgeStateError`).
   */
  async open(): Promise<void> {
    if (this.closed) throw new Error('the legacy bridge is closed');
    if (this.state === null) this.adopt(await this.store.load());
  }

  /**
   * One round of the governor's loop (see the theory of operation). Ticks
   * never overlap: a call during a tick returns that tick's report.
   */
  tick(): Promise<BridgeTickReport> {
    if (this.closed) return Promise.reject(new Error('the legacy bridge is closed'));
    if (this.running !== null) return this.running;
    this.running = this.runTick().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Ends every link and the FTP connection; the state stays as last saved. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.running !== null) await this.running.catch(() => {});
    this.closed = true;
    for (const l of this.live.values()) l.link?.close();
    await this.conn.close();
  }

  /**
   * The governor's `Initialize()` (hub-protocol.md §7), on demand only: writes
   * `cxnreq.hub` and `cxnresp.gov` empty and forgets the request counter, so
   * the clients' request ids start again at 1. Requests posted and not yet
   * read are lost (their clients re-post, §12), and a client posting while
   * this runs can lose its post (B16): call it in a quiet moment, to shrink
   * files that grew too large. Never reset `cxnreq.hub` any other way while
   * the bridge runs: ids at or below the last one handled are never read.
   */
  async resetConnectionFiles(): Promise<void> {
    if (this.closed) throw new Error('the legacy bridge is closed');
    while (this.running !== null) await this.running.catch(() => {});
    const state = this.state ?? this.adopt(await this.store.load());
    state.lastRequestId = 0;
    state.answers = [];
    await this.store.save(state);
    this.conn.beginRound();
    await this.conn.uploadAtomic(`${LEGACY_FILE_NAMES.cnxRequests}.dhb-tmp`, LEGACY_FILE_NAMES.cnxRequests, encodeLegacyTransfer(encodeCnxRequestFile([])));
    await this.conn.uploadAtomic(`${LEGACY_FILE_NAMES.cnxResponses}.dhb-tmp`, LEGACY_FILE_NAMES.cnxResponses, encodeLegacyTransfer(encodeCnxResponseFile([])));
    this.answersDirty = false;
  }

  // ---- the tick ---------------------------------------------------------

  private async runTick(): Promise<BridgeTickReport> {
    this.counts = { requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 0, failed: 0 };
    this.errors = [];
    this.ticks += 1;
    this.conn.beginRound();
    const state = this.state ?? this.adopt(await this.store.load());
    if (this.ticks === 1 || this.ticks % this.profilesEveryTicks === 0) await this.refreshProfiles();
    await this.readRequests(state);
    for (const [id, l] of this.live) {
      const c = state.clients.get(id);
      if (l.needsRelogin && c !== undefined) await this.relogin(id, c, l);
    }
    for (const [id, l] of this.live) {
      const c = state.clients.get(id);
      if (c !== undefined) this.drainInbox(id, c, l);
    }
    for (const [id, l] of this.live) {
      const c = state.clients.get(id);
      if (c !== undefined && l.link !== null && c.session !== null && c.status === 'enabled') await this.readHubFile(id, c, c.session, l);
    }
    // Frames that arrived while the files were read.
    for (const [id, l] of this.live) {
      const c = state.clients.get(id);
      if (c !== undefined) this.drainInbox(id, c, l);
    }
    this.trimAnswers(state);
    if (this.stateDirty) {
      await this.store.save(state);
      this.stateDirty = false;
    }
    await this.upload(state);
    return {
      tick: this.ticks,
      ...this.counts,
      online: this.onlineClients.length,
      errors: this.errors,
    };
  }

  /** Takes a loaded state on: what the last run saved may not all have reached the server, so it is published again. */
  private adopt(state: BridgeState): BridgeState {
    this.state = state;
    for (const [id, c] of state.clients) {
      const l = this.liveOf(id);
      l.govDirty = c.session !== null || c.status !== 'enabled';
      l.needsRelogin = c.session !== null && c.session.linked && c.status === 'enabled';
    }
    // cxnresp.gov exists from the first tick on (the governor's Initialize wrote it): a client polling a missing one fails (B15).
    this.answersDirty = true;
    return state;
  }

  // ---- connection channel -------------------------------------------------

  private async readRequests(state: BridgeState): Promise<void> {
    const plain = await this.downloadPlain(LEGACY_FILE_NAMES.cnxRequests);
    if (plain === null) return;
    const file = decodeCnxRequestFile(plain, this.limits);
    if (!file.ok) {
      this.log('warn', 'badRequestFile', null, file.error.message);
      return;
    }
    const fresh = file.value.filter((m) => m.id > state.lastRequestId).sort((a, b) => a.id - b.id);
    for (const m of fresh) {
      this.counts.requests += 1;
      await this.handleRequest(state, m);
      // Advanced one by one (not before the batch, as the original did: §12), so a crash re-reads only unanswered ones.
      state.lastRequestId = Math.max(state.lastRequestId, m.id);
      this.stateDirty = true;
    }
  }

  private async handleRequest(state: BridgeState, m: LegacyMessage): Promise<void> {
    const payload = decodeCnxPayload(m, this.limits);
    if (!payload.ok) {
      this.log('warn', 'badRequest', null, `request ${m.id}: ${payload.error.message}`);
      return;
    }
    const p = payload.value;
    if (p.type === 'ok' || p.type === 'invalidId' || p.type === 'invalidProfile' || p.type === 'rejected') {
      this.log('warn', 'badRequest', null, `request ${m.id}: an answer (${p.type}) in cxnreq.hub`);
      return;
    }
    switch (p.type) {
      case 'newConnection':
        return this.register(state, m.id, p);
      case 'start':
      case 'resume':
        return this.admitRequest(state, m.id, p);
      case 'sync':
        return this.cnxSync(state, m.id, p);
    }
  }

  private async register(state: BridgeState, reqId: number, p: Extract<LegacyCnxRequestPayload, { type: 'newConnection' }>): Promise<void> {
    const id = p.info.clientId;
    const request = legacyRequestToRequest(reqId, p, null);
    if (request.type !== 'mapped') {
      this.log('warn', 'badRequest', id, `${request.reason}: ${request.detail}`);
      return;
    }
    const known = state.clients.get(id);
    // Asked on a link of its own: a NewConnection naming a ClientID in use must not end that client's session
    // (the hub answers invalidId); only an ok makes this link the client's.
    const l = newLive();
    const answer = await this.ask(id, l, request.value, true);
    if (answer === null) {
      this.endLink(l);
      return;
    }
    if (answer.code === 'ok') {
      if (answer.secret === null) {
        // The hub issues a secret with every registration it admits (protocol.md §10): without one the bridge could never log the client in.
        this.log('error', 'noSecret', id, 'the hub admitted a registration without issuing a secret');
        this.endLink(l);
        return;
      }
      const previous = this.live.get(id);
      if (previous !== undefined) this.endLink(previous);
      this.live.set(id, l);
      const client: BridgeClient = {
        secret: answer.secret,
        status: 'enabled',
        hubAcked: 0,
        hubForwarded: 0,
        session: null,
      };
      state.clients.set(id, client);
      this.openSession(client, l, answer.lastReceived);
      if (known !== undefined) this.log('info', 'registeredAgain', id, 'a repeated registration: the hub issued a new secret');
      this.answer(state, reqId, 'ok', id);
      return;
    }
    this.endLink(l);
    if (answer.code === 'invalidProfile') {
      this.publishProfiles(answer.profiles);
      this.answer(state, reqId, 'invalidProfile', id);
    } else if (answer.code === 'invalidId') {
      this.answer(state, reqId, 'invalidId', id);
    } else {
      this.answer(state, reqId, 'rejected', id);
    }
  }

  private async admitRequest(state: BridgeState, reqId: number, p: Extract<LegacyCnxRequestPayload, { type: 'start' | 'resume' }>): Promise<void> {
    const id = p.clientId;
    const c = state.clients.get(id);
    if (c === undefined || c.status === 'reset') {
      // Unknown to the bridge: only a new registration helps (§8.2 step 1, §8.3 step 1).
      this.resetGovs.add(id);
      this.answer(state, reqId, 'rejected', id);
      return;
    }
    const request = legacyRequestToRequest(reqId, p, { secret: c.secret });
    if (request.type !== 'mapped') {
      this.log('warn', 'badRequest', id, `${request.reason}: ${request.detail}`);
      return;
    }
    const l = this.liveOf(id);
    // The legacy client launched again: its previous session is over.
    await this.endSession(id, c, l);
    const answer = await this.ask(id, l, { ...request.value, lastReceived: c.hubAcked } as Request, true);
    if (answer === null) return;
    if (answer.code === 'ok') {
      c.status = 'enabled';
      this.openSession(c, l, answer.lastReceived);
      this.answer(state, reqId, 'ok', id);
      return;
    }
    this.endLink(l);
    this.noteRefusal(id, c, l, answer);
    this.answer(state, reqId, 'rejected', id);
  }

  /** The client's Sync on the connection channel (§8.4): it heard nothing from the governor for ~12 minutes. */
  private async cnxSync(state: BridgeState, reqId: number, p: Extract<LegacyCnxRequestPayload, { type: 'sync' }>): Promise<void> {
    const id = p.clientId;
    const c = state.clients.get(id);
    if (c === undefined || c.status === 'reset') {
      this.resetGovs.add(id);
      return;
    }
    const l = this.liveOf(id);
    if (c.status !== 'enabled') {
      // Known but not enabled: the .gov says so again (§8.4 step 3); the hub is not asked.
      l.govDirty = true;
      return;
    }
    const request = legacyRequestToRequest(reqId, p, { secret: c.secret });
    if (request.type !== 'mapped') {
      this.log('warn', 'badRequest', id, `${request.reason}: ${request.detail}`);
      return;
    }
    // The client has read .gov up to lastServerMessageId: that much is confirmed before the hub is asked to resend.
    if (c.session !== null) this.confirm(c, c.session, p.lastServerMessageId);
    const answer = await this.ask(id, l, { ...request.value, lastReceived: c.hubAcked } as Request, l.link === null);
    if (answer === null) return;
    if (answer.code !== 'ok') {
      this.endLink(l);
      this.noteRefusal(id, c, l, answer);
      return;
    }
    if (c.session === null) {
      // The bridge lost this session (a new state file): the client's own counters are the only base (ftp-legacy.md §7.1.2).
      c.session = { inSeqBase: Math.max(0, answer.lastReceived - p.lastClientMessageId), legacyIn: 0, legacyOut: 0, gov: [], linked: true };
    }
    const s = c.session;
    s.linked = true;
    s.legacyOut = Math.max(s.legacyOut, p.lastServerMessageId);
    this.adoptLastReceived(s, l, answer.lastReceived);
    // A governor message resets the client's TTL (§9.5 step 3).
    this.appendGov(c, s, l, 'null', 0);
    this.stateDirty = true;
  }

  /** Adds an answer to `cxnresp.gov` (published at the end of the tick, after the clients' files). */
  private answer(state: BridgeState, reqId: number, code: 'ok' | 'invalidId' | 'invalidProfile' | 'rejected', clientId: number): void {
    state.lastResponseId = state.lastResponseId >= 0xffffffff ? 1 : state.lastResponseId + 1;
    state.answers.push({ id: state.lastResponseId, reqId, code, clientId, at: this.now() });
    this.counts.answers += 1;
    this.answersDirty = true;
    this.stateDirty = true;
  }

  private trimAnswers(state: BridgeState): void {
    const horizon = this.now() - this.answerRetentionMs;
    const kept = state.answers.filter((a) => a.at >= horizon);
    if (kept.length !== state.answers.length) {
      state.answers = kept;
      this.answersDirty = true;
      this.stateDirty = true;
    }
  }

  // ---- sessions ---------------------------------------------------------

  private openSession(c: BridgeClient, l: Live, lastReceived: number): void {
    c.session = { inSeqBase: lastReceived, legacyIn: 0, legacyOut: 0, gov: [], linked: true };
    // The new .gov starts empty: what the client had not confirmed is resent by the hub after its ok.
    c.hubForwarded = c.hubAcked;
    l.govDirty = true;
    l.hubReset = true;
    l.hubSize = null;
    l.needsRelogin = false;
    this.stateDirty = true;
  }

  /** Ends the hub session of a client whose legacy session is over (it launched again): a close message, then the link's end (bounded). */
  private async endSession(id: number, c: BridgeClient, l: Live): Promise<void> {
    const link = l.link;
    if (link === null) return;
    // Detached first: this end is expected, and must not read as a lost link.
    this.detach(l);
    const s = c.session;
    if (s !== null) {
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.answerTimeoutMs);
        timer.unref?.();
        link.onClose(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await link.send({ kind: 'dialog', clientId: id as ClientId, messages: [{ seq: s.inSeqBase + s.legacyIn + 1, ack: c.hubAcked, body: { type: 'close' } }] });
        await ended;
      } catch {
        // The link was already gone.
      }
    }
    link.close();
  }

  private detach(l: Live): void {
    l.link = null;
    for (const w of l.waiters.values()) w(null);
    l.waiters.clear();
  }

  private endLink(l: Live): void {
    const link = l.link;
    this.detach(l);
    link?.close();
  }

  /** Re-admits a client whose link was lost while its legacy session goes on (hub or bridge restarted). */
  private async relogin(id: number, c: BridgeClient, l: Live): Promise<void> {
    if (c.session === null || c.status !== 'enabled') {
      l.needsRelogin = false;
      return;
    }
    const answer = await this.ask(id, l, { kind: 'sync', requestId: OWN_REQUEST_ID, clientId: id as ClientId, credential: { secret: c.secret }, lastReceived: c.hubAcked }, true);
    if (answer === null) return; // Tried again next tick.
    if (answer.code === 'rejected' && answer.reason === 'alreadyOnline') {
      // The hub still holds the link of before the restart (a policy that keeps the old one): it ends
      // when the hub hears nothing on it; until then, tried again every tick.
      this.endLink(l);
      return;
    }
    l.needsRelogin = false;
    if (answer.code === 'ok') {
      this.log('info', 'relogin', id, `re-admitted, the hub had ${answer.lastReceived} of its messages`);
      this.adoptLastReceived(c.session, l, answer.lastReceived);
      return;
    }
    this.endLink(l);
    this.noteRefusal(id, c, l, answer);
  }

  /** After an `ok`: legacy messages above what the hub handled are read again from `<ID>.hub` and sent. */
  private adoptLastReceived(s: LegacySession, l: Live, lastReceived: number): void {
    const handled = lastReceived - s.inSeqBase;
    if (handled >= 0 && handled !== s.legacyIn) {
      s.legacyIn = handled;
      this.stateDirty = true;
    }
    l.hubSize = null;
  }

  private noteRefusal(id: number, c: BridgeClient, l: Live, answer: Answer): void {
    const status = statusOfRefusal(answer);
    if (status !== null) this.setStatus(id, c, l, status, `refused: ${answer.code === 'rejected' ? answer.reason : answer.code}`);
  }

  private setStatus(id: number, c: BridgeClient, l: Live, status: ClientStatus, why: string): void {
    if (c.status === status) return;
    c.status = status;
    if (status !== 'enabled') l.needsRelogin = false;
    l.govDirty = true;
    this.stateDirty = true;
    this.log('info', 'statusWritten', id, `${status} (${why})`);
  }

  /**
   * Sends a request and waits (bounded) for its answer. `fresh`: on a new
   * link (the previous one, if any, is closed first); otherwise on the
   * current one. Null when no answer came (the legacy client re-posts, as it
   * did when the governor dropped a request: §12).
   */
  private async ask(id: number, l: Live, request: Request, fresh: boolean): Promise<Answer | null> {
    if (fresh || l.link === null) {
      this.endLink(l);
      try {
        l.link = await this.hub.connect();
      } catch (error) {
        this.fail(`connect for ${id}: ${describeError(error)}`);
        return null;
      }
      this.listen(l, l.link);
    }
    const link = l.link;
    const answer = new Promise<Answer | null>((resolve) => {
      const timer = setTimeout(() => {
        l.waiters.delete(request.requestId);
        resolve(null);
      }, this.answerTimeoutMs);
      timer.unref?.();
      l.waiters.set(request.requestId, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
    try {
      await link.send({ kind: 'request', request });
    } catch (error) {
      l.waiters.get(request.requestId)?.(null);
      this.fail(`request ${request.kind} for ${id}: ${describeError(error)}`);
      return null;
    }
    const got = await answer;
    if (got === null) this.log('warn', 'noAnswer', id, `no answer to ${request.kind} within ${this.answerTimeoutMs} ms`);
    return got;
  }

  private listen(l: Live, link: BridgeLink): void {
    link.onFrame((frame) => {
      if (l.link !== link) return;
      if (frame.kind === 'answer') {
        const w = l.waiters.get(frame.requestId);
        if (w !== undefined) {
          l.waiters.delete(frame.requestId);
          w(frame.answer);
        }
        return;
      }
      l.inbox.push({ frame });
    });
    link.onClose((reason, cause) => {
      if (l.link !== link) return;
      l.link = null;
      for (const w of l.waiters.values()) w(null);
      l.waiters.clear();
      l.inbox.push({ ended: reason, cause });
    });
  }

  // ---- hub → client -----------------------------------------------------

  private drainInbox(id: number, c: BridgeClient, l: Live): void {
    while (l.inbox.length > 0) {
      const item = l.inbox.shift()!;
      if ('ended' in item) {
        this.linkEnded(id, c, l, item.ended, item.cause);
        continue;
      }
      const { frame } = item;
      if (frame.kind === 'close') {
        const status = statusOfEnd(frame.reason);
        if (status !== null) this.setStatus(id, c, l, status, `closed: ${frame.reason}`);
        continue;
      }
      if (frame.kind === 'dialog') {
        for (const m of frame.messages) this.fromHub(id, c, l, m);
      }
    }
  }

  private linkEnded(id: number, c: BridgeClient, l: Live, reason: CloseReason | null, cause: string): void {
    const status = statusOfEnd(reason);
    if (status !== null) {
      this.setStatus(id, c, l, status, `closed: ${reason}`);
      return;
    }
    this.log('info', 'sessionEnded', id, `${reason ?? 'no reason'} (${cause})`);
    if (c.session === null) return;
    // The transport failed or the hub went away: the legacy client still runs, so the bridge logs in again.
    // After a kick, a heartbeat timeout or the client's Close the session ended on purpose: the client's own
    // cnx Sync (§11) or its next Start brings it back, if it still runs.
    if (reason === null || reason === 'shutdown' || reason === 'busy') {
      if (c.status === 'enabled') l.needsRelogin = true;
    } else if (c.session.linked) {
      c.session.linked = false;
      this.stateDirty = true;
    }
  }

  private fromHub(id: number, c: BridgeClient, l: Live, m: DialogMessage): void {
    const s = c.session;
    if (m.body.type === 'ack' || m.seq === 0) return;
    if (m.seq <= c.hubForwarded || s === null) return;
    c.hubForwarded = m.seq;
    this.stateDirty = true;
    const body: MessageBody = m.body;
    if (body.type === 'sync') {
      this.appendGov(c, s, l, 'sync', 0);
    } else if (body.type === 'ok') {
      const reqId = body.replyTo - s.inSeqBase;
      this.appendGov(c, s, l, 'ok', reqId > 0 && reqId <= 0xffffffff ? reqId : 0);
    } else {
      // No legacy form (an application message, a refusal): acknowledged with the client's next Null.
      this.log('warn', 'undeliverable', id, `hub message ${m.seq} (${body.type}) has no legacy form`);
    }
  }

  private appendGov(c: BridgeClient, s: LegacySession, l: Live, type: GovEntry['type'], reqId: number): void {
    s.legacyOut += 1;
    s.gov.push({ id: s.legacyOut, reqId, type, hubSeq: c.hubForwarded, at: this.now() });
    l.govDirty = true;
    this.stateDirty = true;
    if (type !== 'null') this.counts.toClients += 1;
  }

  /** The client read `.gov` up to legacy id `upTo`: what those messages carried is acknowledged, and they leave the file. */
  private confirm(c: BridgeClient, s: LegacySession, upTo: number): void {
    let acked = c.hubAcked;
    while (s.gov.length > 0 && s.gov[0]!.id <= upTo) acked = Math.max(acked, s.gov.shift()!.hubSeq);
    if (acked !== c.hubAcked) {
      c.hubAcked = acked;
      this.stateDirty = true;
    }
  }

  // ---- client → hub -----------------------------------------------------

  private async readHubFile(id: number, c: BridgeClient, s: LegacySession, l: Live): Promise<void> {
    // A new session's file is still the previous session's until the reset is uploaded.
    if (l.hubReset) return;
    const name = legacyDialogFileNames(id).hub;
    let size: number;
    try {
      size = await this.conn.size(name);
    } catch (error) {
      if (!isMissing(error)) this.fail(`SIZE ${name}: ${describeError(error)}`);
      return;
    }
    if (size === l.hubSize) return;
    const plain = await this.downloadPlain(name);
    if (plain === null) return;
    const file = decodeHubDialogFile(plain, this.limits, id);
    if (!file.ok) {
      this.log('warn', 'badHubFile', id, file.error.message);
      return;
    }
    const messages: DialogMessage[] = [];
    let last = s.legacyIn;
    let close = false;
    for (const m of file.value.messages) {
      if (m.id <= last) continue;
      if (m.id !== last + 1) {
        // A legacy client numbers its messages 1, 2, 3…: a gap means the file is not this session's.
        this.log('warn', 'badHubFile', id, `message ${m.id} after ${last}: not this session's file`);
        break;
      }
      last = m.id;
      messages.push(this.toHubMessage(id, c, s, m));
      if (messages[messages.length - 1]!.body.type === 'close') {
        close = true;
        break;
      }
    }
    l.hubSize = size;
    if (messages.length === 0 || l.link === null) return;
    try {
      await l.link.send({ kind: 'dialog', clientId: id as ClientId, messages });
    } catch (error) {
      l.hubSize = null;
      this.fail(`dialog for ${id}: ${describeError(error)}`);
      return;
    }
    s.legacyIn = last;
    this.counts.toHub += messages.length;
    this.stateDirty = true;
    if (close) this.log('info', 'sessionEnded', id, 'the client sent Close');
  }

  /** One legacy message as a dialog message of this session; one the hub cannot take becomes a Null, so the sequence has no gap. */
  private toHubMessage(id: number, c: BridgeClient, s: LegacySession, m: LegacyMessage): DialogMessage {
    const seq = s.inSeqBase + m.id;
    const payload = decodeDialogPayload(m, this.limits);
    if (payload.ok && payload.value.type === 'null') {
      // A Null names the Sync it answers: the client read .gov up to there.
      const sync = s.gov.find((g) => g.id === m.reqId);
      const replyTo = sync !== undefined && sync.type === 'sync' ? sync.hubSeq : 0;
      this.confirm(c, s, m.reqId);
      return { seq, ack: c.hubAcked, body: { type: 'null', replyTo } };
    }
    if (payload.ok) {
      const mapped = legacyDialogToMessage({ id: m.id, reqId: m.reqId, payload: payload.value }, { direction: 'clientToHub', inSeqBase: s.inSeqBase });
      if (mapped.type === 'mapped') return { ...mapped.value, ack: c.hubAcked };
      this.log('warn', 'unmappable', id, `message ${m.id}: ${mapped.reason}: ${mapped.detail}`);
    } else {
      this.log('warn', 'badMessage', id, `message ${m.id}: ${payload.error.message}`);
    }
    return { seq, ack: c.hubAcked, body: { type: 'null', replyTo: 0 } };
  }

  // ---- profiles -----------------------------------------------------------

  private async refreshProfiles(): Promise<void> {
    let link: BridgeLink;
    try {
      link = await this.hub.connect();
    } catch (error) {
      this.fail(`connect for the profile list: ${describeError(error)}`);
      return;
    }
    const profiles = await new Promise<readonly ProfileSummary[] | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), this.answerTimeoutMs);
      timer.unref?.();
      link.onFrame((f) => {
        if (f.kind === 'answer' && f.answer.code === 'profiles') {
          clearTimeout(timer);
          resolve(f.answer.profiles);
        }
      });
      link.onClose(() => {
        clearTimeout(timer);
        resolve(null);
      });
      link.send({ kind: 'request', request: { kind: 'profiles', requestId: OWN_REQUEST_ID, clientId: NO_CLIENT } }).catch(() => resolve(null));
    });
    link.close();
    if (profiles === null) {
      this.fail('no profile list from the hub');
      return;
    }
    this.publishProfiles(profiles);
  }

  private publishProfiles(profiles: readonly ProfileSummary[]): void {
    const legacy = profileSummariesToLegacy(profiles.filter((p) => p.name.trim() !== ''));
    if (legacy.type !== 'mapped') {
      this.log('warn', 'unmappable', null, `profiles: ${legacy.detail}`);
      return;
    }
    const bytes = encodeLegacyTransfer(encodeProfilesFile(legacy.value));
    if (this.profilesBytes !== null && Buffer.compare(bytes, this.profilesBytes) === 0) return;
    this.profilesBytes = bytes;
    this.profilesDirty = true;
  }

  // ---- uploads ------------------------------------------------------------

  private async upload(state: BridgeState): Promise<void> {
    let clientFilesOk = true;
    for (const [id, l] of this.live) {
      const c = state.clients.get(id);
      if (c === undefined) continue;
      const names = legacyDialogFileNames(id);
      if (l.hubReset) {
        if (await this.put(names.hub, encodeLegacyTransfer(encodeHubDialogFile({ clientId: id, messages: [] })))) {
          l.hubReset = false;
          l.hubSize = null;
        } else clientFilesOk = false;
      }
      if (l.govDirty) {
        if (await this.put(names.gov, this.govBytes(id, c))) l.govDirty = false;
        else clientFilesOk = false;
      }
    }
    for (const id of [...this.resetGovs]) {
      const bytes = encodeLegacyTransfer(encodeGovDialogFile({ clientId: id, status: 'reset', messages: [] }));
      if (await this.put(legacyDialogFileNames(id).gov, bytes)) this.resetGovs.delete(id);
      else clientFilesOk = false;
    }
    if (this.profilesDirty && this.profilesBytes !== null) {
      if (await this.put(LEGACY_FILE_NAMES.profiles, this.profilesBytes)) this.profilesDirty = false;
    }
    // Answers last, and only once the files they promise are in place.
    if (this.answersDirty && clientFilesOk) {
      const messages: LegacyMessage[] = state.answers.map((a) => {
        const { code, data } = encodeCnxPayload({ type: a.code, clientId: a.clientId, rest: EMPTY });
        return { id: a.id, reqId: a.reqId, code, timestamp: epochMsToTicks(a.at), data };
      });
      if (await this.put(LEGACY_FILE_NAMES.cnxResponses, encodeLegacyTransfer(encodeCnxResponseFile(messages)))) this.answersDirty = false;
    }
  }

  private govBytes(id: number, c: BridgeClient): Uint8Array {
    const gov = c.session?.gov ?? [];
    const messages: LegacyMessage[] = gov.map((g) => {
      const { code, data } = encodeDialogPayload({ type: g.type });
      return { id: g.id, reqId: g.reqId, code, timestamp: epochMsToTicks(g.at), data };
    });
    return encodeLegacyTransfer(encodeGovDialogFile({ clientId: id, status: STATUS_TO_LEGACY_STATUS[c.status], messages }));
  }

  private async put(name: string, bytes: Uint8Array): Promise<boolean> {
    try {
      await this.conn.uploadAtomic(`${name}.dhb-tmp`, name, bytes);
      this.counts.uploaded += 1;
      return true;
    } catch (error) {
      this.fail(`upload ${name}: ${describeError(error)}`);
      return false;
    }
  }

  /** Downloads and un-transfers a legacy file; null when it is missing (550) or cannot be read. */
  private async downloadPlain(name: string): Promise<Uint8Array | null> {
    let wire: Uint8Array;
    try {
      wire = await this.conn.download(name, this.limits.maxFileBytes + 1024);
    } catch (error) {
      if (!isMissing(error)) this.fail(`download ${name}: ${describeError(error)}`);
      return null;
    }
    this.counts.downloaded += 1;
    const plain = decodeLegacyTransfer(wire, this.limits);
    if (!plain.ok) {
      this.log('warn', name === LEGACY_FILE_NAMES.cnxRequests ? 'badRequestFile' : 'badHubFile', null, `${name}: ${plain.error.message}`);
      return null;
    }
    return plain.value;
  }

  // ---- helpers ------------------------------------------------------------

  private liveOf(id: number): Live {
    let l = this.live.get(id);
    if (l === undefined) {
      l = newLive();
      this.live.set(id, l);
    }
    return l;
  }

  private fail(detail: string): void {
    this.counts.failed += 1;
    this.errors.push(detail);
  }

  private log(level: BridgeLogEntry['level'], event: string, clientId: number | null, detail: string): void {
    this.onLog({ level, event, clientId, detail });
  }
}

function newLive(): Live {
  return { link: null, inbox: [], waiters: new Map(), hubSize: null, needsRelogin: false, govDirty: false, hubReset: false };
}

/** No such file (550, or ftp-srv's 551 to a `RETR`). */
function isMissing(error: unknown): boolean {
  return isNoSuchFile(replyCode(error));
}
