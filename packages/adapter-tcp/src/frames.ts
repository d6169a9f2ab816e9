/**
 * Theory of operation: what a TCP link carries, as values — which frames each
 * side may send, the frame a hub command becomes, the fact a client frame
 * becomes, and how a frame is encoded so that the receiver accepts it.
 *
 * Encoding respects the receiver's `CodecLimits`: a `dialog` frame whose
 * encoding would exceed `maxFrameBytes` (or hold more than `maxMessages`
 * messages) is split into several dialog frames, in order. Splitting is not
 * a protocol decision: every message keeps its own sequence number and ack,
 * and the receiver handles consecutive frames exactly as one. Any other
 * frame kind cannot be split; one that is too large is the sender's error.
 *
 * Pure: values in, bytes out. Both sides (the hub's transport and the client
 * link) use it, and assume the peer runs with the same limits.
 */
import { encodeFrame, type ClientId, type CodecLimits, type DialogMessage, type Frame } from '@dialoghub/core';
export { isClientFrame, isHubFrame, hubFrameOf, eventOf, type ClientFrame, type HubFrame } from '@dialoghub/runtime';

/** Bytes of the LEB128 varuint that encodes `n`. */
function varuintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/**
 * Encodes `frame` as one or more payloads that a receiver with `limits`
 * accepts: one payload for every kind but an oversized `dialog`, which is
 * split into consecutive dialog frames of the same client, messages in order.
 *
 * @throws HubUsageError (from `encodeFrame`) for a value with no encoding.
 * @throws RangeError when a frame that cannot be split — an answer, a close,
 *   or a single dialog message with its envelope — exceeds `maxFrameBytes`.
 */
export function encodeWithin(frame: Frame, limits: Pick<CodecLimits, 'maxFrameBytes' | 'maxMessages'>): Uint8Array[] {
  if (frame.kind !== 'dialog' || frame.messages.length <= Math.max(1, limits.maxMessages)) {
    const bytes = encodeFrame(frame);
    if (bytes.length <= limits.maxFrameBytes) return [bytes];
    if (frame.kind !== 'dialog' || frame.messages.length <= 1) {
      throw new RangeError(`a ${frame.kind} frame of ${bytes.length} bytes exceeds maxFrameBytes (${limits.maxFrameBytes})`);
    }
  }
  return splitDialog(frame.clientId, frame.messages, limits);
}

/** Greedy split: each message's size is measured once (its singleton frame less the envelope), then packed in order. */
function splitDialog(clientId: ClientId, messages: readonly DialogMessage[], limits: Pick<CodecLimits, 'maxFrameBytes' | 'maxMessages'>): Uint8Array[] {
  const maxMessages = Math.max(1, limits.maxMessages);
  // The envelope of an empty dialog frame: version, kind, client id, and a one-byte count of 0.
  const envelope = encodeFrame({ kind: 'dialog', clientId, messages: [] }).length - 1;
  const chunks: DialogMessage[][] = [];
  let current: DialogMessage[] = [];
  let body = 0;
  for (const m of messages) {
    const size = encodeFrame({ kind: 'dialog', clientId, messages: [m] }).length - envelope - 1;
    if (envelope + 1 + size > limits.maxFrameBytes) {
      throw new RangeError(`dialog message ${m.seq} needs a frame of ${envelope + 1 + size} bytes, over maxFrameBytes (${limits.maxFrameBytes})`);
    }
    const fits = current.length < maxMessages && envelope + varuintBytes(current.length + 1) + body + size <= limits.maxFrameBytes;
    if (!fits) {
      chunks.push(current);
      current = [];
      body = 0;
    }
    current.push(m);
    body += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((part) => encodeFrame({ kind: 'dialog', clientId, messages: part }));
}
