/**
 * Theory of operation: a client's secret is drawn by the shell at
 * registration and sent to the client once; the hub keeps only its verifier,
 * SHA-256 in lower-case hex. Secrets are random and long, so an unsalted hash
 * is enough (this is not password storage).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Credential } from './requests.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of `bytes` as one flat string. Built with `join`, not by
 * concatenation: a concatenated hex string stays a tree of ~50 cons-strings
 * (~870 bytes instead of ~80) for as long as nobody reads it, and a hub keeps
 * one verifier per registered client.
 */
export function hexOf(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]!]!;
  return parts.join('');
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
