/**
 * Theory of operation: the hub's side of the FTP mailbox, as the
 * `HubTransport` contract (runtime transport.ts) asks. Nothing happens between
 * ticks but bookkeeping: `execute` appends frames to a session's stream in
 * memory; a tick (`tick()`, or every `pollIntervalMs`) does the I/O:
 *
 * 1. **List** the names in `c2h/` once (`NLST`; and `h2c/` with sizes on the
 *    first tick, to find the sessions of a previous run). Names are parsed
 *    with strict patterns; anything else is ignored and logged once.
 * 2. **Download** only the client files whose generation (in the name) is
 *    newer than the one already read (one over `maxFileBytes` is refused:
 *    what arrives beyond the limit is discarded); check each (checksum,
 *    direction, session, generation); hand the frames not read yet to the
 *    hub, in order, one fact per frame. A file refused is never downloaded
 *    again.
 * 3. Let the hub step what arrived (one turn of the event loop), then
 *    **upload** every stream that changed — each as a new generation, under a
 *    temporary name, size-checked, renamed into place, padded to a size its
 *    client cannot be holding (the client's cheap change check) — all over the one
 *    control connection. A command's promise resolves when an upload carrying
 *    its frames succeeded, and rejects when the first upload carrying them
 *    failed (the frames stay in the stream and go out with a later upload).
 * 4. **Collect** what is over: sessions the client ended, closed sessions
 *    whose client read the close frame (or after `lingerMs`), idle links
 *    (`idleTimeoutMs`), abandoned files (`abandonAfterMs`).
 *
 * Links (rule 5): a session becomes a link when its first client file starts
 * with a request, and gets a u32 id from a counter that skips ids in use.
 * How the five rules hold:
 * 1. one session's frames are read in stream order (the frame numbers), and
 *    its end (`ended` flag) only after them;
 * 2. `execute` appends synchronously, so frames of one link are in call order;
 * 3. `execute` rejects for an unknown, closing or gone link, after `stop`,
 *    for a frame with no encoding or too large, for a full stream, and when
 *    the upload carrying the frame fails;
 * 4. `close` writes the close frame into the stream (the client reads the
 *    reason before its link ends); no `connectionClosed` follows it; a link
 *    lost any other way (the client's `ended` flag, an unreadable file, idle)
 *    produces one `connectionClosed`;
 * 5. ids are u32, not reused while their session is kept.
 *
 * It decides nothing about the protocol: which client a session carries,
 * whether a request is valid, when a client is dead — all the core's.
 */
import { CLOSE_REASON_RECONNECT, type CloseReason, type LinkId, type LogDetail, type LogLevel } from '@dialoghub/core';
import { LinkIdAllocator, type HubTransport, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ConnectError, FileTooLargeError, FtpConnection, describeError, type ListedFile } from './ftp-connection.js';
import { NO_EPOCH, type MailboxFile } from './format.js';
import { eventOf, fitFrames, hubFrameOf, isClientFrame, type SizedFrame } from './frames.js';
import { MailboxPaths, parseClientFileName, parseHubFileName, type SessionId } from './names.js';
import { resolveTransportOptions, type FtpTransportOptions, type ResolvedTransportOptions, type TickReport } from './options.js';
import { ACK_URGENT_FILE_BYTES, StreamWriter } from './stream-writer.js';
import { ReportBuilder } from './report.js';

/**
 * Most hub-file sizes remembered per session for the readers' change check;
 * beyond, the oldest are forgotten (a client that still holds one of those
 * finds the change at its next full read, `fullReadEveryMs`).
 */
const MAX_SIZES_KEPT = 64;

/** Most distinct ignored names logged (each once); beyond, they are counted silently. */
const MAX_IGNORED_LOGGED = 1024;

/** A random 64-bit value as 16 hex digits, never all zeros. */
export function randomHex64(): string {
  for (;;) {
    const hex = randomBytes(8).toString('hex');
    if (hex !== NO_EPOCH) return hex;
  }
}

