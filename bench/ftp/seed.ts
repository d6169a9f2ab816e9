/**
 * Theory of operation: the original Hub's (the seed's) idle file traffic,
 * simulated with basic-ftp against the same server, so its bytes can be
 * counted the same way as dialoghub's. What each side does per 30 s cycle
 * follows /work/shared/reference/hub-protocol.md (§1–4, §7, §9.5, §10, §11);
 * the files are the real formats, written with the adapter's legacy codec
 * (signature, counts, messages; then gzip and bitwise NOT, §2).
 *
 * Governor tick (§7), for every online client:
 * 1. ProcessDownloads: download `cxnreq.hub` (always re-queued) and each
 *    online client's `<ID>.hub` (queued by the previous tick's step 2) —
 *    whole files, every tick, changed or not; a `.hub` with messages newer
 *    than `LastClientMessageID` resets the client's TTL to 10 (§7, §11).
 * 2. ProcessRunningClients: TTL − 1; at TTL ≤ 0 append `Sync` to `<ID>.gov`
 *    and queue its upload; queue every online client's `.hub` download.
 * 3. ProcessUploads: upload every queued file, whole (§2: no append on FTP).
 *
 * Client dialog tick (§9.5): download `<ID>.gov` whole; for each new message
 * (a Sync) post `Null(ReqID = Sync.ID)` — appended to the local `.hub`,
 * which is uploaded whole in the same tick; client TTL 24 (a cnx Sync
 * through `cxnreq.hub` when it runs out, which a healthy governor prevents).
 *
 * Start of the measured hour: the state just after every client's Start
 * (§8.2, §9.1): `cxnreq.hub` holds the N Start requests (it is only
 * emptied when the governor restarts, §7), each `.gov` was rewritten
 * (Enabled, no messages), each `.hub` reset to empty; every client is in the
 * online queue with TTL 10. That is the seed's cheapest hour: its files grow
 * afterwards (B21: ~260 Syncs a day in each `.gov`, Nulls in each `.hub`).
 *
 * Connections. The original's `NetEngin` (Hubcore/Net/NetEngin.cs, the
 * FluentFTP version hub-protocol.md §2 describes) opens a new FTP client for
 * every call — `using (var ftpClient = CreateFtpClient()) { ftpClient.Connect();
 * … }` — so every call logs in again: greeting, USER, PASS, FEAT, … . The
 * client's dialog tick makes one call per file (download `.gov`, upload
 * `.hub`). The governor's tick: hub-protocol.md §7, reconstructed from the
 * final source, downloads each pending file and keeps each failed one for
 * the next tick on its own, as a call per file does (`perFile`: the governor
 * logs in for every file too); the one version of `ClientsManager` at hand
 * to read, an early one (its `ProcessDialog` still throws
 * `NotImplementedException`), handed all of a tick's files to one batch call
 * each (`perCall`, a lower bound). `SeedConnections`:
 * `perCall` and `perFile` log in for every call (`SeedFtp.login`: greeting,
 * USER, FEAT, OPTS UTF8 ON, TYPE I, then QUIT at the end — what FluentFTP's
 * `Connect()`, first transfer and `Dispose()` send);
 * `kept` keeps one control connection per participant for the whole hour
 * instead — the bound the first measurements used. In all three, FluentFTP's
 * `SIZE` before a download, its checksum verification and its
 * remote-directory checks on upload (`createRemoteDir`) are not simulated:
 * the figures are lower bounds of what the seed transfers, `kept` the lowest.
 */
import { Client } from 'basic-ftp';
import { Readable, Writable } from 'node:stream';
import {
  decodeCnxRequestFile,
  decodeGovDialogFile,
  decodeHubDialogFile,
  decodeLegacyTransfer,
  encodeCnxPayload,
  encodeCnxRequestFile,
  encodeDialogPayload,
  encodeGovDialogFile,
  encodeHubDialogFile,
  encodeLegacyTransfer,
  epochMsToTicks,
  legacyDialogFileNames,
  type LegacyClientEnvironment,
  type LegacyMessage,
} from '@dialoghub/adapter-ftp';

const INIT_TTL = 10;
const TTL_DIE = -6;
const CLIENT_TTL_MAX = 24;

