/**
 * Theory of operation: what a benchmark suite reports, and how it is printed.
 *
 * A suite reports records; this module prints them either as one JSON object
 * per line (`--json`, for machines and CI history) or as a table (people).
 * Every suite's output starts with a `machine` record, so a figure is never
 * read without the machine and date it was measured on. Progress messages go
 * to stderr, so stdout stays pure JSON lines with `--json`.
 *
 * Records carry measured values only: a figure that could not be measured has
 * `value: null` and says why in `skipped`.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** One measured figure, as a suite reports it. Extra fields (`runs`, `target`…) are context for the reader. */
export interface SuiteRecord {
  readonly name: string;
  /** Registered clients in the hub the figure was measured on, when that matters. */
  readonly clients?: number;
  readonly value: number | null;
  readonly unit: string;
  readonly [extra: string]: unknown;
}

/** A record with its suite, as printed. */
export interface BenchRecord extends SuiteRecord {
  readonly suite: string;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the run started: other work on the machine skews figures. */
  readonly load1: number;
  readonly date: string;
  /** `git describe --always --dirty` of the tree measured: the figures belong to that code. */
  readonly commit: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    load1: Math.round(os.loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
    commit: gitDescribe(),
  };
}

function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export interface Reporter {
  header(suite: string, m: Machine): void;
  record(r: BenchRecord): void;
  end(): void;
}

/** One JSON object per line on stdout; the machine is the suite's first record. */
export function jsonReporter(): Reporter {
  const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  return {
    header: (suite, m) => out({ suite, name: 'machine', ...m }),
    record: (r) => out(ordered(r)),
    end: () => undefined,
  };
}

/** A readable table, one row per record, printed as records arrive (long suites show progress). */
export function tableReporter(): Reporter {
  const widths = [8, 22, 10, 14, 10];
  const row = (cells: readonly string[], extra: string): string =>
    cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ') + (extra === '' ? '' : `  ${extra}`);
  let headed = false;
  return {
    header(suite, m) {
      if (!headed) {
        process.stdout.write(`machine: ${m.cpu} × ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}\ndate:    ${m.date} (load average ${m.load1} at start), tree ${m.commit}\n\n`);
        process.stdout.write(`${row(['suite', 'name', 'clients', 'value', 'unit'], 'detail')}\n`);
        process.stdout.write(`${row(widths.map((w) => '-'.repeat(w)), '------')}\n`);
        headed = true;
      }
      void suite;
    },
    record(r) {
      const { suite, name, clients, value, unit, ...extra } = r;
      const detail = Object.entries(extra)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      process.stdout.write(`${row([suite, name, clients === undefined ? '' : clients.toLocaleString('en-US'), formatValue(value), unit], detail)}\n`);
    },
    end: () => undefined,
  };
}

function formatValue(v: number | null): string {
  if (v === null) return 'n/a';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  const digits = abs >= 1000 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** suite, name, clients, value, unit first, then the rest: stable, greppable lines. */
function ordered(r: BenchRecord): BenchRecord {
  const { suite, name, clients, value, unit, ...extra } = r;
  return clients === undefined ? { suite, name, value, unit, ...extra } : { suite, name, clients, value, unit, ...extra };
}

/** Progress for people, on stderr (never mixed into the JSON lines). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
