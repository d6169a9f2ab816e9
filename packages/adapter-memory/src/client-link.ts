/**
 * Theory of operation: the client's end of one memory link — what a client
 * engine, a test or the simulator holds instead of a socket.
 *
 * It sends the client's frames (requests, dialog messages) into the network
 * and hands what the hub sent to its listeners, in order. It keeps no
 * protocol state: no sequence numbers, no retries, no duplicate filter —
 * those are the client engine's and the core's. Frames that arrive before
 * anyone listens wait in a backlog for the first listener, so none is lost
 * to a late `onReceive`.
 *
 * The link ends once: when the hub closes it (after the close frame with the
 * reason), when this side calls `close()` (the hub then sees
 * `connectionClosed`), or when a frame cannot be decoded (wire-codec mode).
 */
import type { LinkId } from '@dialoghub/core';
import type { ClientFrame, HubFrame } from './frames.js';
import type { ClientEnds, ClientSide, LinkEnd } from './switchboard.js';

export type { LinkEnd } from './switchboard.js';

/**
 * A client-side memory link. Get one from `MemoryNetwork.connect()`; the hub
 * hears of it with the first frame sent on it.
 */
export class MemoryClientLink {
  private readonly receivers = new Set<(frame: HubFrame) => void>();
  private readonly closers = new Set<(end: LinkEnd) => void>();
  private backlog: HubFrame[] | null = [];
  private ending: LinkEnd | null = null;

  /** @internal Created by the network, which keeps `ends` to reach this link. */
  constructor(
    /** The id the hub sees this link under (the `link` of its transport facts and commands). */
    readonly id: LinkId,
    private readonly side: ClientSide,
    attach: (ends: ClientEnds) => void,
  ) {
    attach({ receive: (frame) => this.receive(frame), end: (end) => this.finish(end) });
  }

  /** True until the link ends (either side). */
  get open(): boolean {
    return this.ending === null;
  }

  /** How the link ended, or null while it is open. */
  get ended(): LinkEnd | null {
    return this.ending;
  }

  /**
   * Sends a request or dialog messages to the hub. Delivery follows the
   * network's mode (next microtask, or when the test flushes). Returns false,
   * sending nothing, once this side knows the link has ended. A frame sent
   * while the hub's close is still in flight is lost, as on a real network.
   *
   * @throws TypeError for a frame kind a client may not send (`answer`, `close`).
   * @throws HubUsageError in wire-codec mode, for a value with no encoding.
   */
  send(frame: ClientFrame): boolean {
    return this.side.send(this.id, frame);
  }

  /**
   * Calls `listener` with every frame the hub sends on this link, in order
   * (answers, dialog messages, then the close frame with the reason). The
   * first listener also gets the frames that arrived before it. Returns a
   * function that removes the listener.
   */
  onReceive(listener: (frame: HubFrame) => void): () => void {
    this.receivers.add(listener);
    const waiting = this.backlog;
    if (waiting !== null) {
      this.backlog = null;
      for (const frame of waiting) listener(frame);
    }
    return () => this.receivers.delete(listener);
  }

  /**
   * Calls `listener` once when the link ends, after every frame that arrived
   * on it. Registered after the end, it is called at once. Returns a function
   * that removes the listener.
   */
  onClose(listener: (end: LinkEnd) => void): () => void {
    if (this.ending !== null) {
      listener(this.ending);
      return () => {};
    }
    this.closers.add(listener);
    return () => this.closers.delete(listener);
  }

  /**
   * Drops the link from the client's side, abruptly (a lost connection, a
   * killed process). The link ends here at once; the hub hears
   * `connectionClosed` (cause `peerClosed`) after the frames sent before it.
   * Frames the hub sends from now on are not delivered: its commands for this
   * link reject. Does nothing once the link has ended.
   */
  close(): void {
    this.side.close(this.id);
  }

  private receive(frame: HubFrame): void {
    if (this.backlog !== null) {
      this.backlog.push(frame);
      return;
    }
    for (const listener of [...this.receivers]) listener(frame);
  }

  private finish(end: LinkEnd): void {
    if (this.ending !== null) return;
    this.ending = end;
    const listeners = [...this.closers];
    this.closers.clear();
    for (const listener of listeners) listener(end);
  }
}
