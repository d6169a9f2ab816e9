/**
 * Theory of operation: the hub's end of one TCP connection — one link.
 *
 * Phases, and what moves between them (a literal reading of the code below):
 *
 * | phase     | facts to the hub | commands     | leaves on                                                     |
 * |-----------|------------------|--------------|---------------------------------------------------------------|
 * | `pending` | none (the hub has never heard of the link) | rejected (unknown) | a whole `request` frame → `open`; the first-frame deadline, a non-request first frame, bad bytes → `closing`; loss → `gone` |
 * | `open`    | one per frame, in order | carried out | hub `close` or `stop` → `closing` (no fact); bad bytes, slow reader → `closing` + `connectionClosed`; idle timeout, peer FIN, socket error → `gone` + `connectionClosed` |
 * | `closing` | none             | rejected     | the socket closes (the peer read the close frame and hung up, or the linger ran out) |
 * | `gone`    | none             | rejected     | —                                                              |
 *
 * Invariants:
 * - a `connectionClosed` is emitted at most once, only from `open`, and
 *   never after the hub closed the link (transport rule 4);
 * - facts leave in the order the bytes arrived (rule 1): every frame of a
 *   chunk is handled synchronously, and the end of the stream only after;
 * - every close the adapter decides on its own tells the peer why first
 *   (a close frame with a reason from `ADAPTER_CLOSE_REASONS`), except the
 *   idle drop (the peer is not listening) and a TLS handshake that never
 *   finished (there is no channel to say it on);
 * - a closing socket keeps being read (and the bytes discarded), so unread
 *   input never turns the close into a reset that would destroy the close
 *   frame in flight; the linger bounds how long that lasts.
 *
 * It decides nothing about the protocol: which client the link carries,
 * whether a request is valid, when the client is dead — all the core's.
 */
import { decodeFrame, encodeFrame, type CloseReason, type LinkId, type LogDetail, type LogLevel } from '@dialoghub/core';
import type { TransportCommand, TransportEvent } from '@dialoghub/runtime';
import type { Socket } from 'node:net';
import { FrameWriter } from './frame-writer.js';
import { FrameParser } from './framing.js';
import { encodeWithin, eventOf, hubFrameOf } from './frames.js';
import { ADAPTER_CLOSE_REASONS, closeFrameFor, type ResolvedServerOptions } from './options.js';

export type LinkPhase = 'pending' | 'open' | 'closing' | 'gone';

/** What a link needs from its transport. */
export interface LinkHost {
  readonly options: ResolvedServerOptions;
  /** Passes a fact to the hub (dropped once the transport is stopping). */
  emit(event: TransportEvent): void;
  log(level: LogLevel, event: string, link: LinkId | null, detail: LogDetail): void;
  /** The socket is closed: forget the link. */
  released(link: HubLink): void;
}

/** The encoded close frame of each reason, made once. */
const CLOSE_PAYLOADS = new Map<CloseReason, Uint8Array>();
export function closePayload(reason: CloseReason): Uint8Array {
  let bytes = CLOSE_PAYLOADS.get(reason);
  if (bytes === undefined) CLOSE_PAYLOADS.set(reason, (bytes = encodeFrame(closeFrameFor(reason))));
  return bytes;
}

