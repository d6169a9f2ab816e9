/**
 * Theory of operation: the writer's copy of one mailbox stream — the frames
 * not yet trimmed, how many were trimmed, what the writer has consumed of the
 * other direction, and whether the server's copy is behind.
 *
 * Frames are numbered from 1; `base` frames were trimmed, so the frames held
 * are `base + 1 … last`. The reader's acknowledgement (its `peerAck`) trims
 * (B21). Every change that the reader needs to see — a frame, the `ended`
 * flag — makes the stream dirty until an upload of a snapshot taken after it
 * succeeds. Trimming alone does not: the file on the server is already
 * bounded.
 *
 * **Lazy acknowledgements.** A consumed count that advanced is news for the
 * reader only so far as it lets the reader trim its own file, so on its own it
 * makes the stream dirty only when it is *urgent* (the caller says so: a close
 * frame was read, so the peer may collect the session; or the peer's file
 * was large), when it moved to another epoch, or when `ACK_EVERY_FRAMES`
 * frames are unacknowledged; otherwise it rides along with the next upload
 * that carries a frame. Without this rule every frame read costs the reader an
 * upload and the writer a download of a file that says nothing new — in an
 * idle mailbox, a Sync answered by a Null was followed by one such upload on
 * each side (docs/performance.md, FTP).
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
  /** The consumed count (and its epoch) the file carries as `peerAck`. */
  readonly consumed: number;
  readonly consumedEpoch: string;
}

/** Frames consumed but not yet acknowledged in an upload that make an acknowledgement urgent on their own. */
export const ACK_EVERY_FRAMES = 32;
/** A peer file at least this large makes its reader's acknowledgement urgent (so the peer can trim it). */
export const ACK_URGENT_FILE_BYTES = 16 * 1024;

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
  /** `consumed` and its epoch as of the last successful upload. */
  private uploadedConsumed = 0;
  private uploadedEpoch: string;
  /** A consumed count that must go out even without a frame to carry it (null: none). */
  private urgentUpTo: number | null = null;
  private isEnded = false;

  constructor(
    readonly direction: Direction,
    readonly session: SessionId,
    epoch: string,
  ) {
    this.consumedEpoch = epoch;
    this.uploadedEpoch = epoch;
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

  /** True when the server's copy lacks a change the reader needs (a lazy acknowledgement alone is not one). */
  get dirty(): boolean {
    return this.changes > this.uploadedChange || this.ackDue;
  }

  /** An acknowledgement the reader should get without waiting for a frame to carry it. */
  private get ackDue(): boolean {
    if (this.consumed === this.uploadedConsumed && this.consumedEpoch === this.uploadedEpoch) return false;
    return this.urgentUpTo !== null || this.consumedEpoch !== this.uploadedEpoch || this.consumed - this.uploadedConsumed >= ACK_EVERY_FRAMES;
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

  /**
   * Records how many frames of the other direction (in `epoch`'s stream) the
   * writer consumed. `urgent`: the reader should learn it at the next upload
   * even if no frame is written meanwhile (see "Lazy acknowledgements").
   */
  consumedUpTo(count: number, epoch: string, urgent = false): void {
    if (count === this.consumed && epoch === this.consumedEpoch) return;
    if (epoch !== this.consumedEpoch) this.urgentUpTo = null; // the epoch change is due by itself
    this.consumed = count;
    this.consumedEpoch = epoch;
    if (urgent) this.urgentUpTo = count;
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
      consumed: this.consumed,
      consumedEpoch: this.consumedEpoch,
    };
  }

  /** The upload of `snapshot` succeeded. */
  uploaded(snapshot: Snapshot): void {
    // An older snapshot's success says nothing new: snapshots count up in generation and change.
    if (snapshot.file.generation < this.uploadedGeneration) return;
    this.uploadedGeneration = snapshot.file.generation;
    this.uploadedChange = snapshot.change;
    this.uploadedConsumed = snapshot.consumed;
    this.uploadedEpoch = snapshot.consumedEpoch;
    if (this.urgentUpTo !== null && snapshot.consumedEpoch === this.consumedEpoch && snapshot.consumed >= this.urgentUpTo) this.urgentUpTo = null;
  }
}