interface Pending {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A session's phase at the hub:
 * - `open`: a link the hub knows; frames become facts, commands are carried out;
 * - `closing`: the hub (or the adapter) wrote a close frame; waiting for the client to read it;
 * - `refused`: never a link (stale from a previous run, or not starting with a request); told why, waiting likewise;
 * - `gone`: the client ended it, or it was dropped idle; its files are removed at the end of the tick.
 */
type SessionPhase = 'open' | 'closing' | 'refused' | 'gone';

class HubSession {
  phase: SessionPhase;
  link: LinkId | null = null;
  /** Highest client-file generation read (or found unreadable). */
  seenGeneration = 0;
  /** Client frames handed to the hub. */
  consumed = 0;
  /** Hub frames the client has read (in this epoch's stream). */
  peerAck = 0;
  /** Number of the close frame, once written. */
  closeAt = 0;
  closedAt = 0;
  lastChangeAt: number;
  /** The hub file exists on the server (written by us, or by a previous run). */
  hubFileExists = false;
  /**
   * Sizes of the hub files the client may hold as its last read: every upload
   * tried since the newest one the client's `peerAck` proves it has read past
   * (an entry goes once the client consumed a frame the file did not have).
   * A new hub file gets a size outside this set (`distinctSizes`).
   */
  sizes: { readonly last: number; readonly size: number }[] = [];
  readonly out: StreamWriter;
  pending: Pending[] = [];

  constructor(
    readonly session: SessionId,
    phase: SessionPhase,
    epoch: string,
    now: number,
  ) {
    this.phase = phase;
    this.lastChangeAt = now;
    this.out = new StreamWriter('hubToClient', session, epoch);
  }
}

/** What one pooled operation gave. */
type PoolResult<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** One session's entries in a `c2h/` listing. */
interface Listed {
  readonly generations: number[];
  readonly temporaries: number[];
}


/**
 * The FTP mailbox transport of a hub. Create it, give it to
 * `Hub.open({ transport })` — which starts it — and drive it with `tick()`
 * (or `pollIntervalMs`); `hub.close()` stops it.
 *
 * ```ts
 * const transport = new FtpTransport({ server: { host, port, user, password, tls: { ca } }, remoteDir: 'hub/dlg', pollIntervalMs: 30_000 });
 * const hub = await Hub.open({ transport, store, config: MAILBOX_TIMINGS });
 * const report = await transport.tick();    // or let pollIntervalMs tick it
 * ```
 */
export class FtpTransport implements HubTransport {
  private readonly options: ResolvedTransportOptions;
  /** The control connection of listings, removals and the directories; also the first of `pool`. */
  private readonly conn: FtpConnection;
  /** The connections a tick's downloads and uploads are shared out on (`connections`). */
  private readonly pool: readonly FtpConnection[];
  /** Extra connections that could not connect: left out of the pool until tick `until`. */
  private readonly benched = new Map<FtpConnection, { readonly misses: number; readonly until: number }>();
  private paths: MailboxPaths | null = null;
  private phase: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private sink: ((event: TransportEvent) => void) | null = null;
  private readonly sessions = new Map<SessionId, HubSession>();
  private readonly links = new Map<number, HubSession>();
  /** Sessions collected whose client files may still be listed: generation seen when collected. */
  private readonly tombstones = new Map<SessionId, number>();
  /** Sessions whose hub file a previous run left, with its listed size (known after the first tick). */
  private stale: Map<SessionId, number> | null = null;
  /** Files nobody serves, by path: first seen. */
  private readonly strays = new Map<string, number>();
  /** Client files of sessions whose generation could not be read: don't download again. */
  private readonly unreadable = new Map<SessionId, number>();
  private readonly ignored = new Set<string>();
  private ticking: Promise<unknown> = Promise.resolve();
  private ticks = 0;
  private readonly linkIds = new LinkIdAllocator();
  private cancelTimer: (() => void) | undefined;
  private stopping: Promise<void> | null = null;

  /** This transport's epoch: a random 64-bit value written into every hub file, new for every transport. */
  readonly epoch: string;

