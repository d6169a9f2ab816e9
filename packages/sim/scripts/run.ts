/**
 * A command-line run of the simulator for measurements (the `dialoghub sim`
 * command of @dialoghub/cli is the user-facing one):
 *
 *   npx tsx --conditions=@dialoghub/source packages/sim/scripts/run.ts \
 *     --seed 1 --clients 10000 --hours 24 --loss 0.05 --dup 0.01 --reorder 0.05 --crash 3 [--policy P] [--trace FILE]
 */
import { parseArgs } from 'node:util';
import { simulate } from '../src/index.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    clients: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '1' },
    policy: { type: 'string', default: 'replaceOld' },
    loss: { type: 'string', default: '0' },
    dup: { type: 'string', default: '0' },
    reorder: { type: 'string', default: '0' },
    crash: { type: 'string', default: '0' },
    partitions: { type: 'string', default: '0' },
    flap: { type: 'string', default: '0' },
    trace: { type: 'string' },
  },
});
const t0 = Date.now();
const cpu0 = process.cpuUsage();
let last = -1;
const result = await simulate({
  seed: Number(values.seed),
  clients: Number(values.clients),
  hours: Number(values.hours),
  policy: values.policy as 'replaceOld',
  faults: {
    loss: Number(values.loss),
    dup: Number(values.dup),
    reorder: Number(values.reorder),
    crash: Number(values.crash),
    partitions: Number(values.partitions),
    flap: Number(values.flap),
  },
  traceFile: values.trace ?? null,
  onProgress: (f) => {
    const pct = Math.floor(f * 10);
    if (pct !== last) {
      last = pct;
      process.stderr.write(`${(f * 100).toFixed(0)}% after ${((Date.now() - t0) / 1000).toFixed(1)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
    }
  },
});
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ...result, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }, null, 2));
