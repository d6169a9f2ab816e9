/**
 * Theory of operation: a persistent (immutable, structurally shared) map from
 * unsigned 32-bit integer keys to values: a bitmap-compressed 32-way radix trie
 * over the key's bits, most significant first, so iteration is in ascending key
 * order for free. An update copies only the path from the root to the key
 * (at most 7 small arrays), so its cost does not grow with the number of
 * entries that matter in practice (depth is bounded by 7 for 32-bit keys).
 *
 * Levels: a 2-bit top level (bits 31..30, shift 30), then six 5-bit levels
 * down to shift 0, which consumes bits 4..0. A key alone in its subtree sits
 * as a {@link Leaf} (key and value) as high as it can, so sparse keys (random
 * 32-bit ids) make shallow paths. At the bottom level (shift 0) the path has
 * consumed every bit, so a slot holds the value itself, with no leaf object:
 * dense keys (sequential client, profile and link ids) cost one array slot
 * each, not a leaf of their own (docs/performance.md §6, memory). Slots of a
 * node above the bottom hold nodes only; the bottom level holds values only,
 * so the two never need telling apart by shape. A branch is a single array
 * (bitmap, edit token, slots: see {@link Branch}), a leaf a small object.
 *
 * Invariants: nodes reachable from a published map are never written again.
 * In-place writes happen only on nodes tagged with the `edit` token of a
 * builder ({@link IntMap.from}) or of a transient update ({@link IntMap.assoc},
 * {@link IntMap.dissoc}): the token belongs to one `step`, which writes in
 * place only the nodes it created itself and publishes them when it returns;
 * no later step holds that token. A deep-frozen map therefore stays fully
 * usable.
 *
 * It must not know what it stores: values are opaque.
 */

const BITS = 5;
const MASK = (1 << BITS) - 1;
/** Shift of the top (most significant) level: bits 31..30, then 5 bits a level down to shift 0. */
const TOP_SHIFT = 30;

/** A key alone in its subtree, above the bottom level. */
class Leaf<V> {
  constructor(
    readonly k: number,
    readonly v: V,
  ) {}
}

/**
 * A branch is one array: `[bitmap, edit, ...slots]`. Slot `i` (at index
 * `HEAD + i`) belongs to the `i`-th set bit of the bitmap, in bit order: nodes
 * above the bottom level, values at it. `edit` is the owner token of the
 * builder or step that may still write this node in place, or null. One array
 * instead of an object holding an array: a lookup follows one pointer fewer
 * per level (each a likely cache miss in a large table), and a path copy
 * allocates one object fewer per level (docs/performance.md §6).
 */
type Branch = unknown[];
/** Index of the first slot in a branch. */
const HEAD = 2;

type Node<V> = Leaf<V> | Branch;

/*
 * Entries added (+1) or removed (-1) by the current `setIn`/`deleteIn` call.
 * A module variable instead of an object allocated per update: the calls are
 * synchronous and call no user code, so no two updates ever interleave.
 */
let sizeDelta = 0;

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function chunk(key: number, shift: number): number {
  return (key >>> shift) & MASK;
}

/**
 * True when a root branching at `shift` can hold `key`: every bit above the
 * ones that level consumes is 0.
 */
function fits(key: number, shift: number): boolean {
  return shift === TOP_SHIFT || key >>> (shift + BITS) === 0;
}

/** A branch with room for `n` slots (every branch is made here, so all share one array shape). */
function branch(bm: number, edit: object | null, n: number): Branch {
  const out = new Array<unknown>(HEAD + n);
  out[0] = bm;
  out[1] = edit;
  return out;
}

function insertAt(node: Branch, idx: number, v: unknown, bm: number, edit: object | null): Branch {
  const n = node.length;
  const out = branch(bm, edit, n - HEAD + 1);
  for (let i = HEAD; i < idx; i++) out[i] = node[i];
  out[idx] = v;
  for (let i = idx; i < n; i++) out[i + 1] = node[i];
  return out;
}

function removeAt(node: Branch, idx: number, bm: number, edit: object | null): Branch {
  const n = node.length - 1;
  const out = branch(bm, edit, n - HEAD);
  for (let i = HEAD; i < idx; i++) out[i] = node[i];
  for (let i = idx; i < n; i++) out[i] = node[i + 1];
  return out;
}

function replaceAt(node: Branch, idx: number, v: unknown, edit: object | null): Branch {
  const n = node.length;
  const out = branch(node[0] as number, edit, n - HEAD);
  for (let i = HEAD; i < n; i++) out[i] = node[i];
  out[idx] = v;
  return out;
}

