/**
 * Theory of operation: the `dialoghub` program — commander parses, one
 * command module runs, this module prints and picks the exit code. Nothing
 * here knows what a command does:
 *
 * 1. commander parses `argv` against the commands of src/commands/index.ts
 *    (unknown options, missing arguments and excess arguments are its
 *    errors);
 * 2. the chosen command checks its arguments (`parse`), then runs (`run`)
 *    and returns a result;
 * 3. the result goes to stdout — one JSON object with `--json`, text
 *    otherwise — and the exit code is the command's verdict (0, or 1 for a
 *    finding);
 * 4. any error becomes one line on stderr, `dialoghub: <message>`: exit 2
 *    for bad arguments and unusable inputs, 3 for a bug in dialoghub
 *    (DIALOGHUB_DEBUG=1 adds the stack).
 *
 * The process is never exited from here: `runCli` returns the exit code, so
 * tests run the whole program in-process with captured streams.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import type { CliCommand } from './command.js';
import { COMMANDS } from './commands/index.js';
import { asInputError, EXIT, oneLine, StoreFailedError, UsageError } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { toJsonLine } from './output/json.js';

/** The package's version (src/ and dist/ both sit next to package.json). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

interface Selected {
  readonly command: CliCommand<unknown, unknown>;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** The commander program; `select` hears which command was chosen and with what. */
export function createProgram(io: CliIo, select: (s: Selected) => void): Command {
  const program = new Command('dialoghub')
    .description('dialoghub: serve, demonstrate, simulate, replay, view and inspect session hubs')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr, outputError: () => undefined })
    .showSuggestionAfterError(true)
    .helpCommand(false);
  for (const c of COMMANDS) {
    const sub = program.command(c.name);
    c.configure(sub);
    sub.action((...received: unknown[]) => {
      const cmd = received[received.length - 1] as Command;
      select({ command: c, args: cmd.args, options: cmd.opts() });
    });
  }
  return program;
}

function errorLine(io: CliIo, message: string): void {
  io.writeErr(`dialoghub: ${oneLine(message)}\n`);
}

/** Maps what a run threw to one line on stderr and an exit code. */
function failed(io: CliIo, e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end parsing with exit code 0; everything else is a usage error.
    if (e.exitCode === 0) return EXIT.ok;
    errorLine(io, e.message.replace(/^error: /, ''));
    return EXIT.usage;
  }
  if (e instanceof StoreFailedError) {
    errorLine(io, e.message);
    return EXIT.storeFailed;
  }
  const mapped = asInputError(e, 'input');
  if (mapped instanceof UsageError) {
    errorLine(io, mapped.message);
    return EXIT.usage;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  errorLine(io, `internal error: ${err.message}${io.env['DIALOGHUB_DEBUG'] ? '' : ' (DIALOGHUB_DEBUG=1 shows the stack)'}`);
  if (io.env['DIALOGHUB_DEBUG']) io.writeErr(`${err.stack ?? ''}\n`);
  return EXIT.internal;
}

/**
 * Runs `dialoghub` with `argv` (without the node and script paths) and
 * returns the exit code. Writes only through `io`.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let selected: Selected | null = null;
  try {
    if (argv.length === 0) throw new UsageError(`missing command (${COMMANDS.map((c) => c.name).join(', ')}); try 'dialoghub --help'`);
    await createProgram(io, (s) => (selected = s)).parseAsync([...argv], { from: 'user' });
    if (selected === null) throw new Error('commander finished without choosing a command');
    const { command, args, options } = selected as Selected;
    const params = command.parse(args, options);
    const result = await command.run(params, { io });
    const text = options['json'] === true ? toJsonLine(command.json(result)) : command.render(result, params);
    // A command that reported as it ran (serve) renders nothing: no empty line then.
    if (text !== '') io.writeOut(options['json'] === true ? text : `${text}\n`);
    return command.exitCode(result);
  } catch (e) {
    return failed(io, e);
  }
}
