/**
 * Theory of operation: an in-process network between one hub and any number
 * of clients, deterministic by construction.
 *
 * - Every send — a client's frame, a hub command's frame, the end of a link —
 *   becomes one delivery in a single FIFO queue (delivery-queue.ts). Nothing
 *   is delivered during the call that sent it, so no sender is ever
 *   re-entered by its receiver.
 * - `immediate` mode delivers the queue one entry per microtask, in order:
 *   a test only awaits promises. `manual` mode delivers nothing by itself:
 *   the test calls `deliverNext()`, `deliver(id)` or `flush()`, and may first
 *   drop, duplicate or reorder what is in flight. Those faults are for testing
 *   that the *protocol* copes; the network itself never retries, filters
 *   duplicates or restores order (transport.ts: adapters are dumb pipes).
 * - Each link has two ends that close separately, as a TCP connection does.
 *   The hub's end closes when the hub runs `close` (or `stop`), or when it is
 *   told the client dropped; the client's end closes when it calls `close()`
 *   or when the end of the link reaches it. A delivery to an end that has
 *   closed is discarded. A link leaves the table once both ends are closed;
 *   deliveries hold their link's record, so a reused id never receives a
 *   stale delivery.
 * - No clock, no timers, no randomness: the same calls give the same
 *   deliveries in the same order, every run.
 */
