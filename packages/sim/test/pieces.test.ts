/**
 * The world's pieces on their own: the PRNG, the event queue and the network
 * emulator.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { EventQueue, Netem, newDirection, Rng } from '../src/index.js';

describe('Rng (xoshiro128**)', () => {
  it('is a pure function of its seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 20 }, () => a.u32());
    expect(Array.from({ length: 20 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(xs);
  });

  it('matches the reference xoshiro128** output for a known state', () => {
    // State (1, 2, 3, 4): the reference C implementation's first outputs.
    const r = new Rng(0);
    r.setState([1, 2, 3, 4]);
    expect([r.u32(), r.u32(), r.u32(), r.u32()]).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('saves and restores its state', () => {
    const r = new Rng(7);
    r.u32();
    const saved = r.getState();
    const next = [r.u32(), r.u32()];
    r.setState(saved);
    expect([r.u32(), r.u32()]).toEqual(next);
  });

  it('draws floats in [0, 1) with a sane mean, and chance(0)/chance(1) draw nothing', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = r.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      sum += f;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
    const before = r.getState();
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    expect(r.getState()).toEqual(before);
  });

  test.prop([fc.integer({ min: 1, max: 1000 }), fc.integer()])('int(n) stays in [0, n)', (n, seed) => {
    const r = new Rng(seed);
    for (let i = 0; i < 50; i++) {
      const v = r.int(n);
      expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
    }
  });
});

describe('EventQueue', () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 })])('pops by (time, insertion order)', (times) => {
    const q = new EventQueue();
    times.forEach((t, i) => q.push(t, 0, i));
    const popped: [number, number][] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) {
      popped.push([e.t, e.a]);
      q.release(e);
    }
    const expected = times.map((t, i) => [t, i] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(popped).toEqual(expected);
  });

  it('reuses released events without mixing them up', () => {
    const q = new EventQueue();
    q.push(5, 1, 10);
    const e = q.pop()!;
    q.release(e);
    q.push(3, 2, 20, 0, 'x');
    q.push(1, 3, 30);
    expect([q.pop()!.a, q.pop()!.a]).toEqual([30, 20]);
    expect(q.size).toBe(0);
  });
});

describe('Netem', () => {
  const net = { latencyMinMs: 10, latencyMaxMs: 10, jitterMs: 20, reorderDelayMs: 200 };

  it('keeps one direction in order when nothing is reordered', () => {
    const n = new Netem(new Rng(3), { loss: 0, dup: 0, reorder: 0 }, net);
    const d = newDirection();
    let last = 0;
    for (let t = 0; t < 1000; t += 3) {
      expect(n.route(d, 10, t, false)).toBe(1);
      const at = n.arrivals[0]!;
      expect(at).toBeGreaterThanOrEqual(last);
      expect(at).toBeGreaterThanOrEqual(t + 10);
      expect(Number.isInteger(at)).toBe(true);
      last = at;
    }
  });

  it('loses, duplicates and reorders at about the configured rates', () => {
    const n = new Netem(new Rng(4), { loss: 0.1, dup: 0.05, reorder: 0.2 }, net);
    const d = newDirection();
    let overtaken = 0;
    let prev = -1;
    for (let t = 0; t < 20_000; t++) {
      const k = n.route(d, 10, t * 10, false);
      if (k > 0 && n.arrivals[0]! < prev) overtaken++;
      if (k > 0) prev = Math.max(prev, n.arrivals[0]!);
    }
    const c = n.counters;
    expect(c.sent).toBe(20_000);
    expect(c.lost / c.sent).toBeGreaterThan(0.08);
    expect(c.lost / c.sent).toBeLessThan(0.12);
    expect(c.duplicated / c.sent).toBeGreaterThan(0.035);
    expect(c.reordered / c.sent).toBeGreaterThan(0.15);
    expect(overtaken).toBeGreaterThan(0);
  });

  it('never loses, duplicates or reorders a reliable frame (a close)', () => {
    const n = new Netem(new Rng(5), { loss: 0.9, dup: 0.9, reorder: 0.9 }, net);
    const d = newDirection();
    let last = 0;
    for (let t = 0; t < 100; t++) {
      expect(n.route(d, 10, t, true)).toBe(1);
      expect(n.arrivals[0]!).toBeGreaterThanOrEqual(last);
      last = n.arrivals[0]!;
    }
  });
});
