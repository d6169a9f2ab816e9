/**
 * Theory of operation: how large V8's semi-spaces (the young generation) were
 * made for this process, as `serve` reports it when it starts. bin/dialoghub.js
 * starts node with `--max-semi-space-size=64` (docs/cli.md §Running it); a
 * run from source gets it only when given on node's command line or in
 * NODE_OPTIONS.
 */

/** The `--max-semi-space-size` in MiB this process was started with, or null for V8's default. */
export function semiSpaceMiB(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env['NODE_OPTIONS'] ?? ''): number | null {
  let found: number | null = null;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m !== null) found = Number(m[1]);
  }
  return found;
}
