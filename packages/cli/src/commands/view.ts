/**
 * Theory of operation: `dialoghub view FILE -o timeline.html` — the
 * timeline of a trace, a journal segment or a data directory as one
 * self-contained HTML page (@dialoghub/sim's viewer draws it; this module
 * reads the arguments and writes the file).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderTimelineFile } from '@dialoghub/sim';
import { integer } from '../args.js';
import type { CliCommand } from '../command.js';
import { asInputError, InputError, UsageError } from '../errors.js';
import { bytes, num } from '../output/table.js';

export interface ViewCommandOptions {
  /** A trace file, a journal segment or a data directory. */
  readonly file: string;
  /** The HTML file to write (replaced if it exists). */
  readonly output: string;
  /** Lanes drawn: the busiest clients (the viewer's default when absent). */
  readonly maxLanes?: number;
}

export interface ViewCommandResult {
  /** The file written. */
  readonly output: string;
  /** Its size. */
  readonly bytes: number;
  /** Clients the trace mentions (all of them, drawn or not). */
  readonly clients: number;
}

/**
 * The number of clients the page covers. The viewer writes it on the
 * timeline element (`data-clients`); read it there until `renderTimelineFile`
 * returns its model next to the HTML (asked of @dialoghub/sim).
 */
function clientsOf(html: string): number {
  const m = /<div id="timeline"[^>]* data-clients="(\d+)"/.exec(html);
  return m === null ? 0 : Number(m[1]);
}

/** Renders the file's timeline and writes it to `output`. */
export async function runView(options: ViewCommandOptions): Promise<ViewCommandResult> {
  if (resolve(options.output) === resolve(options.file)) throw new UsageError(`-o ${options.output} would overwrite the input`);
  let html: string;
  try {
    html = await renderTimelineFile(options.file, options.maxLanes !== undefined ? { maxLanes: options.maxLanes } : {});
  } catch (e) {
    // As for replay: a plain Error from the reader (a snapshot that does not restore) is the file's fault.
    const mapped = asInputError(e, options.file);
    if (mapped instanceof UsageError || !(e instanceof Error) || e.constructor !== Error) throw mapped;
    throw new InputError(`${options.file}: ${e.message}`, { cause: e });
  }
  const data = Buffer.from(html, 'utf8');
  try {
    await writeFile(options.output, data);
  } catch (e) {
    throw asInputError(e, options.output);
  }
  return { output: options.output, bytes: data.length, clients: clientsOf(html) };
}

export const viewCommand: CliCommand<ViewCommandOptions, ViewCommandResult> = {
  name: 'view',
  configure(command: Command): void {
    command
      .description('draw a trace, a journal segment or a data directory as a self-contained HTML timeline (one lane per client)')
      .argument('<file>', 'a trace (.dht), a journal segment (.dhj) or a hub data directory')
      .requiredOption('-o, --output <file>', 'the HTML file to write')
      .option('--max-lanes <n>', 'lanes drawn: the busiest clients (default 500)')
      .option('--json', 'print one JSON object instead of text');
  },
  parse: (args, o) => ({
    file: args[0]!,
    output: String(o['output']),
    ...(o['maxLanes'] !== undefined ? { maxLanes: integer(o['maxLanes'], '--max-lanes', 1) } : {}),
  }),
  run: runView,
  render: (r) => `wrote ${r.output} (${bytes(r.bytes)}, ${num(r.clients)} clients)`,
  json: (r) => ({ output: r.output, bytes: r.bytes, clients: r.clients }),
  exitCode: () => 0,
};
