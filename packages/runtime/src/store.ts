/**
 * Theory of operation: where a hub keeps its durable state. The driver
 * appends every input it steps (with the time it was stepped at) and waits
 * for `append` to resolve before it reveals any effect of those inputs; it
 * asks for a snapshot now and then so recovery stays short.
 *
 * `MemoryStore` keeps everything in memory (tests, embedding without
 * durability); the journal store in journal/ is the embedded default.
 */
import type { HubInput } from '@dialoghub/core';

/** One journaled input: the trace format's record (docs/trace-format.md). */
export interface JournalRecord {
  /** Position in the hub's whole history, from 1, without gaps. */
  readonly seq: number;
  /** The `now` the input was stepped at. */
  readonly now: number;
  /** The input, redacted (no raw secrets: `redactInput`). */
  readonly input: HubInput;
}

export interface Recovered {
  /** The latest snapshot (core `serialize` bytes) and the seq of the last record it includes, if any. */
  readonly snapshot: { readonly bytes: Uint8Array; readonly seq: number } | null;
  /** The records after the snapshot, in order. */
  readonly records: readonly JournalRecord[];
}

/** What a streaming recovery reports, in order: the snapshot (or null), then each record after it. */
export interface RecoveryVisitor {
  snapshot(snapshot: Recovered['snapshot']): void;
  record(record: JournalRecord): void;
}

export interface HubStore {
  /** Reads back what survived: the latest snapshot and the records after it. */
  recover(): Promise<Recovered>;
  /**
   * Optional: the same recovery, streamed — `visitor.snapshot` once, then
   * `visitor.record` for each record as it is read, so the caller holds one
   * record at a time. `Hub.open` uses it when present (`JournalStore` has it).
   * A visitor that throws ends the recovery with that error.
   */
  recoverEach?(visitor: RecoveryVisitor): Promise<void>;
  /** Appends records; resolves once they are durable (one flush for the whole batch). */
  append(records: readonly JournalRecord[]): Promise<void>;
  /**
   * Stores a snapshot that includes every record up to `seq`; records up to it may then be dropped.
   * The hub does not wait for a periodic snapshot before its next `append`s: a store must accept
   * appends while a snapshot is being written (and keep the records after `seq`). It never starts
   * a second snapshot before the first one settled.
   */
  snapshot(bytes: Uint8Array, seq: number): Promise<void>;
  close(): Promise<void>;
}

/** A store without durability: for tests and for embedding a hub that needs none. */
export class MemoryStore implements HubStore {
  private snap: { bytes: Uint8Array; seq: number } | null = null;
  private records: JournalRecord[] = [];
  /** Number of `append` calls, i.e. flushes (for tests of group commit). */
  flushes = 0;

  async recover(): Promise<Recovered> {
    return { snapshot: this.snap, records: [...this.records] };
  }

  async append(records: readonly JournalRecord[]): Promise<void> {
    this.flushes++;
    this.records.push(...records);
  }

  async snapshot(bytes: Uint8Array, seq: number): Promise<void> {
    this.snap = { bytes, seq };
    this.records = this.records.filter((r) => r.seq > seq);
  }

  async close(): Promise<void> {}
}
