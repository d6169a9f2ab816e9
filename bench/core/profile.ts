/**
 * Theory of operation: a CPU profile of the timed part of the core suite only.
 *
 *   node --expose-gc --import tsx bench/core/profile.ts [clients=1000000] [out=core-step.cpuprofile]
 *
 * Builds the hub and records the workload exactly as the suite does, then
 * profiles one replay with the inspector's sampling profiler (so population
 * and input generation stay out of the profile), writes the .cpuprofile (open
 * it in Chrome DevTools or speedscope) and prints the functions with the most
 * self time, and the share of time spent in garbage collection; then the mean
 * cost of a step by input kind.
 */
import { writeFileSync } from 'node:fs';
import { collect, seconds } from '../timing.js';
import { populate } from './population.js';
import { step } from './api.js';
import { CATEGORY_NAMES, replay, SETTLE_MS, Workload } from './workload.js';
import { printSelfTime, sampled } from './profile-summary.js';

const n = Number(process.argv[2] ?? 1_000_000);
const out = process.argv[3] ?? 'core-step.cpuprofile';
const seed = 0x5eed + n;

const pop = populate(n, seed, () => undefined);
const work = new Workload(pop, seed ^ 0x9e3779b9);
work.settle(SETTLE_MS);
const rec = work.record(300_000);
replay(rec, 100_000);
collect();

const { out: r, profile } = await sampled(100, () => replay(rec));
writeFileSync(out, JSON.stringify(profile));
process.stdout.write(`${n} clients: ${Math.round(rec.inputs.length / seconds(r.ns))} steps/s while profiled; profile in ${out}\n`);

printSelfTime(profile.nodes, 30);

// Cost by input kind: one more replay, each step timed on its own (the clock adds ~0.1 µs a step).
collect();
const ns = new Float64Array(CATEGORY_NAMES.length);
const count = new Float64Array(CATEGORY_NAMES.length);
let s = rec.start;
for (let i = 0; i < rec.inputs.length; i++) {
  const t0 = process.hrtime.bigint();
  s = step(s, rec.inputs[i]!, rec.nows[i]!).state;
  const c = rec.categories[i]!;
  ns[c]! += Number(process.hrtime.bigint() - t0);
  count[c]!++;
}
const all = ns.reduce((a, b) => a + b, 0);
process.stdout.write(`\nby input kind (mean µs per step, share of step time; GC lands on whichever step triggers it):\n`);
CATEGORY_NAMES.forEach((name, c) => {
  if (count[c] === 0) return;
  process.stdout.write(`${name.padEnd(24)} ${(ns[c]! / count[c]! / 1000).toFixed(2).padStart(8)} µs  ${((100 * ns[c]!) / all).toFixed(1).padStart(5)} %  (${count[c]} steps)\n`);
});
