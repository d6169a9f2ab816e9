/**
 * Theory of operation: how much of a timed region went to garbage collection.
 * A PerformanceObserver on `gc` entries collects the pauses V8 reports on the
 * main thread (scavenges, mark-compacts, incremental marking steps); entries
 * are delivered asynchronously, so `stop()` waits 50 ms before summing.
 * Concurrent marking on helper threads is not counted: this is the time the
 * measured code lost, not the CPU the collector used.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface GcSummary {
  /** Main-thread GC pause time, milliseconds. */
  readonly pauseMs: number;
  readonly minor: number;
  readonly major: number;
  readonly incremental: number;
  /** Longest single pause, milliseconds. */
  readonly maxPauseMs: number;
}

export class GcWatch {
  private entries: PerformanceEntry[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.entries.push(e);
  });

  start(): void {
    this.entries = [];
    this.observer.observe({ entryTypes: ['gc'] });
  }

  async stop(): Promise<GcSummary> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.observer.disconnect();
    let pauseMs = 0;
    let maxPauseMs = 0;
    let minor = 0;
    let major = 0;
    let incremental = 0;
    for (const e of this.entries) {
      pauseMs += e.duration;
      maxPauseMs = Math.max(maxPauseMs, e.duration);
      const kind = ((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) incremental++;
    }
    return { pauseMs, minor, major, incremental, maxPauseMs };
  }
}