const ENVIRONMENT: LegacyClientEnvironment = {
  architecture: 'win7sp1x64',
  is64BitOperatingSystem: true,
  userName: 'agent',
  machineName: 'PC-DOUANE-0001',
  osVersion: 'Microsoft Windows NT 6.1.7601 Service Pack 1',
  hubVersion: '1.0.6812.2561',
};

/** The two whole-file operations the seed does (§2: no append on FTP). */
export interface SeedIo {
  download(path: string): Promise<Uint8Array>;
  upload(path: string, bytes: Uint8Array): Promise<void>;
  /** Runs `work` as one `NetEngin` call: on one control connection (a new login per call with `perCall`). */
  session<T>(work: (io: SeedIo) => Promise<T>): Promise<T>;
}

/** How the simulated seed connects: a login per `NetEngin` call (the governor's per tick or per file), or one connection kept all hour. */
export type SeedConnections = 'perFile' | 'perCall' | 'kept';

/**
 * Files in memory instead of on the server: the seed's hours before the
 * measured one are run through it (same logic, no FTP), then its files are
 * copied to the server. Only the measured hour touches the server.
 */
export class MemoryIo implements SeedIo {
  readonly files = new Map<string, Uint8Array>();

  async download(path: string): Promise<Uint8Array> {
    const f = this.files.get(path);
    if (f === undefined) throw new Error(`${path}: no such file`);
    return f;
  }

  async upload(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes);
  }

  session<T>(work: (io: SeedIo) => Promise<T>): Promise<T> {
    return work(this);
  }
}

/** A control connection to the bench server, with the two whole-file operations the seed uses. */
export class SeedFtp implements SeedIo {
  private constructor(
    private readonly client: Client,
    private readonly home: string,
  ) {}

  /**
   * Logs in and works from `home` (made if missing) — the login directory of
   * the original's FTP account, under which it named its files `hub/dlg/…`.
   */
  static async open(host: string, port: number, home: string): Promise<SeedFtp> {
    const client = new Client(30_000);
    await client.access({ host, port, user: 'anonymous', password: 'anonymous@' });
    await client.ensureDir(home);
    return new SeedFtp(client, await client.pwd());
  }

  /**
   * The connection `NetEngin` opens for one call (the account's login
   * directory is the home), with what FluentFTP's `Connect()` and first
   * transfer send and nothing more: the greeting, USER (and PASS when asked),
   * FEAT, OPTS UTF8 ON when the server lists UTF8, TYPE I. basic-ftp's
   * `access()` would add a refused `OPTS UTF8 ON` before USER and a `STRU F`,
   * which FluentFTP does not send. `close()` sends QUIT, as FluentFTP's
   * `Dispose()` does.
   */
  static async login(host: string, port: number): Promise<SeedFtp> {
    const client = new Client(30_000);
    await client.connect(host, port);
    await client.login('anonymous', 'anonymous@');
    const feat = await client.send('FEAT');
    if (/^\s*UTF8\s*$/m.test(feat.message)) await client.send('OPTS UTF8 ON');
    await client.send('TYPE I');
    return new SeedFtp(client, '/');
  }

  session<T>(work: (io: SeedIo) => Promise<T>): Promise<T> {
    return work(this);
  }

  async ensureDir(dir: string): Promise<void> {
    await this.client.ensureDir(dir);
    await this.client.cd(this.home);
  }

  async download(path: string): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    await this.client.downloadTo(
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
      path,
    );
    return new Uint8Array(Buffer.concat(chunks));
  }

  async upload(path: string, bytes: Uint8Array): Promise<void> {
    await this.client.uploadFrom(Readable.from([Buffer.from(bytes)]), path);
  }

  close(): void {
    this.client.close();
  }
}

/** `NetEngin` as the original uses it: every call a new FTP client, connected and logged in, closed after the call. */
export class SeedFtpPerCall implements SeedIo {
  /** Logins made (one per call). */
  logins = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  download(path: string): Promise<Uint8Array> {
    return this.session((io) => io.download(path));
  }

  upload(path: string, bytes: Uint8Array): Promise<void> {
    return this.session((io) => io.upload(path, bytes));
  }

