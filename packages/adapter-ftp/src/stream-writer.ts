/**
 * Theory of operation: the writer's copy of one mailbox stream — the frames
 * not yet trimmed, how many were trimmed, what the writer has consumed of the
 * other direction, and whether the server's copy is behind.
 *
 * Frames are numbered from 1; `base` frames were trimmed, so the frames held
 * are `base + 1 … last`. The reader's acknowledgement (its `peerAck`) trims
 * (B21). Every change that the reader needs to see — a frame, a consumed
 * count that advanced, the `ended` flag — makes the stream dirty until an
 * upload of a snapshot taken after it succeeds. Trimming alone does not:
 * the file on the server is already bounded.
 */
import type { Frame } from '@dialoghub/core';
import type { MailboxFile } from './format.js';
import type { SizedFrame } from './frames.js';
import type { Direction, SessionId } from './names.js';

/** What an upload carried: the file and the change count it reflects. */
export interface Snapshot {
  readonly file: MailboxFile;
  /** Number of the last frame in the file. */
  readonly last: number;
  readonly change: number;
}

export class StreamWriter {
  private frames: SizedFrame[] = [];
  private trimmed = 0;
  private bytes = 0;
  private changes = 0;
  private uploadedChange = 0;
  private uploadedGeneration = 0;
  private attemptedGeneration = 0;
  private consumed = 0;
  private consumedEpoch: string;
  private isEnded = false;

  constructor(
    readonly direction: Direction,
    readonly session: SessionId,
    epoch: string,
  ) {
    this.consumedEpoch = epoch;
  }

  /** Number of the last frame written (0 before any). */
  get last(): number {
    return this.trimmed + this.frames.length;
  }

  /** Frames trimmed off the front. */
  get base(): number {
    return this.trimmed;
  }

  /** Encoded bytes of the frames held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The generation of the last successful upload (0 before any). */
  get generation(): number {
    return this.uploadedGeneration;
  }

  /** True when the server's copy lacks a change. */
  get dirty(): boolean {
    return this.changes > this.uploadedChange;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** Appends frames; returns the number of the last one. */
  append(frames: readonly SizedFrame[]): number {
    for (const f of frames) {
      this.frames.push(f);
      this.bytes += f.bytes;
    }
    if (frames.length > 0) this.changes++;
    return this.last;
  }

  /** The writer will write no more frames. */
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.changes++;
  }

  /** Records how many frames of the other direction (in `epoch`'s stream) the writer consumed. */
  consumedUpTo(count: number, epoch: string): void {
    if (count === this.consumed && epoch === this.consumedEpoch) return;
    this.consumed = count;
    this.consumedEpoch = epoch;
    this.changes++;
  }

  /** Drops the frames the reader acknowledged (numbers ≤ `upTo`). */
  trim(upTo: number): void {
    const n = Math.min(upTo, this.last) - this.trimmed;
    if (n <= 0) return;
    for (const f of this.frames.slice(0, n)) this.bytes -= f.bytes;
    this.frames = this.frames.slice(n);
    this.trimmed += n;
  }

  /**
   * The file the next upload writes. Its generation is one above every
   * generation tried before, so an upload whose outcome was unknown (the
   * rename done, the reply lost) is never confused with the next one.
   */
  snapshot(epoch: string): Snapshot {
    const frames: Frame[] = this.frames.map((f) => f.frame);
    this.attemptedGeneration++;
    return {
      file: {
        direction: this.direction,
        session: this.session,
        epoch: this.direction === 'hubToClient' ? epoch : this.consumedEpoch,
        generation: this.attemptedGeneration,
        base: this.trimmed,
        peerAck: this.consumed,
        ended: this.isEnded,
        frames,
      },
      last: this.last,
      change: this.changes,
    };
  }

  /** The upload of `snapshot` succeeded. */
  uploaded(snapshot: Snapshot): void {
    this.uploadedGeneration = Math.max(this.uploadedGeneration, snapshot.file.generation);
    this.uploadedChange = Math.max(this.uploadedChange, snapshot.change);
  }
}
