/**
 * Theory of operation: one hub per data directory. The lock is a file `LOCK`
 * holding the owner's pid, host and a random token, created atomically with
 * its content (written under a temporary name, then hard-linked to `LOCK`,
 * which fails if `LOCK` exists).
 *
 * A lock whose process is gone is stale and is taken over; a live one is a
 * `JournalError('locked')` naming the owner. A lock with our own pid that this
 * process does not hold comes from an earlier incarnation with the same pid
 * (common in containers, where the hub is often pid 1) and is stale too. A
 * lock from another host cannot be checked and is never taken over.
 *
 * Limits (docs/runtime.md §5): liveness is judged by pid, so a recycled pid
 * held by an unrelated process makes a stale lock look live (remove `LOCK` by
 * hand); two processes taking over the same stale lock at the same instant
 * are not excluded from each other.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { JournalError } from './errors.js';
import { isErrno, type JournalIo } from './io.js';

export const LOCK_FILE = 'LOCK';

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly since: string;
}

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Locks this process holds, by absolute path (a second store on the same directory in one process is refused too). */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return !isErrno(e, 'ESRCH');
  }
  if (process.platform === 'linux') {
    // A zombie (killed, not yet reaped by its parent) holds no files.
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function parse(bytes: Buffer): LockContent | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<LockContent>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') return v as LockContent;
  } catch {
    // fall through: an unreadable lock is stale
  }
  return null;
}

/** Takes the lock of `dir` (which must exist), taking over a stale one. */
export async function acquireLock(dir: string, io: JournalIo): Promise<DirLock> {
  const path = resolve(join(dir, LOCK_FILE));
  if (held.has(path)) throw new JournalError('locked', `the data directory is already open in this process (pid ${process.pid})`, path);
  const content: LockContent = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  const tmp = `${path}.${content.pid}.${content.token}.tmp`;
  const handle = await io.open(tmp, 'wx');
  try {
    await io.write(handle, Buffer.from(`${JSON.stringify(content)}\n`), 0);
    await io.datasync(handle);
  } finally {
    await io.close(handle);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await io.link(tmp, path);
        break;
      } catch (e) {
        if (!isErrno(e, 'EEXIST') || attempt >= 3) throw e;
      }
      let existing: Buffer;
      try {
        existing = await io.readFile(path);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) continue; // released meanwhile
        throw e;
      }
      const owner = parse(existing);
      if (owner !== null) {
        if (owner.host !== content.host) {
          throw new JournalError('locked', `the data directory is locked by pid ${owner.pid} on host ${owner.host}; if no hub runs there, remove the lock file`, path);
        }
        const live = owner.pid === process.pid ? false : isAlive(owner.pid);
        if (live) throw new JournalError('locked', `the data directory is in use by process ${owner.pid} (since ${owner.since})`, path);
      }
      try {
        await io.unlink(path); // stale: its owner is gone
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    }
  } finally {
    await io.unlink(tmp).catch(() => undefined);
  }
  await io.syncDir(dir);
  held.add(path);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      held.delete(path);
      try {
        const now = parse(await io.readFile(path));
        if (now?.token === content.token) await io.unlink(path);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    },
  };
}
