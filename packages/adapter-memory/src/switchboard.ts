/**
 * Theory of operation: the narrow, internal doors between the memory
 * network and its two facades. `MemoryTransport` (the hub's side) and
 * `MemoryClientLink` (a client's side) hold no state of their own beyond
 * their listeners: every decision about links and deliveries is the
 * network's, made in one place. Not exported from the package.
 */
import type { LinkId } from '@dialoghub/core';
import type { TransportCommand, TransportEvent } from '@dialoghub/runtime';
import type { ClientFrame, HubFrame } from './frames.js';

/** How a client link ended, as its owner sees it. */
export interface LinkEnd {
  /**
   * Who ended it: `hub` (the hub closed the link, normally after a close
   * frame with the reason), `client` (this side called `close()`), or
   * `transport` (a frame could not be decoded, wire-codec mode only).
   */
  readonly by: 'hub' | 'client' | 'transport';
  /** The reason from the hub's close frame, or null when none arrived (client close, lost close frame, bad frame). */
  readonly reason: Extract<HubFrame, { kind: 'close' }>['reason'] | null;
  /** The close frame's `reconnect` flag, or null when no close frame arrived. */
  readonly reconnect: boolean | null;
  /** The decoder's complaint when `by` is `transport`; otherwise null. */
  readonly detail: string | null;
}

/** The hub's door into the network (used by MemoryTransport). */
export interface HubSide {
  start(sink: (event: TransportEvent) => void): Promise<void>;
  execute(command: TransportCommand): Promise<void>;
  stop(): Promise<void>;
  openLinks(): LinkId[];
}

/** The callbacks a client link registers so the network can reach it. */
export interface ClientEnds {
  receive(frame: HubFrame): void;
  end(end: LinkEnd): void;
}

/** A client's door into the network (used by MemoryClientLink). */
export interface ClientSide {
  send(link: LinkId, frame: ClientFrame): boolean;
  close(link: LinkId): void;
}
