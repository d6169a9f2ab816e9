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
import type { Frame, HubCommand, LinkId, TransportInput } from '@dialoghub/core';

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

// ---- frames: what every adapter carries ---------------------------------------------

/** A frame a client sends to the hub: a connection-channel request or dialog messages. */
export type ClientFrame = Extract<Frame, { kind: 'request' | 'dialog' }>;

/** A frame the hub sends to a client: an answer, dialog messages, or the reason the link is closing. */
export type HubFrame = Extract<Frame, { kind: 'answer' | 'dialog' | 'close' }>;

/** True for the frame kinds a client may send. */
export function isClientFrame(frame: Frame): frame is ClientFrame {
  return frame.kind === 'request' || frame.kind === 'dialog';
}

/** True for the frame kinds the hub may send. */
export function isHubFrame(frame: Frame): frame is HubFrame {
  return frame.kind === 'answer' || frame.kind === 'dialog' || frame.kind === 'close';
}

/** The frame a transport command puts on the wire. */
export function hubFrameOf(command: TransportCommand): HubFrame {
  switch (command.type) {
    case 'reply':
      return { kind: 'answer', requestId: command.requestId, answer: command.answer };
    case 'writeDialog':
      return { kind: 'dialog', clientId: command.clientId, messages: command.messages };
    case 'close':
      return { kind: 'close', reason: command.reason, reconnect: command.reconnect };
    default: {
      const never: never = command;
      throw new TypeError(`not a transport command: ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The fact a client frame becomes at the hub, or null for a frame a client may
 * not send (an answer or a close: the hub's kinds). The dialog frame's
 * `clientId` is not passed on: the hub knows which client a link carries.
 */
export function eventOf(link: LinkId, frame: ClientFrame): TransportEvent;
export function eventOf(link: LinkId, frame: Frame): TransportEvent | null;
export function eventOf(link: LinkId, frame: Frame): TransportEvent | null {
  switch (frame.kind) {
    case 'request':
      return { type: 'requestReceived', link, request: frame.request };
    case 'dialog':
      return { type: 'messagesReceived', link, messages: frame.messages };
    case 'answer':
    case 'close':
      return null;
    default: {
      const never: never = frame;
      throw new TypeError(`not a frame: ${JSON.stringify(never)}`);
    }
  }
}
