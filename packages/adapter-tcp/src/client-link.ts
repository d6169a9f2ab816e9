/**
 * Theory of operation: the client's end of a TCP link — what the client
 * engine (@dialoghub/client) holds instead of a socket.
 *
 * `ClientLink` is the transport-generic shape the engine drives: send a
 * frame, hear frames, hear the end once, close. Any transport's client side
 * can offer it; `TcpClientLink` is the TCP/TLS one. It keeps no protocol
 * state — no sequence numbers, no acks, no retries, no reconnects: those are
 * the engine's. Frames that arrive before anyone listens wait for the first
 * listener, so none is lost to a late `onFrame`.
 *
 * The link ends exactly once, and every listener hears it after every frame
 * that arrived before:
 * - the hub's close frame arrives: listeners get the frame, then the end with
 *   its reason (cause `closedByHub`); the link ends at once, without waiting
 *   for the hub's FIN;
 * - this side calls `close()`: the end comes at once with reason null (cause
 *   `closedByClient`); what was sent before still reaches the hub, which then
 *   hears `connectionClosed`;
 * - the connection is lost — FIN without a close frame, reset, error — or the
 *   hub sends bytes this side refuses: reason null, and the cause says which.
 */
import { decodeFrame, type CloseReason, type CodecLimits } from '@dialoghub/core';
import { ClientLinkEvents, systemClock, type Clock, type LinkEnding } from '@dialoghub/runtime';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { FrameWriter } from './frame-writer.js';
import { FrameParser } from './framing.js';
import { encodeWithin, isClientFrame, isHubFrame, type ClientFrame, type HubFrame } from './frames.js';
import { DEFAULTS, resolveLimits, type TcpConnectOptions } from './options.js';

/**
 * Why a link ended, for logs and for the engine's choice: `closedByHub` (a
 * close frame arrived; the reason says whether to reconnect),
 * `closedByClient` (this side's `close()`), or anything else for a transport
 * loss — `peerEnded` (the hub hung up without a close frame), `error: CODE`,
 * `badFrame: …` / `tooLarge: …` (the hub sent bytes this side refuses).
 */
export type ClientLinkCause = 'closedByHub' | 'closedByClient' | (string & {});

/**
 * The client side of one link to a hub, whatever carries it. The client
 * engine accepts any object of this shape.
 */
export interface ClientLink {
  /**
   * Sends a request or dialog messages. Resolves once the transport has taken
   * the bytes (for TCP: handed to the kernel); rejects — sending nothing —
   * once the link has ended, for a frame kind a client may not send, or for a
   * value with no encoding. Dialog messages too many for one frame go in
   * several, in order.
   */
  send(frame: ClientFrame): Promise<void>;
  /**
   * Calls `listener` with every frame the hub sends, in order: answers,
   * dialog messages, and at last the close frame. The first listener also
   * gets the frames that arrived before it. Returns a function that removes
   * the listener.
   */
  onFrame(listener: (frame: HubFrame) => void): () => void;
  /**
   * Calls `listener` once when the link ends, after every frame: `reason` is
   * the hub's close reason, or null when no close frame arrived (transport
   * loss, or this side's `close()`). Registered after the end, it is called
   * at once. Returns a function that removes the listener.
   */
  onClose(listener: (reason: CloseReason | null, cause: ClientLinkCause) => void): () => void;
  /**
   * Ends the link from this side: what was sent before still reaches the hub,
   * then the hub hears that the connection closed. The link ends here at once.
   * Does nothing once the link has ended.
   */
  close(): void;
}

/** How a link ended. */
export type ClientLinkEnd = LinkEnding<ClientLinkCause>;

/**
 * A client's TCP (or TLS) link to a hub. Get one with `connectTcp`.
 */
export class TcpClientLink implements ClientLink {
  private readonly events = new ClientLinkEvents<ClientLinkCause>();
  private readonly parser: FrameParser;
  private readonly writer: FrameWriter;
  private cancelLinger: (() => void) | undefined;

