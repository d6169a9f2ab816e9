/**
 * A throwaway TLS identity for transport tests: a self-signed P-256
 * certificate for `localhost` and 127.0.0.1, valid one day, made by the
 * `openssl` binary in a temporary directory that is removed at once. Tests
 * that need it skip (loudly) when `hasOpenssl()` is false.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** The private key, PEM. */
  readonly key: string;
  /** The certificate, PEM; also the CA a client trusts. */
  readonly cert: string;
}

/** True when the `openssl` binary is on the PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let cached: TestCertificate | null = null;

/** The certificate, made once per process (test file) and reused. @throws when `openssl` fails. */
export function testCertificate(): TestCertificate {
  if (cached !== null) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'dialoghub-test-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyPath, '-out', certPath],
      { stdio: 'ignore' },
    );
    cached = { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
