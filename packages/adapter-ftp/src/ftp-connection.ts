/**
 * Theory of operation: one FTP control connection (basic-ftp `Client`) and
 * the few file operations the mailbox needs, run one at a time.
 *
 * - **Serial**: basic-ftp runs one task per client; every operation here
 *   waits for the previous one (a promise chain), so callers may fire them
 *   without coordinating.
 * - **Lazy, self-healing**: the connection opens (and logs in, with `AUTH
 *   TLS` for FTPS) at the first operation, and again after it broke. An error
 *   that is not an FTP reply (reset, timeout, closed socket) closes the
 *   client; the next operation reconnects. An FTP reply error (550 no such
 *   file, 553 permission denied, 452/552 disk full) leaves it open, and so
 *   does a download refused for its size (`FileTooLargeError`).
 * - **Rounds**: a tick runs its operations in one round (`beginRound`). When
 *   connecting fails within a round, the round's later operations fail at once
 *   with the same error instead of each waiting for its own connect attempt.
 * - **Working directory**: with `workDir`, every login is followed by making
 *   sure of that directory (`MKD` of missing segments) and changing into it,
 *   so callers name files relative to it — every command of an idle poll is
 *   then a few bytes shorter (docs/adapters/ftp.md §11).
 * - **Atomic upload**: `STOR` to the temporary name, `SIZE` must equal what
 *   was sent, then `RNFR`/`RNTO` onto the final name (which replaces it).
 *   A reader therefore never sees a partial file under a final name.
 */
