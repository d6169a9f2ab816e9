/**
 * Theory of operation: the world's agenda. A binary min-heap of events keyed
 * by (virtual time, insertion sequence): events at the same time run in the
 * order they were scheduled, so a run never depends on heap internals. Events
 * are never removed early; whoever scheduled one that became moot (a
 * re-armed timer) checks a generation number when it fires and ignores it.
 */

/** A scheduled event. `seq` is assigned by the queue. */
export interface SimEvent<K extends number = number> {
  t: number;
  seq: number;
  kind: K;
  /** Event-specific small integers (client index, link id, generation…). */
  a: number;
  b: number;
  /** Event-specific payload. */
  x: unknown;
}

export class EventQueue<K extends number = number> {
  private heap: SimEvent<K>[] = [];
  private nextSeq = 0;
  /** Events given back with `release`, reused by `push` (a long run schedules tens of millions). */
  private readonly free: SimEvent<K>[] = [];

  /** Gives a popped event back for reuse; the caller must not touch it afterwards. */
  release(e: SimEvent<K>): void {
    e.x = null;
    if (this.free.length < 65_536) this.free.push(e);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0]!.t;
  }

  push(t: number, kind: K, a = 0, b = 0, x: unknown = null): void {
    let e = this.free.pop();
    if (e === undefined) e = { t, seq: this.nextSeq++, kind, a, b, x };
    else {
      e.t = t;
      e.seq = this.nextSeq++;
      e.kind = kind;
      e.a = a;
      e.b = b;
      e.x = x;
    }
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p]!;
      if (q.t < t || (q.t === t && q.seq < e.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = e;
  }

  pop(): SimEvent<K> | undefined {
    const h = this.heap;
    const n = h.length;
    if (n === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (n > 1) {
      const m = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        let c = l;
        let ce = h[l]!;
        if (r < m) {
          const re = h[r]!;
          if (re.t < ce.t || (re.t === ce.t && re.seq < ce.seq)) {
            c = r;
            ce = re;
          }
        }
        if (last.t < ce.t || (last.t === ce.t && last.seq < ce.seq)) break;
        h[i] = ce;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
