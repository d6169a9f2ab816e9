/**
 * The long run: 10 000 clients for 24 virtual hours with faults. Minutes of
 * wall time, so it runs only when asked: `SIM_LONG=1 npx vitest run packages/sim`.
 * docs/simulation.md §9 records its figures.
 */
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/index.js';

describe.skipIf(process.env['SIM_LONG'] === undefined)('simulate (long: 10 000 clients × 24 h)', () => {
  it(
    'holds every invariant with loss, duplication, reordering and three crashes',
    () => {
      const r = runSimulation({ seed: 1, clients: 10_000, hours: 24, faults: { loss: 0.05, dup: 0.01, reorder: 0.05, crash: 3 } });
      console.log(`10k × 24 h: ${r.steps} steps in ${r.wallSeconds.toFixed(1)} s (${r.stepsPerSecond} steps/s)`);
      expect(r.violations).toEqual([]);
      expect(r.stats.crashes).toBe(3);
      expect(r.virtualHours).toBe(24);
    },
    900_000,
  );
});