/** Make a branch at `shift` holding leaf `a` and the entry `(k, v)`, whose keys differ. */
function pair<V>(a: Leaf<V>, k: number, v: V, shift: number, edit: object | null): Branch {
  const ca = chunk(a.k, shift);
  const cb = chunk(k, shift);
  if (shift !== 0 && ca === cb) {
    const out = branch(1 << ca, edit, 1);
    out[HEAD] = pair(a, k, v, shift - BITS, edit);
    return out;
  }
  const out = branch((1 << ca) | (1 << cb), edit, 2);
  // At the bottom level (where the keys' last chunks differ) the slots hold the values themselves.
  const x = shift === 0 ? a.v : a;
  const y = shift === 0 ? v : new Leaf(k, v);
  out[HEAD] = ca < cb ? x : y;
  out[HEAD + 1] = ca < cb ? y : x;
  return out;
}

function findIn<V>(node: Node<V> | undefined, key: number, shift: number, absent: V): V {
  while (node !== undefined) {
    if (node instanceof Leaf) return node.k === key ? node.v : absent;
    const bm = node[0] as number;
    const bit = 1 << chunk(key, shift);
    if ((bm & bit) === 0) return absent;
    const kid = node[HEAD + popcount(bm & (bit - 1))];
    if (shift === 0) return kid as V;
    node = kid as Node<V>;
    shift -= BITS;
  }
  return absent;
}

/** Sentinel for "no entry" that no caller can store. */
const ABSENT: unknown = Symbol('absent');

function setIn<V>(node: Node<V>, key: number, value: V, shift: number, edit: object | null): Node<V> {
  if (node instanceof Leaf) {
    if (node.k === key) return node.v === value ? node : new Leaf(key, value);
    sizeDelta = 1;
    return pair(node, key, value, shift, edit);
  }
  const bm = node[0] as number;
  const bit = 1 << chunk(key, shift);
  const idx = HEAD + popcount(bm & (bit - 1));
  const mine = edit !== null && node[1] === edit;
  if ((bm & bit) === 0) {
    sizeDelta = 1;
    const kid = shift === 0 ? value : new Leaf(key, value);
    if (mine) {
      node.splice(idx, 0, kid);
      node[0] = bm | bit;
      return node;
    }
    return insertAt(node, idx, kid, bm | bit, edit);
  }
  let next: unknown;
  if (shift === 0) {
    if (node[idx] === value) return node;
    next = value;
  } else {
    const child = node[idx] as Node<V>;
    next = setIn(child, key, value, shift - BITS, edit);
    if (next === child) return node;
  }
  if (mine) {
    node[idx] = next;
    return node;
  }
  return replaceAt(node, idx, next, edit);
}

/** Returns the node without `key`, `undefined` when it becomes empty, or the same node when absent. */
function deleteIn<V>(node: Node<V>, key: number, shift: number, edit: object | null): Node<V> | undefined {
  if (node instanceof Leaf) {
    if (node.k !== key) return node;
    sizeDelta = -1;
    return undefined;
  }
  const bm = node[0] as number;
  const bit = 1 << chunk(key, shift);
  if ((bm & bit) === 0) return node;
  const idx = HEAD + popcount(bm & (bit - 1));
  const mine = edit !== null && node[1] === edit;
  const slots = node.length - HEAD;
  if (shift === 0) {
    sizeDelta = -1;
    if (bm === bit) return undefined;
    if (mine) {
      node.splice(idx, 1);
      node[0] = bm & ~bit;
      return node;
    }
    return removeAt(node, idx, bm & ~bit, edit);
  }
  const child = node[idx] as Node<V>;
  const next = deleteIn(child, key, shift - BITS, edit);
  if (next === child) return node;
  if (next === undefined) {
    if (bm === bit) return undefined;
    // A branch left with a single leaf collapses into that leaf, keeping paths short.
    if (slots === 2) {
      const other = node[idx === HEAD ? HEAD + 1 : HEAD];
      if (other instanceof Leaf) return other;
    }
    if (mine) {
      node.splice(idx, 1);
      node[0] = bm & ~bit;
      return node;
    }
    return removeAt(node, idx, bm & ~bit, edit);
  }
  if (slots === 1 && next instanceof Leaf) return next;
  if (mine) {
    node[idx] = next;
    return node;
  }
  return replaceAt(node, idx, next, edit);
}

