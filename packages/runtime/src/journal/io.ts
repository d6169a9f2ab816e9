/**
 * Theory of operation: every file-system call the journal makes goes through
 * `JournalIo`, so a test can count syncs (group commit = one `datasync` per
 * append) or inject a failure at a precise call. `nodeIo` is the real thing,
 * over node:fs/promises.
 */
import { open, mkdir, readdir, readFile, rename, unlink, link, type FileHandle } from 'node:fs/promises';

export type OpenFlags = 'r' | 'r+' | 'w' | 'wx';

export interface JournalIo {
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  /** Writes all of `data` at `position`. */
  write(handle: FileHandle, data: Uint8Array, position: number): Promise<void>;
  /** `fdatasync(2)`: the file's data and the metadata needed to read it back (its size) are on the disk. */
  datasync(handle: FileHandle): Promise<void>;
  truncate(handle: FileHandle, length: number): Promise<void>;
  close(handle: FileHandle): Promise<void>;
  /** Makes a directory's entries (creations, renames, deletions) durable. */
  syncDir(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Creates `to` as another name of `from`; fails with EEXIST when `to` exists (atomic exclusive creation). */
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeIo: JournalIo = {
  open: (path, flags) => open(path, flags),
  async write(handle, data, position) {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
      done += bytesWritten;
    }
  },
  datasync: (handle) => handle.datasync(),
  truncate: (handle, length) => handle.truncate(length),
  close: (handle) => handle.close(),
  async syncDir(path) {
    if (process.platform === 'win32') return; // Windows cannot open a directory for syncing; NTFS journals its metadata.
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  readFile: (path) => readFile(path),
  readdir: (path) => readdir(path),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  rename: (from, to) => rename(from, to),
  link: (from, to) => link(from, to),
  unlink: (path) => unlink(path),
};

/** True for a Node.js system error with this `code`. */
export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
