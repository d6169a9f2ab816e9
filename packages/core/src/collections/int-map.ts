/**
 * Theory of operation: a persistent (immutable, structurally shared) map from
 * unsigned 32-bit integer keys to values: a bitmap-compressed 32-way radix trie
 * over the key's bits, most significant first, so iteration is in ascending key
 * order for free. An update copies only the path from the root to the key
 * (at most 7 small arrays), so its cost does not grow with the number of
 * entries that matter in practice (depth is bounded by 7 for 32-bit keys).
 *
 * Invariants: nodes reachable from a published map are never written again;
 * the only in-place writes happen while a map is being built by
 * {@link IntMap.fromSorted}/{@link IntMapBuilder}, on nodes that no published
 * map can see yet. A deep-frozen map therefore stays fully usable.
 *
 * It must not know what it stores: values are opaque.
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
/** Shift of the first (most significant) chunk: bits 31..27 → 5 bits at shift 27, then 22, 17, 12, 7, 2, and a last 2-bit level at shift 0. */
const TOP_SHIFT = 27;

interface Leaf<V> {
  readonly k: number;
  readonly v: V;
}

interface Branch<V> {
  /** Bitmap of occupied slots. */
  readonly bm: number;
  readonly kids: ReadonlyArray<Leaf<V> | Branch<V>>;
  /** Owner token of a builder that may still write this node in place. */
  readonly edit: object | null;
}

type Node<V> = Leaf<V> | Branch<V>;

