/**
 * Theory of operation: a hub's run as a trace file (docs/trace-format.md),
 * for `serve --trace` and `demo`. The hub reports every input it steps with
 * the commands the step returned (`onStep`); the recorder keeps them,
 * redacted, and writes them with the runtime's `TraceWriter` in batches
 * (at most every 200 ms, or every 4096 records), off the hub's path.
 *
 * Where the history starts: a hub at seq 0 is `initialState(config,
 * createdAt)`, which the header says; a hub recovered from a data directory
 * is not, so its state goes into a base snapshot next to the trace
 * (`<trace>.base-snapshot`, the simulator's convention) and the header names
 * it. Either way `dialoghub replay` and `view` read the file as it is.
 *
 * A trace that cannot be written is reported once (`onError`) and recording
 * stops; the hub goes on.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { redactCommand, serialize, type HubCommand, type HubState } from '@dialoghub/core';
import { TraceWriter, type Hub, type JournalRecord, type TraceRecord } from '@dialoghub/runtime';

const FLUSH_MS = 200;
const FLUSH_RECORDS = 4096;

export interface TraceRecorderOptions {
  /** Extra JSON header fields (what the run was). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** The writing program's name. */
  readonly writer: string;
  /** Hears the first write error; recording stops after it. */
  readonly onError?: (error: unknown) => void;
}

export class TraceRecorder {
  private buffer: TraceRecord[] = [];
  private base: { readonly state: HubState; readonly seq: number } | null = null;
  private writer: TraceWriter | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private failed: unknown = null;
  private written = 0;

  constructor(
    readonly path: string,
    private readonly options: TraceRecorderOptions,
  ) {}

  /** For `Hub.open`'s `onStep`. */
  readonly onStep = (record: JournalRecord, commands: readonly HubCommand[]): void => {
    if (this.failed !== null) return;
    this.buffer.push({ seq: record.seq, now: record.now, input: record.input, commands: commands.map(redactCommand) });
    if (this.writer === null) return;
    if (this.buffer.length >= FLUSH_RECORDS) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  };

  /** For `Hub.open`'s `setup`: the state the history starts from. */
  begin(hub: Hub): void {
    this.base = { state: hub.state, seq: hub.journalSeq };
  }

  /** Creates the file (refusing to overwrite one) once `begin` has run; buffered records follow. */
  async open(): Promise<void> {
    const base = this.base;
    if (base === null) throw new Error('TraceRecorder.open before begin');
    let header: { config: unknown; hubCreatedAt: number | null; baseSnapshot: string | null };
    if (base.seq === 0) {
      header = { config: base.state.config, hubCreatedAt: base.state.now, baseSnapshot: null };
    } else {
      const name = `${basename(this.path)}.base-snapshot`;
      await writeFile(`${this.path}.base-snapshot`, serialize(base.state));
      header = { config: base.state.config, hubCreatedAt: null, baseSnapshot: name };
    }
    this.writer = await TraceWriter.create(this.path, {
      kind: 'trace',
      firstSeq: base.seq + 1,
      config: header.config,
      hubCreatedAt: header.hubCreatedAt,
      writer: this.options.writer,
      extra: { ...(this.options.extra ?? {}), ...(header.baseSnapshot !== null ? { baseSnapshot: header.baseSnapshot } : {}) },
    });
    this.flush();
  }

  /** Records written so far (or queued to be). */
  get records(): number {
    return this.written + this.buffer.length;
  }

  /** Writes what is buffered, waits for every write, closes the file. Rethrows a write error. */
  async close(): Promise<void> {
    this.flush();
    await this.chain;
    const writer = this.writer;
    this.writer = null;
    if (writer !== null) await writer.close();
    if (this.failed !== null) throw this.failed;
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const writer = this.writer;
    if (writer === null || this.buffer.length === 0 || this.failed !== null) return;
    const batch = this.buffer;
    this.buffer = [];
    this.written += batch.length;
    this.chain = this.chain.then(async () => {
      if (this.failed !== null) return;
      try {
        await writer.write(batch);
      } catch (e) {
        this.failed = e;
        this.options.onError?.(e);
      }
    });
  }
}
