/**
 * Theory of operation: the cost of a snapshot round trip, `serialize(state)`
 * then `deserialize(bytes)`, from packages/core/src/snapshot.ts. That module
 * is optional here: while it does not exist the figures are reported as not
 * measured (value null) rather than estimated. The round trip is checked to
 * give back a hub of the same size, so a fast but wrong codec does not pass.
 */
import type { HubState } from './api.js';
import { clock, collect, median, seconds } from '../timing.js';

interface SnapshotModule {
  serialize(state: HubState): Uint8Array;
  deserialize(bytes: Uint8Array): { readonly ok: true; readonly value: HubState } | { readonly ok: false; readonly error: unknown };
}

const MODULE = new URL('../../packages/core/src/snapshot.js', import.meta.url).href;

export type SnapshotCost =
  | { readonly ok: true; readonly bytes: number; readonly serializeS: number; readonly restoreS: number; readonly roundtripS: number; readonly runs: number }
  | { readonly ok: false; readonly why: string };

async function load(): Promise<SnapshotModule | string> {
  try {
    const m = (await import(MODULE)) as Partial<SnapshotModule>;
    if (typeof m.serialize !== 'function' || typeof m.deserialize !== 'function') return 'snapshot.ts does not export serialize/deserialize';
    return m as SnapshotModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === 'ERR_MODULE_NOT_FOUND' ? 'packages/core/src/snapshot.ts does not exist yet' : `snapshot.ts failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Median of up to `runs` round trips (fewer if one round trip takes longer than `budgetS`). */
export async function snapshotCost(state: HubState, runs: number, budgetS: number): Promise<SnapshotCost> {
  const m = await load();
  if (typeof m === 'string') return { ok: false, why: m };
  const ser: number[] = [];
  const res: number[] = [];
  let bytes = 0;
  const started = clock();
  for (let i = 0; i < runs; i++) {
    collect();
    const t0 = clock();
    const b = m.serialize(state);
    const t1 = clock();
    collect();
    const t2 = clock();
    const r = m.deserialize(b);
    const t3 = clock();
    if (!r.ok) return { ok: false, why: `deserialize refused the snapshot it was given: ${JSON.stringify(r.error)}` };
    const v = r.value;
    if (v.clients.size !== state.clients.size || v.sessions.size !== state.sessions.size || v.profiles.size !== state.profiles.size || v.now !== state.now) {
      return { ok: false, why: 'round trip changed the hub (sizes or now differ)' };
    }
    bytes = b.length;
    ser.push(seconds(t1 - t0));
    res.push(seconds(t3 - t2));
    if (seconds(clock() - started) > budgetS) break;
  }
  return { ok: true, bytes, serializeS: median(ser), restoreS: median(res), roundtripS: median(ser.map((x, i) => x + res[i]!)), runs: ser.length };
}
