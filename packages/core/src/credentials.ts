/**
 * Theory of operation: a client's secret is drawn by the shell at
 * registration and sent to the client once; the hub keeps only its verifier,
 * SHA-256 in lower-case hex. Secrets are random and long, so an unsalted hash
 * is enough (this is not password storage).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Credential } from './requests.js';

/** Character codes of the lower-case hex digits. */
const HEX_DIGITS = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** Reused output buffer for `hexOf` of up to 64 bytes (the verifiers); longer inputs get their own. */
const HEX_SCRATCH = new Uint16Array(128);

/**
 * Lower-case hex of `bytes` as one flat string, made in one allocation from
 * character codes: not by concatenation (a concatenated hex string stays a
 * tree of ~50 cons-strings, ~870 bytes instead of ~80, for as long as nobody
 * reads it, and a hub keeps one verifier per registered client), and without
 * the 32 small strings and the array a `join` needs (a snapshot restore makes
 * one verifier per client).
 */
export function hexOf(bytes: Uint8Array): string {
  const codes = bytes.length <= 64 ? HEX_SCRATCH.subarray(0, bytes.length * 2) : new Uint16Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    codes[2 * i] = HEX_DIGITS[b >>> 4]!;
    codes[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return String.fromCharCode.apply(null, codes as unknown as number[]);
}

/** The verifier stored for a secret. */
export function verifierOf(secret: string): string {
  return hexOf(sha256(utf8ToBytes(secret)));
}

/** The verifier a credential proves: hashes a raw secret, passes a verifier through. */
export function credentialVerifier(credential: Credential): string {
  return 'secret' in credential ? verifierOf(credential.secret) : credential.verifier;
}

/** Constant-time comparison of two hex verifiers of equal length. */
export function verifiersEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
