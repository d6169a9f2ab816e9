/**
 * Theory of operation: the benchmark runner.
 *
 *   npm run bench -- <suite>... [--json] [--quick]
 *
 * Runs the named suites (bench/suites.ts) in order. Without `--json` it prints
 * a table headed by the machine and date; with `--json`, one JSON object per
 * line, the first of each suite being its `machine` record. An unknown suite or
 * option is a one-line error and exit code 2, before anything runs.
 */
import { parseArgs } from 'node:util';
import { jsonReporter, machine, progress, tableReporter } from './report.js';
import { SUITES } from './suites.js';

const USAGE = `usage: npm run bench -- <suite>... [--json] [--quick]   (suites: ${Object.keys(SUITES).join(', ')})`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]}; ${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const names = parsed.positionals;
  if (names.length === 0) fail(`no suite named; ${USAGE}`);
  const unknown = names.filter((n) => !Object.hasOwn(SUITES, n));
  if (unknown.length > 0) fail(`unknown suite ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${Object.keys(SUITES).join(', ')})`);

  const reporter = parsed.values.json ? jsonReporter() : tableReporter();
  const m = machine();
  for (const name of names) {
    const suite = await SUITES[name]!();
    reporter.header(name, m);
    progress(`suite ${name}: ${suite.description}`);
    await suite.run({
      options: { quick: parsed.values.quick },
      report: (r) => reporter.record({ suite: name, ...r }),
      progress,
    });
  }
  reporter.end();
}

await main();
