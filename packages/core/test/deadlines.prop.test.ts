/**
 * The deadline index (the persistent timing wheel of deadlines.ts) against a
 * sorted list of `(at, link)` entries: random adds and removes with times of
 * every kind the index must order (Date.now()-sized, small, negative,
 * fractional, beyond the ±2^51 ms clamp), then iteration order, the earliest
 * entry and time, and `takeDueSlot` (a whole due millisecond at once, or
 * nothing when the earliest millisecond holds a fractional or clamped time).
 * Every earlier version must stay unchanged (also deep-frozen), including
 * under a step's `edit` token.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { addDeadline, emptyDeadlines, firstDeadline, firstDeadlineAt, removeDeadline, takeDueSlot, type DeadlineIndex } from '../src/deadlines.js';
import type { LinkId, Millis } from '../src/ids.js';
import { deepFreeze } from './hub-arbitraries.js';

const BASE = 1_767_225_600_000;
const arbAt = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map((d) => BASE + d) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).map((d) => BASE + d + 0.5) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((d) => 2 ** 20 * 5 - 2 + d) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 51 - 2, 2 ** 51 - 1, 2 ** 51, 2 ** 52 + 2, 2 ** 53, -(2 ** 51), -(2 ** 51) - 1, -(2 ** 53), 1e300, -1e300) },
);
const arbLink = fc.integer({ min: 0, max: 12 });

type Op = { readonly add: boolean; readonly at: number; readonly link: number; readonly pick: number };
const arbOps = fc.array(fc.record({ add: fc.boolean(), at: arbAt, link: arbLink, pick: fc.nat() }), { maxLength: 80 });

type Entry = [at: number, link: number];
const order = (a: Entry, b: Entry): number => a[0] - b[0] || a[1] - b[1];

function entriesOf(index: DeadlineIndex): Entry[] {
  const out: Entry[] = [];
  index.forEach((key) => void out.push([key[0], key[1]]));
  return out;
}

function expectSame(index: DeadlineIndex, ref: readonly Entry[], where: string): void {
  const sorted = [...ref].sort(order);
  expect(entriesOf(index), `${where}: entries in (at, link) order`).toEqual(sorted);
  expect(index.size, `${where}: size`).toBe(sorted.length);
  const first = firstDeadline(index);
  expect(first === undefined ? undefined : [first.at, first.link], `${where}: first`).toEqual(sorted[0]);
  expect(firstDeadlineAt(index), `${where}: first time`).toBe(sorted[0]?.[0]);
}

/** Applies the ops (one entry per link, as the core keeps it); the token, when given, is used for every update. */
function build(ops: readonly Op[], edit: object | null, start: DeadlineIndex = emptyDeadlines(), ref: Entry[] = []): DeadlineIndex {
  let index = start;
  for (const o of ops) {
    const i = ref.findIndex(([, l]) => l === o.link);
    if (o.add && i === -1) {
      index = addDeadline(index, o.at as Millis, o.link as LinkId, edit);
      ref.push([o.at, o.link]);
    } else if (!o.add && ref.length > 0) {
      // Remove an existing entry, or try a key that is not there (a no-op).
      const victim = o.pick % 3 === 0 ? ([o.at, o.link] as Entry) : ref[o.pick % ref.length]!;
      index = removeDeadline(index, victim[0] as Millis, victim[1] as LinkId, edit);
      const j = ref.findIndex(([a, l]) => a === victim[0] && l === victim[1]);
      if (j !== -1) ref.splice(j, 1);
    }
  }
  return index;
}

describe('the deadline index against a sorted list', () => {
  test('regression: a time clamped up into the lowest slot comes before that slot\'s own millisecond', () => {
    const index = addDeadline(addDeadline(emptyDeadlines(), -(2 ** 51) as Millis, 1 as LinkId), (-(2 ** 51) - 1) as Millis, 2 as LinkId);
    expectSame(index, [[-(2 ** 51), 1], [-(2 ** 51) - 1, 2]], 'two entries in the lowest slot');
    expect(takeDueSlot(index, 0 as Millis)).toBeUndefined();
  });

  test.prop([arbOps, fc.boolean()])('adds and removes keep (at, link) order, size and the earliest entry', (ops, transient) => {
    const ref: Entry[] = [];
    expectSame(build(ops, transient ? {} : null, emptyDeadlines(), ref), ref, 'after the operations');
  });

  test.prop([arbOps, arbOps, fc.boolean()])('earlier versions stay unchanged, also deep-frozen and under an edit token', (first, second, freeze) => {
    const ref: Entry[] = [];
    const before = build(first, {}, emptyDeadlines(), ref);
    if (freeze) deepFreeze(before);
    const kept = entriesOf(before);
    const refAfter = [...ref];
    const after = build(second, {}, before, refAfter);
    expect(entriesOf(before)).toEqual(kept);
    expectSame(after, refAfter, 'after the second batch');
  });

  test.prop([arbOps, arbAt, fc.boolean()])('takeDueSlot takes exactly the earliest millisecond when it is whole and due', (ops, now, transient) => {
    const ref: Entry[] = [];
    const index = build(ops, null, emptyDeadlines(), ref);
    const kept = entriesOf(index);
    const sorted = [...ref].sort(order);
    const taken = takeDueSlot(index, now as Millis, transient ? {} : null);
    expect(entriesOf(index), 'the index given is unchanged').toEqual(kept);
    if (taken === undefined) {
      // Nothing due, or the earliest millisecond holds a time that is not whole (or is clamped).
      const head = sorted[0];
      if (head !== undefined && Math.floor(head[0]) <= now && Math.abs(head[0]) < 2 ** 51) {
        const ms = Math.floor(head[0]);
        expect(sorted.some(([at]) => Math.floor(at) === ms && at !== ms)).toBe(true);
      }
      return;
    }
    const links: number[] = [];
    taken.links.forEach((_, link) => void links.push(link));
    const due = sorted.filter(([at]) => at === taken.at);
    expect(taken.at).toBeLessThanOrEqual(now);
    expect(taken.at).toBe(sorted[0]![0]);
    expect(links, 'the links of that millisecond, ascending').toEqual(due.map(([, l]) => l));
    expect(sorted.some(([at]) => at !== taken.at && Math.floor(at) === taken.at), 'no other time in that millisecond').toBe(false);
    expectSame(taken.index, sorted.slice(due.length), 'without the slot');
  });
});
