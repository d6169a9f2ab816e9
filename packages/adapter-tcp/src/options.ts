/**
 * Theory of operation: every knob of the TCP adapter in one place — the
 * options of the hub's server and of a client link, their defaults, their
 * validation, and the close answers the adapter gives on its own.
 *
 * Defaults, and why (docs/adapters/tcp.md §3):
 * - `maxFrameBytes`: the codec's default (1 MiB payload + 64 KiB envelope),
 *   so the adapter never refuses a frame the core would accept;
 * - `firstFrameTimeoutMs` 5 s: a client sends its request at once; a socket
 *   that stays silent (or sends half a frame) only holds a descriptor;
 * - `idleTimeoutMs` 60 s: twice the core's connection `deadAfterMs` (30 s),
 *   so under the default timings the core's own liveness (Sync, then
 *   `heartbeatTimeout`) always decides first; the idle timeout is the
 *   backstop for links the core does not watch (no session) and for peers
 *   that vanished without a FIN;
 * - `keepAliveMs` 15 s: TCP keep-alive probes find dead peers the idle
 *   timeout would otherwise wait for;
 * - `maxQueuedBytes` 1 MiB: per-connection bytes not yet taken by the kernel;
 * - `maxConnections` 10 000 and `maxNewConnectionsPerSecond` 2 000 (burst
 *   2 000): a client over either cap is told `busy`, which lets its engine
 *   back off and retry (a reconnect storm is spread out, not refused for good);
 * - `lingerMs` 1 s and `stopTimeoutMs` 5 s bound how long a closing socket and
 *   a stopping server wait for peers to read what they were sent.
 */
import { CLOSE_REASON_RECONNECT, DEFAULT_CODEC_LIMITS, type CloseReason, type CodecLimits, type LinkId, type LogDetail, type LogLevel } from '@dialoghub/core';
import { systemClock, type Clock } from '@dialoghub/runtime';

/** The certificate the server presents (PEM strings or buffers), and optional client-certificate checks. */
export interface TlsServerOptions {
  readonly key: string | Buffer | readonly (string | Buffer)[];
  readonly cert: string | Buffer | readonly (string | Buffer)[];
  /** Passphrase of an encrypted key. */
  readonly passphrase?: string;
  /** CA certificates for verifying client certificates (with `requestCert`). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask clients for a certificate. Default false. */
  readonly requestCert?: boolean;
  /** With `requestCert`: refuse clients whose certificate does not verify. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Lowest TLS version accepted. Default Node's (TLSv1.2). */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** How a client checks the hub's certificate. With no option at all, the system's CAs and the host name. */
export interface TlsClientOptions {
  /** CA certificates to trust instead of the system's (a self-signed hub certificate). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The name the certificate must carry. Default: `host` when it is a name. */
  readonly servername?: string;
  /** Client certificate and key, for hubs that ask for one. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Default true. Turning it off accepts any certificate: tests only. */
  readonly rejectUnauthorized?: boolean;
}

/** One thing the adapter did on its own, for the application's logger. */
export interface TcpLogEntry {
  readonly level: LogLevel;
  /** Machine-readable name: `linkOpened`, `linkClosed`, `firstFrameTimeout`, `notLoggedIn`, `badFrame`, `frameTooLarge`, `idleTimeout`, `slowReader`, `connectionRefused`, `tlsError`, `socketError`, `stopTimeout`. */
  readonly event: string;
  /** The link concerned, or null (a refused socket has none). */
  readonly link: LinkId | null;
  readonly detail: LogDetail;
}

/** Options of `TcpTransport`; every field is optional. */
export interface TcpTransportOptions {
  /** Address to listen on. Default `127.0.0.1` (loopback only: say `0.0.0.0` or `::` to serve a network). */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks a free one — read it back with `address()`. */
  readonly port?: number;
  /** Serve TLS (node:tls) with this certificate instead of plain TCP. */
  readonly tls?: TlsServerOptions;
  /** Largest frame payload accepted and sent, in bytes. Default `DEFAULT_CODEC_LIMITS.maxFrameBytes`. */
  readonly maxFrameBytes?: number;
  /** Other decoder limits (`maxFrameBytes` above wins over the one here). Default `DEFAULT_CODEC_LIMITS`. */
  readonly codecLimits?: Partial<CodecLimits>;
  /** A new connection must deliver a whole `request` frame within this time. Default 5 000. */
  readonly firstFrameTimeoutMs?: number;
  /** A link that receives no byte at all for this long is dropped (`connectionClosed`, cause `idleTimeout`). `Infinity` turns it off. Default 60 000. */
  readonly idleTimeoutMs?: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. Default 15 000. */
  readonly keepAliveMs?: number;
  /** Bytes a connection may have waiting for the kernel before it counts as a slow reader. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** Most connections open at once (logged in or not); more are refused. Default 10 000. */
  readonly maxConnections?: number;
  /** New connections accepted per second (token bucket, burst = the rate). Default 2 000; `Infinity` turns the cap off. */
  readonly maxNewConnectionsPerSecond?: number;
  /** How long a closing socket waits for its peer after the close frame before it is destroyed. Default 1 000. */
  readonly lingerMs?: number;
  /** How long `stop()` waits for peers to read their `shutdown` before destroying what is left. Default 5 000. */
  readonly stopTimeoutMs?: number;
  /** Time source for every deadline above. Default `systemClock`. */
  readonly clock?: Clock;
  /** Receives what the adapter did on its own. Default: dropped. */
  readonly log?: (entry: TcpLogEntry) => void;
}

/** Options of `connectTcp`. */
export interface TcpConnectOptions {
  readonly host?: string;
  readonly port: number;
  /** Speak TLS; `true` uses the system's CAs. */
  readonly tls?: TlsClientOptions | true;
  /** Largest frame payload accepted and sent. Must match the hub's. Default `DEFAULT_CODEC_LIMITS.maxFrameBytes`. */
  readonly maxFrameBytes?: number;
  /** Other decoder limits. Default `DEFAULT_CODEC_LIMITS`. */
  readonly codecLimits?: Partial<CodecLimits>;
  /** Give up connecting (TCP and TLS handshake) after this long. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** TCP keep-alive initial delay; 0 turns it off. Default 15 000. */
  readonly keepAliveMs?: number;
  /** After `close()`, how long to wait for the hub to hang up before destroying the socket. Default 1 000. */
  readonly lingerMs?: number;
  /** Time source for the connect timeout and the linger. Default `systemClock`. */
  readonly clock?: Clock;
}

/** Server options with every default filled in. */
export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsServerOptions | null;
  readonly limits: Readonly<CodecLimits>;
  readonly firstFrameTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly maxQueuedBytes: number;
  readonly maxConnections: number;
  readonly maxNewConnectionsPerSecond: number;
  readonly lingerMs: number;
  readonly stopTimeoutMs: number;
  readonly clock: Clock;
  readonly log: (entry: TcpLogEntry) => void;
}

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  firstFrameTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  keepAliveMs: 15_000,
  maxQueuedBytes: 1 << 20,
  maxConnections: 10_000,
  maxNewConnectionsPerSecond: 2_000,
  lingerMs: 1_000,
  stopTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
});

