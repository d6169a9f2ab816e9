/**
 * Theory of operation: writing frames to one socket, both sides.
 *
 * - Frames written in the same tick of the event loop are corked and leave
 *   in one `writev` when the tick ends (the hub runs a batch of commands in
 *   one go): many small frames per system call instead of one each
 *   (toolchain.md measures ~10× more frames/s at 16 per write).
 * - `write` resolves once the socket has handed the bytes to the kernel, and
 *   rejects if the socket is destroyed before that — a write never vanishes
 *   silently (transport rule 3). All writes of one tick share one promise.
 * - Small frames (up to COALESCE_BYTES, the usual acks and messages) are
 *   gathered, prefixes included, into one buffer per tick, handed to the
 *   socket as one chunk when the tick ends: one chunk per tick instead of two
 *   per frame (libuv's and the stream's per-chunk costs dominate for ~100-byte
 *   frames; copying them is cheaper). Larger payloads are not copied: a
 *   4-byte prefix and a view of the payload are two chunks of the same
 *   `writev`. Order is kept: gathered frames are handed over before a large
 *   one.
 * - `backlog` is the back-pressure reading: the bytes written in earlier
 *   ticks that the kernel has not taken yet. Bytes of the current tick are
 *   not counted, so a single large burst to a fast reader is not mistaken
 *   for a slow one; if by the next write the burst is still waiting, it is.
 *
 * It knows frames only as payloads; the caller decides what to do about a
 * backlog (the hub's link disconnects a slow reader).
 */
import type { Socket } from 'node:net';
import { LENGTH_PREFIX_BYTES, MAX_PREFIX_LENGTH } from './framing.js';

/** Frames up to this payload size are gathered into the tick's buffer (copied); larger ones go as views. */
export const COALESCE_BYTES = 1024;

/** The writes of one tick: they share one promise, settled by the last write's callback. */
interface TickWrites {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  /** Write callbacks still to come. */
  remaining: number;
  failed: boolean;
}

export class FrameWriter {
  /** The current tick's writes, or null outside a tick that wrote. */
  private tick: TickWrites | null = null;
  /** Bytes written while corked in this tick. */
  private tickBytes = 0;
  /** Small payloads of this tick not handed to the socket yet, and their framed size. */
  private gathered: Uint8Array[] = [];
  private gatheredBytes = 0;

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
   * every frame written in this tick was handed to the kernel; rejects when
   * the socket cannot take them (ended, destroyed, or destroyed before they
   * left). The payload bytes are not copied: the prefix and a view of the
   * payload go to the socket as two chunks of the same corked `writev`, so a
   * caller must not modify a payload after passing it.
   */
  write(payloads: readonly Uint8Array[]): Promise<void> {
    if (!this.writable) return Promise.reject(new Error('the socket is closed'));
    if (payloads.length === 0) return Promise.resolve();
    for (const payload of payloads) {
      if (payload.length > MAX_PREFIX_LENGTH) return Promise.reject(new RangeError(`a payload of ${payload.length} bytes cannot be length-prefixed with a u32`));
    }
    const tick = this.begin();
    for (const payload of payloads) {
      if (payload.length <= COALESCE_BYTES) {
        this.gathered.push(payload);
        this.gatheredBytes += LENGTH_PREFIX_BYTES + payload.length;
        continue;
      }
      this.flushGathered(tick);
      const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES);
      prefix.writeUInt32BE(payload.length, 0);
      this.tickBytes += LENGTH_PREFIX_BYTES + payload.length;
      this.socket.write(prefix);
      this.handOver(tick, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    }
    return tick.done;
  }

  /**
   * Ends the socket after every frame written so far (use it instead of
   * `socket.end()`: gathered frames are handed over first).
   */
  end(): void {
    if (this.tick !== null) this.flushGathered(this.tick);
    this.socket.end();
  }

  /** Hands the gathered small frames to the socket as one chunk. */
  private flushGathered(tick: TickWrites): void {
    if (this.gathered.length === 0) return;
    const chunk = Buffer.allocUnsafe(this.gatheredBytes);
    let at = 0;
    for (const payload of this.gathered) {
      chunk.writeUInt32BE(payload.length, at);
      chunk.set(payload, at + LENGTH_PREFIX_BYTES);
      at += LENGTH_PREFIX_BYTES + payload.length;
    }
    this.tickBytes += this.gatheredBytes;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.handOver(tick, chunk);
  }

  /** Writes one chunk whose callback settles the tick's promise. */
  private handOver(tick: TickWrites, chunk: Buffer): void {
    tick.remaining += 1;
    this.socket.write(chunk, (error) => {
      if (error) {
        if (!tick.failed) {
          tick.failed = true;
          tick.reject(error);
        }
      } else if (--tick.remaining === 0 && !tick.failed) {
        tick.resolve();
      }
    });
  }

  /** Corks the socket for the rest of this tick and opens the tick's shared promise. */
  private begin(): TickWrites {
    if (this.tick !== null) return this.tick;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A tick's promise may be dropped by callers that only care about failures elsewhere.
    done.catch(() => {});
    const tick: TickWrites = { done, resolve, reject, remaining: 0, failed: false };
    this.tick = tick;
    this.socket.cork();
    process.nextTick(() => {
      this.flushGathered(tick);
      this.tick = null;
      this.tickBytes = 0;
      this.socket.uncork();
    });
    return tick;
  }
}
