/**
 * Verifiers: SHA-256 of the secret as lower-case hex, and the hex helpers the
 * snapshot codec relies on.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { hexOf, verifierOf } from '../src/credentials.js';

describe('credentials', () => {
  it('the verifier is the SHA-256 of the secret in lower-case hex (known vectors)', () => {
    expect(verifierOf('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(verifierOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hexOf: empty, every byte value, and inputs longer than its reused buffer', () => {
    expect(hexOf(new Uint8Array(0))).toBe('');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const expected = Array.from(all, (b) => b.toString(16).padStart(2, '0')).join('');
    expect(hexOf(all)).toBe(expected);
    expect(hexOf(all.subarray(0, 64))).toBe(expected.slice(0, 128));
    expect(hexOf(all.subarray(250))).toBe('fafbfcfdfeff');
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('hexOf agrees with Node\'s hex for any bytes', (bytes) => {
    expect(hexOf(bytes)).toBe(Buffer.from(bytes).toString('hex'));
  });
});
