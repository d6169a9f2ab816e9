/**
 * The listener side of a client link, the same for every transport: frames
 * from the hub in order (the first `onFrame` listener also gets those that
 * arrived before it), and one end, heard by every `onClose` listener once —
 * at once by a listener registered after it. A link class keeps one of these
 * and does its own I/O around it.
 */
import type { CloseReason } from '@dialoghub/core';
import type { HubFrame } from './transport.js';

/** How a link ended: the hub's close reason (null without a close frame) and a cause for logs. */
export interface LinkEnding<Cause extends string> {
  readonly reason: CloseReason | null;
  readonly cause: Cause;
}

export class ClientLinkEvents<Cause extends string> {
  private readonly frameListeners = new Set<(frame: HubFrame) => void>();
  private readonly closeListeners = new Set<(reason: CloseReason | null, cause: Cause) => void>();
  /** Frames that arrived before the first frame listener; null once it came. */
  private backlog: HubFrame[] | null = [];
  private ending: LinkEnding<Cause> | null = null;

  /** How the link ended, or null while it is open. */
  get ended(): LinkEnding<Cause> | null {
    return this.ending;
  }

  /** Hands a frame from the hub to the listeners (or keeps it for the first one). */
  frame(frame: HubFrame): void {
    if (this.backlog !== null) {
      this.backlog.push(frame);
      return;
    }
    for (const listener of [...this.frameListeners]) listener(frame);
  }

  onFrame(listener: (frame: HubFrame) => void): () => void {
    this.frameListeners.add(listener);
    const waiting = this.backlog;
    if (waiting !== null) {
      this.backlog = null;
      for (const frame of waiting) listener(frame);
    }
    return () => this.frameListeners.delete(listener);
  }

  onClose(listener: (reason: CloseReason | null, cause: Cause) => void): () => void {
    if (this.ending !== null) {
      listener(this.ending.reason, this.ending.cause);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Ends the link once: records the ending, runs `teardown` (the transport's
   * own work: end a socket, mark a stream), then tells every close listener.
   * Later calls do nothing.
   */
  end(reason: CloseReason | null, cause: Cause, teardown: () => void = () => {}): void {
    if (this.ending !== null) return;
    this.ending = { reason, cause };
    teardown();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason, cause);
  }
}