  /** @throws RangeError / TypeError for an invalid option (see `FtpTransportOptions`). */
  constructor(options: FtpTransportOptions = {}) {
    this.options = resolveTransportOptions(options, randomHex64);
    this.epoch = this.options.randomHex64();
    this.conn = new FtpConnection(
      this.options.server,
      (home) => {
        // The connection works in the mailbox directory: names are relative to it.
        this.paths = new MailboxPaths('');
        this.log('debug', 'connected', null, { home, mailbox: joinRemote(home, this.options.remoteDir) });
      },
      (why) => this.log('info', 'disconnected', null, { why }),
      this.options.remoteDir,
    );
    const more = Array.from(
      { length: this.options.connections - 1 },
      (_, i) => new FtpConnection(this.options.server, () => {}, (why) => this.log('info', 'disconnected', null, { why, connection: i + 2 }), this.options.remoteDir),
    );
    this.pool = [this.conn, ...more];
  }

  /**
   * Starts the transport: connects, makes sure the mailbox directories exist,
   * and arms the automatic tick if `pollIntervalMs` was given. Every fact goes
   * to `sink`. Rejects if it was started before, or the server cannot be
   * reached (the transport is then stopped).
   */
  async start(sink: (event: TransportEvent) => void): Promise<void> {
    if (this.phase !== 'new') throw new Error(`the FTP transport was already ${this.phase === 'started' ? 'started' : 'stopped'}`);
    this.phase = 'started';
    this.sink = sink;
    try {
      this.conn.beginRound();
      await this.ensureDirs();
    } catch (error) {
      this.phase = 'stopped';
      this.sink = null;
      await this.closeAll();
      throw error;
    }
    this.arm();
  }

  /** Links open now (sessions the hub knows that are neither closing nor gone). */
  get openLinks(): number {
    let n = 0;
    for (const s of this.links.values()) if (s.phase === 'open') n++;
    return n;
  }

