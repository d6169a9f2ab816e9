/**
 * The frame parser and the frame splitter, as pure functions: example tests
 * and the chunking property — any chunking of a byte stream gives the same
 * payloads and the same error.
 */
import { fc, test as prop } from '@fast-check/vitest';
import { clientId, decodeFrame, DEFAULT_CODEC_LIMITS, encodeFrame, type DialogMessage, type Frame } from '@dialoghub/core';
import { describe, expect, test } from 'vitest';
import { encodeWithin, FrameParser, lengthPrefixed, LENGTH_PREFIX_BYTES } from '../src/index.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

/** Splits `stream` at the given cut points (any numbers; taken modulo the length, sorted, deduplicated). */
function chunked(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % (stream.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(stream.slice(from, p));
    from = p;
  }
  chunks.push(stream.slice(from));
  return chunks;
}

/** Pushes every chunk; returns the payloads (hex) and the first error. */
function parseAll(max: number, chunks: readonly Uint8Array[]): { frames: string[]; error: unknown } {
  const parser = new FrameParser(max);
  const frames: string[] = [];
  let error: unknown = null;
  for (const c of chunks) {
    const r = parser.push(c);
    frames.push(...r.frames.map(hex));
    if (r.error !== null) {
      expect(error, 'a second error').toBeNull();
      error = r.error;
    }
  }
  return { frames, error };
}

describe('lengthPrefixed', () => {
  test('puts the payload length in front, big-endian', () => {
    expect(Array.from(lengthPrefixed(bytes(0xaa, 0xbb, 0xcc)))).toEqual([0, 0, 0, 3, 0xaa, 0xbb, 0xcc]);
    expect(Array.from(lengthPrefixed(new Uint8Array(0x0102)).subarray(0, 4))).toEqual([0, 0, 1, 2]);
    expect(Array.from(lengthPrefixed(new Uint8Array(0)))).toEqual([0, 0, 0, 0]);
  });
});

describe('FrameParser', () => {
  test('refuses a maxFrameBytes outside [1, 2^32)', () => {
    expect(() => new FrameParser(0)).toThrow(RangeError);
    expect(() => new FrameParser(2 ** 32)).toThrow(RangeError);
    expect(() => new FrameParser(1.5)).toThrow(RangeError);
  });

  test('returns whole payloads in order, from one chunk or many', () => {
    const stream = concat([lengthPrefixed(bytes(1, 2)), lengthPrefixed(bytes()), lengthPrefixed(bytes(3))]);
    const p = new FrameParser(16);
    expect(p.push(stream).frames.map(hex)).toEqual(['0102', '', '03']);
    expect(p.pendingBytes).toBe(0);
    expect(p.midFrame).toBe(false);
  });

  test('waits for a frame cut in half — in the prefix or in the payload — and completes it', () => {
    const frame = lengthPrefixed(bytes(9, 8, 7, 6, 5));
    const p = new FrameParser(16);
    expect(p.push(frame.subarray(0, 2))).toEqual({ frames: [], error: null });
    expect(p.midFrame).toBe(true);
    expect(p.pendingBytes).toBe(2);
    expect(p.push(frame.subarray(2, 6))).toEqual({ frames: [], error: null });
    expect(p.pendingBytes).toBe(6);
    const done = p.push(frame.subarray(6));
    expect(done.frames.map(hex)).toEqual(['0908070605']);
    expect(p.midFrame).toBe(false);
  });

  test('refuses an oversized frame as soon as its prefix is in, before any payload byte, and is dead after', () => {
    const p = new FrameParser(4);
    const stream = concat([lengthPrefixed(bytes(1)), bytes(0, 0, 0, 5)]);
    const r = p.push(stream);
    expect(r.frames.map(hex)).toEqual(['01']);
    expect(r.error).toEqual({ code: 'tooLarge', length: 5, max: 4, offset: 5 });
    expect(p.error).toEqual(r.error);
    expect(p.pendingBytes).toBe(0);
    expect(p.push(lengthPrefixed(bytes(2)))).toEqual({ frames: [], error: null });
  });

  test('accepts a frame of exactly maxFrameBytes', () => {
    const p = new FrameParser(3);
    expect(p.push(lengthPrefixed(bytes(1, 2, 3))).frames.map(hex)).toEqual(['010203']);
  });

  test('a payload inside one chunk is a view of it; one across chunks is assembled', () => {
    const stream = lengthPrefixed(bytes(1, 2, 3, 4));
    const p = new FrameParser(16);
    const [view] = p.push(stream).frames;
    expect(view!.buffer).toBe(stream.buffer);
    const q = new FrameParser(16);
    q.push(stream.slice(0, 6));
    const [copy] = q.push(stream.slice(6)).frames;
    expect(hex(copy!)).toBe('01020304');
  });

  const arbPayloads = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 });
  // Optionally, the stream ends with an oversized prefix and some junk after it.
  const arbTail = fc.option(fc.record({ excess: fc.integer({ min: 1, max: 2 ** 32 - 1 - 40 }), junk: fc.uint8Array({ maxLength: 8 }) }));

  prop.prop([arbPayloads, arbTail, fc.array(fc.nat(), { maxLength: 30 })])('any chunking gives the same payloads and the same error', (payloads, tail, cuts) => {
    const max = 40;
    const parts = payloads.map(lengthPrefixed);
    if (tail !== null) {
      const prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
      new DataView(prefix.buffer).setUint32(0, max + Math.min(tail.excess, 2 ** 32 - 1 - max), false);
      parts.push(prefix, tail.junk);
    }
    const stream = concat(parts);
    const whole = parseAll(max, [stream]);
    expect(whole.frames).toEqual(payloads.map(hex));
    if (tail === null) expect(whole.error).toBeNull();
    else expect(whole.error).toMatchObject({ code: 'tooLarge', max, offset: concat(payloads.map(lengthPrefixed)).length });
    expect(parseAll(max, chunked(stream, cuts))).toEqual(whole);
    // One byte at a time, the worst chunking there is.
    expect(parseAll(max, Array.from(stream, (b) => bytes(b)))).toEqual(whole);
  });
});

