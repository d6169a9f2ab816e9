/**
 * Theory of operation: `dialoghub sim` — one seeded simulation run
 * (`simulate` of @dialoghub/sim) with the options a person types, reported as
 * tables or one JSON object. The simulator decides everything about the run;
 * this module turns text into options, shows progress, and renders the
 * result. A run that finds a violation exits 1.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatOffset, NO_FAULTS, resolveOptions, SIM_EPOCH, simulate, type FaultOptions, type SimOptions, type SimResult, type SimStats, type StepFn } from '@dialoghub/sim';
import { POLICIES, type Policy } from '@dialoghub/core';
import { integer, keyValues, policy, positive } from '../args.js';
import type { CliCommand, CommandContext } from '../command.js';
import { asInputError, InputError, UsageError } from '../errors.js';
import { fractionBar } from '../output/progress.js';
import { counts, num, pairs, table } from '../output/table.js';

/** The fault keys `--faults` accepts (the simulator's own). */
export const FAULT_KEYS = Object.keys(NO_FAULTS) as (keyof FaultOptions)[];

export interface SimCommandOptions {
  readonly seed: number;
  readonly clients: number;
  readonly hours: number;
  /** Default: the simulator's (95 % of clients, so some profiles have two). */
  readonly profiles?: number;
  readonly policy?: Policy;
  readonly faults?: Partial<FaultOptions>;
  /** Write the run's trace here (the shrunk history of a violation, else the whole run). */
  readonly trace?: string | null;
  /** The core's `step`, replaced only by tests of the command itself (a deliberately broken core). */
  readonly step?: StepFn;
}

/** The simulator's result plus the options that reproduce it. */
export interface SimCommandResult extends SimResult {
  readonly hours: number;
  readonly profiles: number;
  readonly policy: Policy;
  readonly faults: FaultOptions;
}

async function checkTraceTarget(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const d = await stat(dir).catch((e: unknown) => {
    throw asInputError(e, dir);
  });
  if (!d.isDirectory()) throw new InputError(`cannot write the trace ${path}: ${dir} is not a directory`);
  const f = await stat(path).catch(() => null);
  if (f !== null && f.isDirectory()) throw new InputError(`cannot write the trace ${path}: it is a directory`);
}

/**
 * Runs one simulation. Validates the options first (a `UsageError` for a bad
 * one, before anything runs), draws a progress bar when stderr is a terminal,
 * and writes the trace when `trace` is set.
 */
export async function runSim(options: SimCommandOptions, ctx?: CommandContext): Promise<SimCommandResult> {
  const simOptions: SimOptions = {
    seed: options.seed,
    clients: options.clients,
    hours: options.hours,
    ...(options.profiles !== undefined ? { profiles: options.profiles } : {}),
    ...(options.policy !== undefined ? { policy: options.policy } : {}),
    ...(options.faults !== undefined ? { faults: options.faults } : {}),
    traceFile: options.trace ?? null,
    traceAlways: options.trace != null,
    ...(options.step !== undefined ? { step: options.step } : {}),
  };
  let resolved;
  try {
    resolved = resolveOptions(simOptions);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message.replace(/^faults\./, '--faults '));
    throw e;
  }
  if (options.trace != null) await checkTraceTarget(options.trace);

  const bar = ctx === undefined ? null : fractionBar(ctx.io, 'sim');
  let result: SimResult;
  try {
    result = await simulate({ ...simOptions, ...(bar !== null ? { onProgress: (f: number) => bar.update(f) } : {}) });
  } catch (e) {
    throw asInputError(e, options.trace ?? 'the trace');
  } finally {
    bar?.stop();
  }
  return { ...result, hours: resolved.hours, profiles: resolved.profiles, policy: resolved.policy, faults: resolved.faults };
}

/** The JSON object of `dialoghub sim --json`: the options, then the result. */
export function simJson(r: SimCommandResult): unknown {
  return {
    seed: r.seed,
    clients: r.clients,
    hours: r.hours,
    profiles: r.profiles,
    policy: r.policy,
    faults: r.faults,
    steps: r.steps,
    violations: r.violations,
    trace: r.trace,
    wallSeconds: r.wallSeconds,
    stepsPerSecond: r.stepsPerSecond,
    virtualHours: r.virtualHours,
    digest: r.digest,
    shrink: r.shrink,
    stats: r.stats,
  };
}

function faultsText(f: FaultOptions): string {
  const on = FAULT_KEYS.filter((k) => f[k] !== 0).map((k) => `${k}=${f[k]}`);
  return on.length === 0 ? 'none' : on.join(',');
}

