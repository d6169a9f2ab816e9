/**
 * Theory of operation: the summary the profiling scripts print — self time by
 * function from a V8 `.cpuprofile` (sampled), largest first.
 */
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
