/**
 * Theory of operation: what travels on a memory link, and how.
 *
 * A memory link carries the core's wire `Frame`s: requests and dialog
 * messages from the client, answers, dialog messages and a close from the
 * hub. By default a frame travels as the very object the sender handed over
 * (no copy: the core's values are immutable). With the wire-codec option each
 * frame is encoded with the core's `encodeFrame` when it is sent and decoded
 * with `decodeFrame` when it is delivered, so a test over the memory network
 * also exercises the byte layout a real transport would use, and the receiver
 * gets fresh values that share nothing with the sender's.
 *
 * Encoding happens at the sender so that a value with no encoding is the
 * sender's error, at once (the client's `send` throws, the hub's `execute`
 * rejects: transport rule 3). Decoding happens at delivery, where a real
 * transport would decode; a frame the decoder refuses ends the link, as a TCP
 * adapter ends a connection that sent garbage.
 *
 * This module knows nothing of links or queues.
 */
import { decodeFrame, encodeFrame, type CodecLimits, type Frame, type LinkId } from '@dialoghub/core';
import type { TransportCommand, TransportEvent } from '@dialoghub/runtime';

/** A frame a client sends to the hub: a connection-channel request or dialog messages. */
export type ClientFrame = Extract<Frame, { kind: 'request' | 'dialog' }>;

/** A frame the hub sends to a client: an answer, dialog messages, or the reason the link is closing. */
export type HubFrame = Extract<Frame, { kind: 'answer' | 'dialog' | 'close' }>;

/** A frame in flight: the value as sent, and its encoding when the wire codec is on. */
export interface Carried<F extends Frame> {
  readonly frame: F;
  readonly bytes: Uint8Array | null;
}

/** Whether frames pass through the core's wire codec, and with which decoder limits. */
export type WireCodecOption = boolean | { readonly limits?: Partial<CodecLimits> };

/** How frames are carried: as values, or through the wire codec. */
export class Wire {
  private readonly encode: boolean;
  private readonly limits: Partial<CodecLimits> | undefined;

  constructor(option: WireCodecOption | undefined) {
    this.encode = option !== undefined && option !== false;
    this.limits = typeof option === 'object' ? option.limits : undefined;
  }

  /** Prepares a frame for the queue. Throws `HubUsageError` when the codec is on and the frame has no encoding. */
  carry<F extends Frame>(frame: F): Carried<F> {
    return { frame, bytes: this.encode ? encodeFrame(frame) : null };
  }

  /** What the receiver gets: the frame itself, or what the decoder made of the bytes (an error string when it refused them). */
  land(carried: Carried<Frame>): { readonly ok: true; readonly frame: Frame } | { readonly ok: false; readonly error: string } {
    if (carried.bytes === null) return { ok: true, frame: carried.frame };
    const decoded = decodeFrame(carried.bytes, this.limits);
    if (!decoded.ok) return { ok: false, error: `${decoded.error.code}: ${decoded.error.message}` };
    return { ok: true, frame: decoded.value };
  }
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

/** True for the frame kinds a client may send. */
export function isClientFrame(frame: Frame): frame is ClientFrame {
  return frame.kind === 'request' || frame.kind === 'dialog';
}

