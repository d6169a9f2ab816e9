/**
 * Theory of operation: liveness deadlines (docs/protocol.md §7).
 *
 * Deadlines are absolute times, never decrementing counters (unlike the
 * seed's TimeToLive). Every session sits exactly once in an ordered index
 * keyed by `(indexedAt, link)`. The index is *lazy*: a message from a client
 * moves its real deadlines (`syncAt`, `deadAt`) later without touching the
 * index, so the per-message cost stays a couple of map updates. When the
 * smallest key is due, the timer step looks at the sessions filed there, in
 * `(at, link)` order: for each it sends a Sync, declares the client offline,
 * or simply re-files the session under its real, later deadline. A timer
 * step therefore touches only the sessions whose indexed deadline passed,
 * never all online clients, and `nextDeadline` may be early (a harmless
 * spurious wake-up) but never late.
 *
 * Layout: a timing wheel of one slot per millisecond, made persistent. The
 * slots are an {@link IntMap} keyed by the whole millisecond (split into a
 * high and a low part so that any time makes u32 keys: see `SPAN`), and each
 * slot is a small IntMap from link to deadline: links due in the same
 * millisecond, in link order. Deadlines are whole milliseconds (the clock's
 * `now` plus integer timings), so a slot's entries share its time and the
 * slot stores `true` for them; a fractional time (only a caller passing a
 * fractional `now` makes one) or one beyond the clamp is stored as itself,
 * and a slot holding one is ordered by a scan. Adding or removing a deadline
 * copies two short trie paths (the slot's, and the slot's own few links)
 * instead of a red-black tree's path of ~17 nodes with a key array; the
 * entries a timer step files are neighbours that share their paths, and the
 * sessions due in one millisecond leave the index together, with their slot
 * (`takeDueSlot`; docs/performance.md §6).
 *
 * The index is persistent, so the state a step was given is never modified;
 * the `edit` token lets one step write in place the nodes it created itself
 * (see collections/int-map.ts).
 */
import { IntMap } from './collections/int-map.js';
import type { LinkId, Millis } from './ids.js';

export type DeadlineKey = readonly [at: number, link: number];

/** A slot's entries: link → `true` (the deadline is the slot's millisecond) or the exact, fractional deadline. */
type Slot = IntMap<true | number>;

/**
 * A time splits into a high part (which 2^20 ms, ~17.5 minutes, it falls in)
 * and a low part (the millisecond within it): the low keys of a slot map are
 * then 20-bit, so its trie is 4 levels deep instead of the 7 a 32-bit split
 * needs, and the live deadlines (at most deadAfterMs ahead) span one or two
 * high keys.
 */
const SPAN = 2 ** 20;
/** Added to the high part so that negative times still make u32 keys. */
const HI_BIAS = 2 ** 31;
/**
 * Milliseconds are clamped to [MIN_MS, MAX_MS] (±71 000 years) so the high part
 * fits 32 bits; a deadline beyond is still filed, by its exact value, in the
 * boundary slot (and ordered within it by a scan, like a fractional one).
 */
const MAX_MS = 2 ** 51 - 1;
const MIN_MS = -(2 ** 51);

/** The ordered deadline index: persistent, one entry per session. */
export class DeadlineIndex {
  /** @internal use {@link emptyDeadlines}. */
  constructor(
    /** @internal High half of the millisecond → low half → slot. */
    readonly slots: IntMap<IntMap<Slot>>,
    /** Number of entries. */
    readonly size: number,
  ) {}

  /**
   * Calls `f([at, link], link)` for every entry in `(at, link)` order; stops at
   * the first call that returns something other than `undefined`, and returns it.
   */
  forEach<T>(f: (key: DeadlineKey, link: LinkId) => T | undefined): T | undefined {
    let result: T | undefined;
    this.slots.forEach((lows, hiKey) =>
      lows.forEach((slot, lo) => {
        const ms = (hiKey - HI_BIAS) * SPAN + lo;
        for (const [at, link] of slotEntries(slot, ms)) {
          result = f([at, link], link as LinkId);
          if (result !== undefined) return true;
        }
        return false;
      }),
    );
    return result;
  }
}

const EMPTY = new DeadlineIndex(IntMap.empty(), 0);

export function emptyDeadlines(): DeadlineIndex {
  return EMPTY;
}

function msOf(at: number): number {
  const ms = Math.floor(at);
  return ms > MAX_MS ? MAX_MS : ms < MIN_MS ? MIN_MS : ms;
}

function hiOf(ms: number): number {
  return Math.floor(ms / SPAN) + HI_BIAS;
}

/** What a slot stores for deadline `at` whose millisecond is `ms`. */
function stored(at: number, ms: number): true | number {
  return at === ms ? true : at;
}

