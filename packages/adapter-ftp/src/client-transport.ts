/**
 * Theory of operation: a client's side of the FTP mailbox — what the client
 * engine (@dialoghub/client) drives instead of a socket.
 *
 * `FtpClientTransport.connect()` opens a link: it draws a random 64-bit
 * session id (a new one per link, registered or not), so the link's files
 * are `c2h/<session>.<gen>.dhm` (written here only) and `h2c/<session>.dhm`
 * (written by the hub only). Nothing moves between polls: `send` appends a
 * frame to the link's stream in memory and resolves (the mailbox has taken
 * it); `poll()` — by hand, or every `pollIntervalMs` — does the I/O for every
 * link of the transport, over one control connection:
 *
 * 1. read the hub file if it changed: a `SIZE` equal to the last one read
 *    means it did not (the hub pads every new file to a size this side cannot
 *    be holding), so only a new size — or `fullReadEveryMs` without a
 *    download — costs a download; if its generation is new, hand the frames
 *    not read yet to the listeners, in order (a close frame ends the link
 *    with its reason); a new hub epoch (a restarted hub rewrote the file)
 *    restarts the count at the file's base;
 * 2. upload the link's own stream if it changed (new frames, the end, an
 *    acknowledgement that cannot wait — see stream-writer.ts), as a new
 *    generation: temporary name, size check, rename; then remove the
 *    superseded generation. A failed upload is retried at the next poll
 *    with everything since.
 *
 * The link ends exactly once (`onClose`, after every frame): the hub's close
 * frame (`closedByHub`), this side's `close()` (`closedByClient`: the stream
 * is marked ended and uploaded at the next poll, so the hub hears
 * `connectionClosed` after every frame sent before), or the loss of the hub
 * file it had been reading (`mailboxGone`) or a file it refuses (`badFile`).
 * It keeps no protocol state: sequence numbers, acks, reconnects are the
 * engine's.
 */
import type { CloseReason, CodecLimits } from '@dialoghub/core';
import { ClientLinkEvents, systemClock, type Clock, type LinkEnding } from '@dialoghub/runtime';
import { FileTooLargeError, FtpConnection, isFtpReply, isNoSuchFile, replyCode } from './ftp-connection.js';
import { DHMB_FORMAT, NO_EPOCH, type MailboxFormat } from './format.js';
import { fitFrames, isClientFrame, isHubFrame, type ClientFrame, type HubFrame } from './frames.js';
import { randomHex64 } from './ftp-transport.js';
import { MailboxPaths, sessionId, type SessionId } from './names.js';
import { DEFAULTS, resolveLimits, resolveServer, type FtpClientOptions, type TickReport } from './options.js';
import { checkRemoteDir } from './names.js';
import { ACK_URGENT_FILE_BYTES, StreamWriter } from './stream-writer.js';
import { ReportBuilder } from './report.js';

/**
 * Why a link ended: `closedByHub` (a close frame arrived; the reason says
 * whether to reconnect), `closedByClient` (this side's `close()` — also when
 * a listener of the close frame calls it, as the client engine does, before
 * the transport records `closedByHub`), or a loss — `mailboxGone` (the hub
 * file it was reading disappeared), `badFile: …` (the hub wrote something
 * this side refuses, or more than its `maxFileBytes`), `transportClosed`
 * (`FtpClientTransport.close()`), `abandoned` (`FtpClientLink.abandon()`).
 */
export type FtpLinkCause = 'closedByHub' | 'closedByClient' | 'mailboxGone' | 'transportClosed' | 'abandoned' | (string & {});

/**
 * The client side of one link, whatever carries it: the shape of
 * `@dialoghub/client`'s `ClientLink` (and adapter-tcp's), declared here so
 * this package does not depend on the engine.
 */
export interface ClientLink {
  /**
   * Sends a request or dialog messages. Resolves as soon as the frame is
   * queued in memory for the next poll's upload — not once it is on the
   * server (a failed upload is retried by later polls; the engine's own
   * acknowledgements cover a loss). Rejects once the link has ended, and
   * when the frames the hub has not read would exceed `maxFileBytes`.
   */
  send(frame: ClientFrame): Promise<void>;
  /** Every frame the hub sends, in order; the first listener also gets those that arrived before it. */
  onFrame(listener: (frame: HubFrame) => void): () => void;
  /** Called once when the link ends, after every frame; at once if it has ended. */
  onClose(listener: (reason: CloseReason | null, cause: FtpLinkCause) => void): () => void;
  /** Ends the link from this side; what was sent before still reaches the hub. Idempotent. */
  close(): void;
}

/** Opens links to one hub: the shape of `@dialoghub/client`'s `ClientTransport`. */
export interface ClientTransport {
  connect(): Promise<ClientLink>;
}


