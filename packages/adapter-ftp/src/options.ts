/**
 * Theory of operation: every knob of the FTP adapter in one place — where the
 * FTP server is and how to log in, the hub side's and the client side's
 * options, their defaults and their validation.
 *
 * Defaults, and why (docs/adapters/ftp.md §8):
 * - `remoteDir` `dialoghub`: a directory of its own under the login
 *   directory, so the mailbox never mixes with other files;
 * - `maxFileBytes` 16 MiB: a peer's file is refused beyond this before it is
 *   parsed (a hub file holds at most the unacknowledged frames of one
 *   session; the core bounds the outbox to 1 024 messages);
 * - `lingerMs` 10 min: how long the hub keeps a closed session's files for a
 *   client that has not read its close frame yet (more than a day of client
 *   polls would be too long for disk space, less than a few polls too short);
 * - `idleTimeoutMs` 16 min: a link whose client file did not change for this
 *   long is dropped — twice the core's mailbox `deadAfterMs` (8 min), so for a
 *   logged-in client the core's own liveness always decides first;
 * - `abandonAfterMs` 24 h: files of sessions nobody serves any more
 *   (a client that crashed mid-upload) are removed after this.
 */
import { DEFAULT_CODEC_LIMITS, type CodecLimits, type LinkId, type LogDetail, type LogLevel } from '@dialoghub/core';
import { systemClock, type Clock } from '@dialoghub/runtime';
import type { ConnectionOptions } from 'node:tls';
import { DHMB_FORMAT, type MailboxFormat } from './format.js';
import { checkRemoteDir } from './names.js';

/** Explicit FTPS (`AUTH TLS`): how the client checks the server's certificate. */
export interface FtpTlsOptions {
  /** CA certificates to trust instead of the system's (a self-signed server certificate). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The name the certificate must carry. Default: the host, when it is a name; for an IP its IP entries are checked. */
  readonly servername?: string;
  /** Default true. Turning it off accepts any certificate: tests only. */
  readonly rejectUnauthorized?: boolean;
  /** Lowest TLS version accepted. Default Node's. */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Where the FTP server is and how to log in. */
export interface FtpServerOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 21. */
  readonly port?: number;
  /** Default `anonymous`. */
  readonly user?: string;
  /** Default `anonymous@`. */
  readonly password?: string;
  /** Explicit FTPS: `AUTH TLS` on the control connection, `PROT P` on data connections. `true` uses the system's CAs. */
  readonly tls?: FtpTlsOptions | true;
  /** Timeout of one FTP command or transfer (basic-ftp's), in wall-clock ms. Default 30 000. */
  readonly timeoutMs?: number;
}

/** One thing the adapter did on its own, for the application's logger. */
export interface FtpLogEntry {
  readonly level: LogLevel;
  /** Machine-readable: `ignoredName`, `badFile`, `badFrame`, `linkOpened`, `peerEnded`, `notLoggedIn`, `staleSession`, `idleTimeout`, `slowReader`, `connected`, `disconnected`, `garbageCollected` (docs/adapters/ftp.md §9). Failed transfers are in the `TickReport`, not logged. */
  readonly event: string;
  /** The link concerned, or null. */
  readonly link: LinkId | null;
  readonly detail: LogDetail;
}

/** What one tick did (hub side) or one poll (client side). */
export interface TickReport {
  /** 1 for the first tick of this transport, one more for each. */
  readonly tick: number;
  /** Entries in the listings taken (0 when the listing failed). */
  readonly listed: number;
  /** Files downloaded and parsed. */
  readonly downloaded: number;
  /** Client side: hub files found unchanged by their size, without a download (§5). Hub side: 0. */
  readonly unchanged: number;
  /** Files uploaded (each verified and renamed into place). */
  readonly uploaded: number;
  /** Files removed (superseded generations, ended sessions). */
  readonly deleted: number;
  /** FTP operations that failed this tick (each retried on a later tick). */
  readonly failed: number;
  /** Facts handed to the hub (hub side) or frames handed to the engine (client side). */
  readonly delivered: number;
  /** Links open after the tick (hub side) or of this transport (client side). */
  readonly links: number;
  /**
   * Bytes the FTP layer sent and received during the tick or poll — commands,
   * replies, listings, files — on all its connections (for FTPS counted before
   * encryption, plus TLS handshakes of the control connections).
   */
  readonly bytes: number;
  /** Data connections opened during the tick or poll. */
  readonly dataConnections: number;
  /** Why operations failed, at most one entry per failure. */
  readonly errors: readonly string[];
}

