/**
 * Theory of operation: the suite never sleeps. Whatever it waits for — a
 * fact reaching the hub, an input being stepped, a message handled — is
 * recorded in a `WatchList`, and a test awaits the moment a condition over
 * the list becomes true. Conditions are re-checked on every push, so a wait
 * resolves in the same turn as the event that satisfies it.
 */
/**
 * An append-only list that can be awaited: `until(probe)` resolves as soon as
 * `probe` finds something in it. Push from callbacks, await from tests.
 */
export class WatchList<T> {
  /** Everything pushed so far, in order. */
  readonly items: T[] = [];
  private waiters: { probe: (items: readonly T[]) => unknown; resolve: (value: never) => void }[] = [];

  /** Appends `item` and resolves every wait whose condition now holds. */
  push(item: T): void {
    this.items.push(item);
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      const found = w.probe(this.items);
      if (found === undefined) still.push(w);
      else w.resolve(found as never);
    }
    this.waiters = still;
  }

  /** Resolves with the probe's first non-undefined answer, checking now and after every push. */
  until<R>(probe: (items: readonly T[]) => R | undefined): Promise<R> {
    const found = probe(this.items);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<R>((resolve) => this.waiters.push({ probe, resolve: resolve as (value: never) => void }));
  }

  /** Resolves with the first item (already pushed or to come) for which `match` is true. */
  first(match: (item: T) => boolean): Promise<T> {
    return this.until((items) => items.find(match));
  }

  /** Resolves once `count` items match, with those items. */
  count(match: (item: T) => boolean, count: number): Promise<T[]> {
    return this.until((items) => {
      const hits = items.filter(match);
      return hits.length >= count ? hits : undefined;
    });
  }
}
