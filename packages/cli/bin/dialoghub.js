#!/usr/bin/env node
// The `dialoghub` command: the build of src/main.ts, run by a node whose young
// generation is larger than the default (--max-semi-space-size=64, in MiB).
// The hub's persistent tables allocate a lot of mid-lived garbage; with the
// larger semi-spaces it dies young instead of being promoted, which doubled
// step throughput in a measurement (docs/cli.md §Running it).
//
// V8 sizes its heap when the process starts: v8.setFlagsFromString() at run
// time is accepted but changes nothing (checked with getHeapSpaceStatistics).
// So when the flag is not set yet, this file starts node again with it,
// passes stdio through, forwards SIGINT/SIGTERM/SIGHUP to the child (which
// ignores a repeated one while it shuts down, so a signal that reaches both
// processes is harmless) and ends as the child ended.
//
// DIALOGHUB_SEMI_SPACE_MB sets the size (0 keeps node's default and skips the
// second process); a --max-semi-space-size already given to node, directly or
// in NODE_OPTIONS, is kept as it is.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FLAG = '--max-semi-space-size';
const configured = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size=/.test(a));
const wanted = process.env.DIALOGHUB_SEMI_SPACE_MB ?? '64';

if (configured || !/^[1-9]\d*$/.test(wanted)) {
  await import('../dist/main.js');
} else {
  const child = spawn(process.execPath, [...process.execArgv, `${FLAG}=${wanted}`, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`dialoghub: cannot start node: ${error.message}\n`);
    process.exitCode = 3;
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      // End the way the child ended, so a parent shell sees the signal too.
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 3;
  });
}
