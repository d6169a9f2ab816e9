/**
 * The `dialoghub` process: the program (program.ts) with this process's
 * arguments and streams; it sets the exit code and lets the process end by
 * itself, so stdout is flushed. bin/dialoghub.js loads the build of this
 * file; in the workspace, `npx tsx --conditions=@dialoghub/source packages/cli/src/main.ts …`
 * runs it from source.
 */
import { runCli } from './program.js';

// A reader that went away (`dialoghub inspect … | head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

process.exitCode = await runCli(process.argv.slice(2));