function isLeaf<V>(n: Node<V>): n is Leaf<V> {
  return (n as Leaf<V>).k !== undefined;
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function chunk(key: number, shift: number): number {
  return (key >>> shift) & MASK;
}

function nextShift(shift: number): number {
  return shift === 2 ? 0 : shift - BITS;
}

function parentShift(shift: number): number {
  return shift === 0 ? 2 : shift + BITS;
}

/**
 * True when a root branching at `shift` can hold `key`: every bit above the
 * ones that level consumes is 0. The last level (shift 0) consumes only bits
 * 1..0 (bits 6..2 belong to the level at shift 2).
 */
function fits(key: number, shift: number): boolean {
  return shift === TOP_SHIFT || key >>> (shift === 0 ? 2 : shift + BITS) === 0;
}

/** Make a branch holding two leaves whose keys differ, starting at `shift`. */
function pair<V>(a: Leaf<V>, b: Leaf<V>, shift: number, edit: object | null): Branch<V> {
  const ca = chunk(a.k, shift);
  const cb = chunk(b.k, shift);
  if (ca === cb) {
    return { bm: 1 << ca, kids: [pair(a, b, nextShift(shift), edit)], edit };
  }
  return ca < cb
    ? { bm: (1 << ca) | (1 << cb), kids: [a, b], edit }
    : { bm: (1 << ca) | (1 << cb), kids: [b, a], edit };
}

function leafIn<V>(node: Node<V> | undefined, key: number, shift: number): Leaf<V> | undefined {
  while (node !== undefined) {
    if (isLeaf(node)) return node.k === key ? node : undefined;
    const bit = 1 << chunk(key, shift);
    if ((node.bm & bit) === 0) return undefined;
    node = node.kids[popcount(node.bm & (bit - 1))];
    shift = nextShift(shift);
  }
  return undefined;
}

function getIn<V>(node: Node<V> | undefined, key: number, shift: number): V | undefined {
  while (node !== undefined) {
    if (isLeaf(node)) return node.k === key ? node.v : undefined;
    const bit = 1 << chunk(key, shift);
    if ((node.bm & bit) === 0) return undefined;
    node = node.kids[popcount(node.bm & (bit - 1))];
    shift = nextShift(shift);
  }
  return undefined;
}

function setIn<V>(node: Node<V>, key: number, value: V, shift: number, edit: object | null, added: { n: number }): Node<V> {
  if (isLeaf(node)) {
    if (node.k === key) return node.v === value ? node : { k: key, v: value };
    added.n = 1;
    return pair(node, { k: key, v: value }, shift, edit);
  }
  const bit = 1 << chunk(key, shift);
  const idx = popcount(node.bm & (bit - 1));
  if ((node.bm & bit) === 0) {
    added.n = 1;
    const leaf: Leaf<V> = { k: key, v: value };
    if (edit !== null && node.edit === edit) {
      (node.kids as Node<V>[]).splice(idx, 0, leaf);
      (node as { bm: number }).bm = node.bm | bit;
      return node;
    }
    const kids = node.kids.slice();
    kids.splice(idx, 0, leaf);
    return { bm: node.bm | bit, kids, edit };
  }
  const child = node.kids[idx]!;
  const next = setIn(child, key, value, nextShift(shift), edit, added);
  if (next === child) return node;
  if (edit !== null && node.edit === edit) {
    (node.kids as Node<V>[])[idx] = next;
    return node;
  }
  const kids = node.kids.slice();
  kids[idx] = next;
  return { bm: node.bm, kids, edit };
}

/** Returns the node without `key`, `undefined` when it becomes empty, or the same node when absent. */
function deleteIn<V>(node: Node<V>, key: number, shift: number): Node<V> | undefined {
  if (isLeaf(node)) return node.k === key ? undefined : node;
  const bit = 1 << chunk(key, shift);
  if ((node.bm & bit) === 0) return node;
  const idx = popcount(node.bm & (bit - 1));
  const child = node.kids[idx]!;
  const next = deleteIn(child, key, nextShift(shift));
  if (next === child) return node;
  if (next === undefined) {
    const bm = node.bm & ~bit;
    if (bm === 0) return undefined;
    const kids = node.kids.slice();
    kids.splice(idx, 1);
    // A branch left with a single leaf collapses into that leaf, keeping paths short.
    if (kids.length === 1 && isLeaf(kids[0]!)) return kids[0];
    return { bm, kids, edit: null };
  }
  if (node.kids.length === 1 && isLeaf(next)) return next;
  const kids = node.kids.slice();
  kids[idx] = next;
  return { bm: node.bm, kids, edit: null };
}

function* walk<V>(node: Node<V> | undefined): Generator<Leaf<V>> {
  if (node === undefined) return;
  if (isLeaf(node)) {
    yield node;
    return;
  }
  for (const kid of node.kids) yield* walk(kid);
}

function assertKey(key: number): void {
  if (!(Number.isInteger(key) && key >= 0 && key <= 0xffffffff)) {
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
    const edit = {};
    let root: Node<V> | undefined;
    let size = 0;
    let shift = 0;
    const added = { n: 0 };
    for (const [k, v] of entries) {
      assertKey(k);
      while (!fits(k, shift)) {
        if (root !== undefined && !isLeaf(root)) root = { bm: 1, kids: [root], edit };
        shift = parentShift(shift);
      }
      if (root === undefined) {
        root = { k, v };
        size = 1;
        continue;
      }
      added.n = 0;
      root = setIn(root, k, v, shift, edit, added);
      size += added.n;
    }
    return new IntMap(root, size, shift);
  }

  get(key: number): V | undefined {
    return fits(key, this.shift) ? getIn(this.root, key, this.shift) : undefined;
  }

  has(key: number): boolean {
    return fits(key, this.shift) && leafIn(this.root, key, this.shift) !== undefined;
  }

  set(key: number, value: V): IntMap<V> {
    assertKey(key);
    let shift = this.shift;
    let root = this.root;
    while (!fits(key, shift)) {
      if (root !== undefined && !isLeaf(root)) root = { bm: 1, kids: [root], edit: null };
      shift = parentShift(shift);
    }
    if (root === undefined) return new IntMap<V>({ k: key, v: value }, 1, shift);
    const added = { n: 0 };
    const next = setIn(root, key, value, shift, null, added);
    return next === this.root ? this : new IntMap(next, this.size + added.n, shift);
  }

  delete(key: number): IntMap<V> {
    if (this.root === undefined || !fits(key, this.shift)) return this;
    const root = deleteIn(this.root, key, this.shift);
    if (root === this.root) return this;
    return root === undefined ? IntMap.empty<V>() : new IntMap(root, this.size - 1, this.shift);
  }

  /** Entries in ascending key order. */
  *entries(): Generator<[number, V]> {
    for (const leaf of walk(this.root)) yield [leaf.k, leaf.v];
  }

  /** Values in ascending key order. */
  *values(): Generator<V> {
    for (const leaf of walk(this.root)) yield leaf.v;
  }

  /** Keys in ascending order. */
  *keys(): Generator<number> {
    for (const leaf of walk(this.root)) yield leaf.k;
  }
}
