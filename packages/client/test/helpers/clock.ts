/**
 * xstate's `SimulatedClock`, made steppable: it remembers when each timer is
 * due, so a test can move time from one due timer to the next (each timer
 * then sees the time it was due at, not the end of the jump) and let the
 * promises each one starts settle before the next. No test ever sleeps.
 */
import { SimulatedClock } from 'xstate';

/** Lets every pending promise callback run (no time passes). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class SteppingClock extends SimulatedClock {
  private readonly due = new Map<number, number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const at = this.now() + timeout;
    const id: number = super.setTimeout(() => {
      this.due.delete(id);
      fn();
    }, timeout);
    this.due.set(id, at);
    return id;
  }

  override clearTimeout(id: number): void {
    this.due.delete(id);
    super.clearTimeout(id);
  }

  /** The earliest time a timer is due, if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const at of this.due.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Moves time forward by `ms`, firing every timer at its own due time, settling promises in between. */
  async advance(ms: number): Promise<void> {
    const target = this.now() + ms;
    await settle();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > target) break;
      this.set(Math.max(next, this.now()));
      await settle();
    }
    this.set(target);
    await settle();
  }

  /** Advances in steps until `done()` holds (checked after each due timer), or fails after `limitMs`. */
  async until(done: () => boolean, limitMs: number): Promise<void> {
    const limit = this.now() + limitMs;
    await settle();
    while (!done()) {
      const next = this.nextDue();
      if (next === undefined || next > limit) throw new Error(`condition not met within ${limitMs} ms (now ${this.now()})`);
      this.set(Math.max(next, this.now()));
      await settle();
    }
  }
}

/** A seeded source of uniform draws in [0, 1) (mulberry32): the same seed, the same draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