/**
 * One link over the FTP mailbox. Get one with `FtpClientTransport.connect()`.
 */
export class FtpClientLink implements ClientLink {
  private readonly events = new ClientLinkEvents<FtpLinkCause>();
  /** @internal */ readonly out: StreamWriter;
  /** @internal Hub frames read. */ consumed = 0;
  /** @internal The epoch of the hub file being read. */ epoch = NO_EPOCH;
  /** @internal Highest hub-file generation read in this epoch. */ seenGeneration = 0;
  /** @internal The hub file was seen at least once. */ hubFileSeen = false;
  /** @internal Size of the hub file last downloaded (null before any, or after a refused one). */ lastSize: number | null = null;
  /** @internal When the hub file was last downloaded. */ lastReadAt = -Infinity;
  /** @internal Generations of our own file replaced by a newer one, to remove. */ readonly superseded = new Set<number>();
  /** @internal Generations whose upload failed (the file or its temporary may exist), to remove. */ readonly failedAttempts = new Set<number>();
  /** @internal Nothing is left to upload or remove: the transport forgets the link. */ done = false;

  /** @internal Created by `FtpClientTransport.connect()`. */
  constructor(
    /** This link's session id (its file names). */
    readonly session: SessionId,
    private readonly owner: FtpClientTransport,
    private readonly limits: Readonly<CodecLimits>,
    private readonly maxFileBytes: number,
  ) {
    this.out = new StreamWriter('clientToHub', session, NO_EPOCH);
  }

  /** True until the link ends (either side). */
  get open(): boolean {
    return this.events.ended === null;
  }

  /** How the link ended, or null while it is open. */
  get ended(): LinkEnding<FtpLinkCause> | null {
    return this.events.ended;
  }