/** Options of `FtpTransport` (the hub's side). */
export interface FtpTransportOptions {
  readonly server?: FtpServerOptions;
  /** The mailbox directory, relative to the login directory unless it starts with `/`. Default `dialoghub`. */
  readonly remoteDir?: string;
  /** Tick by itself every this many ms (after the previous tick ended). Default none: call `tick()`. */
  readonly pollIntervalMs?: number;
  /** Called with every tick's report (automatic or not). */
  readonly onTick?: (report: TickReport) => void;
  /** Largest mailbox file accepted and written. Default 16 MiB. */
  readonly maxFileBytes?: number;
  /**
   * Control connections a tick's downloads and uploads are shared out on, each
   * with its own data connections (1–16). Default 2: a busy tick waits on FTP
   * round trips, which a second connection overlaps; the listing, removals and
   * everything of an idle tick use the first only. Lower it to 1 for a server
   * that allows one connection per account.
   */
  readonly connections?: number;
  /** Frame limits (must match the clients'). Default `DEFAULT_CODEC_LIMITS`. */
  readonly codecLimits?: Partial<CodecLimits>;
  /** How long a closed session's files wait for its client to read the close frame. Default 600 000. */
  readonly lingerMs?: number;
  /** A link whose client file has not changed for this long is dropped (`connectionClosed`, cause `idleTimeout`). Default 960 000; `Infinity` turns it off. */
  readonly idleTimeoutMs?: number;
  /** Files of sessions nobody serves are removed after this long. Default 86 400 000. */
  readonly abandonAfterMs?: number;
  /** The file codec. Default `DHMB_FORMAT`. */
  readonly format?: MailboxFormat;
  /** Time source of every deadline above and of `pollIntervalMs`. Default `systemClock`. */
  readonly clock?: Clock;
  /** Random 64-bit values as hex (the hub's epoch). Default `crypto.randomBytes`. */
  readonly randomHex64?: () => string;
  /** Receives what the adapter did on its own. Default: dropped. */
  readonly log?: (entry: FtpLogEntry) => void;
}

/** Options of `FtpClientTransport` (a client's side). */
export interface FtpClientOptions {
  readonly server?: FtpServerOptions;
  /** The hub's mailbox directory. Default `dialoghub`. */
  readonly remoteDir?: string;
  /** Poll by itself every this many ms. Default none: call `poll()`. */
  readonly pollIntervalMs?: number;
  /** Called with every poll's report. */
  readonly onPoll?: (report: TickReport) => void;
  /**
   * With a format that pads (the default one), a poll asks the hub file's
   * `SIZE` and downloads it only when the size differs from the last one read;
   * but at least this long after the last download it downloads anyway.
   * Default 10 min; 0 downloads at every poll.
   */
  readonly fullReadEveryMs?: number;
  /** Largest mailbox file accepted and written. Default 16 MiB. */
  readonly maxFileBytes?: number;
  /** Frame limits (must match the hub's). Default `DEFAULT_CODEC_LIMITS`. */
  readonly codecLimits?: Partial<CodecLimits>;
  /** The file codec (the hub's). Default `DHMB_FORMAT`. */
  readonly format?: MailboxFormat;
  /** Time source of `pollIntervalMs`. Default `systemClock`. */
  readonly clock?: Clock;
  /** Random 64-bit values as hex (session ids). Default `crypto.randomBytes`. */
  readonly randomHex64?: () => string;
}

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 21,
  user: 'anonymous',
  password: 'anonymous@',
  timeoutMs: 30_000,
  remoteDir: 'dialoghub',
  maxFileBytes: 16 << 20,
  connections: 2,
  lingerMs: 600_000,
  idleTimeoutMs: 960_000,
  abandonAfterMs: 86_400_000,
  fullReadEveryMs: 600_000,
});

