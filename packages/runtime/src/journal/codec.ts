/**
 * Theory of operation: how one record becomes a frame's payload, and the
 * guard that keeps raw secrets off the disk.
 *
 * The payload encoding is the core's binary record codec (`encodeRecord` /
 * `decodeRecord`, docs/trace-format.md §4). The store only sees it through
 * `RecordCodec`, so tests can substitute another encoding; a file's header
 * names the codec it was written with, and a store refuses a file written
 * with another one.
 */
import { decodeRecord, encodeRecord, type Result, type TraceRecord } from '@dialoghub/core';
import { JournalError } from './errors.js';

export type { TraceRecord };

export interface RecordCodec {
  /** Written in each file header's `codec` field; a reader refuses files of another codec. */
  readonly name: string;
  encode(record: TraceRecord): Uint8Array;
  /** Never throws on bad bytes. */
  decode(bytes: Uint8Array): Result<TraceRecord, { readonly message: string }>;
}

/** The codec name the core's record codec is recorded under (its payloads carry their own version byte). */
export const CORE_RECORD_CODEC = 'dialoghub-record';

const coreCodec: RecordCodec = { name: CORE_RECORD_CODEC, encode: encodeRecord, decode: decodeRecord };

/** The store's default codec: the core's record codec (docs/wire-format.md §9, packages/core/src/protocol/trace-codec.ts). */
export function defaultRecordCodec(): RecordCodec {
  return coreCodec;
}

/**
 * Throws `JournalError('rawSecret')` when the record still carries a raw
 * client secret (docs/protocol.md §10): the driver redacts every input with
 * `redactInput` and a trace writer every command with `redactCommand`, so
 * this only fires on a bug — before anything reaches the disk.
 */
export function assertRedacted(record: TraceRecord): void {
  const input = record.input;
  if (input.type === 'requestReceived') {
    const r = input.request;
    if (input.issued !== undefined && 'secret' in input.issued) {
      throw new JournalError('rawSecret', `record ${record.seq}: a registration's issued secret is not redacted (use redactInput)`);
    }
    if (r.kind !== 'register' && r.kind !== 'profiles' && 'secret' in r.credential) {
      throw new JournalError('rawSecret', `record ${record.seq}: a ${r.kind} request's credential is a raw secret (use redactInput)`);
    }
  }
  if (record.commands !== undefined) {
    for (const c of record.commands) {
      if (c.type === 'reply' && c.answer.code === 'ok' && c.answer.secret !== null) {
        throw new JournalError('rawSecret', `record ${record.seq}: an ok answer carries the client's secret (use redactCommand)`);
      }
    }
  }
}