import { Client, FTPError, FileInfo, type FTPContext } from 'basic-ftp';
import type { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import type { ResolvedServer } from './options.js';

/** A listing entry: name and size. */
export interface ListedFile {
  readonly name: string;
  readonly size: number;
}

/** True when `error` is an FTP reply (the connection itself is fine). */
export function isFtpReply(error: unknown): error is FTPError {
  return error instanceof FTPError;
}

/** The FTP reply code of `error`, if it is one. */
/**
 * The replies to `RETR` (or `SIZE`) that mean the file is not there: 550 (RFC 959, and
 * vsftpd), and 551, which ftp-srv sends for every failed `RETR`, a missing
 * file included.
 */
export function isNoSuchFile(code: number | undefined): boolean {
  return code === 550 || code === 551;
}

export function replyCode(error: unknown): number | undefined {
  return isFtpReply(error) ? error.code : undefined;
}

/** A short description of an error for reports and logs. */
export function describeError(error: unknown): string {
  if (isFtpReply(error)) return `${error.code} ${error.message.replace(/^\d{3}\s*/, '')}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return String(error);
}

/**
 * Connecting or logging in failed (refused, unreachable, a 421 "too many
 * connections", a 530 login refused, a TLS failure): no operation was tried.
 * Its message is the cause's, as `describeError` gives it.
 */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(override readonly cause: unknown) {
    super(describeError(cause));
  }
}

/** A file held more bytes than the caller accepts (the transfer itself went well: the connection stays open). */
export class FileTooLargeError extends RangeError {
  override readonly name = 'FileTooLargeError';
}

/** What the sockets of one client carried, so far. */
export interface ConnectionCounts {
  /** Bytes sent and received by the FTP layer on the control and data connections (for FTPS: before encryption, plus the control connection's TLS handshake). */
  readonly bytes: number;
  /** Data connections opened (one per listing, download or upload). */
  readonly dataConnections: number;
}

/**
 * Counts the bytes of every socket basic-ftp gives a client (`FTPContext`'s
 * `socket` and `dataSocket`, whose setters it wraps on the instance), and its
 * data connections. A socket's count is read when asked; once replaced (or
 * the client dropped) it is added to the total and forgotten.
 */
class SocketTally {
  private settled = 0;
  private readonly live = new Set<Socket>();
  private connections = 0;

  get counts(): ConnectionCounts {
    let bytes = this.settled;
    for (const s of this.live) bytes += s.bytesRead + s.bytesWritten;
    return { bytes, dataConnections: this.connections };
  }

  /** Wraps the socket setters of `ctx` (one client's context). */
  watch(ctx: FTPContext): void {
    const proto = Object.getPrototypeOf(ctx) as object;
    for (const [prop, data] of [['socket', false], ['dataSocket', true]] as const) {
      const desc = Object.getOwnPropertyDescriptor(proto, prop);
      if (desc?.get === undefined || desc.set === undefined) continue; // another basic-ftp: no counts, nothing breaks
      const { get, set } = desc;
      const swap = (old: Socket | undefined, next: Socket | undefined): void => this.swap(old, next, data);
      Object.defineProperty(ctx, prop, {
        configurable: true,
        get(this: FTPContext) {
          return get.call(this) as unknown;
        },
        set(this: FTPContext, next: Socket | undefined) {
          const old = get.call(this) as Socket | undefined;
          set.call(this, next);
          if (old !== next) swap(old, next);
        },
      });
    }
  }

  /** The client is gone: what its sockets carried is settled. */
  settle(): void {
    for (const s of this.live) this.settled += s.bytesRead + s.bytesWritten;
    this.live.clear();
  }

  private swap(old: Socket | undefined, next: Socket | undefined, data: boolean): void {
    if (old !== undefined && this.live.delete(old)) this.settled += old.bytesRead + old.bytesWritten;
    if (next !== undefined) {
      this.live.add(next);
      if (data) this.connections++;
    }
  }
}

export class FtpConnection {
  private client: Client | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private roundFailure: Error | null = null;
  private readonly tally = new SocketTally();
  private closed = false;
  private home: string | null = null;
  /** Directories made sure of since the last connect. */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly server: ResolvedServer,
    /** Called after each (re)connect with the login directory. */
    private readonly onConnect: (home: string) => void = () => {},
    private readonly onDisconnect: (why: string) => void = () => {},
    /** Made sure of and entered after each login (relative to the login directory unless absolute; '.' stays there). */
    private readonly workDir = '.',
  ) {}

  /** The login directory (`PWD` after login), once connected. */
  get loginDir(): string | null {
    return this.home;
  }

  /** What this connection's sockets carried so far, across reconnects. */
  get counts(): ConnectionCounts {
    return this.tally.counts;
  }

  /** True while a control connection is open. */
  get connected(): boolean {
    return this.client !== null && !this.client.closed;
  }

  /** Starts a round: a connect failure from now on fails the rest of the round at once. */
  beginRound(): void {
    this.roundFailure = null;
  }

  /** Runs `op` on the connected client, after every operation queued before it. */
  run<T>(op: (client: Client) => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      const client = await this.connectedClient();
      try {
        return await op(client);
      } catch (error) {
        if (!isFtpReply(error) && !(error instanceof FileTooLargeError)) this.drop(describeError(error));
        throw error;
      }
    });
    this.chain = next.catch(() => {});
    return next;
  }

  /** Closes the control connection; later operations reject. */
  close(): Promise<void> {
    this.closed = true;
    const done = this.chain.then(() => this.drop('closed'));
    this.chain = done;
    return done;
  }

  /** Makes sure `dir` exists (`MKD` each missing segment), once per connection. */
  ensureDir(dir: string): Promise<void> {
    return this.run(async (c) => {
      if (this.ensured.has(dir)) return;
      const back = await c.pwd();
      await c.ensureDir(dir);
      await c.cd(back);
      this.ensured.add(dir);
    });
  }

  /** The names and sizes of the plain files in `dir`. */
  list(dir: string): Promise<ListedFile[]> {
    return this.run(async (c) => (await c.list(dir)).filter((f) => f.isFile).map((f) => ({ name: f.name, size: f.size })));
  }

  /**
   * The names in `dir` (`NLST`: a name per line, about a third of a `LIST`
   * line, which matters when the hub lists every client's file at every
   * tick). Directories may be among them. When the server refuses `NLST`
   * (some answer an empty directory with 450 or 550), the names come from a
   * `LIST` instead.
   */
  names(dir: string): Promise<string[]> {
    return this.run(async (c) => {
      const { availableListCommands, parseList } = c;
      c.availableListCommands = ['NLST'];
      // Some servers answer with the path given in front of each name: only the last segment is the name.
      c.parseList = (text: string) =>
        text
          .split(/\r?\n/)
          .map((line) => line.slice(line.lastIndexOf('/') + 1).trim())
          .filter((name) => name !== '' && name !== '.' && name !== '..')
          .map((name) => new FileInfo(name));
      try {
        return (await c.list(dir)).map((f) => f.name);
      } catch (error) {
        if (!isFtpReply(error)) throw error;
      } finally {
        c.availableListCommands = availableListCommands;
        c.parseList = parseList;
      }
      return (await c.list(dir)).filter((f) => f.isFile).map((f) => f.name);
    });
  }

  /**
   * Downloads `path` whole. Rejects with a `FileTooLargeError` when it holds
   * more than `maxBytes` (what arrives beyond is discarded, never buffered).
   */
  download(path: string, maxBytes: number): Promise<Uint8Array> {
    return this.run(async (c) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size <= maxBytes) chunks.push(chunk);
          callback();
        },
      });
      await c.downloadTo(sink, path);
      if (size > maxBytes) throw new FileTooLargeError(`${path}: ${size} bytes exceeds the limit of ${maxBytes}`);
      return new Uint8Array(Buffer.concat(chunks, size));
    });
  }

  /**
   * Uploads `bytes` to `temporary`, checks its size on the server, and renames
   * it onto `final` (replacing what was there). Rejects if any step fails; the
   * final name then still holds what it held before.
   */
  uploadAtomic(temporary: string, final: string, bytes: Uint8Array): Promise<void> {
    return this.run(async (c) => {
      await c.uploadFrom(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), temporary);
      const size = await c.size(temporary);
      if (size !== bytes.length) throw new Error(`upload check failed for ${temporary}: the server holds ${size} bytes, ${bytes.length} were sent`);
      await c.rename(temporary, final);
    });
  }

  /** The size of `path` on the server (`SIZE`); rejects with the FTP reply when it has none (550: no such file). */
  size(path: string): Promise<number> {
    return this.run((c) => c.size(path));
  }

  /** Removes `path`; a file that is already gone (550) counts as removed. */
  remove(path: string): Promise<void> {
    return this.run(async (c) => {
      try {
        await c.remove(path);
      } catch (error) {
        if (replyCode(error) !== 550) throw error;
      }
    });
  }

  private async connectedClient(): Promise<Client> {
    if (this.closed) throw new Error('the FTP connection is closed');
    if (this.client !== null && !this.client.closed) return this.client;
    if (this.roundFailure !== null) throw this.roundFailure;
    this.client = null;
    const s = this.server;
    const client = new Client(s.timeoutMs);
    this.tally.watch(client.ftp);
    try {
      await client.access({
        host: s.host,
        port: s.port,
        user: s.user,
        password: s.password,
        secure: s.tls !== null,
        ...(s.tls === null ? {} : { secureOptions: s.tls }),
      });
      this.home = await client.pwd();
      if (this.workDir !== '.') await client.ensureDir(this.workDir === '' ? '/' : this.workDir);
    } catch (error) {
      client.close();
      this.tally.settle();
      const failure = new ConnectError(error);
      this.roundFailure = failure;
      throw failure;
    }
    this.client = client;
    this.ensured.clear();
    this.onConnect(this.home);
    return client;
  }

  private drop(why: string): void {
    if (this.client === null) return;
    this.client.close();
    this.tally.settle();
    this.client = null;
    this.onDisconnect(why);
  }
}
