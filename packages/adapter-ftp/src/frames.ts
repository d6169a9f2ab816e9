/**
 * Theory of operation: what a mailbox carries, as values — which frames each
 * side may write, the frame a hub command becomes, the fact a client frame
 * becomes, and how a frame is checked to fit the reader's limits.
 *
 * A `dialog` frame that would not fit (over `maxFrameBytes`, or more than
 * `maxMessages` messages) is split into consecutive dialog frames, messages
 * in order: every message keeps its seq and ack and the receiver handles
 * consecutive frames as one, so splitting is not a protocol decision. Other
 * kinds cannot be split; one that is too large is the writer's error.
 */
import { encodeFrame, type CodecLimits, type Frame } from '@dialoghub/core';
export { isClientFrame, isHubFrame, hubFrameOf, eventOf, type ClientFrame, type HubFrame } from '@dialoghub/runtime';

/** A frame with the size of its encoding. */
export interface SizedFrame {
  readonly frame: Frame;
  readonly bytes: number;
}

/**
 * The frames to write for `frame` so that a reader with `limits` accepts each:
 * `frame` itself, or an oversized dialog frame split in order.
 *
 * @throws HubUsageError (from `encodeFrame`) for a value with no encoding.
 * @throws RangeError for a frame that cannot be split and is too large.
 */
export function fitFrames(frame: Frame, limits: Pick<CodecLimits, 'maxFrameBytes' | 'maxMessages'>): SizedFrame[] {
  const bytes = encodeFrame(frame).length;
  const maxMessages = Math.max(1, limits.maxMessages);
  if (frame.kind !== 'dialog') {
    if (bytes > limits.maxFrameBytes) throw new RangeError(`a ${frame.kind} frame of ${bytes} bytes exceeds maxFrameBytes (${limits.maxFrameBytes})`);
    return [{ frame, bytes }];
  }
  if (bytes <= limits.maxFrameBytes && frame.messages.length <= maxMessages) return [{ frame, bytes }];
  if (frame.messages.length <= 1) throw new RangeError(`dialog message ${frame.messages[0]?.seq ?? '?'} needs a frame of ${bytes} bytes, over maxFrameBytes (${limits.maxFrameBytes})`);
  const half = Math.ceil(frame.messages.length / 2);
  return [
    ...fitFrames({ kind: 'dialog', clientId: frame.clientId, messages: frame.messages.slice(0, half) }, limits),
    ...fitFrames({ kind: 'dialog', clientId: frame.clientId, messages: frame.messages.slice(half) }, limits),
  ];
}
