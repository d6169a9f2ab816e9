/** The admin token: from the environment, from the data directory, or drawn and written with mode 0600. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_ENV, bearerToken, loadOrCreateToken, tokenMatches } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dialoghub-admin-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateToken', () => {
  it('draws a token, writes it with mode 0600, and reads the same one back', async () => {
    const data = join(dir, 'data');
    const created = await loadOrCreateToken(data, {});
    expect(created.source).toBe('created');
    expect(created.path).toBe(join(data, 'admin-token'));
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(created.path!)).mode & 0o777).toBe(0o600);
    expect(await readFile(created.path!, 'utf8')).toBe(`${created.token}\n`);
    const again = await loadOrCreateToken(data, {});
    expect(again).toEqual({ token: created.token, source: 'file', path: created.path });
    const other = await loadOrCreateToken(join(dir, 'other'), {});
    expect(other.token).not.toBe(created.token);
  });

  it('prefers the environment, and writes nothing then', async () => {
    const r = await loadOrCreateToken(dir, { [ADMIN_TOKEN_ENV]: 'from-the-environment-123' });
    expect(r).toEqual({ token: 'from-the-environment-123', source: 'env', path: null });
    await expect(stat(join(dir, 'admin-token'))).rejects.toThrow();
  });

  it('refuses a token too short or with white space', async () => {
    await expect(loadOrCreateToken(dir, { [ADMIN_TOKEN_ENV]: 'short' })).rejects.toThrow(/at least 16/);
    await writeFile(join(dir, 'admin-token'), '\n');
    await expect(loadOrCreateToken(dir, {})).rejects.toThrow(/at least 16/);
    await writeFile(join(dir, 'admin-token'), 'has white space inside it\n');
    await expect(loadOrCreateToken(dir, {})).rejects.toThrow(/white space/);
  });
});

describe('comparison and header', () => {
  it('compares exactly', () => {
    expect(tokenMatches('abcdefghijklmnop', 'abcdefghijklmnop')).toBe(true);
    expect(tokenMatches('abcdefghijklmnoq', 'abcdefghijklmnop')).toBe(false);
    expect(tokenMatches('abcdefghijklmno', 'abcdefghijklmnop')).toBe(false);
    expect(tokenMatches('', 'abcdefghijklmnop')).toBe(false);
  });

  it('reads a bearer header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBe(null);
    expect(bearerToken('Bearer a b')).toBe(null);
    expect(bearerToken(undefined)).toBe(null);
  });
});