/** A slot's entries in `(at, link)` order. */
function slotEntries(slot: Slot, ms: number): [number, number][] {
  const out: [number, number][] = [];
  let whole = true;
  slot.forEach((v, link) => {
    if (v !== true) whole = false;
    out.push([v === true ? ms : v, link]);
  });
  if (!whole) out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return out;
}

/** The index with `link` due at `at` (the caller keeps one entry per link). */
export function addDeadline(index: DeadlineIndex, at: Millis, link: LinkId, edit: object | null = null): DeadlineIndex {
  const ms = msOf(at);
  const hi = hiOf(ms);
  const lo = ms - (hi - HI_BIAS) * SPAN;
  const lows = index.slots.get(hi) ?? IntMap.empty<Slot>();
  const slot = lows.get(lo) ?? IntMap.empty<true | number>();
  const nextSlot = slot.assoc(link, stored(at, ms), edit);
  if (nextSlot === slot) return index;
  return new DeadlineIndex(index.slots.assoc(hi, lows.assoc(lo, nextSlot, edit), edit), index.size + nextSlot.size - slot.size);
}

/** The index without the entry `(at, link)`; the same index when there is no such entry. */
export function removeDeadline(index: DeadlineIndex, at: Millis, link: LinkId, edit: object | null = null): DeadlineIndex {
  const ms = msOf(at);
  const hi = hiOf(ms);
  const lows = index.slots.get(hi);
  if (lows === undefined) return index;
  const lo = ms - (hi - HI_BIAS) * SPAN;
  const slot = lows.get(lo);
  if (slot === undefined || slot.get(link) !== stored(at, ms)) return index;
  const nextSlot = slot.dissoc(link, edit);
  const nextLows = nextSlot.size === 0 ? lows.dissoc(lo, edit) : lows.assoc(lo, nextSlot, edit);
  const slots = nextLows.size === 0 ? index.slots.dissoc(hi, edit) : index.slots.assoc(hi, nextLows, edit);
  return new DeadlineIndex(slots, index.size - 1);
}

/**
 * When the earliest slot is due as a whole at `now` (its millisecond is not
 * after `now` and it holds whole-millisecond deadlines only, the usual case),
 * the index without that slot, the slot's links in ascending order, and its
 * time; otherwise undefined (empty index, nothing due, or a fractional
 * deadline in the slot: take those entry by entry with {@link firstDeadline}).
 * A timer step then removes the sessions due in one millisecond with one
 * slot removal instead of one removal (and one search for the earliest
 * entry) per session.
 */
export function takeDueSlot(index: DeadlineIndex, now: Millis, edit: object | null = null): { index: DeadlineIndex; links: Slot; at: Millis } | undefined {
  const high = index.slots.first();
  if (high === undefined) return undefined;
  const lows = high[1];
  const low = lows.first()!;
  const ms = (high[0] - HI_BIAS) * SPAN + low[0];
  if (ms > now) return undefined;
  const slot = low[1];
  let fractional = false;
  slot.forEach((v) => (fractional = v !== true));
  if (fractional) return undefined;
  const nextLows = lows.dissoc(low[0], edit);
  const slots = nextLows.size === 0 ? index.slots.dissoc(high[0], edit) : index.slots.assoc(high[0], nextLows, edit);
  return { index: new DeadlineIndex(slots, index.size - slot.size), links: slot, at: ms as Millis };
}

/** The earliest deadline, if any: {@link firstDeadline}'s time, without allocating in the usual case. */
export function firstDeadlineAt(index: DeadlineIndex): Millis | undefined {
  const hi = index.slots.firstKey();
  if (hi === undefined) return undefined;
  const lows = index.slots.firstValue()!;
  const slot = lows.firstValue()!;
  const ms = (hi - HI_BIAS) * SPAN + lows.firstKey()!;
  if (slot.firstValue() !== true || ms === MIN_MS) return firstDeadline(index)!.at;
  return ms as Millis;
}

/** The earliest entry, if any. */
export function firstDeadline(index: DeadlineIndex): { at: Millis; link: LinkId } | undefined {
  const high = index.slots.first();
  if (high === undefined) return undefined;
  const low = high[1].first()!;
  const ms = (high[0] - HI_BIAS) * SPAN + low[0];
  const slot = low[1];
  const head = slot.first()!;
  // In the lowest slot, times clamped up to it are earlier than the slot's own millisecond.
  if (head[1] === true && ms !== MIN_MS) return { at: ms as Millis, link: head[0] as LinkId };
  // A fractional (or clamped) deadline in this millisecond: the smallest link is not necessarily the first.
  const [at, link] = slotEntries(slot, ms)[0]!;
  return { at: at as Millis, link: link as LinkId };
}