  /**
   * Appends the command's frame to its session's stream; it goes out with the
   * next tick's upload. Resolves once an upload carrying it succeeded; rejects
   * — never throws — when the link is unknown, closing or gone, after `stop`,
   * when the frame has no encoding or is too large, when the stream would
   * exceed `maxFileBytes` (the link is then dropped: `connectionClosed`,
   * cause `slowReader`), or when the first upload carrying it failed.
   */
  execute(command: TransportCommand): Promise<void> {
    try {
      if (this.phase !== 'started') return Promise.reject(new Error(`the FTP transport is ${this.phase === 'new' ? 'not started' : 'stopped'}`));
      const s = this.links.get(command.link as number);
      if (s === undefined) return Promise.reject(new Error(`link ${String(command.link)} is unknown`));
      if (s.phase !== 'open') return Promise.reject(new Error(`link ${String(command.link)} is closed`));
      let frames: SizedFrame[];
      try {
        frames = fitFrames(hubFrameOf(command), this.options.limits);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      const adding = frames.reduce((n, f) => n + f.bytes, 0);
      if (command.type !== 'close' && s.out.heldBytes + adding > this.options.maxFileBytes) {
        this.log('warn', 'slowReader', s.link, { heldBytes: s.out.heldBytes, maxFileBytes: this.options.maxFileBytes });
        this.drop(s, 'slowReader', 'busy');
        return Promise.reject(new Error(`link ${String(command.link)} was dropped: its client does not read (${s.out.heldBytes} bytes held)`));
      }
      const upTo = s.out.append(frames);
      if (command.type === 'close') this.closing(s, upTo);
      return new Promise<void>((resolve, reject) => s.pending.push({ upTo, resolve, reject }));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Runs one tick now (after any tick in progress): list, download what
   * changed, hand it to the hub, upload what changed, collect what is over.
   * Never rejects: failures are counted in the report and retried on a later
   * tick. After `stop` it does nothing and reports zeros.
   */
  tick(): Promise<TickReport> {
    const run = this.ticking.then(() => this.runTick());
    this.ticking = run.catch(() => {});
    return run;
  }

  /**
   * Stops: no fact from the moment it is called; every open link is told
   * `shutdown` (a close frame, reconnect allowed) in one last upload; commands
   * not uploaded by then reject; the connection closes. Idempotent.
   */
  stop(): Promise<void> {
    if (this.stopping === null) this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const wasStarted = this.phase === 'started';
    this.phase = 'stopping';
    this.sink = null;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.ticking;
    if (wasStarted) {
      for (const s of this.sorted()) {
        if (s.phase === 'open') this.closing(s, s.out.append(fitFrames({ kind: 'close', reason: 'shutdown', reconnect: CLOSE_REASON_RECONNECT.shutdown }, this.options.limits)));
      }
      const report = new ReportBuilder(++this.ticks);
      const before = this.pool.map((c) => c.counts);
      for (const c of this.pool) c.beginRound();
      await this.uploadAll(report);
      report.carried(before, this.pool.map((c) => c.counts));
      this.options.onTick(report.build(0));
    }
    for (const s of this.sessions.values()) this.rejectPending(s, new Error('the FTP transport stopped'));
    this.phase = 'stopped';
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.pool.map((c) => c.close()));
  }

  /**
   * Runs `op` for every item, shared out on the pool: each connection takes
   * the next item when it is done with its last (one connection: one after
   * the other, in order). A connection that cannot connect (`ConnectError`:
   * a server that allows fewer connections per account, say) leaves its item
   * and the rest to the others, is reported once, and sits out the next 2, 4,
   * … 64 ticks; only the last connection standing reports items failed for
   * that. Never rejects; the results are in the items' order.
   */
  private async onPool<T, R>(items: readonly T[], report: ReportBuilder, op: (conn: FtpConnection, item: T) => Promise<R>): Promise<PoolResult<R>[]> {
    const results: PoolResult<R>[] = new Array(items.length);
    const queue = items.map((_, i) => i);
    // The first connection always works; another one is left out while it is benched (below).
    const eligible = this.pool.filter((c, k) => k === 0 || (this.benched.get(c)?.until ?? 0) <= this.ticks);
    const workers = eligible.slice(0, Math.max(1, Math.min(eligible.length, items.length)));
    const alive = new Set(workers);
    const work = async (conn: FtpConnection): Promise<void> => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        try {
          results[i] = { ok: true, value: await op(conn, items[i]!) };
          this.benched.delete(conn);
        } catch (error) {
          if (error instanceof ConnectError && alive.size > 1) {
            alive.delete(conn);
            queue.unshift(i);
            report.fail(`connect (connection ${this.pool.indexOf(conn) + 1} of ${this.pool.length})`, error);
            // Benched for 2, 4, … 64 ticks: a server that allows fewer connections is not asked every tick.
            const misses = (this.benched.get(conn)?.misses ?? 0) + 1;
            this.benched.set(conn, { misses, until: this.ticks + Math.min(64, 2 ** misses) });
            return;
          }
          results[i] = { ok: false, error };
        }
      }
    };
    await Promise.all(workers.map((conn) => work(conn)));
    // An item handed back after the others had finished: the connections still standing take it.
    while (queue.length > 0) await Promise.all([...alive].map((conn) => work(conn)));
    return results;
  }

  // ---- the tick -----------------------------------------------------------------

  private arm(): void {
    const every = this.options.pollIntervalMs;
    if (every === null || this.phase !== 'started') return;
    const clock = this.options.clock;
    this.cancelTimer = clock.setTimer(clock.now() + every, () => {
      this.cancelTimer = undefined;
      void this.tick().then(() => this.arm());
    });
  }

  private async runTick(): Promise<TickReport> {
    const report = new ReportBuilder(++this.ticks);
    if (this.phase !== 'started') return report.build(0);
    const before = this.pool.map((c) => c.counts);
    for (const c of this.pool) c.beginRound();
    try {
      await this.ensureDirs();
    } catch (error) {
      report.fail('mkdir', error);
    }
    const paths = this.paths;
    if (paths !== null) {
      if (this.stale === null) await this.findStale(paths, report);
      let listing: string[] | null = null;
      try {
        listing = await this.conn.names(paths.dir('clientToHub'));
        report.listed += listing.length;
      } catch (error) {
        report.fail('list c2h', error);
      }
      if (listing !== null) await this.readChanged(paths, this.group(listing), report);
    }
    // Let the hub step what arrived, so its answers leave with this tick's uploads.
    await nextTurn();
    if (this.phase !== 'started') {
      report.carried(before, this.pool.map((c) => c.counts));
      return report.build(this.openLinks);
    }
    this.expire();
    await this.uploadAll(report);
    await this.collect(report);
    report.carried(before, this.pool.map((c) => c.counts));
    const built = report.build(this.openLinks);
    this.options.onTick(built);
    return built;
  }

