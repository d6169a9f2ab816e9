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
import { decodeFrame, encodeFrame, type CodecLimits, type Frame } from '@dialoghub/core';
export { isClientFrame, hubFrameOf, eventOf, type ClientFrame, type HubFrame } from '@dialoghub/runtime';

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

