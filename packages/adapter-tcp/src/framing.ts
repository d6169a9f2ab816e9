/**
 * Theory of operation: the TCP byte stream ↔ frames, and nothing else.
 *
 * On the wire every frame is `[u32 big-endian length][payload]`, the payload
 * being exactly one `encodeFrame` output (docs/adapters/tcp.md §1). TCP keeps
 * no message boundaries, so the receiver reassembles: `FrameParser` takes the
 * chunks as they come and hands back whole payloads, in order. Its one
 * property (pinned by a property test): **any chunking of a byte stream gives
 * the same payloads and the same error** — a frame cut in half is simply
 * waited for.
 *
 * Invariants:
 * - the length is checked against `maxFrameBytes` as soon as the 4 prefix
 *   bytes are in, before a single payload byte is buffered: between pushes
 *   the parser holds at most one partial frame (under 4 prefix bytes, or
 *   under `maxFrameBytes` payload bytes);
 * - each received byte is copied at most once (a payload that lies inside
 *   one chunk is returned as a view of it, zero-copy; one spread over several
 *   chunks is assembled once), so reassembly is linear in the bytes received;
 * - after a framing error the parser is dead: the stream has lost its
 *   boundaries and nothing after the error can be trusted.
 *
 * Pure: no I/O, no clock, no Node APIs. It does not decode payloads (the
 * core's `decodeFrame` does) and does not know what a frame means.
 */

/** Bytes of the length prefix before every payload. */
export const LENGTH_PREFIX_BYTES = 4;

/** Largest length a u32 prefix can announce. */
export const MAX_PREFIX_LENGTH = 0xffff_ffff;

/** The stream broke its framing: a prefix announced more than the receiver accepts. */
export interface FramingError {
  readonly code: 'tooLarge';
  /** The length the prefix announced. */
  readonly length: number;
  /** The receiver's `maxFrameBytes`. */
  readonly max: number;
  /** Byte offset of the offending prefix in the stream (counted from the first byte pushed). */
  readonly offset: number;
}

/** What one `push` yielded: the payloads completed by it, in order, then the error if the stream broke. */
export interface ParseResult {
  readonly frames: Uint8Array[];
  readonly error: FramingError | null;
}

/** Prefixes `payload` with its length: the bytes to put on the wire for one frame. */
export function lengthPrefixed(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PREFIX_LENGTH) throw new RangeError(`a payload of ${payload.length} bytes cannot be length-prefixed with a u32`);
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + payload.length);
  new DataView(out.buffer, out.byteOffset, LENGTH_PREFIX_BYTES).setUint32(0, payload.length, false);
  out.set(payload, LENGTH_PREFIX_BYTES);
  return out;
}

/**
 * The incremental frame parser for one direction of one connection. Feed it
 * every chunk the socket yields, in order; it returns the payloads each chunk
 * completed. A returned payload may be a view of a pushed chunk: the caller
 * must not modify the chunks it pushed (socket chunks are never reused).
 */
export class FrameParser {
  private chunks: Uint8Array[] = [];
  /** Read position in `chunks[0]`. */
  private head = 0;
  /** Unread bytes held in `chunks`. */
  private held = 0;
  /** Payload length of the frame in progress once its prefix was read, else -1. */
  private expected = -1;
  /** Stream offset of the next unread byte. */
  private consumed = 0;
  private broken: FramingError | null = null;

  /** @throws RangeError unless `maxFrameBytes` is an integer in [1, 2^32). */
  constructor(readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_PREFIX_LENGTH) {
      throw new RangeError(`maxFrameBytes must be an integer in [1, 2^32), got ${String(maxFrameBytes)}`);
    }
  }

  /** Bytes received of the frame in progress, its prefix included (0 between frames). */
  get pendingBytes(): number {
    return this.held + (this.expected >= 0 ? LENGTH_PREFIX_BYTES : 0);
  }

  /** True while a frame has begun (some prefix or payload bytes are in) and is not complete. */
  get midFrame(): boolean {
    return this.held > 0 || this.expected >= 0;
  }

  /** The framing error that killed the parser, or null. */
  get error(): FramingError | null {
    return this.broken;
  }

  /**
   * Takes the next chunk of the stream. Returns the payloads it completed and,
   * the first time the stream breaks, the error (payloads before the broken
   * prefix come first). Once broken, every later push returns nothing.
   */
  push(chunk: Uint8Array): ParseResult {
    const frames: Uint8Array[] = [];
    if (this.broken !== null || chunk.length === 0) return { frames, error: null };
    this.chunks.push(chunk);
    this.held += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.held < LENGTH_PREFIX_BYTES) break;
        const prefix = this.take(LENGTH_PREFIX_BYTES);
        const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getUint32(0, false);
        if (length > this.maxFrameBytes) {
          this.broken = { code: 'tooLarge', length, max: this.maxFrameBytes, offset: this.consumed - LENGTH_PREFIX_BYTES };
          this.chunks = [];
          this.held = 0;
          this.head = 0;
          return { frames, error: this.broken };
        }
        this.expected = length;
      }
      if (this.held < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return { frames, error: null };
  }

  /** Removes and returns the next `n` held bytes (n ≤ held): a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    this.held -= n;
    this.consumed += n;
    const first = this.chunks[0];
    if (first === undefined || n === 0) return new Uint8Array(0);
    const available = first.length - this.head;
    if (available >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) this.dropFirst();
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length - this.head, n - filled);
      out.set(c.subarray(this.head, this.head + part), filled);
      filled += part;
      this.head += part;
      if (this.head === c.length) this.dropFirst();
    }
    return out;
  }

  private dropFirst(): void {
    this.chunks.shift();
    this.head = 0;
  }
}
