/**
 * Theory of operation: the receive queue a `TestPeer` needs. An adapter's
 * client side usually pushes (a callback per frame, one when the link ends);
 * the suite pulls (`await peer.receive()`). `PeerInbox` joins the two: push
 * frames and the end into it from the adapter's callbacks, hand `next` to the
 * suite as `receive`. Order is kept; nothing is dropped; after the end,
 * `next` keeps resolving `ended`.
 */
import type { ClientFrame, HubFrame, PeerEvent, TestPeer } from './harness.js';

const ENDED: PeerEvent = Object.freeze({ kind: 'ended' });

/**
 * A pull queue for one peer's incoming frames. Create one per link, feed it
 * from the adapter's client callbacks (`push`, `end`), and use `next` as the
 * `TestPeer.receive` the suite calls.
 */
export class PeerInbox {
  private readonly items: PeerEvent[] = [];
  private readonly waiters: ((event: PeerEvent) => void)[] = [];
  private done = false;

  /** Call with each frame the hub sent, in arrival order. Ignored after `end()`. */
  push(frame: HubFrame): void {
    if (this.done) return;
    this.offer(frame);
  }

  /** Call once when the link has ended (either side). Later calls do nothing. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.offer(ENDED);
  }

  /** The next event, in order; waits for one if none is queued. After the end it resolves `ended` again and again. */
  next(): Promise<PeerEvent> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.done) return Promise.resolve(ENDED);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The events received and not yet taken by `next`. */
  get queued(): readonly PeerEvent[] {
    return [...this.items];
  }

  private offer(event: PeerEvent): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(event);
    else this.items.push(event);
  }
}

/** What `peerOfLink` needs of a client link: the shape the TCP and FTP adapters' client links share. */
export interface PeerLink {
  send(frame: ClientFrame): void | Promise<void>;
  onFrame(listener: (frame: HubFrame) => void): unknown;
  onClose(listener: () => void): unknown;
  /** Ends the link from the client's side, after what was sent before (the hub gets every frame, then the end). */
  close(): void;
}

/** A conformance-suite peer driven by a client link: frames into a `PeerInbox`, `drop` is the link's `close()`. */
export function peerOfLink(link: PeerLink): TestPeer {
  const inbox = new PeerInbox();
  link.onFrame((frame) => inbox.push(frame));
  link.onClose(() => inbox.end());
  return { send: (frame) => link.send(frame), receive: () => inbox.next(), drop: () => link.close() };
}