/** Calls `f(value, key)` for every entry under `node` in ascending key order; stops early when `f` returns true. */
function eachIn<V>(node: Node<V>, shift: number, prefix: number, f: (value: V, key: number) => boolean | void): boolean {
  if (node instanceof Leaf) return f(node.v, node.k) === true;
  const n = node.length;
  let bm = node[0] as number;
  for (let i = HEAD; i < n; i++) {
    const c = 31 - Math.clz32(bm & -bm);
    bm &= bm - 1;
    const key = (prefix | (c << shift)) >>> 0;
    if (shift === 0) {
      if (f(node[i] as V, key) === true) return true;
    } else if (eachIn(node[i] as Node<V>, shift - BITS, key, f)) {
      return true;
    }
  }
  return false;
}

/**
 * `eachIn` for the entries whose key is at least `from`: subtrees that end
 * before `from` are skipped whole, so starting in the middle of a large map
 * costs one descent, not a walk of what comes before.
 */
function eachFrom<V>(node: Node<V>, shift: number, prefix: number, from: number, f: (value: V, key: number) => boolean | void): boolean {
  if (node instanceof Leaf) return node.k >= from && f(node.v, node.k) === true;
  const n = node.length;
  let bm = node[0] as number;
  for (let i = HEAD; i < n; i++) {
    const c = 31 - Math.clz32(bm & -bm);
    bm &= bm - 1;
    const key = (prefix | (c << shift)) >>> 0;
    if (shift === 0) {
      if (key >= from && f(node[i] as V, key) === true) return true;
      continue;
    }
    // The slot's subtree holds keys key .. key + 2^shift - 1 (arithmetic: the sum may pass 2^31).
    if (key + 2 ** shift - 1 < from) continue;
    const child = node[i] as Node<V>;
    if (key >= from ? eachIn(child, shift - BITS, key, f) : eachFrom(child, shift - BITS, key, from, f)) return true;
  }
  return false;
}

function assertKey(key: number): void {
  // `key >>> 0 === key` holds exactly for the integers of [0, 2^32) (and -0, which is 0).
  if (key >>> 0 !== key) {
    throw new RangeError(`IntMap key must be an integer in [0, 2^32): got ${String(key)}`);
  }
}

/**
 * A persistent map keyed by unsigned 32-bit integers. Every "modifying" method
 * returns a new map and leaves the receiver untouched.
 */
export class IntMap<V> {
  private static readonly EMPTY = new IntMap<never>(undefined, 0, 0);

  private constructor(
    private readonly root: Node<V> | undefined,
    /** Number of entries. */
    readonly size: number,
    /**
     * The level the root branches at. Keys that are all small (sequential link
     * or profile ids) share their high chunks; the root starts at the lowest
     * level that holds them all, so such maps stay shallow. It rises as
     * larger keys arrive.
     */
    private readonly shift: number,
  ) {}

  /** The empty map. */
  static empty<V>(): IntMap<V> {
    return IntMap.EMPTY as IntMap<V>;
  }

  /** Builds a map from entries (any order; later duplicates win) without intermediate copies. */
  static from<V>(entries: Iterable<readonly [number, V]>): IntMap<V> {
    let map = IntMap.empty<V>();
    const edit = {};
    for (const [k, v] of entries) map = map.assoc(k, v, edit);
    return map;
  }

  get(key: number): V | undefined {
    return key >>> 0 === key && fits(key, this.shift) ? findIn<V | undefined>(this.root, key, this.shift, undefined) : undefined;
  }

  has(key: number): boolean {
    return key >>> 0 === key && fits(key, this.shift) && findIn<unknown>(this.root, key, this.shift, ABSENT) !== ABSENT;
  }

  set(key: number, value: V): IntMap<V> {
    return this.assoc(key, value, null);
  }

  delete(key: number): IntMap<V> {
    return this.dissoc(key, null);
  }

  /**
   * `set` for a builder or a step that owns `edit`: nodes this call creates
   * carry `edit`, and nodes that already carry it are written in place
   * instead of copied. Only the owner of `edit` may pass it, and only while
   * no map it published can be seen by anyone else (see the theory of
   * operation). `edit` null is `set`.
   * @internal
   */
  assoc(key: number, value: V, edit: object | null): IntMap<V> {
    assertKey(key);
    // Raise the root until it can hold `key` (new branches carry `edit`).
    let root = this.root;
    let shift = this.shift;
    while (!fits(key, shift)) {
      if (root !== undefined && !(root instanceof Leaf)) {
        const up = branch(1, edit, 1);
        up[HEAD] = root;
        root = up;
      }
      shift += BITS;
    }
    if (root === undefined) return new IntMap<V>(new Leaf(key, value), 1, shift);
    sizeDelta = 0;
    const next = setIn(root, key, value, shift, edit);
    // A node written in place comes back as itself: the size still tells whether an entry was added.
    return next === this.root && sizeDelta === 0 ? this : new IntMap(next, this.size + sizeDelta, shift);
  }

