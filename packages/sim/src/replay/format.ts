/**
 * Theory of operation: a replay report as text for a person at a terminal:
 * the verdict first, then the first divergence (the records before it, the
 * input, which command differs and how), then invariant problems and notes.
 * Everything is bounded: long command lists are cut around the first
 * difference, and at most a few invariant reports are shown.
 */
import type { HubCommand } from '@dialoghub/core';
import type { ReplayReport } from './replay.js';
import { summariseCommand, summariseInput } from './summary.js';

export interface ReplayFormatOptions {
  /** Commands shown on each side of the first different one. Default 3. */
  readonly around?: number;
  /** Invariant reports shown. Default 3. */
  readonly violationsShown?: number;
  /** Show the replay speed (default true; tests that compare text turn it off). */
  readonly timing?: boolean;
}

function commandLines(commands: readonly HubCommand[], index: number, around: number, mark: string): string[] {
  const from = Math.max(0, index - around);
  const to = Math.min(commands.length, index + around + 1);
  const lines: string[] = [];
  if (from > 0) lines.push(`      … ${from} command(s) before`);
  for (let i = from; i < to; i++) lines.push(`    ${i === index ? mark : ' '} [${i}] ${summariseCommand(commands[i]!)}`);
  if (to < commands.length) lines.push(`      … ${commands.length - to} command(s) after`);
  if (index >= commands.length) lines.push(`    ${mark} [${index}] (none)`);
  return lines;
}

/** A readable text rendering of a replay report. */
export function formatReplayReport(report: ReplayReport, options: ReplayFormatOptions = {}): string {
  const around = options.around ?? 3;
  const shown = options.violationsShown ?? 3;
  const out: string[] = [];
  const clean = report.divergences === 0 && report.invariantViolations.length === 0 && report.error === undefined;
  const range = report.firstSeq === null ? 'no records' : `seq ${report.firstSeq}..${report.lastSeq}`;
  out.push(`replay: ${clean ? 'OK' : 'FAILED'} — ${report.inputs} inputs (${range}), ${report.compared} with recorded commands, ${report.divergences} divergence(s), ${report.invariantChecks} invariant check(s), ${report.invariantViolations.length} failed, ${report.restarts} restart(s)`);
  if (options.timing !== false && report.elapsedMs > 0) {
    out.push(`speed: ${Math.round(report.inputs / (report.elapsedMs / 1000)).toLocaleString('en-US')} inputs/s (${report.elapsedMs.toFixed(0)} ms)`);
  }
  if (report.error !== undefined) out.push('', `stopped at seq ${report.error.seq} (now ${report.error.now}): ${report.error.message}`);
  const d = report.first;
  if (d !== undefined) {
    out.push('', `first divergence at seq ${d.seq} (now ${d.now}), command [${d.index}] of ${d.expected.length} recorded / ${d.actual.length} recomputed`);
    if (d.context.length > 0) {
      out.push('  before it:');
      for (const c of d.context) out.push(`    ${c}`);
    }
    out.push(`  input: ${summariseInput(d.input)}`);
    out.push('  recorded:', ...commandLines(d.expected, d.index, around, '-'));
    out.push('  recomputed:', ...commandLines(d.actual, d.index, around, '+'));
    if (d.differences.length > 0) {
      out.push('  differences:');
      for (const line of d.differences) out.push(`    ${line}`);
    }
  }
  if (report.invariantViolations.length > 0) {
    out.push('', 'invariants broken:');
    for (const v of report.invariantViolations.slice(0, shown)) {
      out.push(`  after seq ${v.seq} (now ${v.now}):`);
      for (const p of v.problems.slice(0, 5)) out.push(`    - ${p}`);
      if (v.problems.length > 5) out.push(`    … ${v.problems.length - 5} more`);
    }
    if (report.invariantViolations.length > shown) out.push(`  … ${report.invariantViolations.length - shown} more failed check(s)`);
  }
  if (report.notes.length > 0) {
    out.push('', 'notes:');
    for (const n of report.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}
