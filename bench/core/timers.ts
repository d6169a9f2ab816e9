/**
 * Theory of operation: what the shell's one timer costs.
 *
 * `timer_step_cost` follows a chain of `timerFired` steps, each at
 * `nextDeadline` of the state before it, from a steady-state hub with all
 * traffic stopped: every step handles the few sessions whose indexed deadline
 * is that millisecond (a Sync, a timeout, or a lazy re-file). If a timer step
 * scanned the sessions, its cost would grow with the online count; the figure
 * at 100 online vs 100k online shows whether it does. The chain is computed
 * once untimed (to count the sessions each step handles), then replayed timed.
 *
 * `next_deadline_cost` is `nextDeadline(state)` on the same state: the shell
 * calls it after every step.
 */
import { nextDeadline, step, type HubState } from './api.js';
import { TIMER_FIRED } from './inputs.js';
import { clock, collect } from '../timing.js';

export interface TimerCost {
  /** Mean nanoseconds per timer step. */
  readonly nsPerStep: number;
  /** Mean sessions due per timer step. */
  readonly duePerStep: number;
  readonly steps: number;
}

export function timerStepCost(base: HubState, chainLength: number, minTimedSteps: number): TimerCost {
  const times: number[] = [];
  let due = 0;
  let s = base;
  for (let i = 0; i < chainLength; i++) {
    const at = nextDeadline(s);
    if (at === undefined) break;
    s.deadlines.forEach((key) => (key[0] > at ? true : void due++));
    times.push(at);
    s = step(s, TIMER_FIRED, at).state;
  }
  if (times.length === 0) return { nsPerStep: Number.NaN, duePerStep: 0, steps: 0 };
  const rounds = Math.max(1, Math.ceil(minTimedSteps / times.length));
  // One untimed round warms the path.
  let w = base;
  for (let i = 0; i < times.length; i++) w = step(w, TIMER_FIRED, times[i]!).state;
  return timed(base, times, rounds, due);
}

function timed(base: HubState, times: readonly number[], rounds: number, due: number): TimerCost {
  collect();
  const t0 = clock();
  let s = base;
  for (let round = 0; round < rounds; round++) {
    s = base;
    for (let i = 0; i < times.length; i++) s = step(s, TIMER_FIRED, times[i]!).state;
  }
  const ns = Number(clock() - t0);
  if (s === base && times.length > 0) throw new Error('timer chain did nothing');
  const steps = rounds * times.length;
  return { nsPerStep: ns / steps, duePerStep: due / times.length, steps };
}

/** Mean nanoseconds per `nextDeadline(state)` call. */
export function nextDeadlineCost(state: HubState, calls: number): number {
  let sink = 0;
  for (let i = 0; i < 10_000; i++) sink += nextDeadline(state) ?? 0;
  const t0 = clock();
  for (let i = 0; i < calls; i++) sink += nextDeadline(state) ?? 0;
  const ns = Number(clock() - t0);
  if (sink === 42) process.stderr.write('');
  return ns / calls;
}
