/**
 * Theory of operation: the simulated clients' pending reactions (a heartbeat
 * answer to a Sync, an ack of a push), ordered by the virtual time they reach
 * the hub, ties broken by scheduling order so runs are deterministic. A plain
 * binary heap: it holds a few hundred entries at most.
 */
export interface Reaction {
  readonly t: number;
  readonly order: number;
  /** 'heartbeat': a Null answering Sync `replyTo`; 'ack': a bare ack. */
  readonly kind: 'heartbeat' | 'ack';
  readonly client: number;
  readonly link: number;
  readonly replyTo: number;
}

const before = (a: Reaction, b: Reaction): boolean => a.t < b.t || (a.t === b.t && a.order < b.order);

export class EventQueue {
  private readonly items: Reaction[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest reaction, or Infinity. */
  peekTime(): number {
    return this.items.length === 0 ? Number.POSITIVE_INFINITY : this.items[0]!.t;
  }

  push(r: Reaction): void {
    const a = this.items;
    a.push(r);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Reaction | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
