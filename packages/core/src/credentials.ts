/**
 * Theory of operation: a client's secret is drawn by the shell at
 * registration and sent to the client once; the hub keeps only its verifier,
 * SHA-256 in lower-case hex. Secrets are random and long, so an unsalted hash
 * is enough (this is not password storage).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Credential } from './requests.js';

/** The verifier stored for a secret. */
export function verifierOf(secret: string): string {
  return bytesToHex(sha256(utf8ToBytes(secret)));
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