  async session<T>(work: (io: SeedIo) => Promise<T>): Promise<T> {
    const ftp = await SeedFtp.login(this.host, this.port);
    this.logins++;
    try {
      return await work(ftp);
    } finally {
      ftp.close();
    }
  }
}

interface Online {
  ttl: number;
  lastClientMessageId: number;
  lastSrvMessageId: number;
  /** The governor's copy of `<ID>.gov`'s messages (appended, never trimmed). */
  readonly gov: LegacyMessage[];
}

/** The governor's side (`ClientsManager`), idle: no requests, no operator. */
export class SeedGovernor {
  private readonly online = new Map<number, Online>();
  private readonly pendingDownloads = new Set<string>();
  private readonly pendingUploads = new Set<string>();
  /** Syncs appended to `.gov` files. */
  syncs = 0;
  /** Client messages (Nulls) read from `.hub` files. */
  nullsRead = 0;

  constructor(
    /** Where the files are: the server, or memory for the hours before the measured one. */
    public ftp: SeedIo,
    private readonly dir: string,
    private readonly now: () => number,
    /** A tick's downloads in one NetEngin call and its uploads in another (the batch overloads); false: a call per file. */
    private readonly batch = true,
  ) {}

  /** Untimed setup: the files and queue as they are right after every client's Start. */
  async startAll(clientIds: readonly number[]): Promise<void> {
    const requests: LegacyMessage[] = clientIds.map((id, i) => ({
      id: i + 1,
      reqId: 0,
      timestamp: epochMsToTicks(this.now()),
      ...encodeCnxPayload({ type: 'start', clientId: id, environment: ENVIRONMENT, startTime: epochMsToTicks(this.now()) }),
    }));
    await this.ftp.upload(`${this.dir}/cxnreq.hub`, encodeLegacyTransfer(encodeCnxRequestFile(requests)));
    for (const id of clientIds) {
      const names = legacyDialogFileNames(id);
      await this.ftp.upload(`${this.dir}/${names.gov}`, this.encodeGov(id, []));
      await this.ftp.upload(`${this.dir}/${names.hub}`, encodeLegacyTransfer(encodeHubDialogFile({ clientId: id, messages: [] })));
      this.online.set(id, { ttl: INIT_TTL, lastClientMessageId: 0, lastSrvMessageId: 0, gov: [] });
    }
    this.pendingDownloads.add('cxnreq.hub');
  }

  /** One timer tick (§7). */
  async tick(): Promise<void> {
    // 1. ProcessDownloads, in reverse order of the queue.
    const downloads = [...this.pendingDownloads].reverse();
    this.pendingDownloads.clear();
    // One NetEngin call for the tick's downloads (its batch overload), or one per file (§7's per-file failure handling).
    const fetchAll = async (io: SeedIo): Promise<Uint8Array[]> => {
      const got: Uint8Array[] = [];
      for (const name of downloads) got.push(await io.download(`${this.dir}/${name}`));
      return got;
    };
    const wires = this.batch ? await this.ftp.session(fetchAll) : await fetchAll(this.ftp);
    for (const [i, name] of downloads.entries()) {
      const wire = wires[i]!;
      const plain = decodeLegacyTransfer(wire);
      if (!plain.ok) throw new Error(`seed governor: ${name}: ${plain.error.message}`);
      if (name === 'cxnreq.hub') continue; // no request newer than the last processed (idle)
      const id = Number.parseInt(name.slice(0, -4), 16);
      const file = decodeHubDialogFile(plain.value, undefined, id);
      if (!file.ok) throw new Error(`seed governor: ${name}: ${file.error.message}`);
      this.processDialog(id, file.value.messages);
    }
    this.pendingDownloads.add('cxnreq.hub');
    // 2. ProcessRunningClients.
    for (const [id, c] of this.online) {
      c.ttl--;
      if (c.ttl <= TTL_DIE) {
        this.online.delete(id);
        continue;
      }
      if (c.ttl <= 0) {
        c.gov.push({ id: ++c.lastSrvMessageId, reqId: 0, timestamp: epochMsToTicks(this.now()), ...encodeDialogPayload({ type: 'sync' }) });
        this.syncs++;
        this.pendingUploads.add(legacyDialogFileNames(id).gov);
      }
      this.pendingDownloads.add(legacyDialogFileNames(id).hub);
    }
    // 3. ProcessUploads.
    const uploads = [...this.pendingUploads];
    this.pendingUploads.clear();
    if (uploads.length === 0) return;
    // One NetEngin call for the tick's uploads (its batch overload), or one per file.
    const putAll = async (io: SeedIo): Promise<void> => {
      for (const name of uploads) {
        const id = Number.parseInt(name.slice(0, -4), 16);
        await io.upload(`${this.dir}/${name}`, this.encodeGov(id, this.online.get(id)?.gov ?? []));
      }
    };
    if (this.batch) await this.ftp.session(putAll);
    else await putAll(this.ftp);
  }