  send(frame: ClientFrame): Promise<void> {
    const ended = this.events.ended;
    if (ended !== null) return Promise.reject(new Error(`the link has ended (${ended.cause})`));
    if (typeof frame !== 'object' || frame === null || !isClientFrame(frame)) {
      return Promise.reject(new TypeError(`a client may send only request and dialog frames, got ${JSON.stringify((frame as { kind?: unknown } | null)?.kind)}`));
    }
    try {
      const frames = fitFrames(frame, this.limits);
      const adding = frames.reduce((n, f) => n + f.bytes, 0);
      if (this.out.heldBytes + adding > this.maxFileBytes) {
        return Promise.reject(new RangeError(`the mailbox holds ${this.out.heldBytes} bytes the hub has not read; ${adding} more would exceed maxFileBytes (${this.maxFileBytes})`));
      }
      this.out.append(frames);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onFrame(listener: (frame: HubFrame) => void): () => void {
    return this.events.onFrame(listener);
  }

  onClose(listener: (reason: CloseReason | null, cause: FtpLinkCause) => void): () => void {
    return this.events.onClose(listener);
  }

  close(): void {
    this.finish(null, 'closedByClient');
  }

  /**
   * Stops here without telling the hub anything more — the mailbox version
   * of a machine that was switched off. For tests of a client that vanished.
   */
  abandon(): void {
    this.finish(null, 'abandoned', false);
  }

  /** Polls this link alone (the transport's `poll()` polls every link). */
  poll(): Promise<TickReport> {
    return this.owner.poll([this]);
  }

  /** @internal A hub frame, in order. */
  deliver(frame: HubFrame): void {
    this.events.frame(frame);
  }

  /** @internal Ends the link once; unless `tell` is false, the stream is marked ended for the hub. */
  finish(reason: CloseReason | null, cause: FtpLinkCause, tell = true): void {
    this.events.end(reason, cause, () => {
      if (tell && (this.out.generation > 0 || this.out.last > 0)) this.out.end();
      else this.done = true;
    });
  }
}

/**
 * A client's FTP mailbox transport: opens links (sessions) to one hub's
 * mailbox and polls them. Give it to the client engine as its transport:
 *
 * ```ts
 * const transport = new FtpClientTransport({ server: { host, port, tls: { ca } }, remoteDir: 'hub/dlg', pollIntervalMs: 30_000 });
 * const client = await connect({ transport, getCredentials, onRegistered, heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 720_000 });
 * ```
 */
export class FtpClientTransport implements ClientTransport {
  private readonly conn: FtpConnection;
  private paths: MailboxPaths | null = null;
  private readonly remoteDir: string;
  private readonly limits: Readonly<CodecLimits>;
  private readonly maxFileBytes: number;
  private readonly format: MailboxFormat;
  private readonly clock: Clock;
  private readonly random: () => string;
  private readonly pollIntervalMs: number | null;
  private readonly fullReadEveryMs: number;
  private readonly onPoll: (report: TickReport) => void;
  private readonly linkSet = new Set<FtpClientLink>();
  private polling: Promise<unknown> = Promise.resolve();
  private polls = 0;
  private cancelTimer: (() => void) | undefined;
  private closed = false;

  /** @throws RangeError / TypeError for an invalid option. */
  constructor(options: FtpClientOptions = {}) {
    this.remoteDir = checkRemoteDir(options.remoteDir ?? DEFAULTS.remoteDir);
    this.limits = resolveLimits(options.codecLimits);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULTS.maxFileBytes;
    if (!Number.isFinite(this.maxFileBytes) || this.maxFileBytes <= 0) throw new RangeError(`maxFileBytes must be a positive number, got ${this.maxFileBytes}`);
    this.format = options.format ?? DHMB_FORMAT;
    this.clock = options.clock ?? systemClock;
    this.random = options.randomHex64 ?? randomHex64;
    this.pollIntervalMs = options.pollIntervalMs ?? null;
    if (this.pollIntervalMs !== null && !(Number.isFinite(this.pollIntervalMs) && this.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be a positive number');
    this.fullReadEveryMs = options.fullReadEveryMs ?? DEFAULTS.fullReadEveryMs;
    if (!(this.fullReadEveryMs >= 0)) throw new RangeError(`fullReadEveryMs must be a number ≥ 0 or Infinity, got ${String(this.fullReadEveryMs)}`);
    this.onPoll = options.onPoll ?? (() => {});
    // The connection works in the mailbox directory: names are relative to it.
    this.conn = new FtpConnection(
      resolveServer(options.server),
      () => {
        this.paths = new MailboxPaths('');
      },
      undefined,
      this.remoteDir,
    );
    this.arm();
  }

  /** The links this transport still looks after (open, or with a last upload to make). */
  get links(): readonly FtpClientLink[] {
    return [...this.linkSet];
  }

  /**
   * Opens a link: a new session with a random id. Connects (and logs in) if
   * the control connection is not open, and makes sure `c2h/` exists
   * (`MKD` if needed, once per connection); rejects when the server cannot be
   * reached or the directory cannot be made. Nothing is written yet: the
   * session's first file goes up with the poll after the first `send`.
   */
  async connect(): Promise<FtpClientLink> {
    if (this.closed) throw new Error('the FTP client transport is closed');
    this.conn.beginRound();
    await this.conn.run(async () => undefined);
    const paths = this.paths;
    if (paths === null) throw new Error('not connected');
    await this.conn.ensureDir(paths.dir('clientToHub'));
    const link = new FtpClientLink(sessionId(this.random()), this, this.limits, this.maxFileBytes);
    this.linkSet.add(link);
    return link;
  }

  /**
   * Polls now (after any poll in progress): for each link, read the hub file
   * and upload the link's own stream if it changed. Never rejects: failures
   * are counted in the report and retried at the next poll.
   */
  poll(only?: readonly FtpClientLink[]): Promise<TickReport> {
    const run = this.polling.then(() => this.runPoll(only));
    this.polling = run.catch(() => {});
    return run;
  }

  /**
   * Stops polling and closes the connection. Links still open end
   * (`transportClosed`) without a last upload. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    await this.polling;
    for (const link of this.linkSet) link.finish(null, 'transportClosed', false);
    this.linkSet.clear();
    await this.conn.close();
  }

  private arm(): void {
    if (this.pollIntervalMs === null || this.closed) return;
    this.cancelTimer = this.clock.setTimer(this.clock.now() + this.pollIntervalMs, () => {
      this.cancelTimer = undefined;
      void this.poll().then(() => this.arm());
    });
  }

  private async runPoll(only: readonly FtpClientLink[] | undefined): Promise<TickReport> {
    const report = new ReportBuilder(++this.polls);
    if (this.closed) return report.build(0);
    const before = this.conn.counts;
    this.conn.beginRound();
    const links = (only ?? [...this.linkSet]).filter((l) => this.linkSet.has(l)).sort((a, b) => (a.session < b.session ? -1 : 1));
    for (const link of links) {
      if (link.open) await this.read(link, report);
      await this.write(link, report);
      if (link.done) this.linkSet.delete(link);
    }
    report.carried([before], [this.conn.counts]);
    const built = report.build(this.linkSet.size);
    this.onPoll(built);
    return built;
  }

  private async read(link: FtpClientLink, report: ReportBuilder): Promise<void> {
    let bytes: Uint8Array;
    try {
      await this.conn.run(async () => undefined);
      const paths = this.paths;
      if (paths === null) throw new Error('not connected');
      const path = paths.hubFile(link.session);
      if (await this.unchanged(link, path, report)) return;
      bytes = await this.conn.download(path, this.maxFileBytes);
    } catch (error) {
      if (isNoSuchFile(replyCode(error))) {
        // No hub file: not answered yet — or, once one was read, removed by the hub.
        if (link.hubFileSeen) link.finish(null, 'mailboxGone');
        return;
      }
      if (error instanceof FileTooLargeError) {
        // The hub wrote more than this side accepts (its maxFileBytes is larger): refused, like any bad file.
        link.finish(null, `badFile: tooLarge: ${error.message}`);
        return;
      }
      report.fail(`download ${link.session}`, error);
      return;
    }
    link.lastSize = null;
    link.lastReadAt = this.clock.now();
    report.downloaded++;
    const decoded = this.format.decode(bytes, this.limits, this.maxFileBytes);
    if (!decoded.ok || decoded.value.direction !== 'hubToClient' || decoded.value.session !== link.session) {
      link.finish(null, `badFile: ${decoded.ok ? 'the header does not match the file name' : `${decoded.error.code}: ${decoded.error.message}`}`);
      return;
    }
    const file = decoded.value;
    link.hubFileSeen = true;
    link.lastSize = bytes.length;
    if (file.epoch !== link.epoch) {
      // A hub we have not read from before (the first, or a restarted one): its stream starts here.
      link.epoch = file.epoch;
      link.consumed = file.base;
      link.seenGeneration = 0;
    }
    if (file.generation <= link.seenGeneration) return;
    link.seenGeneration = file.generation;
    link.out.trim(file.peerAck);
    if (file.base > link.consumed) {
      link.finish(null, `badFile: frames ${link.consumed + 1}…${file.base} were trimmed before this side read them`);
      return;
    }
    for (const frame of file.frames.slice(link.consumed - file.base)) {
      if (!isHubFrame(frame)) {
        link.finish(null, `badFile: the hub may not send ${frame.kind} frames`);
        return;
      }
      link.consumed++;
      report.delivered++;
      link.deliver(frame);
      if (frame.kind === 'close') {
        // Urgent: the hub collects the session once it sees that the close frame was read.
        link.out.consumedUpTo(link.consumed, link.epoch, true);
        link.finish(frame.reason, 'closedByHub');
        return;
      }
    }
    link.out.consumedUpTo(link.consumed, link.epoch, bytes.length >= ACK_URGENT_FILE_BYTES);
  }

  /**
   * The cheap change check (docs/adapters/ftp.md §5): when the format pads the
   * hub's files to fresh sizes, a `SIZE` equal to that of the file last read
   * means nothing new — unless `fullReadEveryMs` has passed since the last
   * download, which is then made anyway (the hub's size history does not
   * survive its restart). Rejects like a download when the file is missing;
   * any other FTP reply (a server without `SIZE`) means "download".
   */
  private async unchanged(link: FtpClientLink, path: string, report: ReportBuilder): Promise<boolean> {
    if (this.format.padding !== true || link.lastSize === null) return false;
    if (this.clock.now() - link.lastReadAt >= this.fullReadEveryMs) return false;
    let size: number;
    try {
      size = await this.conn.size(path);
    } catch (error) {
      if (isNoSuchFile(replyCode(error)) || !isFtpReply(error)) throw error;
      return false;
    }
    if (size !== link.lastSize) return false;
    report.unchanged++;
    return true;
  }

  private async write(link: FtpClientLink, report: ReportBuilder): Promise<void> {
    const paths = this.paths;
    if (paths === null) return;
    if (link.out.dirty && !(link.out.generation === 0 && link.out.last === 0)) {
      const previous = link.out.generation;
      const snapshot = link.out.snapshot(link.epoch);
      const generation = snapshot.file.generation;
      try {
        const bytes = this.format.encode(snapshot.file);
        await this.conn.uploadAtomic(paths.clientFile(link.session, generation, true), paths.clientFile(link.session, generation), bytes);
      } catch (error) {
        // The rename may have happened before the failure: that generation is removed once a newer one is in place.
        link.failedAttempts.add(generation);
        report.fail(`upload ${link.session}.${generation}`, error);
        return;
      }
      link.out.uploaded(snapshot);
      if (previous > 0) link.superseded.add(previous);
      report.uploaded++;
    }
    if (link.out.generation > 0) {
      for (const g of [...link.superseded, ...link.failedAttempts].sort((a, b) => a - b)) {
        try {
          await this.conn.remove(paths.clientFile(link.session, g));
          if (link.failedAttempts.has(g)) await this.conn.remove(paths.clientFile(link.session, g, true));
          link.superseded.delete(g);
          link.failedAttempts.delete(g);
          report.deleted++;
        } catch (error) {
          report.fail(`remove ${link.session}.${g}`, error);
          return;
        }
      }
    }
    if (!link.open && !link.out.dirty && link.superseded.size === 0 && link.failedAttempts.size === 0) link.done = true;
  }
}
