/**
 * Theory of operation: writing frames to one socket, both sides.
 *
 * - Frames written in the same tick of the event loop are corked and leave
 *   in one `writev` when the tick ends (the hub runs a batch of commands in
 *   one go): many small frames per system call instead of one each
 *   (toolchain.md measures ~10× more frames/s at 16 per write).
 * - `write` resolves once the socket has handed the bytes to the kernel, and
 *   rejects if the socket is destroyed before that — a write never vanishes
 *   silently (transport rule 3).
 * - `backlog` is the back-pressure reading: the bytes written in earlier
 *   ticks that the kernel has not taken yet. Bytes of the current tick are
 *   not counted, so a single large burst to a fast reader is not mistaken
 *   for a slow one; if by the next write the burst is still waiting, it is.
 *
 * It knows frames only as payloads; the caller decides what to do about a
 * backlog (the hub's link disconnects a slow reader).
 */
import type { Socket } from 'node:net';
import { lengthPrefixed } from './framing.js';

export class FrameWriter {
  private corked = false;
  /** Bytes written while corked in this tick. */
  private tickBytes = 0;

  constructor(private readonly socket: Socket) {}

  /** Bytes written in earlier ticks and still waiting for the kernel. */
  get backlog(): number {
    return Math.max(0, this.socket.writableLength - this.tickBytes);
  }

  /** True while the socket can take writes (not ended, not destroyed). */
  get writable(): boolean {
    return this.socket.writable && !this.socket.writableEnded && !this.socket.destroyed;
  }

  /**
   * Writes each payload as one length-prefixed frame, in order. Resolves when
   * the last one was handed to the kernel; rejects when the socket cannot
   * take them (ended, destroyed, or destroyed before they left).
   */
  write(payloads: readonly Uint8Array[]): Promise<void> {
    if (!this.writable) return Promise.reject(new Error('the socket is closed'));
    if (payloads.length === 0) return Promise.resolve();
    this.cork();
    return new Promise<void>((resolve, reject) => {
      const last = payloads.length - 1;
      payloads.forEach((payload, i) => {
        const bytes = lengthPrefixed(payload);
        this.tickBytes += bytes.length;
        if (i < last) this.socket.write(bytes);
        else this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
      });
    });
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.tickBytes = 0;
      this.socket.uncork();
    });
  }
}