function statsRows(s: SimStats): [string, string | number][] {
  return [
    ['registrations', s.registrations],
    ['logins', s.logins],
    ['resumes', s.resumes],
    ['takeovers', counts(s.takeovers)],
    ['rejections', counts(s.rejections)],
    ['sessions ended', counts(s.offline)],
    ['messages delivered', s.messagesDelivered],
    ['pushes queued', s.pushes],
    ['pushes received', s.pushesReceived],
    ['pushes pending at end', s.pushesPendingAtEnd],
    ['longest push delay', `${num(s.maxPushDelayMs)} ms`],
    ['frames sent', s.frames.sent],
    ['frames lost', s.lost],
    ['frames duplicated', s.frames.duplicated],
    ['frames reordered', s.frames.reordered],
    ['partitions', s.partitions],
    ['hub crashes', s.crashes],
    ['inputs lost to crashes', s.uncommitted],
    ['snapshots', s.snapshots],
    ['clients at end', s.clientsAtEnd],
    ['online at end', s.onlineAtEnd],
    ['outbox at end', s.outboxAtEnd],
    ['client events', counts(s.clientEvents)],
    ['hub logs', counts(s.hubLogs)],
  ];
}

/** The result as tables. */
export function renderSim(r: SimCommandResult): string {
  const out: string[] = [];
  out.push(`sim: seed ${r.seed}, ${num(r.clients)} clients in ${num(r.profiles)} profiles, ${num(r.hours, 3)} h, policy ${r.policy}, faults ${faultsText(r.faults)}`);
  out.push(
    pairs([
      ['steps', `${num(r.steps)} (${num(r.stepsPerSecond)} steps/s)`],
      ['virtual time', `${num(r.virtualHours, 3)} h`],
      ['wall time', `${r.wallSeconds.toFixed(2)} s`],
      ['final state', r.digest.slice(0, 16)],
      ['trace', r.trace ?? 'none written'],
    ]),
  );
  out.push('', 'stats:', pairs(statsRows(r.stats)));
  out.push('');
  if (r.violations.length === 0) {
    out.push('violations: none — every invariant held');
  } else {
    out.push(`violations: ${r.violations.length}`);
    out.push(table(['kind', 'step', 'at', 'client', 'message'], r.violations.map((v) => [v.kind, v.step, formatOffset(v.now - SIM_EPOCH), v.clientId, v.message])));
    if (r.shrink !== null) {
      out.push(`shrunk: ${num(r.shrink.from)} → ${num(r.shrink.to)} history entries in ${num(r.shrink.tests)} replays (${r.shrink.reproduced ? 'the trace reproduces it from core inputs' : 'needs the whole world to reproduce'})`);
    }
    if (r.trace !== null) out.push(`reproduce: dialoghub replay ${r.trace}`);
  }
  return out.join('\n');
}

export const simCommand: CliCommand<SimCommandOptions, SimCommandResult> = {
  name: 'sim',
  configure(command: Command): void {
    command
      .description('run a seeded simulation of one hub and N clients in virtual time, checking every invariant after every step')
      .requiredOption('--seed <n>', 'random seed (integer): the same options give the same run')
      .requiredOption('--clients <n>', 'number of simulated clients')
      .requiredOption('--hours <h>', 'virtual hours to simulate (may be fractional)')
      .option('--faults <list>', `faults as key=value pairs, e.g. loss=0.05,dup=0.01,reorder=0.05,crash=3 (keys: ${FAULT_KEYS.join(', ')})`)
      .option('--policy <policy>', `re-login policy: ${POLICIES.join(' | ')} (default replaceOld)`)
      .option('--profiles <n>', 'number of profiles (default 95 % of the clients)')
      .option('--trace <file>', 'write the trace: the shrunk history of a violation, else the whole run')
      .option('--json', 'print one JSON object instead of tables');
  },
  parse(_args, o): SimCommandOptions {
    return {
      seed: integer(o['seed'], '--seed'),
      clients: integer(o['clients'], '--clients', 1),
      hours: positive(o['hours'], '--hours'),
      ...(o['profiles'] !== undefined ? { profiles: integer(o['profiles'], '--profiles', 1) } : {}),
      ...(o['policy'] !== undefined ? { policy: policy(o['policy']) } : {}),
      ...(o['faults'] !== undefined ? { faults: keyValues(o['faults'], '--faults', FAULT_KEYS) } : {}),
      trace: typeof o['trace'] === 'string' ? o['trace'] : null,
    };
  },
  run: runSim,
  render: renderSim,
  json: simJson,
  exitCode: (r) => (r.violations.length > 0 ? 1 : 0),
};
