/**
 * Theory of operation: the console's one secret. Whoever holds the admin
 * token may do everything an operator may do, so:
 *
 * - it comes from `DIALOGHUB_ADMIN_TOKEN` when the environment sets it (a
 *   secret manager, a systemd credential), else from `<dataDir>/admin-token`,
 *   else it is drawn (32 random bytes, base64url) and written there with mode
 *   0600, created exclusively so two hubs racing never overwrite each other's;
 * - it is compared in constant time (SHA-256 of both sides, then
 *   `timingSafeEqual`, so even the length does not leak);
 * - it is never logged: callers print the file's path, not its content.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The environment variable that, when set, is the admin token. */
export const ADMIN_TOKEN_ENV = 'DIALOGHUB_ADMIN_TOKEN';

/** The token file's name inside the data directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Shortest token accepted from the environment or the file (a typo such as an empty file must not open the console). */
export const MIN_TOKEN_LENGTH = 16;

/** Where the token came from, and where it lives (never the token in a log line: print `path`). */
export interface LoadedToken {
  readonly token: string;
  readonly source: 'env' | 'file' | 'created';
  /** The token file (`source` `file` or `created`), or null when it came from the environment. */
  readonly path: string | null;
}

function checked(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${where}: the admin token must be at least ${MIN_TOKEN_LENGTH} characters`);
  if (/\s/.test(token)) throw new Error(`${where}: the admin token must not contain white space`);
  return token;
}

/**
 * The admin token for a hub on `dataDir`: `env.DIALOGHUB_ADMIN_TOKEN`, else
 * the content of `<dataDir>/admin-token` (trailing newline ignored), else a
 * new random token written there with mode 0600 (the directory is created if
 * needed). Call once at start-up, before `startAdmin`.
 *
 * @throws Error when the environment or the file holds an unusable token
 *   (shorter than {@link MIN_TOKEN_LENGTH}, or with white space), or the file
 *   cannot be read or written.
 */
export async function loadOrCreateToken(dataDir: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<LoadedToken> {
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { token: checked(fromEnv, ADMIN_TOKEN_ENV), source: 'env', path: null };
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readToken(path);
  if (existing !== null) return { token: existing, source: 'file', path };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  try {
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it between our read and our write: use theirs.
    if ((e as { code?: unknown }).code === 'EEXIST') {
      const theirs = await readToken(path);
      if (theirs !== null) return { token: theirs, source: 'file', path };
    }
    throw e;
  }
  return { token, source: 'created', path };
}

/** The token in `path`, or null when the file does not exist. */
export async function readToken(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return null;
    throw e;
  }
  return checked(text.replace(/\r?\n$/, ''), path);
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** True when `given` equals `expected`, compared in constant time (neither content nor length leaks). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m === null ? null : m[1]!;
}
