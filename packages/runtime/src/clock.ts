/**
 * Theory of operation: the shell's only access to time. Production code uses
 * `systemClock`; tests and the simulator pass a `ManualClock` and advance it
 * by hand, so nothing ever sleeps on the wall clock.
 */

/** A cancellable timer handle. */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once at (or soon after) time `at`; returns a function that cancels it. */
  setTimer(at: number, fn: () => void): CancelTimer;
}

/** The wall clock: `Date.now` and `setTimeout`. The only place the shell reads real time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    const handle = setTimeout(fn, Math.max(0, at - Date.now()));
    handle.unref?.();
    return () => clearTimeout(handle);
  },
};

/**
 * A clock that only moves when told to. `advanceTo`/`advanceBy` fire the due
 * timers in time order (ties in the order they were set).
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(at: number, fn: () => void): CancelTimer {
    const id = this.seq++;
    this.timers.set(id, { at, fn });
    return () => {
      this.timers.delete(id);
    };
  }

  /** The earliest pending timer, if any. */
  nextTimer(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.timers.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  /** Moves time forward to `at`, firing every timer due on the way, in order. */
  advanceTo(at: number): void {
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= at && (due === undefined || e[1].at < due[1].at)) due = e;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = Math.max(this.t, at);
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /**
   * Fires timers that are already due without moving time. A driver that arms
   * its timer asynchronously (after an await) may set it for a time that has
   * just passed; call this after letting it settle.
   */
  fireDue(): void {
    this.advanceTo(this.t);
  }
}
