/**
 * Clocks for the end-to-end tests.
 *
 * - `SteppingClock` (copied from packages/client/test/helpers/clock.ts, which
 *   is private to that package): xstate's `SimulatedClock`, made steppable.
 *   Each client engine gets its own, so its delays (backoff, heartbeat,
 *   login and connect timeouts) move only when a test moves them, while its
 *   link runs on a real socket.
 * - `runtimeClockOf(stepping)`: the same virtual time as a runtime `Clock`,
 *   for a hub that lives in the engine's virtual time (the memory e2e test).
 * - Hubs on real sockets use the runtime's `ManualClock`: their liveness
 *   deadlines (Sync, `heartbeatTimeout`) never fire unless a test advances it
 *   (`advanceHub`).
 */
import { SimulatedClock } from 'xstate';
import type { Clock, Hub, ManualClock } from '@dialoghub/runtime';

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

  /** Number of timers armed. */
  get pending(): number {
    return this.due.size;
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

/** A runtime `Clock` over a `SteppingClock`'s virtual time. */
export function runtimeClockOf(clock: SteppingClock): Clock {
  return {
    now: () => clock.now(),
    setTimer: (at, fn) => {
      const id = clock.setTimeout(fn, Math.max(0, at - clock.now()));
      return () => clock.clearTimeout(id);
    },
  };
}

/**
 * Moves a hub's `ManualClock` forward by `ms` and lets the hub step whatever
 * fell due, including timers the hub re-armed (after an await) for times that
 * have already passed, until nothing is due any more.
 */
export async function advanceHub(hub: Hub, clock: ManualClock, ms: number): Promise<void> {
  clock.advanceBy(ms);
  for (let round = 0; round < 100; round++) {
    await hub.drain();
    await settle();
    const next = clock.nextTimer();
    if (next === undefined || next > clock.now()) return;
    clock.fireDue();
  }
  throw new Error('the hub kept re-arming timers that were already due');
}
