/**
 * `IntMap` (the persistent u32-keyed map under every hub table) against a
 * plain JS `Map`: random set/delete/get sequences over small keys (dense,
 * shallow tries) and the full u32 range (0 and 2^32-1 included, keys sharing
 * long prefixes), ascending iteration, `size`, persistence (every earlier
 * version unchanged, also when branching from old versions and when every
 * version is deep-frozen), `IntMap.from` against incremental building, and
 * RangeError for keys outside [0, 2^32), and transient updates (`assoc`/`dissoc`
 * with a step's `edit` token) that write in place only what the same token
 * created.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { IntMap } from '../src/collections/int-map.js';
import { deepFreeze } from './hub-arbitraries.js';

const U32_MAX = 0xffffffff;

const arbSmallKey = fc.integer({ min: 0, max: 40 });
const arbWideKey = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 31, 32, 33, 1023, 1024, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, U32_MAX),
  fc.integer({ min: 0, max: U32_MAX }),
  // Keys that share all but their last bits, or differ only in their top bits: deep and wide paths.
  fc.tuple(fc.constantFrom(0, 0x08000000, 0x7fffffe0, 0x80000000, 0xffffffe0), fc.integer({ min: 0, max: 31 })).map(([base, d]) => base + d),
  fc.integer({ min: 0, max: 31 }).map((bit) => 2 ** bit),
);
const arbKey = fc.oneof(arbSmallKey, arbWideKey);

/** Opaque values: numbers, strings, null and objects (compared by identity). */
const arbValue: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null), fc.record({ tag: fc.nat(9) }));

type Op = { readonly op: 'set'; readonly key: number; readonly value: unknown } | { readonly op: 'delete'; readonly key: number } | { readonly op: 'get'; readonly key: number };

function arbOps(key: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  return fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: arbValue }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
    ),
    { maxLength: 200 },
  );
}

const arbAnyOps = fc.oneof(arbOps(arbSmallKey), arbOps(arbWideKey), arbOps(arbKey));

function sortedEntries(ref: ReadonlyMap<number, unknown>): [number, unknown][] {
  return [...ref.entries()].sort((a, b) => a[0] - b[0]);
}

/** The map agrees with the reference on everything observable. */
function expectSame(map: IntMap<unknown>, ref: ReadonlyMap<number, unknown>, where: string): void {
  const entries = sortedEntries(ref);
  expect(map.size, `${where}: size`).toBe(ref.size);
  expect([...map.entries()], `${where}: entries in ascending key order`).toEqual(entries);
  expect([...map.keys()], `${where}: keys`).toEqual(entries.map(([k]) => k));
  expect([...map.values()], `${where}: values`).toEqual(entries.map(([, v]) => v));
  for (const [k, v] of entries) {
    expect(map.get(k), `${where}: get(${k})`).toBe(v);
    expect(map.has(k), `${where}: has(${k})`).toBe(true);
  }
}

/** Shrunk counterexamples found while the map's adaptive root level was being written, replayed forever. */
const REGRESSIONS: { readonly name: string; readonly ops: readonly Op[]; readonly invalid?: number }[] = [
  // The root rose a level for key 32 and lost key 4 (get(4) === undefined).
  { name: 'a key that makes the root rise keeps the others', ops: [{ op: 'set', key: 0, value: '' }, { op: 'set', key: 4, value: null }, { op: 'set', key: 32, value: '' }], invalid: 2 ** 32 },
  // has() was get() !== undefined: a stored undefined was reported absent.
  { name: 'a stored undefined is present', ops: [{ op: 'set', key: 0, value: undefined }] },
];