/** Server options with every default filled in. */
export interface ResolvedServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly tls: ConnectionOptions | null;
  readonly timeoutMs: number;
}

/** `value` (or `fallback` when absent) when it is a positive number; @throws RangeError naming `name` otherwise. */
export function positive(name: string, value: number | undefined, fallback: number, allowInfinity = false): number {
  const v = value ?? fallback;
  const ok = typeof v === 'number' && (v === Infinity ? allowInfinity : Number.isFinite(v) && v > 0);
  if (!ok) throw new RangeError(`${name} must be a positive number${allowInfinity ? ' or Infinity' : ''}, got ${String(v)}`);
  return v;
}

/** @throws RangeError / TypeError for an invalid option. */
export function resolveServer(o: FtpServerOptions = {}): ResolvedServer {
  const port = o.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`port must be an integer in [1, 65535], got ${String(port)}`);
  let tls: ConnectionOptions | null = null;
  if (o.tls !== undefined) {
    const t = o.tls === true ? {} : o.tls;
    tls = {};
    if (t.ca !== undefined) tls.ca = t.ca as string;
    if (t.servername !== undefined) tls.servername = t.servername;
    if (t.rejectUnauthorized !== undefined) tls.rejectUnauthorized = t.rejectUnauthorized;
    if (t.minVersion !== undefined) tls.minVersion = t.minVersion;
  }
  return {
    host: o.host ?? DEFAULTS.host,
    port,
    user: o.user ?? DEFAULTS.user,
    password: o.password ?? DEFAULTS.password,
    tls,
    timeoutMs: positive('timeoutMs', o.timeoutMs, DEFAULTS.timeoutMs),
  };
}

function connectionCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new RangeError(`connections must be an integer in [1, 16], got ${String(n)}`);
  return n;
}

/** The frame limits: the codec's defaults, then `codecLimits`. */
export function resolveLimits(codecLimits: Partial<CodecLimits> | undefined): Readonly<CodecLimits> {
  return Object.freeze({ ...DEFAULT_CODEC_LIMITS, ...codecLimits });
}

/** Hub options with every default filled in. */
export interface ResolvedTransportOptions {
  readonly server: ResolvedServer;
  readonly remoteDir: string;
  readonly pollIntervalMs: number | null;
  readonly onTick: (report: TickReport) => void;
  readonly maxFileBytes: number;
  readonly connections: number;
  readonly limits: Readonly<CodecLimits>;
  readonly lingerMs: number;
  readonly idleTimeoutMs: number;
  readonly abandonAfterMs: number;
  readonly format: MailboxFormat;
  readonly clock: Clock;
  readonly randomHex64: () => string;
  readonly log: (entry: FtpLogEntry) => void;
}

/** @throws RangeError / TypeError for an invalid option. */
export function resolveTransportOptions(o: FtpTransportOptions, randomHex64: () => string): ResolvedTransportOptions {
  return {
    server: resolveServer(o.server),
    remoteDir: checkRemoteDir(o.remoteDir ?? DEFAULTS.remoteDir),
    pollIntervalMs: o.pollIntervalMs === undefined ? null : positive('pollIntervalMs', o.pollIntervalMs, 1),
    onTick: o.onTick ?? (() => {}),
    maxFileBytes: positive('maxFileBytes', o.maxFileBytes, DEFAULTS.maxFileBytes),
    connections: connectionCount(o.connections ?? DEFAULTS.connections),
    limits: resolveLimits(o.codecLimits),
    lingerMs: positive('lingerMs', o.lingerMs, DEFAULTS.lingerMs),
    idleTimeoutMs: positive('idleTimeoutMs', o.idleTimeoutMs, DEFAULTS.idleTimeoutMs, true),
    abandonAfterMs: positive('abandonAfterMs', o.abandonAfterMs, DEFAULTS.abandonAfterMs),
    format: o.format ?? DHMB_FORMAT,
    clock: o.clock ?? systemClock,
    randomHex64: o.randomHex64 ?? randomHex64,
    log: o.log ?? (() => {}),
  };
}
