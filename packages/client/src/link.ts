/**
 * Theory of operation: the only shape of transport the engine knows. A
 * transport's client side offers `ClientTransport.connect()`, which opens one
 * `ClientLink`; the engine drives it and keeps all protocol state itself —
 * a link only moves frames and reports its end once.
 *
 * `ClientLink` is the shape `@dialoghub/adapter-tcp` exports (its
 * `TcpClientLink` is one as is, so `{ connect: () => connectTcp(options) }` is
 * a transport). The memory adapter's `MemoryClientLink` has a slightly
 * different surface; `memoryTransport` (memory-link.ts) adapts it.
 */
import type { CloseReason, Frame } from '@dialoghub/core';

/** A frame a client sends: a connection-channel request or dialog messages. */
export type ClientFrame = Extract<Frame, { kind: 'request' | 'dialog' }>;

/** A frame the hub sends: an answer, dialog messages, or the reason it is closing the link. */
export type HubFrame = Extract<Frame, { kind: 'answer' | 'dialog' | 'close' }>;

/** The client side of one link to a hub, whatever carries it. */
export interface ClientLink {
  /** Sends a frame. Rejects (sending nothing) once the link has ended. */
  send(frame: ClientFrame): Promise<void>;
  /** Every frame the hub sends, in order; the first listener also gets those that arrived before it. Returns an unsubscribe function. */
  onFrame(listener: (frame: HubFrame) => void): () => void;
  /**
   * Called once when the link ends, after every frame: `reason` is the hub's
   * close reason, or null when no close frame arrived (transport loss, or this
   * side's `close()`); `cause` is a free-form description for logs.
   * Registered after the end, it is called at once. Returns an unsubscribe function.
   */
  onClose(listener: (reason: CloseReason | null, cause: string) => void): () => void;
  /** Ends the link from this side; what was sent before still reaches the hub. Idempotent. */
  close(): void;
}

/** Opens links to one hub. Rejects when it cannot (refused, unreachable, handshake failure). */
export interface ClientTransport {
  connect(): Promise<ClientLink>;
}