describe('IntMap against a JS Map', () => {
  test.each(REGRESSIONS)('regression: $name', ({ ops, invalid }) => {
    let map = IntMap.empty<unknown>();
    const ref = new Map<number, unknown>();
    for (const o of ops) {
      if (o.op === 'set') {
        map = map.set(o.key, o.value);
        ref.set(o.key, o.value);
      } else if (o.op === 'delete') {
        map = map.delete(o.key);
        ref.delete(o.key);
      }
    }
    expectSame(map, ref, 'after the operations');
    if (invalid !== undefined) {
      expect(() => map.set(invalid, 'x')).toThrow(RangeError);
      expect(map.has(invalid)).toBe(false);
      expect(map.get(invalid)).toBeUndefined();
    }
  });

  test.prop([fc.array(fc.tuple(arbKey, arbValue), { maxLength: 150 }), fc.array(fc.oneof(arbKey, fc.constant(U32_MAX + 1)), { minLength: 1, maxLength: 6 }), fc.nat(12)])(
    'forEachFrom visits exactly the entries at or after its start, in order, and stops when asked; slices resumed after the last key cover the map once',
    (entries, starts, stopAfter) => {
      const map = IntMap.from(entries);
      const sorted = [...new Map(entries).entries()].sort((a, b) => a[0] - b[0]);
      for (const from of starts) {
        const seen: [number, unknown][] = [];
        map.forEachFrom(from, (v, k) => void seen.push([k, v]));
        expect(seen).toEqual(sorted.filter(([k]) => k >= from));
        const stopped: number[] = [];
        map.forEachFrom(from, (_, k) => stopped.push(k) > stopAfter);
        expect(stopped).toEqual(sorted.filter(([k]) => k >= from).slice(0, stopAfter + 1).map(([k]) => k));
      }
      // Walked a slice at a time, as serializeInSlices does.
      const walked: number[] = [];
      let next = 0;
      for (let guard = 0; guard <= sorted.length + 1; guard++) {
        let last = -1;
        let count = 0;
        map.forEachFrom(next, (_, k) => {
          walked.push(k);
          last = k;
          return ++count > stopAfter;
        });
        if (last < 0 || count <= stopAfter) break;
        next = last + 1;
      }
      expect(walked).toEqual(sorted.map(([k]) => k));
    },
  );

  test.prop([arbAnyOps])('random set/delete/get sequences agree with a Map (get, has, size, ascending iteration)', (ops) => {
    let map = IntMap.empty<unknown>();
    const ref = new Map<number, unknown>();
    ops.forEach((o, i) => {
      const before = map;
      const previous = ref.get(o.key);
      const had = ref.has(o.key);
      if (o.op === 'set') {
        map = map.set(o.key, o.value);
        ref.set(o.key, o.value);
      } else if (o.op === 'delete') {
        map = map.delete(o.key);
        ref.delete(o.key);
      }
      expect(map.get(o.key), `op ${i} ${o.op}(${o.key}): get`).toBe(ref.get(o.key));
      expect(map.has(o.key), `op ${i} ${o.op}(${o.key}): has`).toBe(ref.has(o.key));
      expect(map.size, `op ${i} ${o.op}(${o.key}): size`).toBe(ref.size);
      // The map the operation was applied to still answers as before.
      expect(before.get(o.key), `op ${i}: old version's get`).toBe(previous);
      expect(before.has(o.key), `op ${i}: old version's has`).toBe(had);
    });
    expectSame(map, ref, 'final');
  });

  test.prop([arbAnyOps, fc.array(fc.nat(), { maxLength: 200 }), fc.boolean()])(
    'persistence: every version stays as it was, also branching from old versions and when deep-frozen',
    (ops, bases, freeze) => {
      const versions: { map: IntMap<unknown>; ref: Map<number, unknown> }[] = [{ map: IntMap.empty(), ref: new Map() }];
      ops.forEach((o, i) => {
        // Apply each operation to some earlier version (the latest one half of the time).
        const pick = bases[i] ?? 0;
        const base = pick % 2 === 0 ? versions[versions.length - 1]! : versions[(pick >>> 1) % versions.length]!;
        if (freeze) deepFreeze(base.map);
        const ref = new Map(base.ref);
        let map = base.map;
        if (o.op === 'set') {
          map = map.set(o.key, o.value);
          ref.set(o.key, o.value);
        } else if (o.op === 'delete') {
          map = map.delete(o.key);
          ref.delete(o.key);
        } else {
          expect(map.get(o.key)).toBe(ref.get(o.key));
        }
        versions.push({ map, ref });
      });
      versions.forEach(({ map, ref }, i) => expectSame(map, ref, `version ${i}`));
    },
  );

  test.prop([fc.array(fc.tuple(arbKey, arbValue), { maxLength: 150 }), arbOps(arbKey), fc.boolean()])(
    'IntMap.from equals building entry by entry (later duplicates win), and stays persistent afterwards',
    (entries, ops, freeze) => {
      const built = IntMap.from(entries);
      let incremental = IntMap.empty<unknown>();
      const ref = new Map<number, unknown>();
      for (const [k, v] of entries) {
        incremental = incremental.set(k, v);
        ref.set(k, v);
      }
      expectSame(built, ref, 'from');
      expectSame(incremental, ref, 'incremental');
      expectSame(IntMap.from(sortedEntries(ref)), ref, 'from sorted');
      // Updating a map built by `from` must not write into it (its nodes were built in place).
      if (freeze) deepFreeze(built);
      const snapshot = [...built.entries()];
      let map = built;
      const after = new Map(ref);
      for (const o of ops) {
        if (o.op === 'set') {
          map = map.set(o.key, o.value);
          after.set(o.key, o.value);
        } else if (o.op === 'delete') {
          map = map.delete(o.key);
          after.delete(o.key);
        }
      }
      expectSame(map, after, 'from, then updated');
      expect([...built.entries()], 'the map from `from` is unchanged').toEqual(snapshot);
    },
  );

  const arbInvalidKey = fc.oneof(
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
    fc.constantFrom(-1, -0.5, 0.5, 1.5, 2 ** 32, 2 ** 32 + 1, 2 ** 33, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ min: -(2 ** 33), max: 2 ** 33, noNaN: true }).filter((x) => !Number.isInteger(x)),
  );

  test.prop([arbInvalidKey, fc.array(fc.tuple(arbKey, arbValue), { maxLength: 20 })])(
    'keys outside the integers of [0, 2^32) throw RangeError in set and from, and never alias a valid key',
    (bad, entries) => {
      const map = IntMap.from(entries);
      expect(() => map.set(bad, 'x')).toThrow(RangeError);
      expect(() => IntMap.empty().set(bad, 'x')).toThrow(RangeError);
      expect(() => IntMap.from([...entries, [bad, 'x'] as [number, unknown]])).toThrow(RangeError);
      // Plant values under the valid keys an invalid one could be confused with (wrapped, truncated).
      const aliases = [bad >>> 0, Math.trunc(bad) >>> 0, Math.floor(Math.abs(bad)) % 2 ** 32].filter((k) => Number.isInteger(k) && k >= 0 && k <= U32_MAX);
      const planted = aliases.reduce((m, k) => m.set(k, `alias ${k}`), map);
      // get/has/delete may throw RangeError too; if they answer, the invalid key is simply absent.
      const absent = (f: () => unknown, expected: (v: unknown) => boolean): void => {
        let v: unknown;
        try {
          v = f();
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          return;
        }
        expect(expected(v)).toBe(true);
      };
      absent(() => planted.get(bad), (v) => v === undefined);
      absent(() => planted.has(bad), (v) => v === false);
      absent(
        () => planted.delete(bad),
        (v) => v instanceof IntMap && v.size === planted.size && [...v.entries()].every(([k, x]) => planted.get(k) === x),
      );
    },
  );

  test.prop([fc.array(arbAnyOps, { maxLength: 8 }), fc.boolean()])(
    'transient updates (a step\'s edit token) agree with a Map and never write into an earlier version',
    (batches, freeze) => {
      // Each batch is one "step": one fresh token, every update of the batch made with it.
      const versions: { map: IntMap<unknown>; entries: [number, unknown][] }[] = [];
      let map = IntMap.empty<unknown>();
      const ref = new Map<number, unknown>();
      batches.forEach((ops, b) => {
        if (freeze) deepFreeze(map);
        versions.push({ map, entries: [...map.entries()] });
        const edit = {};
        ops.forEach((o, i) => {
          if (o.op === 'set') {
            map = map.assoc(o.key, o.value, edit);
            ref.set(o.key, o.value);
          } else if (o.op === 'delete') {
            map = map.dissoc(o.key, edit);
            ref.delete(o.key);
          }
          expect(map.get(o.key), `batch ${b} op ${i} ${o.op}(${o.key}): get`).toBe(ref.get(o.key));
          expect(map.size, `batch ${b} op ${i}: size`).toBe(ref.size);
        });
        expectSame(map, ref, `after batch ${b}`);
      });
      versions.forEach(({ map: v, entries }, i) => expect([...v.entries()], `version before batch ${i} unchanged`).toEqual(entries));
    },
  );

  const arbKeyOps = fc.array(fc.record({ op: fc.constantFrom('set' as const, 'delete' as const), key: arbKey }), { maxLength: 100 });

  test.prop([arbKeyOps])('a stored undefined value is an entry like any other (has, size and iteration agree with Map)', (ops) => {
    let map = IntMap.empty<unknown>();
    const ref = new Map<number, unknown>();
    for (const o of ops) {
      if (o.op === 'set') {
        map = map.set(o.key, undefined);
        ref.set(o.key, undefined);
      } else if (o.op === 'delete') {
        map = map.delete(o.key);
        ref.delete(o.key);
      }
      expect(map.has(o.key), `has(${o.key}) after ${o.op}`).toBe(ref.has(o.key));
      expect(map.size).toBe(ref.size);
    }
    expectSame(map, ref, 'final');
  });
});