  private async ensureDirs(): Promise<void> {
    // Connecting learns the login directory, which places the mailbox.
    await this.conn.run(async () => undefined);
    const paths = this.paths;
    if (paths === null) throw new Error('not connected');
    await this.conn.ensureDir(paths.dir('clientToHub'));
    await this.conn.ensureDir(paths.dir('hubToClient'));
  }

  /** First tick: hub files left by a previous run mark their sessions stale (told `shutdown`, never served). */
  private async findStale(paths: MailboxPaths, report: ReportBuilder): Promise<void> {
    let listing: ListedFile[];
    try {
      listing = await this.conn.list(paths.dir('hubToClient'));
    } catch (error) {
      report.fail('list h2c', error);
      return;
    }
    report.listed += listing.length;
    const stale = new Map<SessionId, number>();
    for (const f of listing) {
      const name = parseHubFileName(f.name);
      if (name === null) this.ignore(`h2c/${f.name}`);
      else if (name.temporary) this.strays.set(`${paths.dir('hubToClient')}/${f.name}`, this.options.clock.now());
      else stale.set(name.session, f.size);
    }
    this.stale = stale;
  }

  /** Parses a `c2h/` listing: per session, the generations and temporaries present. */
  private group(listing: readonly string[]): Map<SessionId, Listed> {
    const by = new Map<SessionId, Listed>();
    for (const file of listing) {
      const name = parseClientFileName(file);
      if (name === null) {
        this.ignore(`c2h/${file}`);
        continue;
      }
      let entry = by.get(name.session);
      if (entry === undefined) by.set(name.session, (entry = { generations: [], temporaries: [] }));
      (name.temporary ? entry.temporaries : entry.generations).push(name.generation);
    }
    return by;
  }

  private async readChanged(paths: MailboxPaths, listed: Map<SessionId, Listed>, report: ReportBuilder): Promise<void> {
    const now = this.options.clock.now();
    this.lastListing = listed;
    if (!this.staleSwept && this.stale !== null) {
      // A previous run's hub file without a client file serves nobody: removed at once.
      this.staleSwept = true;
      for (const id of this.stale.keys()) if (!listed.has(id)) this.strays.set(paths.hubFile(id), -Infinity);
    }
    for (const id of [...this.tombstones.keys()]) if (!listed.has(id)) this.tombstones.delete(id);
    // First what to read (in session order), then the downloads (shared out on the pool), then
    // each file in session order, so that facts reach the hub in the same order whatever the pool.
    const wanted: { readonly id: SessionId; readonly generation: number; readonly s: HubSession | undefined; readonly tomb: number | undefined }[] = [];
    for (const id of [...listed.keys()].sort()) {
      const entry = listed.get(id)!;
      const s = this.sessions.get(id);
      if (entry.generations.length === 0) {
        // Only an upload in progress (or one its writer abandoned).
        if (s === undefined) for (const g of entry.temporaries) this.stray(paths.clientFile(id, g, true), now);
        continue;
      }
      const generation = Math.max(...entry.generations);
      if (s !== undefined && generation <= s.seenGeneration) continue;
      const tomb = this.tombstones.get(id);
      if (s === undefined && tomb !== undefined && generation <= tomb) continue;
      if (s === undefined && (this.unreadable.get(id) ?? 0) >= generation) continue;
      wanted.push({ id, generation, s, tomb });
    }
    const { maxFileBytes } = this.options;
    const downloads = await this.onPool(wanted, report, (conn, w) => conn.download(paths.clientFile(w.id, w.generation), maxFileBytes));
    for (const [i, { id, generation, s, tomb }] of wanted.entries()) {
      if (this.phase !== 'started') return;
      // A file that cannot be read is refused once: that generation is never downloaded again.
      // Of a session nobody serves, it is a stray: removed after abandonAfterMs.
      const refuse = (problem: string): void => {
        this.log('warn', 'badFile', s?.link ?? null, { file: `c2h/${id}.${generation}.dhm`, problem });
        if (s === undefined) {
          this.unreadable.set(id, generation);
          this.stray(paths.clientFile(id, generation), now);
        } else {
          s.seenGeneration = generation;
        }
      };
      const download = downloads[i]!;
      if (!download.ok) {
        if (download.error instanceof FileTooLargeError) {
          // Over the limit: what arrived beyond it was discarded, and that generation is not downloaded again.
          refuse(`tooLarge: ${download.error.message}`);
          continue;
        }
        // A client may replace its file between the listing and the download: the next tick reads the new one.
        report.fail(`download ${id}.${generation}`, download.error);
        continue;
      }
      const bytes = download.value;
      report.downloaded++;
      const decoded = this.options.format.decode(bytes, this.options.limits, this.options.maxFileBytes);
      const problem = !decoded.ok
        ? `${decoded.error.code}: ${decoded.error.message}`
        : decoded.value.direction !== 'clientToHub' || decoded.value.session !== id || decoded.value.generation !== generation
          ? 'the header does not match the file name'
          : null;
      if (problem !== null || !decoded.ok) {
        refuse(problem ?? '');
        continue;
      }
      this.tombstones.delete(id);
      this.received(s ?? this.admit(id, decoded.value, tomb !== undefined, now), decoded.value, bytes.length, report, now);
    }
  }