export class HubLink {
  private state: LinkPhase = 'pending';
  private readonly parser: FrameParser;
  private readonly writer: FrameWriter;
  private lastHeard: number;
  private cancelDeadline: (() => void) | undefined;
  private cancelLinger: (() => void) | undefined;
  private secured: boolean;
  private resolveClosed!: () => void;
  /** Resolves once the socket is closed (whoever closed it). */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  /**
   * @param socket the socket frames travel on (the TLS socket for TLS).
   * @param raw the TCP socket under it (the same socket for plain TCP).
   */
  constructor(
    readonly id: LinkId,
    private readonly socket: Socket,
    raw: Socket,
    private readonly host: LinkHost,
    tlsPending: boolean,
  ) {
    const o = host.options;
    this.parser = new FrameParser(o.limits.maxFrameBytes);
    this.writer = new FrameWriter(socket);
    this.secured = !tlsPending;
    this.lastHeard = o.clock.now();
    raw.setNoDelay(true);
    if (o.keepAliveMs > 0) raw.setKeepAlive(true, o.keepAliveMs);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.lost('peerClosed'));
    socket.on('error', (error: NodeJS.ErrnoException) => this.failed(error));
    socket.on('close', () => this.released());
    if (tlsPending) socket.once('secure', () => (this.secured = true));
    this.armDeadline(this.lastHeard + o.firstFrameTimeoutMs);
  }

  get phase(): LinkPhase {
    return this.state;
  }

  /**
   * Carries out a hub command on this link. Rejects when the link is not
   * open (never heard of, closed, lost), when the frame has no encoding or is
   * too large, and when the peer is a slow reader (which also drops the link).
   */
  execute(command: TransportCommand): Promise<void> {
    if (this.state !== 'open') {
      const why = this.state === 'pending' ? 'is unknown (no request received on it yet)' : 'is closed';
      return Promise.reject(new Error(`link ${this.id} ${why}`));
    }
    if (command.type === 'close') {
      // The hub closed it: no connectionClosed will follow (rule 4).
      return this.closeWith(command.reason);
    }
    const backlog = this.writer.backlog;
    if (backlog > this.host.options.maxQueuedBytes) {
      this.host.log('warn', 'slowReader', this.id, { queuedBytes: backlog, maxQueuedBytes: this.host.options.maxQueuedBytes });
      this.drop('slowReader', ADAPTER_CLOSE_REASONS.slowReader);
      return Promise.reject(new Error(`link ${this.id} was dropped: slow reader (${backlog} bytes queued)`));
    }
    let payloads: Uint8Array[];
    try {
      payloads = encodeWithin(hubFrameOf(command), this.host.options.limits);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.writer.write(payloads);
  }

  /** `stop()`: tells a pending or open link `shutdown` and ends it. Resolves once the socket is closed. */
  shutdown(): Promise<void> {
    if (this.state === 'pending' || this.state === 'open') void this.closeWith(ADAPTER_CLOSE_REASONS.stop).catch(() => {});
    return this.closed;
  }

  /** Ends the socket at once (stop's timeout). */
  destroy(): void {
    this.state = this.state === 'open' || this.state === 'pending' ? 'gone' : this.state;
    this.socket.destroy();
  }

  // ---- input --------------------------------------------------------------------

  private received(chunk: Buffer): void {
    this.lastHeard = this.host.options.clock.now();
    if (this.state !== 'pending' && this.state !== 'open') return;
    const { frames, error } = this.parser.push(chunk);
    for (const payload of frames) {
      this.frame(payload);
      if (this.state !== 'pending' && this.state !== 'open') return;
    }
    if (error !== null) {
      this.host.log('warn', 'frameTooLarge', this.id, { length: error.length, maxFrameBytes: error.max });
      this.drop(`tooLarge: a frame of ${error.length} bytes exceeds maxFrameBytes (${error.max})`, ADAPTER_CLOSE_REASONS.badFrame);
    }
  }

  private frame(payload: Uint8Array): void {
    const decoded = decodeFrame(payload, this.host.options.limits);
    if (!decoded.ok) {
      const { code, message, offset } = decoded.error;
      this.host.log('warn', 'badFrame', this.id, { code, message, offset });
      this.drop(`badFrame: ${code}: ${message}`, ADAPTER_CLOSE_REASONS.badFrame);
      return;
    }
    const frame = decoded.value;
    const event = eventOf(this.id, frame);
    if (event === null) {
      this.host.log('warn', 'badFrame', this.id, { code: 'hubFrameKind', message: `a client may not send ${frame.kind} frames`, offset: 0 });
      this.drop(`badFrame: a client may not send ${frame.kind} frames`, ADAPTER_CLOSE_REASONS.badFrame);
      return;
    }
    if (this.state === 'pending') {
      if (event.type !== 'requestReceived') {
        this.host.log('info', 'notLoggedIn', this.id, { firstFrame: frame.kind });
        void this.closeWith(ADAPTER_CLOSE_REASONS.firstFrame).catch(() => {});
        return;
      }
      this.state = 'open';
      this.armDeadline(this.lastHeard + this.host.options.idleTimeoutMs);
    }
    this.host.emit(event);
  }

  // ---- deadlines ----------------------------------------------------------------

  private armDeadline(at: number): void {
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    if (at === Infinity) return;
    this.cancelDeadline = this.host.options.clock.setTimer(at, () => this.deadline());
  }

  /** The one deadline timer fired: first frame (pending) or idle (open). Activity since does not move it; it re-arms lazily here. */
  private deadline(): void {
    this.cancelDeadline = undefined;
    const o = this.host.options;
    if (this.state === 'pending') {
      this.host.log('info', 'firstFrameTimeout', this.id, { pendingBytes: this.parser.pendingBytes, tlsHandshakeDone: this.secured });
      if (!this.secured) {
        // No TLS channel yet to carry a close frame on.
        this.state = 'gone';
        this.socket.destroy();
        return;
      }
      void this.closeWith(ADAPTER_CLOSE_REASONS.firstFrame).catch(() => {});
      return;
    }
    if (this.state !== 'open') return;
    const due = this.lastHeard + o.idleTimeoutMs;
    if (o.clock.now() < due) {
      this.armDeadline(due);
      return;
    }
    this.host.log('info', 'idleTimeout', this.id, { idleTimeoutMs: o.idleTimeoutMs });
    // The peer has been silent for the whole idle time: it is not reading a close frame either.
    this.state = 'gone';
    this.host.emit({ type: 'connectionClosed', link: this.id, cause: 'idleTimeout' });
    this.socket.destroy();
  }

  // ---- ending ---------------------------------------------------------------------

  /** The adapter ends the link on its own: the hub hears of it (if it knew the link), the peer is told `reason`. */
  private drop(cause: string, reason: CloseReason): void {
    const wasOpen = this.state === 'open';
    void this.closeWith(reason).catch(() => {});
    if (wasOpen) this.host.emit({ type: 'connectionClosed', link: this.id, cause });
  }

  /** Close frame, then the end of the stream once it is flushed, then a linger bounded by `lingerMs`. */
  private closeWith(reason: CloseReason): Promise<void> {
    this.state = 'closing';
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    const written = this.writer.write([closePayload(reason)]);
    this.writer.end();
    this.cancelLinger = this.host.options.clock.setTimer(this.host.options.clock.now() + this.host.options.lingerMs, () => {
      this.cancelLinger = undefined;
      this.socket.destroy();
    });
    return written;
  }

  /** The peer ended its side (FIN). */
  private lost(cause: string): void {
    if (this.state === 'open') {
      this.state = 'gone';
      this.host.emit({ type: 'connectionClosed', link: this.id, cause });
    } else if (this.state === 'pending') {
      this.state = 'gone';
    }
  }

  private failed(error: NodeJS.ErrnoException): void {
    const code = error.code ?? 'ERROR';
    const tls = code.startsWith('ERR_SSL') || !this.secured;
    if (this.state === 'pending' || this.state === 'open') {
      this.host.log(tls ? 'warn' : 'info', tls ? 'tlsError' : 'socketError', this.id, { code, message: error.message });
    }
    this.lost(`error: ${code}`);
  }

  private released(): void {
    this.cancelDeadline?.();
    this.cancelLinger?.();
    this.cancelDeadline = this.cancelLinger = undefined;
    this.lost('closed');
    this.host.log('debug', 'linkClosed', this.id, {});
    this.host.released(this);
    this.resolveClosed();
  }
}
