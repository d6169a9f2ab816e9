/**
 * The transfer encoding of the legacy files (hub-protocol.md §2): gzip, then
 * every byte inverted. Fixtures are wrapped by hand in the test (node:zlib's
 * gzip, then a loop that inverts); the codec's compressed output is checked
 * by unwrapping it by hand, never by comparing compressed bytes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  decodeGovDialogFile,
  decodeLegacyTransfer,
  encodeLegacyTransfer,
  invertLegacyBytes,
  maxTransferBytes,
  type LegacyClientDialog,
} from '../src/legacy/index.js';

function invertByHand(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = 0xff - bytes[i]!;
  return out;
}

function wrapByHand(plain: Uint8Array): Uint8Array {
  return invertByHand(gzipSync(plain));
}

/** `<1A2B>.gov`, status Disabled, one Sync message, as literal plain bytes. */
const GOV_PLAIN = new Uint8Array([
  ...[0x47, 0x4d, 0x53, 0x47, 0x31], // GMSG1
  ...[0x2b, 0x1a, 0x00, 0x00], // ClientID 0x1A2B
  0x02, // Disabled
  ...[0x01, 0x00, 0x00, 0x00], // count 1
  ...[0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b], // ID 7, ReqID 0, Sync
  ...[0x00, 0x00, 0x1c, 0x83, 0x63, 0x97, 0xd5, 0x08], // 2018-04-01 ticks
  ...[0x00, 0x00, 0x00, 0x00], // no data
]);

const GOV_VALUE: LegacyClientDialog = {
  clientId: 0x1a2b,
  status: 'disabled',
  messages: [{ id: 7, reqId: 0, code: 'sync', timestamp: 636_581_376_000_000_000n, data: new Uint8Array(0) }],
};

describe('transfer encoding: gzip, then NOT', () => {
  test('decodes a file wrapped by hand, down to its ClientDialog', () => {
    const wire = wrapByHand(GOV_PLAIN);
    // gzip's magic 1F 8B, inverted.
    expect(Array.from(wire.subarray(0, 2))).toEqual([0xe0, 0x74]);
    const plain = decodeLegacyTransfer(wire);
    expect(plain).toEqual({ ok: true, value: GOV_PLAIN });
    if (plain.ok) expect(decodeGovDialogFile(plain.value)).toEqual({ ok: true, value: GOV_VALUE });
  });

  test('encodes so that unwrapping by hand gives the plain bytes back', () => {
    const wire = encodeLegacyTransfer(GOV_PLAIN);
    expect(Array.from(wire.subarray(0, 2))).toEqual([0xe0, 0x74]);
    expect(new Uint8Array(gunzipSync(invertByHand(wire)))).toEqual(GOV_PLAIN);
    expect(decodeLegacyTransfer(wire)).toEqual({ ok: true, value: GOV_PLAIN });
  });

  test('an empty plain file round-trips', () => {
    expect(decodeLegacyTransfer(encodeLegacyTransfer(new Uint8Array(0)))).toEqual({ ok: true, value: new Uint8Array(0) });
    expect(decodeLegacyTransfer(wrapByHand(new Uint8Array(0)))).toEqual({ ok: true, value: new Uint8Array(0) });
  });

  test('decoding never mutates its input', () => {
    const wire = wrapByHand(GOV_PLAIN);
    const copy = wire.slice();
    decodeLegacyTransfer(wire);
    expect(wire).toEqual(copy);
  });

  test('invertLegacyBytes is ~b, its own inverse', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(invertLegacyBytes(all)).toEqual(invertByHand(all));
    expect(invertLegacyBytes(invertLegacyBytes(all))).toEqual(all);
    expect(() => invertLegacyBytes([1] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('transfer decoding errors', () => {
  test('gzip that was not inverted, random bytes, an empty file, a cut file: badGzip', () => {
    const gz = new Uint8Array(gzipSync(GOV_PLAIN));
    expect(decodeLegacyTransfer(gz)).toMatchObject({ ok: false, error: { code: 'badGzip', offset: 0 } });
    expect(decodeLegacyTransfer(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]))).toMatchObject({
      ok: false,
      error: { code: 'badGzip' },
    });
    expect(decodeLegacyTransfer(new Uint8Array(0))).toMatchObject({ ok: false, error: { code: 'badGzip' } });
    const wire = wrapByHand(GOV_PLAIN);
    for (const n of [1, 2, 10, wire.length - 1]) {
      expect(decodeLegacyTransfer(wire.subarray(0, n))).toMatchObject({ ok: false, error: { code: 'badGzip' } });
    }
  });

  test('a corrupted CRC is badGzip', () => {
    const wire = wrapByHand(GOV_PLAIN);
    wire[wire.length - 5] = wire[wire.length - 5]! ^ 0x01; // a bit of the CRC32 trailer
    expect(decodeLegacyTransfer(wire)).toMatchObject({ ok: false, error: { code: 'badGzip' } });
  });

  test('a gzip bomb stops at maxFileBytes: oversize', () => {
    const bomb = wrapByHand(new Uint8Array(4 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(8 * 1024);
    expect(decodeLegacyTransfer(bomb, { maxFileBytes: 64 * 1024 })).toMatchObject({ ok: false, error: { code: 'oversize', offset: 0 } });
    const exact = wrapByHand(new Uint8Array(64 * 1024));
    const r = decodeLegacyTransfer(exact, { maxFileBytes: 64 * 1024 });
    expect(r.ok && r.value.length).toBe(64 * 1024);
    expect(decodeLegacyTransfer(exact, { maxFileBytes: 64 * 1024 - 1 })).toMatchObject({ ok: false, error: { code: 'oversize' } });
  });

  test('more wire bytes than any deflate of maxFileBytes could take: oversize before gunzip', () => {
    const max = 1000;
    expect(maxTransferBytes(max)).toBe(1000 + 1 + 1024);
    expect(decodeLegacyTransfer(new Uint8Array(maxTransferBytes(max) + 1), { maxFileBytes: max })).toMatchObject({
      ok: false,
      error: { code: 'oversize' },
    });
    // Incompressible data at the limit still fits the bound.
    const noise = new Uint8Array(max);
    let x = 0x2545f491;
    for (let i = 0; i < max; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      noise[i] = x & 0xff;
    }
    const wire = wrapByHand(noise);
    expect(wire.length).toBeGreaterThan(max);
    expect(decodeLegacyTransfer(wire, { maxFileBytes: max })).toEqual({ ok: true, value: noise });
  });

  test('a maxFileBytes above the largest Buffer is clamped, not a zlib error', () => {
    expect(decodeLegacyTransfer(wrapByHand(GOV_PLAIN), { maxFileBytes: 2 ** 40 })).toEqual({ ok: true, value: GOV_PLAIN });
  });

  test('encoding refuses what the peer would refuse', () => {
    expect(() => encodeLegacyTransfer(new Uint8Array(11), { maxFileBytes: 10 })).toThrow(/plain must be at most 10 bytes/);
    expect(() => encodeLegacyTransfer('text' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
