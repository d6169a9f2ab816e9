/**
 * Properties of the wire codec: round trip, totality of the decoder on any
 * bytes, refusal of every strict prefix, and canonical encoding (any byte
 * string the decoder accepts is exactly what the encoder writes for the value).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from '../src/protocol/codec.js';
import { decodeUtf8, encodeUtf8 } from '../src/protocol/utf8.js';
import { arbFrame } from './arbitraries.js';

/** Decodes and, when the bytes are accepted, checks that they are the canonical encoding of what they decode to. */
function decodeIsTotalAndCanonical(bytes: Uint8Array): void {
  const r = decodeFrame(bytes);
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) {
    expect(Array.from(encodeFrame(r.value))).toEqual(Array.from(bytes));
  } else {
    expect(typeof r.error.code).toBe('string');
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
  }
}

type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly byte: number }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'truncate'; readonly at: number }
  /** Re-encodes a byte below 0x80 as a two-byte form (byte | 0x80, 0x00): an overlong varuint if it ended one. */
  | { readonly op: 'pad'; readonly at: number };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xed) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('pad' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = input;
  for (const m of mutations) {
    const n = b.length;
    switch (m.op) {
      case 'flip':
        if (n > 0) {
          b = b.slice();
          b[m.at % n]! ^= 1 << m.bit;
        }
        break;
      case 'set':
        if (n > 0) {
          b = b.slice();
          b[m.at % n] = m.byte;
        }
        break;
      case 'insert': {
        const i = m.at % (n + 1);
        const out = new Uint8Array(n + 1);
        out.set(b.subarray(0, i));
        out[i] = m.byte;
        out.set(b.subarray(i), i + 1);
        b = out;
        break;
      }
      case 'delete':
        if (n > 0) {
          const i = m.at % n;
          const out = new Uint8Array(n - 1);
          out.set(b.subarray(0, i));
          out.set(b.subarray(i + 1), i);
          b = out;
        }
        break;
      case 'truncate':
        b = b.slice(0, m.at % (n + 1));
        break;
      case 'pad':
        if (n > 0 && b[m.at % n]! < 0x80) {
          const i = m.at % n;
          const out = new Uint8Array(n + 1);
          out.set(b.subarray(0, i + 1));
          out[i] = b[i]! | 0x80;
          out[i + 1] = 0;
          out.set(b.subarray(i + 1), i + 2);
          b = out;
        }
        break;
    }
  }
  return b;
}

describe('wire codec properties', () => {
  test.prop([arbFrame], { numRuns: 1000 })('decode(encode(f)) deep-equals f', (frame: Frame) => {
    expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, value: frame });
  });

  test.prop([arbFrame])('encoding is deterministic and the result is not shared', (frame: Frame) => {
    const a = encodeFrame(frame);
    const b = encodeFrame(frame);
    expect(a).not.toBe(b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test.prop([fc.uint8Array({ maxLength: 4096 })], { numRuns: 500 })('decodeFrame never throws on arbitrary bytes', (bytes) => {
    decodeIsTotalAndCanonical(bytes);
  });

  test.prop([fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 64 })], { numRuns: 2000 })(
    'bytes behind a valid header: never throws, and anything accepted is canonical',
    (kind, tail) => {
      const bytes = new Uint8Array(2 + tail.length);
      bytes[0] = 1;
      bytes[1] = kind;
      bytes.set(tail, 2);
      decodeIsTotalAndCanonical(bytes);
    },
  );

  test.prop([arbFrame, fc.array(arbMutation, { minLength: 1, maxLength: 4 })], { numRuns: 2000 })(
    'mutated encodings (bit flips, byte sets, insertions, deletions, truncations, overlong padding): never throws, and anything accepted is canonical',
    (frame, mutations) => {
      decodeIsTotalAndCanonical(mutate(encodeFrame(frame), mutations));
    },
  );

  test.prop([arbFrame], { numRuns: 200 })('every strict prefix of a valid encoding is refused', (frame: Frame) => {
    const bytes = encodeFrame(frame);
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeFrame(bytes.subarray(0, n));
      expect(r.ok).toBe(false);
    }
  });

  test.prop([arbFrame, fc.uint8Array({ minLength: 1, maxLength: 8 })])('any extension of a valid encoding is refused', (frame, extra) => {
    const bytes = encodeFrame(frame);
    const longer = new Uint8Array(bytes.length + extra.length);
    longer.set(bytes);
    longer.set(extra, bytes.length);
    const r = decodeFrame(longer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'trailingBytes', offset: bytes.length });
  });
});

describe('utf8 properties (against the platform codec)', () => {
  const arbUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 32 });

  test.prop([arbUtf16], { numRuns: 1000 })('encodeUtf8 matches TextEncoder, lone surrogates included', (s) => {
    expect(Array.from(encodeUtf8(s))).toEqual(Array.from(new TextEncoder().encode(s)));
  });

  const arbUtf8ish = fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((b) => [b]),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).map((c) => Array.from(new TextEncoder().encode(c))),
    ),
    { maxLength: 16 },
  ).map((parts) => new Uint8Array(parts.flat()));

  test.prop([arbUtf8ish], { numRuns: 2000 })('decodeUtf8 accepts exactly what a fatal TextDecoder accepts, with the same result', (bytes) => {
    let expected: string | undefined;
    try {
      expected = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      expected = undefined;
    }
    const r = decodeUtf8(bytes);
    expect(r.ok ? r.value : undefined).toBe(expected);
  });
});
