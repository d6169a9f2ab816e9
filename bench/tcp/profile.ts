/**
 * Theory of operation: where the hub's time goes under one of the `tcp`
 * suite's loads — a profiling helper, not a suite.
 *
 *   node --conditions=@dialoghub/source --import tsx bench/tcp/profile.ts <ack|login|takeover> [count] [--durable]
 *   node --conditions=@dialoghub/source --import tsx bench/tcp/profile.ts --summarise <file.cpuprofile> <ops> <user µs per op>
 *
 * Starts one dialoghub server child, sets it up as the suite does, runs the
 * chosen load once to warm up (JIT, module loading), then profiles the
 * child's main thread (V8 sampling profiler through node:inspector, every
 * 200 µs) while the same load runs `count` operations at the suite's
 * concurrency, and prints the profile by layer — core step, codec, adapter,
 * runtime loop, Node's net/stream internals, GC — with the child's measured
 * CPU per operation. The summary is what docs/performance.md quotes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerChild } from './child.js';
import { login, register, takeover, type Account, type Session } from './dialoghub-client.js';
import { PAYLOAD_BYTES } from './shared.js';

const CONCURRENCY = Number(process.env.DH_BENCH_TCP_CONCURRENCY ?? 50);
const WINDOW = Number(process.env.DH_BENCH_TCP_WINDOW ?? 4);

async function pool(concurrency: number, count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--summarise') {
    // Re-read a saved profile: --summarise <file> <ops> <user µs per op>
    opCount = Number(process.argv[4] ?? 1);
    userUsPerOp = Number(process.argv[5] ?? 0);
    summarise(JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as Profile);
    return;
  }
  const phase = process.argv[2] ?? 'ack';
  const count = Number(process.argv[3] ?? (phase === 'ack' ? 300_000 : phase === 'login' ? 20_000 : 2_000));
  const durable = process.argv.includes('--durable');
  const label = `dialoghub${durable ? '-durable' : ''}-${phase}`;
  const { child, port } = await ServerChild.start(label, { system: 'dialoghub', durable });
  try {
    const accounts = phase === 'ack' ? CONCURRENCY * 4 : 5_000;
    await child.call({ cmd: 'profiles', count: accounts });
    const acc: Account[] = new Array(accounts);
    await pool(CONCURRENCY, accounts, async (i) => void (acc[i] = await register(port, i + 1)));
    let cursor = 0;
    const next = (): Account => acc[cursor++ % accounts]!;
    const load = async (n: number): Promise<void> => {
      if (phase === 'ack') {
        const sessions: Session[] = [];
        await pool(CONCURRENCY, CONCURRENCY, async () => void sessions.push(await login(port, next(), PAYLOAD_BYTES)));
        const budget = { left: n };
        await Promise.all(sessions.map((s) => s.pump(WINDOW, budget)));
        for (const s of sessions) s.close();
        while ((await child.connections()) > 0) await new Promise((r) => setTimeout(r, 20));
      } else if (phase === 'login') {
        await pool(CONCURRENCY, n, async () => (await login(port, next(), PAYLOAD_BYTES)).close());
      } else {
        for (let i = 0; i < n; i++) await takeover(port, next(), PAYLOAD_BYTES);
      }
    };
    await load(Math.ceil(count / 5)); // warm-up: JIT, module loading, connections
    const file = join(mkdtempSync(join(tmpdir(), 'dh-bench-tcp-prof-')), `${label}.cpuprofile`);
    const before = await child.stats();
    await child.call({ cmd: 'profileStart', intervalUs: 200 });
    const t0 = process.hrtime.bigint();
    await load(count);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    await child.call({ cmd: 'profileStop', file });
    const after = await child.stats();
    userUsPerOp = (after.cpuMicros - after.sysMicros - (before.cpuMicros - before.sysMicros)) / count;
    const sysUs = (after.sysMicros - before.sysMicros) / count;
    process.stdout.write(`${label}: ${count} in ${sec.toFixed(2)} s = ${Math.round(count / sec)}/s at concurrency ${CONCURRENCY}${phase === 'ack' ? ` × window ${WINDOW}` : ''}\n`);
    process.stdout.write(`server CPU per op (process.cpuUsage, all threads, profiler on): user ${userUsPerOp.toFixed(2)} µs + system ${sysUs.toFixed(2)} µs\n`);
    process.stdout.write(`profile: ${file}\n`);
    opCount = count;
    summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  } finally {
    await child.stop();
  }
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function layer(n: Node): string {
  const { url, functionName } = n.callFrame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program (native, unattributed)';
  if (url.includes('/packages/core/src/protocol/')) return 'core: wire codec';
  if (url.includes('/packages/core/src/collections/')) return 'core: persistent tables';
  if (url.includes('/packages/core/src/')) return 'core: step (handlers, tx, validate)';
  if (url.includes('/packages/adapter-tcp/src/')) return 'adapter-tcp';
  if (url.includes('/packages/runtime/src/journal/')) return 'runtime: journal';
  if (url.includes('/packages/runtime/src/')) return 'runtime: hub loop';
  if (url.includes('node_modules/functional-red-black-tree')) return 'core: persistent tables';
  if (url.includes('/bench/')) return 'bench harness (child)';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:internal/stream_base') || url === 'node:net' || url.startsWith('node:internal/net')) return 'node: net + streams';
  if (url.startsWith('node:internal/process/task_queues') || url.startsWith('node:internal/timers') || url === 'node:timers') return 'node: microtasks/timers';
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'node: crypto (SHA-256)';
  if (url.startsWith('node:') || url === '') return `node: other${url === '' ? ' (native/builtin)' : ''}`;
  return 'other';
}

let opCount = 1;
let userUsPerOp = 0;

function summarise(p: Profile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const total = p.samples.length;
  const busy = p.nodes.filter((n) => n.callFrame.functionName !== '(idle)').reduce((a, n) => a + n.hitCount, 0);
  const layers = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const n of p.nodes) {
    const l = layer(n);
    layers.set(l, (layers.get(l) ?? 0) + n.hitCount);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + n.hitCount);
  }
  // Inclusive time of key functions (a node counts once even under recursion).
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  const KEYS = ['step', 'decodeFrame', 'encodeFrame', 'received', 'execute', 'pump', 'run', 'deliver', 'append', 'write', 'accept', 'verifierOf', 'credentialVerifier', 'serialize', 'uncork', '_writev', 'onStreamRead', 'processTicksAndRejections', 'onconnection', 'lengthPrefixed', 'encodeWithin', 'armTimer', 'withEntropy', 'enqueue', 'handle', 'redactInput', 'closeWith', 'released'];
  for (const n of p.nodes) {
    if (n.hitCount === 0) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!;
      const name = f.callFrame.functionName;
      if (!KEYS.includes(name)) continue;
      const key = `${name} (${f.callFrame.url.replace(/^.*\/packages\//, '').replace(/^node:.*/, 'node')})`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + n.hitCount);
    }
  }
  const intervalUs = (p.endTime - p.startTime) / Math.max(1, total);
  const pct = (x: number): string => `${((100 * x) / busy).toFixed(1).padStart(5)} %  ${((x * intervalUs) / opCount).toFixed(2).padStart(6)} µs/op`;
  process.stdout.write(`\nsamples ${total}, busy (not idle) ${busy} = ${((100 * busy) / total).toFixed(0)} % of the run\n\nself time by layer (% of busy):\n`);
  for (const [k, v] of [...layers].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${pct(v)}  ${k}\n`);
  // Sampled time inside writev includes time the thread was preempted right after waking the peer
  // (2 cores, several busy processes): the kernel's real share is the system time above. This view
  // spreads the measured user CPU over the samples outside writev.
  const writev = fns.get('writev :1') ?? [...fns].filter(([k]) => k.startsWith('writev ')).reduce((a, [, v]) => a + v, 0);
  const program = layers.get('program (native, unattributed)') ?? 0;
  const js = busy - writev - program;
  process.stdout.write(`\nuser CPU per op by layer, writev and (program) left out (${((100 * writev) / busy).toFixed(0)} % + ${((100 * program) / busy).toFixed(0)} % of busy samples):\n`);
  for (const [k, v] of [...layers].filter(([k]) => k !== 'idle' && k !== 'program (native, unattributed)').sort((a, b) => b[1] - a[1])) {
    const own = k === 'node: other (native/builtin)' ? v - writev : v;
    process.stdout.write(`  ${((100 * own) / js).toFixed(1).padStart(5)} %  ${((own / js) * userUsPerOp).toFixed(2).padStart(6)} µs/op  ${k}${k === 'node: other (native/builtin)' ? ' (without writev)' : ''}\n`);
  }
  process.stdout.write('\ntop self time by function (% of busy):\n');
  for (const [k, v] of [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`  ${pct(v)}  ${k}\n`);
  process.stdout.write('\ninclusive time of key functions (% of busy):\n');
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`  ${pct(v)}  ${k}\n`);
}

await main();