  /** A session seen for the first time: a new link, or refused with the reason it needs. */
  private admit(id: SessionId, file: MailboxFile, collectedBefore: boolean, now: number): HubSession {
    const s = new HubSession(id, 'open', this.epoch, now);
    this.sessions.set(id, s);
    // A previous run's hub file is this session's to remove too, whatever happens to the session (an ended one included).
    s.hubFileExists = this.stale?.has(id) === true;
    // The previous run's file is what the client last read, as far as anyone knows: the close must differ from it.
    const staleSize = this.stale?.get(id);
    if (staleSize !== undefined) s.sizes.push({ last: Infinity, size: staleSize });
    if (file.ended) {
      s.phase = 'gone';
    } else if (s.hubFileExists) {
      this.log('info', 'staleSession', null, { session: id });
      this.refuse(s, 'shutdown', now);
    } else if (collectedBefore || file.base !== 0 || file.frames[0]?.kind !== 'request') {
      // Like a connection whose first frame is not a request: the client logs in again.
      this.log('info', 'notLoggedIn', null, { session: id, firstFrame: file.frames[0]?.kind ?? 'none', base: file.base });
      this.refuse(s, 'notLoggedIn', now);
    } else {
      const link = this.linkIds.next((id) => this.links.has(id));
      s.link = link;
      this.links.set(link, s);
      this.log('debug', 'linkOpened', link, { session: id });
    }
    return s;
  }

  /** A client file of session `s` that was not read before. */
  private received(s: HubSession, file: MailboxFile, size: number, report: ReportBuilder, now: number): void {
    s.seenGeneration = file.generation;
    s.lastChangeAt = now;
    if (file.epoch === this.epoch && file.peerAck > s.peerAck) {
      s.peerAck = Math.min(file.peerAck, s.out.last);
      s.out.trim(s.peerAck);
      // The client read a file holding frame peerAck: it holds none older than that file any more.
      s.sizes = s.sizes.filter((e) => e.last >= s.peerAck);
    }
    if (s.phase === 'open') {
      if (file.base > s.consumed) {
        this.drop(s, `badFile: frames ${s.consumed + 1}…${file.base} were trimmed before the hub read them`, 'refused');
      } else {
        const skip = s.consumed - file.base;
        for (const frame of file.frames.slice(skip)) {
          if (!isClientFrame(frame)) {
            this.log('warn', 'badFrame', s.link, { code: 'hubFrameKind', message: `a client may not write ${frame.kind} frames` });
            this.drop(s, `badFrame: a client may not write ${frame.kind} frames`, 'refused');
            break;
          }
          s.consumed++;
          report.delivered++;
          this.emit(eventOf(s.link!, frame));
        }
        s.out.consumedUpTo(s.consumed, this.epoch, size >= ACK_URGENT_FILE_BYTES);
        if (s.phase === 'open' && file.ended) {
          s.phase = 'gone';
          this.log('debug', 'peerEnded', s.link, { session: s.session });
          this.emit({ type: 'connectionClosed', link: s.link!, cause: 'peerEnded' });
          this.rejectPending(s, new Error(`link ${String(s.link)} was ended by its client`));
        }
      }
    } else if (file.ended || (s.closeAt > 0 && file.epoch === this.epoch && file.peerAck >= s.closeAt)) {
      // The client read why (or ended the session itself): nothing left to wait for.
      s.phase = 'gone';
    }
  }

