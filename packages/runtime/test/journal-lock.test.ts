/**
 * The data directory's lock: one hub per directory; a stale lock (dead pid,
 * or our own pid from an earlier incarnation) is taken over; a live one, or
 * one from another host, is a clear error.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalStore, LOCK_FILE } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = () => JournalStore.open({ dir });
const lockOf = (pid: number, host = hostname()) => JSON.stringify({ pid, host, token: 'feedface', since: '2020-01-01T00:00:00.000Z' });

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return pid;
}

describe('JournalStore: lock file', () => {
  it('creates the data directory and holds LOCK until closed', async () => {
    const nested = join(dir, 'a', 'b');
    const store = await JournalStore.open({ dir: nested });
    const lock = JSON.parse(await readFile(join(nested, LOCK_FILE), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    await store.close();
    expect(await readdir(nested)).not.toContain(LOCK_FILE);
    const again = await JournalStore.open({ dir: nested });
    await again.close();
  });

  it('refuses a second store on the same directory in the same process', async () => {
    const store = await open();
    await expect(open()).rejects.toMatchObject({ code: 'locked' });
    await store.close();
  });

  it('refuses a directory locked by a live process, naming it', async () => {
    await writeFile(join(dir, LOCK_FILE), lockOf(process.ppid));
    await expect(open()).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.ppid });
  });

  it('refuses a lock taken on another host (it cannot be checked)', async () => {
    await writeFile(join(dir, LOCK_FILE), lockOf(1, 'elsewhere.example'));
    await expect(open()).rejects.toThrow(/on host elsewhere\.example/);
  });

  it('takes over a stale lock left by a dead process', async () => {
    await writeFile(join(dir, LOCK_FILE), lockOf(await deadPid()));
    const store = await open();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close();
  });

  it('takes over a lock with our own pid that this process does not hold (an earlier incarnation, e.g. pid 1 in a container)', async () => {
    await writeFile(join(dir, LOCK_FILE), lockOf(process.pid));
    const store = await open();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).not.toMatchObject({ token: 'feedface' });
    await store.close();
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(join(dir, LOCK_FILE), 'garbage');
    const store = await open();
    await store.close();
  });

  it('close does not remove a lock that another holder took meanwhile', async () => {
    const store = await open();
    await writeFile(join(dir, LOCK_FILE), lockOf(process.ppid));
    await store.close();
    expect(await readdir(dir)).toContain(LOCK_FILE);
  });
});
