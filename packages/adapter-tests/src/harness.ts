/**
 * Theory of operation: what an adapter hands the conformance suite.
 *
 * The suite needs two things from an adapter: the hub-side `HubTransport`
 * (it runs a real `Hub` on it) and a way to open client-side links it can
 * drive (`TestPeer`). A `TestPeer` is deliberately dumb — send a frame,
 * take the next thing the hub sent, drop the connection — so that wiring an
 * adapter's client side to it takes a few lines; `PeerInbox` supplies the
 * queue most adapters need for `receive()`. All protocol knowledge (sequence
 * numbers, acks, resends) stays in the suite, which plays the client.
 */
import type { Frame } from '@dialoghub/core';
import type { HubTransport } from '@dialoghub/runtime';

/** A frame a client sends: a connection-channel request or dialog messages. */
export type ClientFrame = Extract<Frame, { kind: 'request' | 'dialog' }>;

/** A frame the hub sends: an answer, dialog messages, or the reason the link is closing. */
export type HubFrame = Extract<Frame, { kind: 'answer' | 'dialog' | 'close' }>;

/** What a peer receives: the hub's frames in order, then `ended` once the link is gone (and for ever after). */
export type PeerEvent = HubFrame | { readonly kind: 'ended' };

/** The client side of one link, as the suite drives it. */
export interface TestPeer {
  /**
   * Sends one frame to the hub. May resolve once the frame is handed to the
   * transport (a socket write); the suite never relies on it having arrived.
   */
  send(frame: ClientFrame): void | Promise<void>;
  /**
   * The next thing the hub sent on this link, in order: frames, then
   * `{ kind: 'ended' }` once the link has ended, whoever ended it. Called
   * again after the end, it resolves `ended` again. `PeerInbox.next` has
   * exactly this behaviour.
   */
  receive(): Promise<PeerEvent>;
  /**
   * Loses the connection abruptly from the client's side (no close frame):
   * the hub must hear exactly one `connectionClosed` for the link, after
   * whatever the peer sent before. The peer's `receive()` then yields `ended`.
   */
  drop(): void | Promise<void>;
}

/** One instance of the adapter under test, fresh for each test. */
export interface TransportHarness {
  /** The hub-side transport, not started: the suite passes it to `Hub.open`, which starts it. */
  readonly transport: HubTransport;
  /** Opens a new client link to `transport` (which is started by then). */
  connect(): Promise<TestPeer>;
  /**
   * Releases whatever the harness holds (servers, sockets, temp dirs). Called
   * after the hub using `transport` was closed — so `transport.stop()` has run
   * — and also when a test failed half-way.
   */
  teardown(): Promise<void>;
}

/**
 * Makes one harness. The suite calls it once per test, and once more in
 * the restart test (a second, independent transport for the new hub), so
 * every call must return a transport of its own.
 */
export type TransportSetup = () => TransportHarness | Promise<TransportHarness>;
