/**
 * Theory of operation: a CPU profile of a snapshot round trip only.
 *
 *   node --expose-gc --import tsx bench/core/snapshot-profile.ts [clients=1000000] [out-prefix=snapshot]
 *
 * Builds the hub as the core suite does (`populate`), then profiles one
 * `serialize` and — with the hub released, as at a restart — one
 * `deserialize` (default invariant check) with the inspector's sampling
 * profiler, writes `<prefix>-serialize.cpuprofile` and
 * `<prefix>-deserialize.cpuprofile`, and prints each half's time and the
 * functions with the most self time.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { collect, clock, seconds } from '../timing.js';
import { deserialize, serialize } from './api.js';
import { populate } from './population.js';
import { printSelfTime, type ProfileNode } from './profile-summary.js';

const n = Number(process.argv[2] ?? 1_000_000);
const prefix = process.argv[3] ?? 'snapshot';

async function profiled<T>(name: string, f: () => T): Promise<T> {
  collect();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t0 = clock();
  const out = f();
  const s = seconds(clock() - t0);
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
  session.disconnect();
  const file = `${prefix}-${name}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(`\n${name}: ${s.toFixed(2)} s for ${n} clients (${((s * 1e6) / n).toFixed(2)} µs a client); profile in ${file}\n`);
  printSelfTime(profile.nodes, 20);
  return out;
}

let pop: ReturnType<typeof populate> | null = populate(n, 0x5eed + n, () => undefined);
const bytes = await profiled('serialize', () => serialize(pop!.state));
pop = null;
process.stdout.write(`${bytes.length} bytes\n`);
const r = await profiled('deserialize', () => deserialize(bytes));
if (!r.ok) throw new Error(`deserialize refused the snapshot: ${JSON.stringify(r.error)}`);
