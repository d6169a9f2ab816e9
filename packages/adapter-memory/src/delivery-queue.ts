/**
 * Theory of operation: the memory network's one queue of deliveries in
 * flight, both directions, all links, in the order they were sent.
 *
 * One global FIFO makes every run reproducible: the order of deliveries
 * depends only on the order of sends, never on timers or hashing. Each
 * delivery gets an id from a counter so a test can name it. The fault
 * operations (remove, duplicate, move) are plain list edits: deterministic,
 * and the only way anything in flight is ever lost, repeated or reordered.
 *
 * This module knows nothing of links, frames or the hub.
 */

/** One entry: its id and what it carries. */
export interface Queued<T> {
  readonly id: number;
  readonly item: T;
}

export class DeliveryQueue<T> {
  private entries: Queued<T>[] = [];
  private nextId = 1;

  /** Number of deliveries in flight. */
  get size(): number {
    return this.entries.length;
  }

  /** Appends a delivery; returns its id. */
  push(item: T): number {
    const id = this.nextId++;
    this.entries.push({ id, item });
    return id;
  }

  /** Removes and returns the oldest delivery. */
  shift(): Queued<T> | undefined {
    return this.entries.shift();
  }

  /** Removes and returns the delivery `id`; throws RangeError when it is not in flight. */
  take(id: number): Queued<T> {
    const at = this.indexOf(id);
    return this.entries.splice(at, 1)[0]!;
  }

  /** Inserts a copy of delivery `id` right after it; returns the copy's id. */
  duplicate(id: number): number {
    const at = this.indexOf(id);
    const copy = { id: this.nextId++, item: this.entries[at]!.item };
    this.entries.splice(at + 1, 0, copy);
    return copy.id;
  }

  /** Moves delivery `id` to position `index` (0 = delivered next), clamped to the queue. */
  move(id: number, index: number): void {
    if (!Number.isInteger(index)) throw new RangeError(`index must be an integer, got ${String(index)}`);
    const entry = this.take(id);
    const to = Math.max(0, Math.min(index, this.entries.length));
    this.entries.splice(to, 0, entry);
  }

  /** The deliveries in flight, next first. */
  list(): readonly Queued<T>[] {
    return [...this.entries];
  }

  private indexOf(id: number): number {
    const at = this.entries.findIndex((e) => e.id === id);
    if (at < 0) throw new RangeError(`no delivery ${String(id)} is in flight`);
    return at;
  }
}