  /** `delete` for the owner of `edit` (see {@link IntMap.assoc}). @internal */
  dissoc(key: number, edit: object | null): IntMap<V> {
    if (this.root === undefined || key >>> 0 !== key || !fits(key, this.shift)) return this;
    sizeDelta = 0;
    const root = deleteIn(this.root, key, this.shift, edit);
    if (sizeDelta === 0) return this;
    return root === undefined ? IntMap.empty<V>() : new IntMap(root, this.size - 1, this.shift);
  }

  /**
   * Calls `f(value, key)` for every entry in ascending key order, without the
   * generators' per-entry cost; stops at the first call that returns `true`.
   */
  forEach(f: (value: V, key: number) => boolean | void): void {
    if (this.root !== undefined) eachIn(this.root, this.shift, 0, f);
  }

  /**
   * {@link IntMap.forEach} from the first key at least `from`: for walking a
   * large map a slice at a time (stop with `true`, then start again after the
   * last key seen).
   */
  forEachFrom(from: number, f: (value: V, key: number) => boolean | void): void {
    if (this.root !== undefined) eachFrom(this.root, this.shift, 0, from, f);
  }

  /** The entry with the smallest key, or undefined when empty. */
  first(): [key: number, value: V] | undefined {
    let node = this.root;
    if (node === undefined) return undefined;
    let shift = this.shift;
    let prefix = 0;
    for (;;) {
      if (node instanceof Leaf) return [node.k, node.v];
      const bm = node[0] as number;
      const c = 31 - Math.clz32(bm & -bm);
      prefix = (prefix | (c << shift)) >>> 0;
      if (shift === 0) return [prefix, node[HEAD] as V];
      node = node[HEAD] as Node<V>;
      shift -= BITS;
    }
  }

  /** The smallest key, or undefined when empty (without allocating, unlike {@link IntMap.first}). */
  firstKey(): number | undefined {
    let node = this.root;
    if (node === undefined) return undefined;
    let shift = this.shift;
    let prefix = 0;
    for (;;) {
      if (node instanceof Leaf) return node.k;
      const bm = node[0] as number;
      prefix = (prefix | ((31 - Math.clz32(bm & -bm)) << shift)) >>> 0;
      if (shift === 0) return prefix;
      node = node[HEAD] as Node<V>;
      shift -= BITS;
    }
  }

  /** The value of the smallest key, or undefined when empty (without allocating). */
  firstValue(): V | undefined {
    let node = this.root;
    if (node === undefined) return undefined;
    for (let shift = this.shift; ; shift -= BITS) {
      if (node instanceof Leaf) return node.v;
      if (shift === 0) return node[HEAD] as V;
      node = node[HEAD] as Node<V>;
    }
  }

  /** Entries in ascending key order. */
  *entries(): Generator<[number, V]> {
    const out: [number, V][] = [];
    // Walked a page at a time so a caller that stops early does not pay for the whole map.
    yield* this.pages((v, k) => out.push([k, v]), out);
  }

  /** Values in ascending key order. */
  *values(): Generator<V> {
    const out: V[] = [];
    yield* this.pages((v) => out.push(v), out);
  }

  /** Keys in ascending order. */
  *keys(): Generator<number> {
    const out: number[] = [];
    yield* this.pages((_, k) => out.push(k), out);
  }

  /**
   * Walks the map with an explicit stack, one bottom-level branch (at most 32
   * entries) at a time: `collect` fills `out`, which is yielded and emptied.
   */
  private *pages<T>(collect: (value: V, key: number) => void, out: T[]): Generator<T> {
    if (this.root === undefined) return;
    const nodes: Node<V>[] = [this.root];
    const shifts: number[] = [this.shift];
    const prefixes: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const shift = shifts.pop()!;
      const prefix = prefixes.pop()!;
      if (node instanceof Leaf) {
        collect(node.v, node.k);
      } else if (shift === 0) {
        eachIn(node, 0, prefix, collect);
      } else {
        // Pushed in reverse so the smallest key comes off the stack first.
        const chunks: number[] = [];
        let bm = node[0] as number;
        while (bm !== 0) {
          chunks.push(31 - Math.clz32(bm & -bm));
          bm &= bm - 1;
        }
        for (let i = chunks.length - 1; i >= 0; i--) {
          nodes.push(node[HEAD + i] as Node<V>);
          shifts.push(shift - BITS);
          prefixes.push((prefix | (chunks[i]! << shift)) >>> 0);
        }
        continue;
      }
      for (let i = 0; i < out.length; i++) yield out[i]!;
      out.length = 0;
    }
  }
}
