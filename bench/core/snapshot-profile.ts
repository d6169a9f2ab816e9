/**
 * Theory of operation: a CPU profile of a snapshot round trip only.
 *
 *   node --expose-gc --import tsx bench/core/snapshot-profile.ts [clients=1000000] [out-prefix=snapshot] [--running]
 *
 * Builds the hub as the core suite does (`populate`; with `--running`, also
 * the suite's workload — settle, then 300 000 recorded steps — and the state
 * the recording started from, with the recording alive, exactly what the
 * suite serializes), then profiles one `serialize` and — with the hub released, as at a restart — one
 * `deserialize` (default invariant check) with the inspector's sampling
 * profiler, writes `<prefix>-serialize.cpuprofile` and
 * `<prefix>-deserialize.cpuprofile`, and prints each half's time and the
 * functions with the most self time.
 */
import { writeFileSync } from 'node:fs';
import { collect, clock, seconds } from '../timing.js';
import { deserialize, serialize } from './api.js';
import { populate } from './population.js';
import { SETTLE_MS, Workload, type Recording } from './workload.js';
import { printSelfTime, sampled } from './profile-summary.js';

const args = process.argv.slice(2).filter((a) => a !== '--running');
const running = args.length < process.argv.length - 2;
const n = Number(args[0] ?? 1_000_000);
const prefix = args[1] ?? 'snapshot';

async function profiled<T>(name: string, f: () => T): Promise<T> {
  collect();
  let s = 0;
  const { out, profile } = await sampled(200, () => {
    const t0 = clock();
    const r = f();
    s = seconds(clock() - t0);
    return r;
  });
  const file = `${prefix}-${name}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(`\n${name}: ${s.toFixed(2)} s for ${n} clients (${((s * 1e6) / n).toFixed(2)} µs a client); profile in ${file}\n`);
  printSelfTime(profile.nodes, 20);
  return out;
}

let pop: ReturnType<typeof populate> | null = populate(n, 0x5eed + n, () => undefined);
let rec: Recording | null = null;
if (running) {
  const work = new Workload(pop, (0x5eed + n) ^ 0x9e3779b9);
  work.settle(SETTLE_MS);
  rec = work.record(300_000);
}
const bytes = await profiled('serialize', () => serialize(rec?.start ?? pop!.state));
pop = null;
rec = null;
process.stdout.write(`${bytes.length} bytes\n`);
const r = await profiled('deserialize', () => deserialize(bytes));
if (!r.ok) throw new Error(`deserialize refused the snapshot: ${JSON.stringify(r.error)}`);