describe('encodeWithin', () => {
  const ALICE = clientId(5);
  const app = (seq: number, size: number): DialogMessage => ({ seq, ack: 0, body: { type: 'app', appType: 't', payload: new Uint8Array(size).fill(seq & 0xff), replyTo: 0 } });
  const decodeAll = (payloads: Uint8Array[], max: number): Frame[] =>
    payloads.map((p) => {
      expect(p.length).toBeLessThanOrEqual(max);
      const d = decodeFrame(p, { maxFrameBytes: max });
      if (!d.ok) throw new Error(d.error.message);
      return d.value;
    });

  test('a frame that fits is one payload, exactly encodeFrame', () => {
    const frame: Frame = { kind: 'dialog', clientId: ALICE, messages: [app(1, 10)] };
    const out = encodeWithin(frame, DEFAULT_CODEC_LIMITS);
    expect(out.map(hex)).toEqual([hex(encodeFrame(frame))]);
  });

  test('an oversized dialog is split into frames that fit, messages in order', () => {
    const messages = Array.from({ length: 40 }, (_, i) => app(i + 1, 50 + ((i * 37) % 90)));
    const max = 400;
    const out = encodeWithin({ kind: 'dialog', clientId: ALICE, messages }, { maxFrameBytes: max, maxMessages: 1024 });
    expect(out.length).toBeGreaterThan(1);
    const frames = decodeAll(out, max);
    expect(frames.every((f) => f.kind === 'dialog' && f.clientId === ALICE)).toBe(true);
    expect(frames.flatMap((f) => (f.kind === 'dialog' ? f.messages : []))).toEqual(messages);
  });

  test('a dialog over maxMessages is split by count', () => {
    const messages = Array.from({ length: 10 }, (_, i) => app(i + 1, 1));
    const out = encodeWithin({ kind: 'dialog', clientId: ALICE, messages }, { maxFrameBytes: 10_000, maxMessages: 3 });
    expect(decodeAll(out, 10_000).map((f) => (f.kind === 'dialog' ? f.messages.length : 0))).toEqual([3, 3, 3, 1]);
  });

  prop.prop([fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 30 }), fc.integer({ min: 330, max: 2000 }), fc.integer({ min: 1, max: 8 })])(
    'any split keeps every message, in order, each frame within the limits',
    (sizes, max, maxMessages) => {
      const messages = sizes.map((s, i) => app(i + 1, s));
      const out = encodeWithin({ kind: 'dialog', clientId: ALICE, messages }, { maxFrameBytes: max, maxMessages });
      const frames = decodeAll(out, max);
      for (const f of frames) expect(f.kind === 'dialog' ? f.messages.length : 0).toBeLessThanOrEqual(Math.max(1, maxMessages));
      expect(frames.flatMap((f) => (f.kind === 'dialog' ? f.messages : []))).toEqual(messages);
    },
  );

  test('refuses what cannot be split: one message too large, an answer too large', () => {
    expect(() => encodeWithin({ kind: 'dialog', clientId: ALICE, messages: [app(1, 500)] }, { maxFrameBytes: 100, maxMessages: 10 })).toThrow(RangeError);
    expect(() => encodeWithin({ kind: 'dialog', clientId: ALICE, messages: [app(1, 1), app(2, 500)] }, { maxFrameBytes: 100, maxMessages: 10 })).toThrow(/message 2/);
    const answer: Frame = { kind: 'answer', requestId: 1, answer: { code: 'profiles', clientId: ALICE, profiles: Array.from({ length: 50 }, (_, i) => ({ id: (i + 1) as never, name: 'profile', mode: 'auto' as const })) } };
    expect(() => encodeWithin(answer, { maxFrameBytes: 100, maxMessages: 10 })).toThrow(RangeError);
  });
});
