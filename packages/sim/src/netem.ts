/**
 * Theory of operation: a seeded network emulator in the spirit of str0m's
 * netem, per link and per direction. For every frame it decides, with the
 * world's PRNG, when the frame arrives — or that it never does:
 *
 * - latency: the link's base latency (drawn once per client) plus a uniform
 *   jitter; frames of one direction arrive in order (an arrival is never
 *   earlier than the previous in-order arrival), as on a stream transport;
 * - loss: the frame is dropped with probability `loss`;
 * - duplication: with probability `dup` a second copy arrives, on its own
 *   schedule;
 * - reordering: with probability `reorder` the frame is held back by up to
 *   `reorderDelayMs` and does not hold back later frames, so they may
 *   overtake it.
 *
 * Times are whole milliseconds (the core's snapshots store integer times).
 *
 * Partitions are not decided here: the world cuts a client's links for an
 * interval, and a frame whose endpoint is cut when it would arrive is dropped.
 * "Reliable" frames (the hub's `close`: the adapter contract says the reason
 * reaches the peer before the link ends) keep their order and are never lost,
 * duplicated or reordered by this model — only a partition drops them.
 */
import type { Rng } from './rng.js';

/** Probabilities per frame, each in [0, 1]. */
export interface LinkFaults {
  readonly loss: number;
  readonly dup: number;
  readonly reorder: number;
}

export interface NetworkOptions {
  /** Each client's base one-way latency is drawn uniformly from [latencyMinMs, latencyMaxMs]. */
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** Per-frame jitter, uniform in [0, jitterMs]. */
  readonly jitterMs: number;
  /** A reordered (or duplicated) frame is delayed by up to this much more. */
  readonly reorderDelayMs: number;
}

export const DEFAULT_NETWORK: NetworkOptions = Object.freeze({
  latencyMinMs: 5,
  latencyMaxMs: 80,
  jitterMs: 20,
  reorderDelayMs: 250,
});

/** The in-order state of one direction of one link. */
export interface Direction {
  /** Arrival time of the latest in-order frame. */
  last: number;
}

export function newDirection(): Direction {
  return { last: 0 };
}

/** Counters of what the emulator did, for the run's stats. */
export interface NetemCounters {
  sent: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

export class Netem {
  /** Arrival times of the frame last routed (0, 1 or 2 entries). Reused to avoid allocation. */
  readonly arrivals: number[] = [0, 0];
  readonly counters: NetemCounters = { sent: 0, lost: 0, duplicated: 0, reordered: 0 };

  constructor(
    private readonly rng: Rng,
    private readonly faults: LinkFaults,
    private readonly net: NetworkOptions,
  ) {}

  /** A client's base latency, drawn once. */
  baseLatency(): number {
    return this.rng.between(this.net.latencyMinMs, this.net.latencyMaxMs);
  }

  /**
   * Routes one frame sent at `now` on direction `dir` of a link whose base
   * latency is `base`. Returns how many copies arrive; their times are in
   * `arrivals[0..n)`.
   */
  route(dir: Direction, base: number, now: number, reliable: boolean): number {
    const rng = this.rng;
    const f = this.faults;
    this.counters.sent++;
    const jitter = this.net.jitterMs > 0 ? rng.int(this.net.jitterMs + 1) : 0;
    const nominal = now + base + jitter;
    if (reliable) {
      const at = Math.max(nominal, dir.last);
      dir.last = at;
      this.arrivals[0] = at;
      return 1;
    }
    if (rng.chance(f.loss)) {
      this.counters.lost++;
      return 0;
    }
    let n = 0;
    if (rng.chance(f.reorder)) {
      this.counters.reordered++;
      this.arrivals[n++] = nominal + rng.int(this.net.reorderDelayMs + 1);
    } else {
      const at = Math.max(nominal, dir.last);
      dir.last = at;
      this.arrivals[n++] = at;
    }
    if (rng.chance(f.dup)) {
      this.counters.duplicated++;
      this.arrivals[n++] = nominal + rng.int(this.net.reorderDelayMs + 1);
    }
    return n;
  }
}
