/**
 * Theory of operation: plain-text tables for a terminal. Columns are as wide
 * as their widest cell; numeric columns are right-aligned, everything else
 * left-aligned. Table cells print numbers as they are (ids and seqs must not
 * grow separators); `name  value` pairs print counts with separators. No colours and no box drawing, so the output
 * reads the same in a pipe, a log file and a terminal.
 */

export type Cell = string | number | boolean | null | undefined;

export interface TableOptions {
  /** Indentation of every line. Default two spaces. */
  readonly indent?: string;
}

/** A number for a person: `12 345` style separators, up to `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A pair's value: numbers are counts, with separators. */
function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (typeof cell === 'number') return num(cell, Number.isInteger(cell) ? 0 : 3);
  return String(cell);
}

/** A table cell: numbers as they are (ids, seqs), right-aligned; format counts with `num` first if wanted. */
function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  return String(cell);
}

/** A table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const indent = options.indent ?? '  ';
  const text = rows.map((r) => header.map((_, i) => cellText(r[i])));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...text.map(line)].join('\n');
}

/** `name  value` pairs, names aligned. */
export function pairs(rows: readonly (readonly [string, Cell])[], options: TableOptions = {}): string {
  const indent = options.indent ?? '  ';
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${show(v)}`.trimEnd()).join('\n');
}

/** `a=1 b=2` for a record of counts, keys sorted; `-` when empty. */
export function counts(record: Readonly<Record<string, number>>): string {
  const keys = Object.keys(record).sort();
  return keys.length === 0 ? '-' : keys.map((k) => `${k}=${num(record[k]!)}`).join(' ');
}

/** An epoch time in ms as ISO 8601, or `-`. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** A byte count as `12.3 KiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
