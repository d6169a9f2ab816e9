/**
 * Theory of operation: the hub's side of the TCP adapter, as the
 * `HubTransport` contract (runtime transport.ts) asks. It listens, admits
 * connections within the caps, gives each a `HubLink` under a u32 id, routes
 * commands to links, and stops gracefully. Everything per connection lives
 * in hub-link.ts.
 *
 * How the five rules hold here:
 * 1. a link emits its facts synchronously as its bytes are parsed, frames
 *    in stream order and the end of the stream after them;
 * 2. `execute` hands the command's bytes to the socket before it returns,
 *    so commands for a link leave in call order;
 * 3. `execute` rejects for a link that is unknown (never sent a request),
 *    closing, lost or shut by `stop`, for a frame with no encoding or too
 *    large, and for a slow reader; a write the socket could not complete
 *    rejects too (`FrameWriter`);
 * 4. the link's phase machine emits `connectionClosed` at most once, never
 *    after the hub's `close`, and no fact at all once `stop()` was called;
 * 5. ids come from a u32 counter that skips ids still held by a socket.
 *
 * Admission, before any byte is read: over `maxConnections` (sockets held,
 * logged in or not) or the `maxNewConnectionsPerSecond` token bucket, the
 * socket is told `busy` (back off and retry) and ended (over TLS it is destroyed before the
 * handshake, which the caps exist to avoid). Refused sockets linger at most
 * `lingerMs`, and at most `maxConnections` of them at once; past that they are
 * destroyed outright, so a flood costs bounded memory and descriptors.
 */
