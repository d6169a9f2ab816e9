/**
 * Theory of operation: one error type for everything the journal refuses.
 * Corruption always names the file and the byte offset, so a person can look
 * at the bytes (`dialoghub inspect`) instead of guessing.
 */

export type JournalErrorCode =
  /** Bytes that cannot be a torn tail: a bad record followed by good ones, a gap in seq, a bad header. */
  | 'corrupt'
  /** Another live process holds the data directory's lock. */
  | 'locked'
  /** A record still carries a raw client secret. */
  | 'rawSecret'
  /** The caller broke the store's contract (append out of order, snapshot of unwritten records…). */
  | 'misuse'
  /** A file of a format version, kind or codec this build does not read. */
  | 'unsupported'
  /** The store is closed. */
  | 'closed'
  /** An earlier write or sync failed: what the disk holds is unknown, so the store refuses further work. */
  | 'failed';

export class JournalError extends Error {
  override readonly name = 'JournalError';

  constructor(
    readonly code: JournalErrorCode,
    message: string,
    /** The file concerned, when there is one. */
    readonly file?: string,
    /** The byte offset in `file`, when there is one. */
    readonly offset?: number,
    options?: { cause?: unknown },
  ) {
    super(file === undefined ? message : `${file}${offset === undefined ? '' : ` at offset ${offset}`}: ${message}`, options);
  }
}