  /** Open links idle past `idleTimeoutMs`: dropped without a word (nobody is writing). */
  private expire(): void {
    const { clock, idleTimeoutMs } = this.options;
    const now = clock.now();
    for (const s of this.sorted()) {
      if (s.phase === 'open' && now - s.lastChangeAt >= idleTimeoutMs) {
        this.log('info', 'idleTimeout', s.link, { idleTimeoutMs });
        s.phase = 'gone';
        this.emit({ type: 'connectionClosed', link: s.link!, cause: 'idleTimeout' });
        this.rejectPending(s, new Error(`link ${String(s.link)} was dropped: idle`));
      }
    }
  }

  private async uploadAll(report: ReportBuilder): Promise<void> {
    const paths = this.paths;
    // Every file is made first (session order), then the uploads are shared out on the pool.
    const jobs = this.sorted()
      .filter((s) => s.phase !== 'gone' && s.out.dirty)
      .map((s) => {
        const snapshot = s.out.snapshot(this.epoch);
        let bytes: Uint8Array | Error;
        try {
          bytes = this.encodeDistinct(s, snapshot.file, snapshot.last);
        } catch (error) {
          bytes = error instanceof Error ? error : new Error(String(error));
        }
        return { s, snapshot, bytes };
      });
    const results = await this.onPool(jobs, report, async (conn, { s, bytes }) => {
      if (paths === null) throw new Error('not connected');
      if (bytes instanceof Error) throw bytes;
      await conn.uploadAtomic(paths.hubFile(s.session, true), paths.hubFile(s.session), bytes);
    });
    for (const [i, { s, snapshot }] of jobs.entries()) {
      const result = results[i]!;
      // Commands whose frames this upload carried (later ones wait for the next).
      const written = s.pending.filter((p) => p.upTo <= snapshot.last);
      s.pending = s.pending.filter((p) => !written.includes(p));
      if (!result.ok) {
        report.fail(`upload ${s.session}`, result.error);
        const why = new Error(`the upload of session ${s.session} failed: ${describeError(result.error)}`);
        for (const p of written) p.reject(why);
        continue;
      }
      report.uploaded++;
      s.hubFileExists = true;
      s.out.uploaded(snapshot);
      for (const p of written) p.resolve();
    }
  }

  /**
   * The hub file's bytes, padded (when the format can) to a size the client
   * cannot be holding, so that a `SIZE` tells it the file changed (§5). The
   * size is remembered before the upload: if the upload fails after its
   * rename, the client may read it all the same.
   */
  private encodeDistinct(s: HubSession, file: MailboxFile, last: number): Uint8Array {
    const format = this.options.format;
    let bytes = format.encode(file);
    if (format.padding === true) {
      const taken = new Set(s.sizes.map((e) => e.size));
      let padding = 0;
      while (taken.has(bytes.length + padding)) padding++;
      if (padding > 0) bytes = format.encode({ ...file, padding });
      s.sizes.push({ last, size: bytes.length });
      if (s.sizes.length > MAX_SIZES_KEPT) s.sizes.shift();
    }
    return bytes;
  }