import type { LinkId, LogDetail, LogLevel } from '@dialoghub/core';
import { LinkIdAllocator, type HubTransport, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { lengthPrefixed } from './framing.js';
import { closePayload, HubLink, type LinkHost } from './hub-link.js';
import { ADAPTER_CLOSE_REASONS, resolveServerOptions, type ResolvedServerOptions, type TcpTransportOptions } from './options.js';
import { TokenBucket } from './token-bucket.js';

const U32_MAX = 0xffff_ffff;

/** Where a started transport listens. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The TCP (or TLS) transport of a hub. Create it, give it to
 * `Hub.open({ transport })` — which starts it — and read the bound address
 * with `address()`; `hub.close()` stops it.
 *
 * ```ts
 * const transport = new TcpTransport({ port: 7400, tls: { key, cert } });
 * const hub = await Hub.open({ transport, store, config });
 * console.log(transport.address()); // { host: '127.0.0.1', port: 7400 }
 * ```
 */
export class TcpTransport implements HubTransport {
  /** The options with every default filled in (private: they hold the TLS key). */
  private readonly options: ResolvedServerOptions;
  private phase: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  private server: Server | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private sink: ((event: TransportEvent) => void) | null = null;
  private readonly links = new Map<number, HubLink>();
  private readonly refusing = new Set<Socket>();
  private readonly bucket: TokenBucket;
  private readonly secureContext: SecureContext | null;
  private readonly host: LinkHost;
  private readonly linkIds = new LinkIdAllocator();

  /** @throws RangeError / TypeError for an invalid option (see `TcpTransportOptions`). */
  constructor(options: TcpTransportOptions = {}) {
    const o = resolveServerOptions(options);
    this.options = o;
    this.bucket = new TokenBucket(o.maxNewConnectionsPerSecond, Math.max(1, Math.ceil(Math.min(o.maxNewConnectionsPerSecond, U32_MAX))), o.clock.now());
    this.secureContext =
      o.tls === null
        ? null
        : createSecureContext({
            key: o.tls.key as string,
            cert: o.tls.cert as string,
            ...(o.tls.passphrase === undefined ? {} : { passphrase: o.tls.passphrase }),
            ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca as string }),
            ...(o.tls.minVersion === undefined ? {} : { minVersion: o.tls.minVersion }),
          });
    this.host = {
      options: o,
      emit: (event) => this.sink?.(event),
      log: (level, event, link, detail) => this.log(level, event, link, detail),
      released: (link) => {
        if (this.links.get(link.id) === link) this.links.delete(link.id);
      },
    };
  }

  /**
   * Starts listening; every fact goes to `sink`. Resolves once the port is
   * bound. Rejects if the transport was started or stopped before, or the
   * address cannot be bound (the error from `listen`).
   */
  start(sink: (event: TransportEvent) => void): Promise<void> {
    if (this.phase !== 'new') return Promise.reject(new Error(`the TCP transport was already ${this.phase === 'stopped' ? 'stopped' : 'started'}`));
    this.phase = 'starting';
    this.sink = sink;
    const server = createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
    this.server = server;
    this.starting = new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => {
        if (this.phase === 'starting') this.phase = 'stopped';
        this.sink = null;
        reject(error);
      };
      server.once('error', failed);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', failed);
        // Accept errors (EMFILE…) after this point are logged, never thrown.
        server.on('error', (error: NodeJS.ErrnoException) => this.log('error', 'serverError', null, { code: error.code ?? 'ERROR', message: error.message }));
        if (this.phase === 'starting') this.phase = 'started';
        resolve();
      });
    });
    return this.starting;
  }

  /** The bound address (the real port when `port` was 0). @throws Error before `start` resolved. */
  address(): TcpAddress {
    const info = this.server?.address();
    if (info === null || info === undefined || typeof info === 'string') throw new Error('the TCP transport is not listening');
    return { host: (info as AddressInfo).address, port: (info as AddressInfo).port };
  }

  /** Connections held now: pending and open links, and links still closing. Refused sockets are not counted. */
  get connections(): number {
    return this.links.size;
  }

  /**
   * Carries out one command on its link: the answer, the dialog messages
   * (several frames if they do not fit in one), or the close frame followed
   * by the end of the connection. Resolves once the bytes are handed to the
   * kernel. Rejects — never throws — when the link is unknown, closing or
   * gone, when the frame cannot be encoded or is too large, and when the
   * link's reader is too slow (the link is then dropped: `connectionClosed`,
   * cause `slowReader`).
   */
  execute(command: TransportCommand): Promise<void> {
    try {
      const link = this.links.get(command.link as number);
      if (link === undefined) return Promise.reject(new Error(`link ${String(command.link)} is unknown`));
      return link.execute(command);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Stops accepting, tells every link `shutdown` (reconnect allowed) and ends
   * it, waits up to `stopTimeoutMs` for the peers to read it, destroys what is
   * left, and closes the listener. No fact is emitted from the moment it is
   * called. Idempotent: later calls return the same promise.
   */
  stop(): Promise<void> {
    if (this.stopping === null) this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopped';
    this.sink = null;
    if (this.starting !== null) await this.starting.catch(() => {});
    const server = this.server;
    if (server === null) return;
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.refusing) socket.destroy();
    const links = [...this.links.values()].sort((a, b) => a.id - b.id);
    const drained = Promise.all(links.map((l) => l.shutdown()));
    const clock = this.options.clock;
    let cancel: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (cancel = clock.setTimer(clock.now() + this.options.stopTimeoutMs, () => resolve('timeout'))));
    const outcome = await Promise.race([drained.then(() => 'drained' as const), timedOut]);
    cancel?.();
    if (outcome === 'timeout') {
      const left = links.filter((l) => l.phase !== 'gone' && this.links.get(l.id) === l);
      this.log('warn', 'stopTimeout', null, { links: left.length, stopTimeoutMs: this.options.stopTimeoutMs });
      for (const link of left) link.destroy();
      await drained;
    }
    await listenerClosed;
  }

  // ---- admission ----------------------------------------------------------------

  private accept(raw: Socket): void {
    if (this.phase !== 'started') {
      raw.on('error', () => {});
      raw.destroy();
      return;
    }
    const o = this.options;
    if (this.links.size >= o.maxConnections) return this.refuse(raw, 'maxConnections');
    if (!this.bucket.take(o.clock.now())) return this.refuse(raw, 'maxNewConnectionsPerSecond');
    const id = this.linkIds.next((id) => this.links.has(id));
    let socket: Socket = raw;
    if (this.secureContext !== null) {
      // The TLS socket takes the raw one over and reports its errors; this only keeps a stray one from being thrown.
      raw.on('error', () => {});
      socket = new TLSSocket(raw, {
        isServer: true,
        secureContext: this.secureContext,
        requestCert: o.tls?.requestCert ?? false,
        rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
      });
    }
    const link = new HubLink(id, socket, raw, this.host, this.secureContext !== null);
    this.links.set(id, link);
    this.log('debug', 'linkOpened', id, { remote: `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? 0}` });
  }

  /** Tells a socket it is over capacity and ends it; destroys it outright over TLS or when too many refusals linger. */
  private refuse(raw: Socket, limit: 'maxConnections' | 'maxNewConnectionsPerSecond'): void {
    const o = this.options;
    this.log('info', 'connectionRefused', null, { limit, remote: `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? 0}` });
    raw.on('error', () => {});
    if (this.secureContext !== null || this.refusing.size >= o.maxConnections) {
      raw.destroy();
      return;
    }
    this.refusing.add(raw);
    const cancel = o.clock.setTimer(o.clock.now() + o.lingerMs, () => raw.destroy());
    raw.on('close', () => {
      cancel();
      this.refusing.delete(raw);
    });
    raw.setNoDelay(true);
    raw.resume(); // read and discard, so the close is a FIN and not a reset
    raw.end(lengthPrefixed(closePayload(ADAPTER_CLOSE_REASONS.overCapacity)));
  }


  private log(level: LogLevel, event: string, link: LinkId | null, detail: LogDetail): void {
    try {
      this.options.log({ level, event, link, detail });
    } catch {
      // A throwing logger must not take a connection down.
    }
  }
}
