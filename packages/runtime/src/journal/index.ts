/**
 * Theory of operation: the journal — the embedded default store and the trace
 * format it writes (docs/trace-format.md, docs/runtime.md). This barrel is
 * what the package index re-exports; nothing outside the folder reaches in.
 */
export { JournalStore, DEFAULT_DATA_DIR, DEFAULT_SEGMENT_BYTES, type JournalStoreOptions, type RecoveryVisitor } from './journal-store.js';
export { JournalError, type JournalErrorCode } from './errors.js';
export { assertRedacted, defaultRecordCodec, CORE_RECORD_CODEC, type RecordCodec, type TraceRecord } from './codec.js';
export { nodeIo, type JournalIo, type OpenFlags } from './io.js';
export { LOCK_FILE } from './lock.js';
export {
  openTrace,
  readTrace,
  readLatestSnapshot,
  journalStats,
  TraceWriter,
  type OpenedTrace,
  type ReadOptions,
  type TraceHeader,
  type JournalStats,
  type SegmentStats,
  type TraceWriterOptions,
} from './trace.js';
export type { TornTail } from './scan.js';
export {
  TRACE_MAGIC,
  SNAPSHOT_MAGIC,
  TRACE_FORMAT_VERSION,
  FILE_KINDS,
  MAX_RECORD_BYTES,
  segmentName,
  snapshotName,
  type FileKind,
  type FileHeaderJson,
} from './format.js';