  /** Removes the files of sessions that are over, and of strays past `abandonAfterMs`. */
  private async collect(report: ReportBuilder): Promise<void> {
    const paths = this.paths;
    if (paths === null) return;
    const { clock, lingerMs, abandonAfterMs } = this.options;
    const now = clock.now();
    for (const s of this.sorted()) {
      const over = s.phase === 'gone' || ((s.phase === 'closing' || s.phase === 'refused') && now - s.closedAt >= lingerMs);
      if (!over) continue;
      // Client files first: a hub file without client files is never mistaken for a session to serve.
      const listed = this.lastListing?.get(s.session);
      const files = [...(listed?.generations ?? []).map((g) => paths.clientFile(s.session, g)), ...(listed?.temporaries ?? []).map((g) => paths.clientFile(s.session, g, true))];
      if (s.hubFileExists) files.push(paths.hubFile(s.session));
      let ok = true;
      for (const file of files) {
        try {
          await this.conn.remove(file);
          report.deleted++;
        } catch (error) {
          report.fail(`remove ${file}`, error);
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      this.rejectPending(s, new Error(`session ${s.session} is over`));
      this.sessions.delete(s.session);
      if (s.link !== null) this.links.delete(s.link as number);
      this.tombstones.set(s.session, s.seenGeneration);
      this.log('debug', 'garbageCollected', s.link, { session: s.session, files: files.length });
    }
    for (const [file, since] of [...this.strays]) {
      if (now - since < abandonAfterMs) continue;
      try {
        await this.conn.remove(file);
        report.deleted++;
        this.strays.delete(file);
      } catch (error) {
        report.fail(`remove ${file}`, error);
      }
    }
  }

  private lastListing: Map<SessionId, Listed> | null = null;
  private staleSwept = false;

  // ---- session changes ------------------------------------------------------------

  /** The hub's or the adapter's close: no fact follows (the caller emits one if the adapter decided). */
  private closing(s: HubSession, closeAt: number): void {
    s.phase = 'closing';
    s.closeAt = closeAt;
    s.closedAt = this.options.clock.now();
  }

  /** Tells a session that never became a link why, and waits for it to read that. */
  private refuse(s: HubSession, reason: CloseReason, now: number): void {
    s.phase = 'refused';
    s.closeAt = s.out.append(fitFrames({ kind: 'close', reason, reconnect: CLOSE_REASON_RECONNECT[reason] }, this.options.limits));
    s.closedAt = now;
  }

  /** The adapter ends an open link on its own: the client is told `reason`, the hub hears `cause`. */
  private drop(s: HubSession, cause: string, reason: CloseReason): void {
    if (s.phase !== 'open') return;
    this.closing(s, s.out.append(fitFrames({ kind: 'close', reason, reconnect: CLOSE_REASON_RECONNECT[reason] }, this.options.limits)));
    this.emit({ type: 'connectionClosed', link: s.link!, cause });
  }

  private rejectPending(s: HubSession, error: Error): void {
    const pending = s.pending;
    s.pending = [];
    for (const p of pending) p.reject(error);
  }

  private stray(path: string, now: number): void {
    if (!this.strays.has(path)) this.strays.set(path, now);
  }

  // ---- helpers ----------------------------------------------------------------------

  private sorted(): HubSession[] {
    return [...this.sessions.values()].sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  }

  private emit(event: TransportEvent): void {
    this.sink?.(event);
  }

  private ignore(name: string): void {
    if (this.ignored.has(name) || this.ignored.size >= MAX_IGNORED_LOGGED) return;
    this.ignored.add(name);
    this.log('warn', 'ignoredName', null, { name });
  }


  private log(level: LogLevel, event: string, link: LinkId | null, detail: LogDetail): void {
    try {
      this.options.log({ level, event, link, detail });
    } catch {
      // A throwing logger must not stop a tick.
    }
  }
}

/** The mailbox directory: `dir` if absolute, else under the login directory `home`. */
export function joinRemote(home: string, dir: string): string {
  if (dir.startsWith('/')) return dir;
  const h = home.replace(/\/+$/, '');
  return dir === '.' ? h : `${h}/${dir}`;
}