  /** @internal Created by `connectTcp` once the connection (and TLS handshake) is up. */
  constructor(
    private readonly socket: Socket,
    private readonly limits: Readonly<CodecLimits>,
    private readonly clock: Clock,
    private readonly lingerMs: number,
  ) {
    this.parser = new FrameParser(limits.maxFrameBytes);
    this.writer = new FrameWriter(socket);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.finish(null, 'peerEnded'));
    socket.on('error', (error: NodeJS.ErrnoException) => this.finish(null, `error: ${error.code ?? error.message}`));
    socket.on('close', () => {
      this.cancelLinger?.();
      this.finish(null, 'peerEnded');
    });
  }

  /** True until the link ends (either side). */
  get open(): boolean {
    return this.events.ended === null;
  }

  /** How the link ended, or null while it is open. */
  get ended(): ClientLinkEnd | null {
    return this.events.ended;
  }

  /** The local and remote addresses, for logs. */
  get addresses(): { readonly local: string; readonly remote: string } {
    const s = this.socket;
    return { local: `${s.localAddress ?? '?'}:${s.localPort ?? 0}`, remote: `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}` };
  }

  send(frame: ClientFrame): Promise<void> {
    const ended = this.events.ended;
    if (ended !== null) return Promise.reject(new Error(`the link has ended (${ended.cause})`));
    if (typeof frame !== 'object' || frame === null || !isClientFrame(frame)) {
      return Promise.reject(new TypeError(`a client may send only request and dialog frames, got ${JSON.stringify((frame as { kind?: unknown } | null)?.kind)}`));
    }
    let payloads: Uint8Array[];
    try {
      payloads = encodeWithin(frame, this.limits);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.writer.write(payloads);
  }

  onFrame(listener: (frame: HubFrame) => void): () => void {
    return this.events.onFrame(listener);
  }

  onClose(listener: (reason: CloseReason | null, cause: ClientLinkCause) => void): () => void {
    return this.events.onClose(listener);
  }

  close(): void {
    this.finish(null, 'closedByClient');
  }

  /** Drops the connection abruptly (a reset, no flush): for tests of transport loss. */
  destroy(): void {
    this.finish(null, 'closedByClient', true);
  }

  private received(chunk: Buffer): void {
    if (!this.open) return;
    const { frames, error } = this.parser.push(chunk);
    for (const payload of frames) {
      const decoded = decodeFrame(payload, this.limits);
      if (!decoded.ok) {
        this.finish(null, `badFrame: ${decoded.error.code}: ${decoded.error.message}`, true);
        return;
      }
      const frame = decoded.value;
      if (!isHubFrame(frame)) {
        this.finish(null, `badFrame: the hub may not send ${frame.kind} frames`, true);
        return;
      }
      this.events.frame(frame);
      if (frame.kind === 'close') {
        this.finish(frame.reason, 'closedByHub');
        return;
      }
    }
    if (error !== null) this.finish(null, `tooLarge: a frame of ${error.length} bytes exceeds maxFrameBytes (${error.max})`, true);
  }


  /** Ends the link once: the socket is ended after its writes (or destroyed), then every close listener hears it. */
  private finish(reason: CloseReason | null, cause: ClientLinkCause, abrupt = false): void {
    this.events.end(reason, cause, () => {
      if (abrupt) {
        this.socket.destroy();
      } else if (!this.socket.destroyed) {
        this.writer.end();
        this.cancelLinger = this.clock.setTimer(this.clock.now() + this.lingerMs, () => this.socket.destroy());
      }
      // Keep reading (and discarding) until the hub hangs up, so the close is a FIN, not a reset.
      this.socket.resume();
    });
  }
}

/**
 * Opens a TCP (or, with `tls`, TLS) link to a hub. Resolves once the
 * connection — and the TLS handshake, certificate checked — is up; rejects
 * with the socket's error (refused, unreachable, bad certificate, handshake
 * failure) or after `connectTimeoutMs`.
 *
 * `maxFrameBytes` and `codecLimits` must match the hub's: frames are split
 * and refused by them on both sides.
 */
export function connectTcp(options: TcpConnectOptions): Promise<TcpClientLink> {
  let limits: Readonly<CodecLimits>;
  try {
    limits = resolveLimits(options.maxFrameBytes, options.codecLimits);
  } catch (error) {
    return Promise.reject(error);
  }
  const host = options.host ?? DEFAULTS.host;
  const clock = options.clock ?? systemClock;
  const keepAliveMs = options.keepAliveMs ?? DEFAULTS.keepAliveMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  const lingerMs = options.lingerMs ?? DEFAULTS.lingerMs;
  return new Promise<TcpClientLink>((resolve, reject) => {
    let socket: Socket;
    let ready: 'connect' | 'secureConnect';
    if (options.tls === undefined) {
      socket = netConnect({ host, port: options.port, noDelay: true });
      ready = 'connect';
    } else {
      const t = options.tls === true ? {} : options.tls;
      const tlsOptions: ConnectionOptions = { host, port: options.port };
      if (t.ca !== undefined) tlsOptions.ca = t.ca as string;
      if (t.cert !== undefined) tlsOptions.cert = t.cert;
      if (t.key !== undefined) tlsOptions.key = t.key;
      if (t.rejectUnauthorized !== undefined) tlsOptions.rejectUnauthorized = t.rejectUnauthorized;
      // SNI carries names only (RFC 6066); for an IP the certificate's IP entries are checked.
      const servername = t.servername ?? (isIP(host) === 0 ? host : undefined);
      if (servername !== undefined) tlsOptions.servername = servername;
      socket = tlsConnect(tlsOptions);
      ready = 'secureConnect';
    }
    const cancel = clock.setTimer(clock.now() + connectTimeoutMs, () => {
      socket.destroy();
      reject(new Error(`connecting to ${host}:${options.port} timed out after ${connectTimeoutMs} ms`));
    });
    const failed = (error: Error): void => {
      cancel();
      socket.destroy();
      reject(error);
    };
    socket.once('error', failed);
    socket.once(ready, () => {
      cancel();
      socket.off('error', failed);
      socket.setNoDelay(true);
      if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
      resolve(new TcpClientLink(socket, limits, clock, lingerMs));
    });
  });
}
