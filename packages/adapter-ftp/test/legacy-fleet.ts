/**
 * Theory of operation: a deterministic simulator of the ORIGINAL Hub desktop
 * client (github.com/Adel-dz/Hub, `Hub/DLG/*`), as reconstructed in
 * /work/shared/reference/hub-protocol.md §9, so that tests can run the
 * unmodified legacy client's behaviour against anything that plays the
 * governor's side over FTP files (§1–§4, §10–§12).
 *
 * Each `LegacyFleetClient` is one installation: a persisted ClientInfo (or
 * none), the volatile state of §5.3 (m_clStatus, m_srvLastMsgID,
 * m_clientLastMsgID, m_timeToLive, m_needUpload, m_dialogRunning), its local
 * copy of `<ID>.hub`, and one basic-ftp control connection. Nothing runs on
 * a timer: `launch()` is `DialogManager.Start` (§9.1) and `tick()` is ONE
 * callback of whichever timer is armed (ConnectionDialog §9.2, StartHandler
 * §9.3, ResumeHandler §9.4, dialog timer §9.5); the test decides the rhythm.
 * Files are whole-file downloads and uploads with the real encodings (§2:
 * gzip then NOT), through the adapter's legacy codec.
 *
 * Copied on purpose, bugs included: read-modify-write of the shared
 * `cxnreq.hub` (B16, `beforeCnxUpload` lets a test interleave two posts),
 * the ResumeHandler's stale snapshot (B13), its missing ClientID check (B14),
 * its give-up when no answer exists yet (B12), its unhandled exceptions
 * (B15, modelled as exit 'crashed'), the silent stop on Disabled (B22), the
 * TTL skipped when the `.hub` upload throws (§9.5), the counters that restart
 * at 0 at every launch (§5.3).
 *
 * Left out: every UI prompt (the "retry?" questions are answered yes, message
 * boxes are events), the 500 ms and 10 s waits (retries happen at once,
 * `setInfo` does not wait for the Ok: read it later from `seen`), the
 * data-update timer, application auto-update, RunOnce actions and table
 * clearing, proxies, FluentFTP's checksum verification and retries.
 * Deliberate deviations: a missing `cxnreq.hub` (5xx on RETR) reads as an
 * empty file (request id 1), where FluentFTP would have thrown; any other
 * failure of that download fails the post as §9 says for each place. An
 * unreadable `<ID>.gov` at launch counts as a failed download (→ Start).
 */
