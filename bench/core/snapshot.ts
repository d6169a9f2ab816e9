/**
 * Theory of operation: the cost of a snapshot round trip, `serialize(state)`
 * then `deserialize(bytes)` (with its default invariant check), from
 * packages/core/src/snapshot.ts.
 *
 * The two halves are measured apart, the way a hub meets them: `serialize`
 * while the hub runs (its state alive), `deserialize` at a restart, so the
 * caller drops the state between `serializeCost` and `restoreCost` and the
 * restore does not pay for collecting around a second copy of the hub. The
 * restored hub must have the same size and clock, so a fast but wrong codec
 * does not pass.
 */
import { deserialize, serialize, serializeInSlices, type HubState, type SliceLimits } from './api.js';
import { GcWatch } from '../gc-watch.js';
import { clock, collect, median, seconds } from '../timing.js';

export interface Shape {
  readonly clients: number;
  readonly sessions: number;
  readonly profiles: number;
  readonly now: number;
}

export interface Serialized {
  readonly bytes: Uint8Array;
  readonly shape: Shape;
  readonly seconds: number;
  readonly runs: number;
}

export type Restored = { readonly ok: true; readonly seconds: number; readonly runs: number } | { readonly ok: false; readonly why: string };

/** Runs `f` up to `runs` times, fewer when another run would overrun `budgetS`; the median time. */
function repeat<T>(runs: number, budgetS: number, f: () => T): { last: T; seconds: number; runs: number } {
  const times: number[] = [];
  let last: T | undefined;
  const started = clock();
  for (let i = 0; i < runs; i++) {
    last = undefined;
    collect();
    const t0 = clock();
    last = f();
    times.push(seconds(clock() - t0));
    const spent = seconds(clock() - started);
    if (spent + spent / (i + 1) > budgetS) break;
  }
  return { last: last as T, seconds: median(times), runs: times.length };
}

export function serializeCost(state: HubState, runs: number, budgetS: number): Serialized {
  const r = repeat(runs, budgetS, () => serialize(state));
  const shape = { clients: state.clients.size, sessions: state.sessions.size, profiles: state.profiles.size, now: state.now };
  return { bytes: r.last, shape, seconds: r.seconds, runs: r.runs };
}

export function restoreCost(bytes: Uint8Array, shape: Shape, runs: number, budgetS: number): Restored {
  let why: string | null = null;
  const r = repeat(runs, budgetS, () => {
    const res = deserialize(bytes);
    if (!res.ok) why = `deserialize refused the snapshot it was given: ${JSON.stringify(res.error)}`;
    else {
      const v = res.value;
      if (v.clients.size !== shape.clients || v.sessions.size !== shape.sessions || v.profiles.size !== shape.profiles || v.now !== shape.now) {
        why = 'the round trip changed the hub (sizes or clock differ)';
      }
    }
    return null;
  });
  return why === null ? { ok: true, seconds: r.seconds, runs: r.runs } : { ok: false, why };
}

export interface Sliced {
  /** The snapshot made (exactly `serialize(state)`). */
  readonly bytes: Uint8Array;
  readonly slices: number;
  readonly longestMs: number;
  readonly medianMs: number;
  readonly seconds: number;
  /** The longest garbage-collection pause while it ran (it lands in whichever slice triggered it). */
  readonly longestGcMs: number;
}

/**
 * `serializeInSlices(state, limits)` as the runtime drives a periodic
 * snapshot, each `next()` timed on its own: the longest is the longest the
 * hub's loop is held (a GC pause that lands in a slice included).
 */
export async function slicedCost(state: HubState, limits: SliceLimits): Promise<Sliced> {
  collect();
  const gc = new GcWatch();
  gc.start();
  const times: number[] = [];
  const steps = serializeInSlices(state, limits);
  let r: IteratorResult<void, Uint8Array>;
  do {
    const t0 = clock();
    r = steps.next();
    times.push(seconds(clock() - t0));
  } while (!r.done);
  const g = await gc.stop();
  return { bytes: r.value, slices: times.length, longestMs: Math.max(...times) * 1000, medianMs: median(times) * 1000, seconds: times.reduce((a, b) => a + b, 0), longestGcMs: g.maxPauseMs };
}
