/**
 * Theory of operation: what the profiling scripts share — running one call
 * under the inspector's sampling profiler, and the summary they print: self
 * time by function from the V8 `.cpuprofile`, largest first.
 */
import { Session } from 'node:inspector/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Prints the `top` functions with the most self time, as a share of all samples. */
export function printSelfTime(nodes: readonly ProfileNode[], top: number): void {
  const self = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(packages|node_modules|bench)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, hits] of rows) process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${key}\n`);
}

/** Runs `f` under the sampling profiler (one sample every `intervalUs`); its result and the profile. */
export async function sampled<T>(intervalUs: number, f: () => T): Promise<{ out: T; profile: { nodes: ProfileNode[] } }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  const out = f();
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
  session.disconnect();
  return { out, profile };
}
