/**
 * Property tests of `deserialize` on bytes it did not write: it never throws
 * (a result, always), and whatever it accepts is a hub that keeps every
 * invariant and writes itself back to the same bytes (so a damaged snapshot
 * is either refused or exactly a snapshot serialize could have written: no
 * setting silently defaulted, no entry silently dropped). Valid snapshots come
 * from random scenarios (hub-arbitraries.ts); the damage is random byte
 * changes, truncation, insertion, and bytes with no snapshot in them at all.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { checkInvariants } from '../src/invariants.js';
import { deserialize, serialize, serializeInSlices, slicedWriter } from '../src/snapshot.js';
import { allActions, arbScenario, runActions } from './hub-arbitraries.js';

/** The hub a random scenario leaves. */
const hubs = arbScenario(60).map((s) => runActions(s.universe, allActions(s), () => undefined).state);
/** A valid snapshot of such a hub. */
const snapshots = hubs.map(serialize);

type Damage =
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly value: number };

const damages = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

function damage(bytes: Uint8Array, list: readonly Damage[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const d of list) {
    if (out.length === 0) break;
    const at = d.at % out.length;
    if (d.kind === 'set') out[at] = d.value;
    else if (d.kind === 'truncate') out = out.slice(0, at);
    else {
      const next = new Uint8Array(out.length + 1);
      next.set(out.subarray(0, at));
      next[at] = d.value;
      next.set(out.subarray(at), at + 1);
      out = next;
    }
  }
  return out;
}

/** Whatever `deserialize` accepted must be a sound hub that writes itself back to the same bytes. */
function expectSoundIfAccepted(bytes: Uint8Array): void {
  const r = deserialize(bytes);
  if (!r.ok) {
    expect(['badMagic', 'badVersion', 'corrupt', 'inconsistent']).toContain(r.error.code);
    expect(r.error.message.length).toBeGreaterThan(0);
    return;
  }
  expect(checkInvariants(r.value)).toEqual([]);
  // One byte form per state: an accepted snapshot is exactly what serialize writes for it.
  const again = serialize(r.value);
  let i = 0;
  while (i < again.length && again[i] === bytes[i]) i++;
  if (i < again.length || again.length !== bytes.length) {
    const around = (b: Uint8Array): string => Array.from(b.subarray(Math.max(0, i - 16), i + 8)).join(',');
    throw new Error(`accepted bytes that serialize writes differently, from offset ${i} of ${bytes.length}: given …${around(bytes)}…, written …${around(again)}…`);
  }
}

describe('deserialize on damaged and arbitrary bytes', () => {
  test.prop([snapshots, damages], { numRuns: 1000 })('a damaged snapshot gives a result, never a throw; what it accepts is sound', (bytes, list) => {
    expectSoundIfAccepted(damage(bytes, list));
  });

  test.prop([snapshots], { numRuns: 30 })('every proper prefix of a snapshot is refused', (bytes) => {
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length >> 6)) {
      const r = deserialize(bytes.subarray(0, cut));
      expect(r.ok).toBe(false);
    }
  });

  test.prop([fc.uint8Array({ maxLength: 512 })], { numRuns: 300 })('arbitrary bytes give a result, never a throw', (bytes) => {
    expectSoundIfAccepted(bytes);
  });

  test.prop([fc.uint8Array({ maxLength: 256 })], { numRuns: 300 })('arbitrary bytes after a valid header give a result, never a throw', (tail) => {
    const bytes = new Uint8Array(5 + tail.length);
    bytes.set([0x44, 0x48, 0x53, 0x4e, 1]);
    bytes.set(tail, 5);
    expectSoundIfAccepted(bytes);
  });
});

describe('serializeInSlices', () => {
  const limit = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 600 }), fc.constant(4096), fc.constant(Infinity));
  test.prop([hubs, limit, fc.oneof(limit, fc.constant(undefined))], { numRuns: 150 })(
    'gives exactly the bytes of serialize, pausing once per slice (entries or bytes, whichever limit comes first)',
    (state, entries, bytes) => {
      const { pauses, value } = drain(serializeInSlices(state, { entries, ...(bytes === undefined ? { bytes: Infinity } : { bytes }) }));
      expect(Array.from(value)).toEqual(Array.from(serialize(state)));
      const count = state.profiles.size + state.clients.size + state.sessions.size;
      if (bytes === undefined) expect(pauses).toBe(entries === Infinity ? 0 : Math.floor(count / entries));
      else expect(pauses).toBeLessThanOrEqual(count);
    },
  );

  test.prop([hubs, limit, fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 300 }))], { numRuns: 200 })(
    'with buffers small enough to fill up (a new one per few entries, joined a buffer per slice at the end), the bytes are the same',
    (state, entries, chunkBytes) => {
      const { pauses, value } = drain(slicedWriter(state, { entries, bytes: Infinity }, chunkBytes));
      expect(Array.from(value)).toEqual(Array.from(serialize(state)));
      const count = state.profiles.size + state.clients.size + state.sessions.size;
      // The header alone passes 16 bytes: with an entry and buffers that small, one filled up and the
      // join pauses too (unless there is no limit at all: then it is written in one piece).
      const filled = count > 0 && chunkBytes <= 16 && entries !== Infinity;
      expect(pauses).toBeGreaterThanOrEqual((entries === Infinity ? 0 : Math.floor(count / entries)) + (filled ? 2 : 0));
    },
  );

  test.prop([hubs], { numRuns: 20 })('a byte limit of 1 pauses after every entry', (state) => {
    const { pauses } = drain(serializeInSlices(state, { entries: Infinity, bytes: 1 }));
    expect(pauses).toBe(state.profiles.size + state.clients.size + state.sessions.size);
  });

  test.prop([fc.constantFrom(0, -1, 1.5, Number.NaN), fc.constantFrom('entries', 'bytes')])('refuses a limit that is not a positive integer or Infinity', (bad, which) => {
    expect(() => serializeInSlices(hubsExample(), { [which]: bad }).next()).toThrow(new RegExp(`slice ${which} must be a positive integer`));
  });
});

/** Runs a sliced writer to its end: the pauses it made and the bytes it returned. */
function drain(steps: Generator<void, Uint8Array, void>): { pauses: number; value: Uint8Array } {
  let pauses = 0;
  let r = steps.next();
  while (!r.done) {
    pauses++;
    r = steps.next();
  }
  return { pauses, value: r.value };
}

function hubsExample() {
  return fc.sample(hubs, { numRuns: 1, seed: 1 })[0]!;
}
