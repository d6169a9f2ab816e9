/**
 * Theory of operation: the hub's side of the memory network, as the
 * `HubTransport` contract (runtime transport.ts) asks. It is a facade: the
 * network decides everything, so this class only forwards. Give it to
 * `Hub.open({ transport })`; the hub then starts it, runs every `reply`,
 * `writeDialog` and `close` through `execute`, and stops it on `close()`.
 *
 * How the five rules hold here:
 * 1. every fact goes through the network's single FIFO queue, so facts from
 *    one link reach the sink in the order the client sent them;
 * 2. `execute` queues the frame before it returns, so commands for a link
 *    arrive in call order;
 * 3. `execute` rejects for a link that is unknown, closed by the hub, or
 *    dropped by the client (even before the hub has heard of the drop);
 * 4. a `close` queues the close frame, then the end of the link, and marks
 *    the link closed at once: nothing the client sends afterwards reaches the
 *    hub, and no `connectionClosed` follows;
 * 5. link ids come from a u32 counter that skips ids still in use.
 */
import type { LinkId } from '@dialoghub/core';
import type { HubTransport, TransportCommand, TransportEvent } from '@dialoghub/runtime';
import type { HubSide } from './switchboard.js';

/** The hub-side transport of a memory network. Get it from `createMemoryNetwork().transport`. */
export class MemoryTransport implements HubTransport {
  /** @internal Created by the network. */
  constructor(private readonly side: HubSide) {}

  /**
   * Starts accepting links: clients may `connect()` from now on, and every
   * fact goes to `sink`. Rejects if the transport was started or stopped
   * before (a memory transport runs once; make a new network to restart).
   */
  start(sink: (event: TransportEvent) => void): Promise<void> {
    return this.side.start(sink);
  }

  /**
   * Sends the command's frame to the link's client: an answer, dialog
   * messages, or the close reason followed by the end of the link. Resolves
   * once the frame is queued for delivery (as a socket write resolves once
   * the bytes are handed to the kernel); rejects, sending nothing, when the
   * link is unknown, already closed by the hub, or dropped by its client, or
   * (wire-codec mode) when the frame has no encoding. The hub driver turns a
   * rejection into a `commandFailed` input.
   */
  execute(command: TransportCommand): Promise<void> {
    return this.side.execute(command);
  }

  /**
   * Tells every open link `shutdown` (reconnect allowed) and ends it, then
   * stops emitting facts and refuses new links. In `immediate` mode it
   * resolves once everything queued has been delivered; in `manual` mode the
   * shutdown frames wait in the queue for the test to flush them. Idempotent:
   * later calls return the same promise.
   */
  stop(): Promise<void> {
    return this.side.stop();
  }

  /** The links open on the hub's side (not closed by the hub, not reported closed), in ascending id order. */
  openLinks(): LinkId[] {
    return this.side.openLinks();
  }
}