/**
 * The close frames the adapter sends on its own, by situation. The hub's
 * own closes carry the core's reasons; these are the only ones the adapter
 * picks, all from the core's `CloseReason` table (docs/adapters/tcp.md §4).
 */
export const ADAPTER_CLOSE_REASONS = Object.freeze({
  /** No whole request frame in time, or dialog messages before any request: the peer may log in again. */
  firstFrame: 'notLoggedIn',
  /** The peer broke framing or sent bytes the codec refuses (or a hub-only frame kind). */
  badFrame: 'refused',
  /** The peer read too slowly: its queue passed `maxQueuedBytes`. It may come back and resume. */
  slowReader: 'busy',
  /** Over `maxConnections` or `maxNewConnectionsPerSecond`: back off and retry. */
  overCapacity: 'busy',
  /** `stop()`. */
  stop: 'shutdown',
} satisfies Record<string, CloseReason>);

/** The close frame for `reason`, with the core's reconnect flag. */
export function closeFrameFor(reason: CloseReason): { readonly kind: 'close'; readonly reason: CloseReason; readonly reconnect: boolean } {
  return { kind: 'close', reason, reconnect: CLOSE_REASON_RECONNECT[reason] };
}

function positive(name: string, value: number | undefined, fallback: number, allowInfinity = false, allowZero = false): number {
  const v = value ?? fallback;
  const ok = typeof v === 'number' && (v === Infinity ? allowInfinity : Number.isFinite(v) && (allowZero ? v >= 0 : v > 0));
  if (!ok) throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number${allowInfinity ? ' or Infinity' : ''}, got ${String(v)}`);
  return v;
}

/** The decoder limits: the codec's defaults, then `codecLimits`, then `maxFrameBytes`. */
export function resolveLimits(maxFrameBytes: number | undefined, codecLimits: Partial<CodecLimits> | undefined): Readonly<CodecLimits> {
  const limits: CodecLimits = { ...DEFAULT_CODEC_LIMITS, ...codecLimits };
  if (maxFrameBytes !== undefined) limits.maxFrameBytes = maxFrameBytes;
  if (!Number.isInteger(limits.maxFrameBytes) || limits.maxFrameBytes < 2 || limits.maxFrameBytes > 0xffff_ffff) {
    throw new RangeError(`maxFrameBytes must be an integer in [2, 2^32), got ${String(limits.maxFrameBytes)}`);
  }
  return Object.freeze(limits);
}

/** Fills in the defaults. @throws RangeError / TypeError for an invalid option. */
export function resolveServerOptions(options: TcpTransportOptions): ResolvedServerOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be an integer in [0, 65535], got ${String(port)}`);
  if (options.tls !== undefined && (options.tls.key === undefined || options.tls.cert === undefined)) throw new TypeError('tls needs a key and a cert');
  const maxConnections = positive('maxConnections', options.maxConnections, DEFAULTS.maxConnections);
  if (!Number.isInteger(maxConnections)) throw new RangeError(`maxConnections must be an integer, got ${maxConnections}`);
  return {
    host: options.host ?? DEFAULTS.host,
    port,
    tls: options.tls ?? null,
    limits: resolveLimits(options.maxFrameBytes, options.codecLimits),
    firstFrameTimeoutMs: positive('firstFrameTimeoutMs', options.firstFrameTimeoutMs, DEFAULTS.firstFrameTimeoutMs),
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, true),
    keepAliveMs: positive('keepAliveMs', options.keepAliveMs, DEFAULTS.keepAliveMs, false, true),
    maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, DEFAULTS.maxQueuedBytes),
    maxConnections,
    maxNewConnectionsPerSecond: positive('maxNewConnectionsPerSecond', options.maxNewConnectionsPerSecond, DEFAULTS.maxNewConnectionsPerSecond, true),
    lingerMs: positive('lingerMs', options.lingerMs, DEFAULTS.lingerMs, false, true),
    stopTimeoutMs: positive('stopTimeoutMs', options.stopTimeoutMs, DEFAULTS.stopTimeoutMs, false, true),
    clock: options.clock ?? systemClock,
    log: options.log ?? (() => {}),
  };
}
