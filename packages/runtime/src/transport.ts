/**
 * Theory of operation: the contract between the hub driver and a transport
 * adapter (memory, TCP, FTP mailboxes). An adapter is a dumb pipe: it turns
 * what arrives into facts (`TransportEvent`) and carries out the three
 * transport commands. It makes no protocol decision: no retries of its own,
 * no duplicate filtering, no ordering fixes — the core handles all of that.
 *
 * Rules every adapter follows (checked by @dialoghub/adapter-tests):
 * 1. Facts from one link reach the sink in the order they arrived.
 * 2. `execute` is called in command order without waiting; commands for the
 *    same link take effect in call order.
 * 3. A command that cannot be carried out rejects its promise (the driver
 *    turns that into a `commandFailed` input); it is never dropped silently.
 * 4. `close` tells the peer the reason before ending the link, and is
 *    followed by no `connectionClosed` fact for that link (the hub already
 *    knows); a link lost any other way produces exactly one `connectionClosed`.
 * 5. Link ids are unsigned 32-bit integers, never reused while the link is open.
 */
import type { HubCommand, TransportInput } from '@dialoghub/core';

/** The commands a transport carries out. */
export type TransportCommand = Extract<HubCommand, { type: 'reply' | 'writeDialog' | 'close' }>;

/** A fact a transport reports. Registrations get their secret from the driver, not the transport. */
export type TransportEvent = Exclude<TransportInput, { type: 'commandFailed' }>;

export interface HubTransport {
  /** Starts accepting links; every fact goes to `sink`, in order. Resolves when ready. */
  start(sink: (event: TransportEvent) => void): Promise<void>;
  /** Carries out one command. Rejects when it cannot. */
  execute(command: TransportCommand): Promise<void>;
  /** Tells every open link `shutdown`, drains what is queued, closes. Idempotent. */
  stop(): Promise<void>;
}

export function isTransportCommand(c: HubCommand): c is TransportCommand {
  return c.type === 'reply' || c.type === 'writeDialog' || c.type === 'close';
}