import { Readable, Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import {
  LEGACY_FILE_NAMES,
  decodeCnxRequestFile,
  decodeCnxResponseFile,
  decodeGovDialogFile,
  decodeLegacyTransfer,
  decodeProfilesFile,
  encodeCnxPayload,
  encodeCnxRequestFile,
  encodeDialogPayload,
  encodeHubDialogFile,
  encodeLegacyTransfer,
  epochMsToTicks,
  legacyDialogFileNames,
  type LegacyClientDialog,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyClientStatus,
  type LegacyCnxRequestPayload,
  type LegacyDialogPayload,
  type LegacyMessage,
} from '../src/legacy/index.js';

export interface LegacyFleetClientOptions {
  readonly server: { readonly host: string; readonly port: number; readonly user?: string; readonly password?: string };
  readonly dir: string; // remote dialog directory relative to the login dir, e.g. 'hub/dlg'
  readonly profileId: number; // profile chosen at registration
  readonly contact?: { name: string; phone: string; email: string };
  readonly environment?: LegacyClientEnvironment; // sensible default
  readonly nextClientId: () => number; // deterministic source of new ClientIDs (registration, InvalidID retry)
  readonly clientId?: number; // set → the client is already registered (persisted ClientInfo)
  readonly nowMs?: () => number; // clock for message Timestamps / Start's startTime (default () => 0)
  /** Called after a cnx post downloaded cxnreq.hub and before it uploads the rewritten file: lets a test interleave two clients (B16). */
  readonly beforeCnxUpload?: () => Promise<void>;
}

export type LegacyFleetPhase = 'idle' | 'registering' | 'starting' | 'resuming' | 'running' | 'silent' | 'exited' | 'mustReRegister' | 'resumeFailed';

const TTL_MAX = 24; // §5.3, §11 client side
const MAX_CONNECT_ATTEMPTS = 3; // §9.2 MaxConnectAttemps
const START_MAX_ATTEMPTS = 10; // §9.3 MAX_ATTEMPTS
const PROXY_LOG = 'Aucun serveur proxy utilisé.'; // §9.3: the proxy-configuration Log, no proxy

const DEFAULT_ENVIRONMENT: LegacyClientEnvironment = {
  architecture: 'win7sp1x64', is64BitOperatingSystem: true, userName: 'agent', machineName: 'PC-DOUANE-0001',
  osVersion: 'Microsoft Windows NT 6.1.7601 Service Pack 1', hubVersion: '1.0.6812.2561',
};
const DEFAULT_CONTACT = { name: 'Agent', phone: '+213 21 00 00 00', email: 'agent@douane.gov.dz' };

const u32 = (n: number): number => n >>> 0;
const maxId = (messages: readonly LegacyMessage[]): number => messages.reduce((m, x) => Math.max(m, x.id), 0);
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `BitConverter.ToUInt32(data, 0)`: the ClientID every cnx answer starts with; null when too short (the original threw). */
function leadingClientId(data: Uint8Array): number | null {
  return data.length < 4 ? null : new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
}

/** Plain bytes of a downloaded file, or throws (the original's Read* threw on a corrupt file). */
function unwrap(name: string, wire: Uint8Array): Uint8Array {
  const plain = decodeLegacyTransfer(wire);
  if (!plain.ok) throw new Error(`${name}: ${plain.error.message}`);
  return plain.value;
}

function cnxMessages(name: string, wire: Uint8Array, kind: 'req' | 'resp'): LegacyMessage[] {
  const plain = unwrap(name, wire);
  const file = kind === 'req' ? decodeCnxRequestFile(plain) : decodeCnxResponseFile(plain);
  if (!file.ok) throw new Error(`${name}: ${file.error.message}`);
  return [...file.value];
}

/**
 * One control connection, opened lazily and again after a connection error;
 * operations are serialized (basic-ftp runs one at a time). `download`
 * returns null when the server answers the RETR with a 5xx reply (no such
 * file: 550 on vsftpd, 551 on ftp-srv) and throws on anything else.
 */
class FtpLink {
  private client: Client | null = null;
  private home = '/';
  private dirReady = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly server: LegacyFleetClientOptions['server'],
    private readonly dir: string,
  ) {}

  download(name: string): Promise<Uint8Array | null> {
    return this.run(async (c) => {
      const chunks: Buffer[] = [];
      const sink = new Writable({ write: (chunk: Buffer, _encoding, cb) => (chunks.push(chunk), cb()) });
      try {
        await c.downloadTo(sink, `${this.dir}/${name}`);
      } catch (e) {
        if (e instanceof FTPError && e.code >= 500) return null;
        throw e;
      }
      return new Uint8Array(Buffer.concat(chunks));
    });
  }

  /** Whole-file upload; the remote directory is created if missing (§2), once per connection. */
  upload(name: string, bytes: Uint8Array): Promise<void> {
    return this.run(async (c) => {
      if (!this.dirReady) {
        await c.ensureDir(this.dir);
        await c.cd(this.home);
        this.dirReady = true;
      }
      await c.uploadFrom(Readable.from([Buffer.from(bytes)]), `${this.dir}/${name}`);
    });
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private run<T>(op: (c: Client) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      const c = await this.connected();
      try {
        return await op(c);
      } catch (e) {
        if (!(e instanceof FTPError)) this.close(); // a broken connection: reconnect on the next operation
        throw e;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async connected(): Promise<Client> {
    if (this.client !== null && !this.client.closed) return this.client;
    this.close();
    const c = new Client(10_000);
    try {
      await c.access({ host: this.server.host, port: this.server.port, user: this.server.user ?? 'anonymous', password: this.server.password ?? 'anonymous@' });
      this.home = await c.pwd();
    } catch (e) {
      c.close();
      throw e;
    }
    this.client = c;
    this.dirReady = false;
    return c;
  }
}

/** The volatile state of §5.3 and the state of the armed handler: what an application restart forgets. */
function freshState() {
  return {
    clStatus: 'unknown' as LegacyClientStatus | 'unknown', // m_clStatus
    srvLastMsgID: 0, clientLastMsgID: 0, timeToLive: TTL_MAX, needUpload: false, dialogRunning: false,
    hubMessages: [] as LegacyMessage[], // the local <ID>.hub
    phase: 'idle' as LegacyFleetPhase,
    exitReason: null as string | null,
    // ConnectionDialog (§9.2), StartHandler (§9.3), ResumeHandler (§9.4).
    candidate: null as LegacyClientInfo | null, // the ClientInfo being registered
    reqId: 0, attempts: 0, resumeArmed: false,
    startData: null as LegacyCnxRequestPayload | null, // built once: re-posts reuse it
    resumeCopy: [] as LegacyMessage[], // B13: the one cxnreq.hub snapshot
  };
}

export class LegacyFleetClient {
  /** Human-readable log of what the client did and saw. */
  readonly events: string[] = [];
  /** Governor dialog messages handled (new ids), in order. */
  readonly seen: LegacyMessage[] = [];

  private readonly ftp: FtpLink;
  private readonly environment: LegacyClientEnvironment;
  private readonly now: () => number;
  private info: LegacyClientInfo | null; // persisted (§5.3)
  private s = freshState();

  constructor(private readonly options: LegacyFleetClientOptions) {
    this.ftp = new FtpLink(options.server, options.dir);
    this.environment = options.environment ?? DEFAULT_ENVIRONMENT;
    this.now = options.nowMs ?? (() => 0);
    this.info = options.clientId === undefined ? null : this.clientInfo(options.clientId, options.contact ?? DEFAULT_CONTACT);
  }

  get phase(): LegacyFleetPhase { return this.s.phase; }
  /** The persisted ClientID, or during registration the candidate being registered. */
  get clientId(): number | null { return this.info?.clientId ?? (this.s.phase === 'registering' ? (this.s.candidate?.clientId ?? null) : null); }
  /** m_clStatus. Like the original, runtime Banned/Reseted exit before updating it (§9.5 step 2). */
  get status(): LegacyClientStatus | 'unknown' { return this.s.clStatus; }
  get exitReason(): string | null { return this.s.exitReason; }
  get srvLastMsgId(): number { return this.s.srvLastMsgID; }
  get clientLastMsgId(): number { return this.s.clientLastMsgID; }
  get ttl(): number { return this.s.timeToLive; }

  /** §9.1 DialogManager.Start. A fresh application: volatile state starts over (§5.3). */
  async launch(): Promise<void> {
    this.s = freshState();
    if (this.info === null) {
      await this.register();
      return;
    }
    const info = this.info;
    this.events.push(`launch registered ${info.clientId}`);
    this.s.hubMessages = []; // §9.1 step 1: empty local .hub, not uploaded
    const gov = await this.fetchGov();
    if (gov === null) {
      // §9.1 step 3, §12: assume Enabled and Start.
      this.events.push('gov unavailable at launch: assume enabled');
      this.s.clStatus = 'enabled';
      await this.beginStart(info.clientId);
      return;
    }
    this.s.clStatus = gov.status;
    this.events.push(`gov status ${gov.status} at launch`);
    if (gov.status === 'enabled') await this.beginStart(info.clientId);
    else if (gov.status === 'disabled') await this.beginResume(info.clientId);
    else if (gov.status === 'banned') await this.exit('banned'); // the dialog is not running: no Close
    else this.resetRegistration();
  }

  /** ONE callback of the armed timer; nothing in 'idle', 'silent', 'exited', 'mustReRegister', 'resumeFailed'. */
  async tick(): Promise<void> {
    const phase = this.s.phase;
    if (phase === 'registering') await this.registrationPoll();
    else if (phase === 'starting') await this.startPoll();
    else if (phase === 'resuming' && this.s.resumeArmed) await this.resumePoll();
    else if (phase === 'running') await this.dialogTick();
  }

  /** §9.6 PostLog → PostMessage(Log): appended locally, uploaded at the next dialog tick. */
  postLog(text: string, isError = false): void {
    this.postMessage({ type: 'log', time: epochMsToTicks(this.now()), isError, text });
  }

  /** §9.6 SendMessage(SetInfo): append and upload at once; the message id, or 0 when the upload failed (B20: no 10 s wait here). */
  async setInfo(contact: { name: string; phone: string; email: string }): Promise<number> {
    if (this.info === null) return 0;
    this.info = this.clientInfo(this.info.clientId, contact); // the settings view saves ClientInfo first
    const msg = this.message(++this.s.clientLastMsgID, 0, { type: 'setInfo', info: this.info });
    this.s.hubMessages.push(msg);
    try {
      await this.uploadHub();
      this.events.push(`send setInfo id=${msg.id}`);
      return msg.id;
    } catch (e) {
      this.events.push(`send setInfo failed: ${errText(e)}`);
      return 0;
    }
  }

  /** §9.6 Stop: Close(++m_clientLastMsgID) uploaded at once, only if the dialog was running. */
  async stop(): Promise<void> {
    if (this.s.phase === 'idle' || this.s.phase === 'exited' || this.s.phase === 'mustReRegister') return;
    await this.exit('stopped');
  }

  /** The application restarts: volatile state reset, persisted ClientInfo kept, then launch(). */
  async relaunch(): Promise<void> {
    this.events.push('relaunch');
    await this.launch();
  }

  async close(): Promise<void> { this.ftp.close(); }

  // ---- §9.2 registration (ConnectionDialog) ------------------------------------------

  private async register(): Promise<void> {
    this.events.push('launch unregistered');
    // §9.2 step 1: profiles.gov first; unavailable or empty → "no answer from server", exit.
    let count = 0;
    try {
      const wire = await this.ftp.download(LEGACY_FILE_NAMES.profiles);
      if (wire !== null) {
        const profiles = decodeProfilesFile(unwrap(LEGACY_FILE_NAMES.profiles, wire));
        if (profiles.ok) count = profiles.value.length;
      }
    } catch (e) {
      this.events.push(`profiles download failed: ${errText(e)}`);
    }
    if (count === 0) {
      return this.exit('noProfiles');
    }
    this.events.push(`profiles ${count}`);
    // §9.2 steps 2–3: the user picks options.profileId; a new ClientID.
    this.s.candidate = this.clientInfo(u32(this.options.nextClientId()), this.options.contact ?? DEFAULT_CONTACT);
    this.s.phase = 'registering';
    this.s.attempts = 0;
    await this.registrationPost();
  }

  /** §9.2 step 4; a post that throws is retried (500 ms in the original) until the shared attempt counter reaches 3. */
  private async registrationPost(): Promise<void> {
    for (;;) {
      const info = this.s.candidate!;
      try {
        await this.postCnx({ type: 'newConnection', info, environment: this.environment }, (id) => (this.s.reqId = id));
        return;
      } catch (e) {
        this.events.push(`post newConnection failed: ${errText(e)}`);
        if (++this.s.attempts >= MAX_CONNECT_ATTEMPTS) {
          return this.exit('noAnswer');
        }
      }
    }
  }

  /** §9.2 step 5: one poll of the connection timer. */
  private async registrationPoll(): Promise<void> {
    let newer: LegacyMessage[];
    let answer: LegacyMessage | undefined;
    try {
      ({ newer, answer } = await this.answers(true)); // a failed download counts as an empty file
    } catch (e) {
      return this.registrationRespException(e);
    }
    const answerId = answer === undefined ? 0 : leadingClientId(answer.data);
    if (answerId === null) return this.registrationRespException(new Error('answer data shorter than a ClientID'));
    if (answer !== undefined && answerId === this.s.candidate!.clientId) {
      this.events.push(`answer ${answer.code}`);
      switch (answer.code) {
        case 'invalidId':
          this.s.candidate = this.clientInfo(u32(this.options.nextClientId()), this.s.candidate!); // new id, same profile and contact
          if (++this.s.attempts >= MAX_CONNECT_ATTEMPTS) this.s.attempts = 0; // "retry?" → yes
          return this.registrationPost();
        case 'ok':
          return this.registered(this.s.candidate!);
        case 'invalidProfile':
          return this.exit('invalidProfile');
        case 'rejected':
          return this.exit('registrationRejected');
        default:
          return; // Dbg.Assert(false)
      }
    }
    if (newer.length > 0) {
      this.events.push('request lost: re-post'); // §9.2, §12
      if (++this.s.attempts >= MAX_CONNECT_ATTEMPTS) this.s.attempts = 0;
      return this.registrationPost();
    }
    if (++this.s.attempts >= MAX_CONNECT_ATTEMPTS) {
      this.events.push('no answer after 3 polls: re-post'); // "retry?" → yes
      this.s.attempts = 0;
      return this.registrationPost();
    }
    this.events.push('no answer yet');
  }

  private async registrationRespException(e: unknown): Promise<void> {
    this.events.push(`answer unreadable: ${errText(e)}`);
    if (++this.s.attempts >= MAX_CONNECT_ATTEMPTS) await this.exit('noAnswer');
  }

  /** §9.2 Ok, §9.1: ClientInfo saved, empty .hub written and uploaded (failure ignored), Enabled, dialog running; no Start. */
  private async registered(info: LegacyClientInfo): Promise<void> {
    this.info = info;
    this.s.candidate = null;
    this.s.hubMessages = [];
    try {
      await this.uploadHub();
    } catch (e) {
      this.events.push(`hub upload failed: ${errText(e)}`);
    }
    this.events.push(`registered ${info.clientId}`);
    this.s.clStatus = 'enabled';
    this.s.dialogRunning = true;
    this.s.phase = 'running';
  }

  // ---- §9.3 StartHandler ------------------------------------------------------------

  private async beginStart(clientId: number): Promise<void> {
    // The request data is built once; re-posts reuse it (same start time).
    this.s.startData = { type: 'start', clientId, environment: this.environment, startTime: epochMsToTicks(this.now()) };
    this.s.attempts = 0;
    this.s.phase = 'starting';
    await this.startPost();
  }

  /** §9.3 step 1: the poll timer starts even if the post failed. */
  private async startPost(): Promise<void> {
    try {
      await this.postCnx(this.s.startData!, (id) => (this.s.reqId = id));
      this.s.attempts = 0;
    } catch (e) {
      this.events.push(`post start failed: ${errText(e)}`);
    }
  }

  /** §9.3 step 2. Exceptions (download, decode, SingleOrDefault) → keep polling. */
  private async startPoll(): Promise<void> {
    const clientId = this.info!.clientId;
    let newer: LegacyMessage[];
    let answer: LegacyMessage | undefined;
    let answerId: number | null = null;
    try {
      ({ newer, answer } = await this.answers(false));
      if (answer !== undefined && (answerId = leadingClientId(answer.data)) === null) throw new Error('answer data shorter than a ClientID');
    } catch (e) {
      this.events.push(`poll failed: ${errText(e)}`);
      return;
    }
    if (newer.length > 0) {
      if (answer !== undefined && answerId === clientId && (answer.code === 'ok' || answer.code === 'rejected')) {
        this.events.push(`answer ${answer.code}`);
        if (answer.code === 'rejected') return this.exit('startRejected');
        return this.startOk();
      }
      this.events.push('request lost: re-post');
      return this.startPost();
    }
    if (++this.s.attempts >= START_MAX_ATTEMPTS) {
      this.events.push(`no answer after ${START_MAX_ATTEMPTS} polls: re-post`);
      return this.startPost();
    }
    this.events.push('no answer yet');
  }

  /** StartResp(true): dialog running, a Log with the proxy configuration (§9.3). */
  private startOk(): void {
    this.s.dialogRunning = true;
    this.s.phase = 'running';
    this.postLog(PROXY_LOG, false);
  }

  // ---- §9.4 ResumeHandler ----------------------------------------------------------

  private async beginResume(clientId: number): Promise<void> {
    this.s.phase = 'resuming';
    // §9.4 step 1: cxnreq.hub downloaded ONCE into a temporary copy; failure → Error → exit.
    try {
      const wire = await this.ftp.download(LEGACY_FILE_NAMES.cnxRequests);
      this.s.resumeCopy = wire === null ? [] : cnxMessages(LEGACY_FILE_NAMES.cnxRequests, wire, 'req');
    } catch (e) {
      this.events.push(`resume: ${errText(e)}`);
      return this.exit('resumeError');
    }
    this.s.reqId = maxId(this.s.resumeCopy);
    await this.resumePost(clientId);
  }

  /** §9.4 step 2. B13: every (re-)post appends to the same stale copy and uploads it whole. */
  private async resumePost(clientId: number): Promise<void> {
    this.s.reqId = u32(this.s.reqId + 1);
    this.s.resumeCopy.push(this.cnxMessage(this.s.reqId, { type: 'resume', clientId }));
    try {
      await this.options.beforeCnxUpload?.();
      await this.ftp.upload(LEGACY_FILE_NAMES.cnxRequests, encodeLegacyTransfer(encodeCnxRequestFile(this.s.resumeCopy)));
    } catch (e) {
      this.events.push(`post resume failed: ${errText(e)}`);
      return this.exit('resumeError');
    }
    this.events.push(`post resume id=${this.s.reqId}`);
    this.s.resumeArmed = true;
  }

  /** §9.4 step 3. The timer is disarmed first and re-armed only by a successful re-post. */
  private async resumePoll(): Promise<void> {
    this.s.resumeArmed = false;
    let newer: LegacyMessage[];
    let answer: LegacyMessage | undefined;
    try {
      ({ newer, answer } = await this.answers(false));
    } catch (e) {
      // B15: nothing catches this in the timer callback; the process dies.
      this.events.push(`resume poll threw: ${errText(e)}`);
      return this.exit('crashed');
    }
    if (newer.length === 0) {
      this.s.phase = 'resumeFailed';
      return void this.events.push('no answer yet: resume handler stops polling (B12)');
    }
    // B14: the ClientID in the answer's data is not checked.
    const clientId = this.info!.clientId;
    if (answer === undefined) {
      this.events.push('request lost: re-post');
      return this.resumePost(clientId);
    }
    this.events.push(`answer ${answer.code}`);
    if (answer.code === 'ok') {
      this.s.hubMessages = [];
      try {
        await this.uploadHub();
      } catch (e) {
        this.events.push(`hub upload failed: ${errText(e)}: re-post (B10)`);
        return this.resumePost(clientId);
      }
      this.s.dialogRunning = true;
      this.s.phase = 'running';
      return;
    }
    // InvalidID / Rejected: a debug log; the application stays open without a dialog.
    this.s.phase = 'resumeFailed';
  }

  // ---- §9.5 dialog timer -------------------------------------------------------------

  private async dialogTick(): Promise<void> {
    const info = this.info!;
    // Step 1: download .gov; failure → retry next tick, TTL untouched.
    const gov = await this.fetchGov();
    if (gov === null) return void this.events.push('gov download failed');
    // Step 2: status change.
    if (gov.status !== this.s.clStatus) {
      this.events.push(gov.status === 'disabled' ? 'status disabled: silent' : `status ${gov.status}`);
      if (gov.status === 'disabled') return void (this.s.phase = 'silent'); // B22: no Close, m_clStatus kept, timer not re-armed
      if (gov.status === 'banned') return this.exit('banned'); // Exit → Stop → Close
      if (gov.status === 'reset') return this.resetRegistration();
      this.s.clStatus = gov.status; // Enabled (the update timer would start here)
    }
    // Step 3: new governor messages.
    const fresh = gov.messages.filter((m) => m.id > this.s.srvLastMsgID);
    if (fresh.length > 0) {
      this.s.srvLastMsgID = maxId(fresh);
      for (const m of fresh) {
        this.seen.push(m);
        if (m.code === 'sync') {
          this.postMessage({ type: 'null' }, m.id);
          this.events.push(`sync answered ${m.id}`);
        } else {
          this.events.push(`${m.code} received id=${m.id} reqId=${m.reqId}`);
        }
      }
      this.s.timeToLive = TTL_MAX;
    }
    // Step 4: upload .hub; a throw skips the rest of the tick (TTL included) and keeps the flag.
    if (this.s.needUpload) {
      try {
        await this.uploadHub();
      } catch (e) {
        this.events.push(`hub upload failed: ${errText(e)}`);
        return;
      }
      this.s.needUpload = false;
      this.events.push(`hub uploaded ${this.s.hubMessages.length}`);
    }
    // Step 5: TTL; a cnx Sync on every tick while it is ≤ 0.
    if (--this.s.timeToLive <= 0) {
      const payload = { type: 'sync', clientId: info.clientId, lastServerMessageId: this.s.srvLastMsgID, lastClientMessageId: this.s.clientLastMsgID } as const;
      try {
        await this.postCnx(payload, () => undefined);
      } catch (e) {
        this.events.push(`post sync failed: ${errText(e)}`);
      }
    }
  }

  // ---- shared ------------------------------------------------------------------------

  /** Read-modify-write of the shared cxnreq.hub (B16): id = max + 1; `onId` sees the id before the upload. Throws on failure. */
  private async postCnx(payload: LegacyCnxRequestPayload, onId: (id: number) => void): Promise<void> {
    const wire = await this.ftp.download(LEGACY_FILE_NAMES.cnxRequests);
    const requests = wire === null ? [] : cnxMessages(LEGACY_FILE_NAMES.cnxRequests, wire, 'req');
    const id = u32(maxId(requests) + 1);
    onId(id);
    requests.push(this.cnxMessage(id, payload));
    await this.options.beforeCnxUpload?.();
    await this.ftp.upload(LEGACY_FILE_NAMES.cnxRequests, encodeLegacyTransfer(encodeCnxRequestFile(requests)));
    this.events.push(`post ${payload.type} id=${id}`);
  }

  /**
   * The answers of cxnresp.gov to requests ≥ my request id, and the one to mine. Throws where the
   * original threw: unreadable file, several answers to my id (SingleOrDefault), and a failed
   * download unless `failedIsEmpty` (ConnectionDialog writes an empty file instead).
   */
  private async answers(failedIsEmpty: boolean): Promise<{ newer: LegacyMessage[]; answer: LegacyMessage | undefined }> {
    const name = LEGACY_FILE_NAMES.cnxResponses;
    let wire: Uint8Array | null = null;
    try {
      wire = await this.ftp.download(name);
    } catch (e) {
      if (!failedIsEmpty) throw e;
    }
    if (wire === null && !failedIsEmpty) throw new Error(`${name}: unavailable`);
    const newer = (wire === null ? [] : cnxMessages(name, wire, 'resp')).filter((m) => m.reqId >= this.s.reqId);
    const exact = newer.filter((m) => m.reqId === this.s.reqId);
    if (exact.length > 1) throw new Error(`${exact.length} answers to request ${this.s.reqId}`);
    return { newer, answer: exact[0] };
  }

  /** <ID>.gov, or null when it cannot be downloaded or read. */
  private async fetchGov(): Promise<LegacyClientDialog | null> {
    const name = legacyDialogFileNames(this.info!.clientId).gov;
    try {
      const wire = await this.ftp.download(name);
      if (wire === null) return null;
      const gov = decodeGovDialogFile(unwrap(name, wire));
      return gov.ok ? gov.value : null;
    } catch {
      return null;
    }
  }

  /** §9.6 PostMessage: ++m_clientLastMsgID, append to the local .hub, m_needUpload. */
  private postMessage(payload: LegacyDialogPayload, reqId = 0): void {
    if (this.info === null) throw new Error('legacy client: not registered');
    this.s.hubMessages.push(this.message(++this.s.clientLastMsgID, reqId, payload));
    this.s.needUpload = true;
  }

  private async uploadHub(): Promise<void> {
    const clientId = this.info!.clientId;
    const bytes = encodeHubDialogFile({ clientId, messages: this.s.hubMessages });
    await this.ftp.upload(legacyDialogFileNames(clientId).hub, encodeLegacyTransfer(bytes));
  }

  /** Exit(): Stop (Close uploaded at once if the dialog was running, §9.6), then the application ends. */
  private async exit(reason: string): Promise<void> {
    if (this.s.dialogRunning && this.info !== null) {
      this.s.hubMessages.push(this.message(++this.s.clientLastMsgID, 0, { type: 'close' }));
      try {
        await this.uploadHub();
        this.events.push(`post close id=${this.s.clientLastMsgID}`);
      } catch (e) {
        this.events.push(`post close failed: ${errText(e)}`);
      }
    }
    this.s.dialogRunning = false;
    this.s.resumeArmed = false;
    this.s.phase = 'exited';
    this.s.exitReason = reason;
    this.events.push(`exit ${reason}`);
  }

  /** ResetRegistration (§9.1, §9.5): Stop without Close, ClientInfo reset; the restart registers anew. */
  private resetRegistration(): void {
    this.info = null;
    this.s.dialogRunning = false;
    this.s.phase = 'mustReRegister';
    this.s.exitReason = 'reset';
    this.events.push('reset: must re-register');
  }

  private clientInfo(clientId: number, contact: { name: string; phone: string; email: string } | LegacyClientInfo): LegacyClientInfo {
    const c = 'contactName' in contact ? { name: contact.contactName, phone: contact.contactPhone, email: contact.contactEmail } : contact;
    return { clientId, profileId: this.options.profileId, contactName: c.name, contactPhone: c.phone, contactEmail: c.email };
  }

  private cnxMessage(id: number, payload: LegacyCnxRequestPayload): LegacyMessage {
    return { id, reqId: 0, timestamp: epochMsToTicks(this.now()), ...encodeCnxPayload(payload) };
  }

  private message(id: number, reqId: number, payload: LegacyDialogPayload): LegacyMessage {
    return { id: u32(id), reqId, timestamp: epochMsToTicks(this.now()), ...encodeDialogPayload(payload) };
  }
}