import { CLOSE_REASON_RECONNECT, isU32Id, type Frame, type LinkId } from '@dialoghub/core';
import { LinkIdAllocator, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { MemoryClientLink } from './client-link.js';
import { DeliveryQueue } from './delivery-queue.js';
import { eventOf, hubFrameOf, isClientFrame, Wire, type Carried, type ClientFrame, type HubFrame, type WireCodecOption } from './frames.js';
import { MemoryTransport } from './memory-transport.js';
import type { ClientEnds, ClientSide, HubSide } from './switchboard.js';

/** `immediate`: deliveries happen on their own, one per microtask. `manual`: only when the test says so. */
export type DeliveryMode = 'immediate' | 'manual';

/** Options of `createMemoryNetwork`; every field is optional. */
export interface MemoryNetworkOptions {
  /** Default `immediate`. */
  readonly delivery?: DeliveryMode;
  /**
   * Pass every frame through the core's `encodeFrame`/`decodeFrame` (with
   * optional decoder limits). Default false: frames travel as values.
   */
  readonly wireCodec?: WireCodecOption;
  /** The first link id handed out (an integer in [1, 2^32)); default 1. For tests of id wrap-around. */
  readonly firstLinkId?: number;
}

/**
 * One delivery in flight, as `pending()` shows it: a frame for the hub or a
 * client, or the end of a link. `cause` says why a link ends: `peerClosed`
 * (the client dropped it), `hubClosed` (the hub closed it) or
 * `badFrame: …` (wire-codec mode, a frame the decoder refused).
 */
export type PendingDelivery =
  | { readonly id: number; readonly link: LinkId; readonly to: 'hub'; readonly kind: 'frame'; readonly frame: ClientFrame }
  | { readonly id: number; readonly link: LinkId; readonly to: 'client'; readonly kind: 'frame'; readonly frame: HubFrame }
  | { readonly id: number; readonly link: LinkId; readonly to: 'hub' | 'client'; readonly kind: 'end'; readonly cause: string };

interface LinkRecord {
  readonly id: LinkId;
  /** The hub's end: open until the hub closes the link or is told the client dropped it. */
  hubOpen: boolean;
  /** The client's end: open until the client drops the link or the end of the link reaches it. */
  clientOpen: boolean;
  /** The last close frame delivered to the client, for its `LinkEnd`. */
  lastClose: Extract<HubFrame, { kind: 'close' }> | null;
  ends: ClientEnds;
}

type InFlight =
  | { readonly kind: 'frame'; readonly to: 'hub' | 'client'; readonly link: LinkRecord; readonly carried: Carried<Frame> }
  | { readonly kind: 'end'; readonly to: 'hub' | 'client'; readonly link: LinkRecord; readonly cause: string };


/**
 * Creates a memory network: give `network.transport` to `Hub.open`, then
 * call `network.connect()` for each client. See `MemoryNetworkOptions` for the
 * delivery mode and the wire-codec option.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  return new MemoryNetwork(options);
}

/** An in-process network: one hub-side transport, client links, and the queue between them. */
export class MemoryNetwork {
  /** The hub's side: a `HubTransport` for `Hub.open`. */
  readonly transport: MemoryTransport;
  /** How deliveries happen (fixed at creation). */
  readonly delivery: DeliveryMode;
  private readonly wire: Wire;
  private readonly queue = new DeliveryQueue<InFlight>();
  private readonly links = new Map<number, LinkRecord>();
  private readonly linkIds: LinkIdAllocator;
  private sink: ((event: TransportEvent) => void) | null = null;
  private phase: 'new' | 'started' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly clientSide: ClientSide;

  /** The same as `createMemoryNetwork(options)`. @throws TypeError / RangeError for an invalid option. */
  constructor(options: MemoryNetworkOptions = {}) {
    const delivery = options.delivery ?? 'immediate';
    if (delivery !== 'immediate' && delivery !== 'manual') throw new TypeError(`delivery must be 'immediate' or 'manual', got ${String(delivery)}`);
    const first = options.firstLinkId ?? 1;
    if (!isU32Id(first)) throw new RangeError(`firstLinkId must be an integer in [1, 2^32), got ${String(first)}`);
    this.delivery = delivery;
    this.linkIds = new LinkIdAllocator(first);
    this.wire = new Wire(options.wireCodec);
    const hubSide: HubSide = {
      start: (sink) => this.start(sink),
      execute: (command) => this.execute(command),
      stop: () => this.stop(),
      openLinks: () => this.openLinks(),
    };
    this.transport = new MemoryTransport(hubSide);
    this.clientSide = {
      send: (link, frame) => this.clientSend(link, frame),
      close: (link) => this.clientClose(link),
    };
  }

  /**
   * Opens a new link to the hub and returns its client end. The hub learns of
   * the link with the first frame sent on it.
   *
   * @throws Error before the transport was started (by `Hub.open`) or after it was stopped.
   */
  connect(): MemoryClientLink {
    if (this.phase !== 'started') {
      throw new Error(this.phase === 'new' ? 'the memory transport is not started yet (Hub.open starts it)' : 'the memory transport is stopped');
    }
    const id = this.linkIds.next((id) => this.links.has(id));
    let ends: ClientEnds | undefined;
    const link = new MemoryClientLink(id, this.clientSide, (e) => {
      ends = e;
    });
    this.links.set(id, { id, hubOpen: true, clientOpen: true, lastClose: null, ends: ends! });
    return link;
  }

  // ---- driving deliveries ---------------------------------------------------

  /** The deliveries in flight, next first. Ids stay valid until the delivery is made or dropped. */
  pending(): readonly PendingDelivery[] {
    return this.queue.list().map(({ id, item }) => {
      if (item.kind === 'end') return { id, link: item.link.id, to: item.to, kind: 'end', cause: item.cause };
      if (item.to === 'hub') return { id, link: item.link.id, to: 'hub', kind: 'frame', frame: item.carried.frame as ClientFrame };
      return { id, link: item.link.id, to: 'client', kind: 'frame', frame: item.carried.frame as HubFrame };
    });
  }

  /** Makes the oldest delivery in flight. Returns false when nothing was in flight. */
  deliverNext(): boolean {
    const next = this.queue.shift();
    if (next === undefined) return false;
    this.land(next.item);
    this.notifyIdle();
    return true;
  }

  /**
   * Makes delivery `id` now, ahead of those queued before it (a reordering
   * fault). @throws RangeError when no such delivery is in flight.
   */
  deliver(id: number): void {
    this.land(this.queue.take(id).item);
    this.notifyIdle();
  }

  /**
   * Makes every delivery in flight, in order, including those queued while
   * flushing; returns how many were made. The hub answers asynchronously, so
   * a test usually alternates `flush()` and `await hub.drain()`.
   */
  flush(): number {
    let n = 0;
    while (this.deliverNext()) n++;
    return n;
  }

  /** Resolves once nothing is in flight (in `manual` mode, only after the test delivers or drops it all). */
  idle(): Promise<void> {
    if (this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- faults -----------------------------------------------------------------

  /** Loses delivery `id` (a frame, or the news that a link ended). @throws RangeError when it is not in flight. */
  drop(id: number): void {
    this.queue.take(id);
    this.notifyIdle();
  }

  /** Queues a second copy of delivery `id` right after it; returns the copy's id. @throws RangeError when it is not in flight. */
  duplicate(id: number): number {
    const copy = this.queue.duplicate(id);
    this.schedule();
    return copy;
  }

  /** Moves delivery `id` to position `index` of the queue (0 = next). @throws RangeError when it is not in flight. */
  reorder(id: number, index: number): void {
    this.queue.move(id, index);
  }

  // ---- the hub's side -------------------------------------------------------

  private start(sink: (event: TransportEvent) => void): Promise<void> {
    if (this.phase !== 'new') return Promise.reject(new Error(`the memory transport was already ${this.phase === 'started' ? 'started' : 'stopped'}`));
    this.sink = sink;
    this.phase = 'started';
    return Promise.resolve();
  }

  private execute(command: TransportCommand): Promise<void> {
    const rec = this.links.get(command.link);
    if (rec === undefined) return Promise.reject(new Error(`link ${String(command.link)} is unknown`));
    if (!rec.hubOpen) return Promise.reject(new Error(`link ${rec.id} is closed`));
    if (!rec.clientOpen) return Promise.reject(new Error(`link ${rec.id} was dropped by the client`));
    let carried: Carried<Frame>;
    try {
      carried = this.wire.carry(hubFrameOf(command));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.enqueue({ kind: 'frame', to: 'client', link: rec, carried });
    if (command.type === 'close') this.hubClose(rec);
    return Promise.resolve();
  }

  private stop(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    const wasStarted = this.phase === 'started';
    this.phase = 'stopped';
    this.sink = null;
    if (wasStarted) {
      for (const rec of [...this.links.values()].sort((a, b) => a.id - b.id)) {
        if (!rec.hubOpen) continue;
        if (rec.clientOpen) {
          const reason = 'shutdown';
          this.enqueue({ kind: 'frame', to: 'client', link: rec, carried: this.wire.carry({ kind: 'close', reason, reconnect: CLOSE_REASON_RECONNECT[reason] }) });
        }
        this.hubClose(rec);
      }
    }
    this.stopping = this.delivery === 'immediate' ? this.idle() : Promise.resolve();
    return this.stopping;
  }

  private openLinks(): LinkId[] {
    const ids: LinkId[] = [];
    for (const rec of this.links.values()) if (rec.hubOpen) ids.push(rec.id);
    return ids.sort((a, b) => a - b);
  }

  /** Closes the hub's end: nothing more reaches the hub from this link; the client learns when the end arrives. */
  private hubClose(rec: LinkRecord): void {
    rec.hubOpen = false;
    if (rec.clientOpen) this.enqueue({ kind: 'end', to: 'client', link: rec, cause: 'hubClosed' });
    this.forgetIfClosed(rec);
  }

  // ---- the clients' side ----------------------------------------------------

  private clientSend(link: LinkId, frame: ClientFrame): boolean {
    if (typeof frame !== 'object' || frame === null || !isClientFrame(frame)) {
      throw new TypeError(`a client may send only request and dialog frames, got ${JSON.stringify((frame as { kind?: unknown } | null)?.kind)}`);
    }
    const rec = this.links.get(link);
    if (rec === undefined || !rec.clientOpen) return false;
    this.enqueue({ kind: 'frame', to: 'hub', link: rec, carried: this.wire.carry(frame) });
    return true;
  }

  private clientClose(link: LinkId): void {
    const rec = this.links.get(link);
    if (rec === undefined || !rec.clientOpen) return;
    rec.clientOpen = false;
    if (rec.hubOpen) this.enqueue({ kind: 'end', to: 'hub', link: rec, cause: 'peerClosed' });
    this.forgetIfClosed(rec);
    rec.ends.end({ by: 'client', reason: null, reconnect: null, detail: null });
  }

  // ---- delivery ---------------------------------------------------------------

  private enqueue(item: InFlight): void {
    this.queue.push(item);
    this.schedule();
  }

  /** In immediate mode, keeps one microtask pending while anything is in flight; it delivers one entry and re-arms. */
  private schedule(): void {
    if (this.delivery !== 'immediate' || this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      try {
        this.deliverNext();
      } finally {
        // A receiver that throws is reported by the platform; the rest of the queue still moves.
        if (this.queue.size > 0) this.schedule();
      }
    });
  }

  private land(item: InFlight): void {
    const rec = item.link;
    if (item.to === 'hub') {
      const sink = this.sink;
      if (!rec.hubOpen || sink === null) return;
      if (item.kind === 'end') {
        rec.hubOpen = false;
        this.forgetIfClosed(rec);
        sink({ type: 'connectionClosed', link: rec.id, cause: item.cause });
        return;
      }
      const landed = this.wire.land(item.carried);
      const event = landed.ok ? eventOf(rec.id, landed.frame) : null;
      if (event === null) {
        const cause = `badFrame: ${landed.ok ? `a client may not send ${landed.frame.kind} frames` : landed.error}`;
        rec.hubOpen = false;
        if (rec.clientOpen) this.enqueue({ kind: 'end', to: 'client', link: rec, cause });
        this.forgetIfClosed(rec);
        sink({ type: 'connectionClosed', link: rec.id, cause });
        return;
      }
      sink(event);
      return;
    }
    if (!rec.clientOpen) return;
    if (item.kind === 'end') {
      rec.clientOpen = false;
      this.forgetIfClosed(rec);
      const fromHub = item.cause === 'hubClosed';
      rec.ends.end({
        by: fromHub ? 'hub' : 'transport',
        reason: fromHub ? (rec.lastClose?.reason ?? null) : null,
        reconnect: fromHub ? (rec.lastClose?.reconnect ?? null) : null,
        detail: fromHub ? null : item.cause,
      });
      return;
    }
    const landed = this.wire.land(item.carried);
    if (!landed.ok || landed.frame.kind === 'request') {
      const cause = `badFrame: ${landed.ok ? 'the hub may not send request frames' : landed.error}`;
      rec.clientOpen = false;
      if (rec.hubOpen) this.enqueue({ kind: 'end', to: 'hub', link: rec, cause });
      this.forgetIfClosed(rec);
      rec.ends.end({ by: 'transport', reason: null, reconnect: null, detail: cause });
      return;
    }
    if (landed.frame.kind === 'close') rec.lastClose = landed.frame;
    rec.ends.receive(landed.frame);
  }

  private forgetIfClosed(rec: LinkRecord): void {
    if (!rec.hubOpen && !rec.clientOpen && this.links.get(rec.id) === rec) this.links.delete(rec.id);
  }

  private notifyIdle(): void {
    if (this.queue.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

}