  get onlineCount(): number {
    return this.online.size;
  }

  private processDialog(id: number, messages: readonly LegacyMessage[]): void {
    const c = this.online.get(id);
    if (c === undefined) return;
    const fresh = messages.filter((m) => m.id > c.lastClientMessageId);
    if (fresh.length === 0) return;
    c.ttl = INIT_TTL;
    c.lastClientMessageId = Math.max(...fresh.map((m) => m.id));
    this.nullsRead += fresh.filter((m) => m.code === 'null').length;
  }

  private encodeGov(id: number, messages: readonly LegacyMessage[]): Uint8Array {
    return encodeLegacyTransfer(encodeGovDialogFile({ clientId: id, status: 'enabled', messages }));
  }
}

/** One client's dialog timer (`DialogManager`, §9.5), idle: it only answers Syncs. */
export class SeedClient {
  private srvLastMsgId = 0;
  private clientLastMsgId = 0;
  private ttl = CLIENT_TTL_MAX;
  private needUpload = false;
  private readonly hub: LegacyMessage[] = [];
  /** cnx Syncs posted (the client heard nothing for TTL_MAX ticks). */
  cnxSyncs = 0;

  constructor(
    public ftp: SeedIo,
    private readonly dir: string,
    readonly clientId: number,
    private readonly now: () => number,
  ) {}

  async tick(): Promise<void> {
    const names = legacyDialogFileNames(this.clientId);
    const plain = decodeLegacyTransfer(await this.ftp.download(`${this.dir}/${names.gov}`));
    if (!plain.ok) throw new Error(`seed client: ${names.gov}: ${plain.error.message}`);
    const gov = decodeGovDialogFile(plain.value);
    if (!gov.ok) throw new Error(`seed client: ${names.gov}: ${gov.error.message}`);
    const fresh = gov.value.messages.filter((m) => m.id > this.srvLastMsgId);
    if (fresh.length > 0) {
      this.srvLastMsgId = Math.max(...fresh.map((m) => m.id));
      for (const m of fresh) {
        if (m.code === 'sync') {
          this.hub.push({ id: ++this.clientLastMsgId, reqId: m.id, timestamp: epochMsToTicks(this.now()), ...encodeDialogPayload({ type: 'null' }) });
          this.needUpload = true;
        }
      }
      this.ttl = CLIENT_TTL_MAX;
    }
    if (this.needUpload) {
      await this.ftp.upload(`${this.dir}/${names.hub}`, encodeLegacyTransfer(encodeHubDialogFile({ clientId: this.clientId, messages: this.hub })));
      this.needUpload = false;
    }
    if (--this.ttl <= 0) {
      // PostSyncMessage: download cxnreq.hub, append a Sync, upload it whole (B16 races aside).
      this.cnxSyncs++;
      const req = decodeLegacyTransfer(await this.ftp.download(`${this.dir}/cxnreq.hub`));
      const requests = req.ok ? decodeCnxRequestFile(req.value) : null;
      const list = requests?.ok === true ? [...requests.value] : [];
      const id = list.reduce((max, m) => Math.max(max, m.id), 0) + 1;
      list.push({
        id,
        reqId: 0,
        timestamp: epochMsToTicks(this.now()),
        ...encodeCnxPayload({ type: 'sync', clientId: this.clientId, lastServerMessageId: this.srvLastMsgId, lastClientMessageId: this.clientLastMsgId }),
      });
      await this.ftp.upload(`${this.dir}/cxnreq.hub`, encodeLegacyTransfer(encodeCnxRequestFile(list)));
    }
  }
}
