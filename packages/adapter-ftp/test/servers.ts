/**
 * FTP servers for the tests, on 127.0.0.1 only, each with a throwaway root
 * directory removed afterwards:
 *
 * - `startFtpSrv`: ftp-srv in this process (TCP_NODELAY set on each command
 *   socket at login, toolchain.md), optionally with explicit TLS and with a
 *   file system whose writes and renames can be made to fail on demand
 *   (permission denied, disk full) or held in flight;
 * - `startVsftpd`: Debian's vsftpd started from a throwaway config in the
 *   foreground, stopped by its PID. When it cannot start, `vsftpdUnavailable()`
 *   says why, so the caller can skip loudly. With `diskRootSizeBytes`, the
 *   directory it serves is a tmpfs of that size in a mount namespace of its
 *   own, which really fills up (ENOSPC: `VsftpdServer.disk`);
 *   `vsftpdSmallDiskUnavailable()` says why that cannot run.
 *
 * Both can be stopped and started again on the same port and root (a server
 * restart in the middle of a scenario).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystem, FtpSrv, type FtpConnection as SrvConnection } from 'ftp-srv';
import type { FtpServerOptions } from '../src/index.js';
import { hasOpenssl, testCertificate, type TestCertificate } from '@dialoghub/adapter-tests';

export { hasOpenssl, testCertificate, type TestCertificate };

/** A running (or stopped) test server. */
export interface TestServer {
  readonly name: string;
  /** The options a transport needs to reach it (user, port, TLS trust). */
  readonly options: FtpServerOptions;
  /** The directory on disk the server serves (the mailbox lives under `mailboxDir`). */
  readonly diskRoot: string;
  /** The mailbox directory as the transports name it. */
  readonly mailboxDir: string;
  /** Stops the server (connections drop). Start it again with `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and root. */
  restart(): Promise<void>;
  /** Stops it for good and removes the root directory. */
  dispose(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound once, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// ---- certificates -------------------------------------------------------------------

// ---- ftp-srv --------------------------------------------------------------------------

/**
 * What the fault-injecting file system does with a write or rename whose path
 * matches. ftp-srv answers every failed STOR or RNTO with reply code 550,
 * whatever the file system threw: the fault shows in the reply's text
 * (`permission denied (injected)`, `disk full (injected)`), not its code.
 */
export interface Faults {
  /** Writes (STOR) to a path for which this returns a code fail: 552 as `disk full (injected)`, any other as `permission denied (injected)` (both with reply 550). */
  failWrite?: (path: string) => number | null;
  /** Renames whose target matches fail with the code returned. */
  failRename?: (path: string) => number | null;
  /** Called when a write starts; return a promise to hold the transfer in flight until it settles. */
  onWrite?: (path: string) => Promise<void> | void;
}

const silentLog = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return silentLog;
  },
};

class FaultyFileSystem extends FileSystem {
  constructor(
    connection: SrvConnection,
    root: string,
    private readonly faults: Faults,
  ) {
    super(connection, { root, cwd: '/' });
  }

  override write(fileName: string, options?: { append?: boolean; start?: unknown }): unknown {
    const code = this.faults.failWrite?.(fileName) ?? null;
    if (code !== null) throw Object.assign(new Error(code === 552 ? 'disk full (injected)' : 'permission denied (injected)'), { code });
    const held = this.faults.onWrite?.(fileName);
    if (held === undefined) return super.write(fileName, options);
    return held.then(() => super.write(fileName, options));
  }

  override rename(from: string, to: string): Promise<unknown> {
    const code = this.faults.failRename?.(to) ?? null;
    if (code !== null) return Promise.reject(Object.assign(new Error('permission denied (injected)'), { code }));
    return super.rename(from, to);
  }
}

export interface FtpSrvOptions {
  readonly tls?: boolean;
  readonly faults?: Faults;
  /** Commands the server refuses (502), e.g. `['NLST']`. */
  readonly blacklist?: readonly string[];
  /** Logins beyond this many open connections are refused (530), as servers that limit connections per account do. */
  readonly maxConnections?: number;
}

/** ftp-srv in this process on 127.0.0.1, anonymous, rooted in a fresh temp dir. */
export async function startFtpSrv(options: FtpSrvOptions = {}): Promise<TestServer> {
  const diskRoot = mkdtempSync(join(tmpdir(), 'dialoghub-ftpsrv-'));
  const port = await freePort();
  const faults = options.faults ?? {};
  const cert = options.tls === true ? testCertificate() : null;
  let server: FtpSrv | null = null;
  const sockets = new Set<{ destroy(): void }>();
  let loggedIn = 0;
  // ftp-srv adds SIGTERM/SIGINT/SIGQUIT handlers (which exit the process) for every server and never removes them.
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  let added: [NodeJS.Signals, (...args: unknown[]) => void][] = [];
  const start = async (): Promise<void> => {
    const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
    const srv = new FtpSrv({
      url: `ftp://127.0.0.1:${port}`,
      pasv_url: '127.0.0.1',
      pasv_min: 1024,
      anonymous: true,
      greeting: 'dialoghub test server',
      log: silentLog,
      ...(options.blacklist === undefined ? {} : { blacklist: [...options.blacklist] }),
      ...(cert === null ? {} : { tls: { key: cert.key, cert: cert.cert } }),
    });
    srv.on('login', ({ connection }, resolve, reject) => {
      // ftp-srv leaves Nagle on: every transfer would wait ~40 ms (toolchain.md).
      const socket = (connection as unknown as { commandSocket?: { setNoDelay(on: boolean): void; destroy(): void; once(event: 'close', f: () => void): void } }).commandSocket;
      if (options.maxConnections !== undefined && loggedIn >= options.maxConnections) {
        reject(new Error('too many connections for this account'));
        return;
      }
      loggedIn++;
      socket?.once('close', () => loggedIn--);
      socket?.setNoDelay(true);
      if (socket !== undefined) sockets.add(socket);
      resolve({ fs: new FaultyFileSystem(connection, diskRoot, faults) as unknown as FileSystem, cwd: '/' });
    });
    added = signals.flatMap((sig) => process.listeners(sig).filter((l) => !before.get(sig)!.has(l)).map((l): [NodeJS.Signals, (...args: unknown[]) => void] => [sig, l as (...args: unknown[]) => void]));
    srv.on('client-error', () => {});
    await srv.listen();
    server = srv;
  };
  const stop = async (): Promise<void> => {
    const srv = server;
    server = null;
    if (srv === null) return;
    for (const [sig, listener] of added) process.removeListener(sig, listener);
    added = [];
    for (const s of sockets) s.destroy();
    sockets.clear();
    await srv.close();
  };
  await start();
  return {
    name: options.tls === true ? 'ftp-srv (FTPS)' : 'ftp-srv',
    options: { host: '127.0.0.1', port, timeoutMs: 10_000, ...(cert === null ? {} : { tls: { ca: cert.cert } }) },
    diskRoot,
    mailboxDir: 'mailbox',
    stop,
    restart: start,
    dispose: async () => {
      await stop();
      rmSync(diskRoot, { recursive: true, force: true });
    },
  };
}

// ---- vsftpd ---------------------------------------------------------------------------

const VSFTPD = '/usr/sbin/vsftpd';
const UNSHARE = '/usr/bin/unshare';
/** `f_type` of a tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
let unavailable: string | null | undefined;
let smallDiskUnavailable: string | null | undefined;

/**
 * Why vsftpd cannot run here, or null when it can (checked once: the binary,
 * root, the `games` user, and a trial start).
 */
export async function vsftpdUnavailable(): Promise<string | null> {
  if (unavailable !== undefined) return unavailable;
  if (!existsSync(VSFTPD)) return (unavailable = `${VSFTPD} is not installed (apt-get install vsftpd)`);
  if (process.getuid?.() !== 0) return (unavailable = 'vsftpd needs root to chroot its anonymous user');
  try {
    const server = await startVsftpd();
    await server.dispose();
    unavailable = null;
  } catch (error) {
    unavailable = `vsftpd did not start: ${error instanceof Error ? error.message : String(error)}`;
  }
  return unavailable;
}

/**
 * Why vsftpd cannot run here on a small disk of its own
 * (`diskRootSizeBytes`), or null when it can (checked once: vsftpd itself,
 * `unshare`, and a trial start whose disk is seen as a tmpfs of the size
 * asked, fills up to its last byte and is freed again).
 */
export async function vsftpdSmallDiskUnavailable(): Promise<string | null> {
  if (smallDiskUnavailable !== undefined) return smallDiskUnavailable;
  const why = await vsftpdUnavailable();
  if (why !== null) return (smallDiskUnavailable = why);
  if (!existsSync(UNSHARE)) return (smallDiskUnavailable = `${UNSHARE} is not installed (apt-get install util-linux)`);
  let server: VsftpdServer | null = null;
  try {
    const size = 64 * 1024;
    server = await startVsftpd({ diskRootSizeBytes: size });
    const disk = server.disk!;
    const total = disk.totalBytes();
    if (total !== size) throw new Error(`the daemon's disk holds ${total} bytes, ${size} were asked`);
    disk.fill();
    if (disk.freeBytes() !== 0) throw new Error(`${disk.freeBytes()} bytes still free once filled`);
    disk.free();
    if (disk.freeBytes() !== size) throw new Error(`${disk.freeBytes()} of ${size} bytes free once freed`);
    smallDiskUnavailable = null;
  } catch (error) {
    smallDiskUnavailable = `vsftpd on a tmpfs in a mount namespace of its own (unshare --mount) did not work: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await server?.dispose();
  }
  return smallDiskUnavailable;
}

/** Waits until 127.0.0.1:`port` accepts a connection, trying at most `tries` times (the daemon's bind is the event). */
async function listening(port: number, child: ChildProcess, output: () => string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null) throw new Error(`vsftpd exited with ${child.exitCode}: ${output().trim()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`vsftpd did not listen on port ${port}: ${output().trim()}`);
}

/** The ids of every process descended from `pid` (read from /proc), children first. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, then the parent's id.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export interface VsftpdOptions {
  readonly tls?: boolean;
  /**
   * vsftpd's `anon_max_rate`: each session's transfers, both ways, are held to
   * about this many bytes per second. vsftpd moves data in reads of up to
   * 64 KiB and sleeps after each read to keep the rate, so an upload reaches
   * the disk in steps of up to 64 KiB, one per 64 KiB / rate seconds. Default:
   * no limit. Change it for the next start with `VsftpdServer.throttle`.
   */
  readonly maxRateBytesPerSecond?: number;
  /**
   * The directory served (`diskRoot`, the `box/` the mailbox lives in) is a
   * tmpfs of this many bytes (a multiple of the page size, 4096), mounted in
   * a mount namespace of the daemon's own (`unshare --mount`, root without a
   * user namespace: vsftpd switches to `games`): writes beyond it fail with
   * ENOSPC, as on a full disk. Only the daemon sees that tmpfs; it goes away
   * with the daemon's last process. The test process reaches it through
   * `/proc/<daemon>/root` (`diskRoot`, `disk`) while the daemon runs.
   * `restart` mounts a new, empty one. Default: the served directory is on
   * the machine's disk (no namespace).
   */
  readonly diskRootSizeBytes?: number;
}

/** The small disk of a vsftpd started with `diskRootSizeBytes`, as the daemon sees it (it must be running). */
export interface SmallDisk {
  /** Its size in bytes (`statfs`). */
  totalBytes(): number;
  /** Bytes free on it now (`statfs`). */
  freeBytes(): number;
  /**
   * Fills it to the last byte: writes a file `filler` in `diskRoot` (outside
   * the mailbox) until the kernel answers ENOSPC. Returns the bytes the
   * filler holds in all.
   */
  fill(): number;
  /** Removes the filler (no error when there is none). */
  free(): void;
}

/** A vsftpd test server. */
export interface VsftpdServer extends TestServer {
  /**
   * Sets `anon_max_rate` (null: no limit) for the next start (`restart`):
   * vsftpd reads its config only when it starts, so the sessions of the
   * daemon running now keep theirs.
   */
  throttle(bytesPerSecond: number | null): void;
  /** The served directory's small disk (`diskRootSizeBytes`), or null when it is on the machine's disk. */
  readonly disk: SmallDisk | null;
}

/** A rate for `anon_max_rate`: a positive integer, or null (no limit). */
function rate(name: string, bytesPerSecond: number | null): number | null {
  if (bytesPerSecond !== null && !(Number.isSafeInteger(bytesPerSecond) && bytesPerSecond > 0)) throw new RangeError(`${name}: a positive integer of bytes per second, or no limit, got ${bytesPerSecond}`);
  return bytesPerSecond;
}

/**
 * vsftpd on 127.0.0.1 from a throwaway config (toolchain.md): anonymous
 * login as `games`, a root-owned `anon_root` with a writable `box/` (the
 * mailbox lives in `box/mailbox`), passive ports on loopback,
 * `seccomp_sandbox=NO`, foreground, stopped by PID; with
 * `maxRateBytesPerSecond`, transfers throttled by `anon_max_rate`; with
 * `diskRootSizeBytes`, `box/` on a tmpfs of that size (`VsftpdOptions`). The
 * config is written at each start (`throttle` changes it for the next).
 */
export async function startVsftpd(options: VsftpdOptions = {}): Promise<VsftpdServer> {
  let maxRate = rate('maxRateBytesPerSecond', options.maxRateBytesPerSecond ?? null);
  const diskSize = options.diskRootSizeBytes ?? null;
  if (diskSize !== null && !(Number.isSafeInteger(diskSize) && diskSize > 0 && diskSize % 4096 === 0)) throw new RangeError(`diskRootSizeBytes: a positive multiple of 4096, got ${diskSize}`);
  const base = mkdtempSync(join(tmpdir(), 'dialoghub-vsftpd-'));
  chmodSync(base, 0o755);
  const root = join(base, 'root');
  const box = join(root, 'box');
  const empty = join(base, 'empty');
  mkdirSync(box, { recursive: true });
  mkdirSync(empty);
  chmodSync(root, 0o755);
  chownSync(box, 5, 60); // games:games
  const port = await freePort();
  const pasv = 30_000 + Math.floor(Math.random() * 30_000);
  const cert = options.tls === true ? testCertificate() : null;
  const lines = [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'background=NO',
    'anonymous_enable=YES',
    'local_enable=NO',
    'write_enable=YES',
    'anon_upload_enable=YES',
    'anon_mkdir_write_enable=YES',
    'anon_other_write_enable=YES',
    'anon_world_readable_only=NO',
    'anon_umask=022',
    `anon_root=${root}`,
    'ftp_username=games',
    'no_anon_password=YES',
    'seccomp_sandbox=NO',
    'pasv_enable=YES',
    'pasv_address=127.0.0.1',
    `pasv_min_port=${pasv}`,
    `pasv_max_port=${pasv + 200}`,
    'connect_from_port_20=NO',
    `secure_chroot_dir=${empty}`,
    'xferlog_enable=NO',
    'syslog_enable=NO',
    `vsftpd_log_file=${join(base, 'vsftpd.log')}`,
    'hide_ids=YES',
    'max_per_ip=0',
  ];
  if (cert !== null) {
    const keyPath = join(base, 'key.pem');
    const certPath = join(base, 'cert.pem');
    writeFileSync(keyPath, cert.key, { mode: 0o600 });
    writeFileSync(certPath, cert.cert);
    lines.push('ssl_enable=YES', 'allow_anon_ssl=YES', 'force_anon_logins_ssl=YES', 'force_anon_data_ssl=YES', 'require_ssl_reuse=NO', 'ssl_ciphers=HIGH', `rsa_cert_file=${certPath}`, `rsa_private_key_file=${keyPath}`);
  }
  const config = join(base, 'vsftpd.conf');
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    writeFileSync(config, `${[...lines, ...(maxRate === null ? [] : [`anon_max_rate=${maxRate}`])].join('\n')}\n`, { mode: 0o600 });
    let out = '';
    // With a small disk: a new mount namespace (private propagation: nothing leaks to the machine's), the tmpfs
    // mounted on box/ in it, then the shell replaced by vsftpd — one process, whose id is the daemon's.
    const c =
      diskSize === null
        ? spawn(VSFTPD, [config], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(UNSHARE, ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs -o "size=$1,mode=0755,uid=5,gid=60" dialoghub-box "$2" && exec "$3" "$4"', 'sh', String(diskSize), box, VSFTPD, config], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', (e) => (out += String(e)));
    child = c;
    await listening(port, c, () => out);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.pid === undefined) return;
    // vsftpd serves each connection in processes forked from the listener, which outlive it:
    // they are ended too, by their ids, so that stopping drops every connection (as with ftp-srv).
    const sessions = descendants(c.pid);
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    process.kill(c.pid, 'SIGTERM');
    await exited;
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  /** `box` as the running daemon sees it (its mount namespace, through /proc). */
  const inDaemon = (): string => {
    const c: ChildProcess | null = child;
    if (c === null || c.pid === undefined || c.exitCode !== null) throw new Error('vsftpd is not running: its disk cannot be reached');
    return `/proc/${c.pid}/root${box}`;
  };
  const statOf = (): { readonly total: number; readonly free: number } => {
    const st = statfsSync(inDaemon());
    if (st.type !== TMPFS_MAGIC) throw new Error(`the daemon's ${box} is not a tmpfs (f_type 0x${st.type.toString(16)})`);
    return { total: st.blocks * st.bsize, free: st.bfree * st.bsize };
  };
  const disk: SmallDisk | null =
    diskSize === null
      ? null
      : {
          totalBytes: () => statOf().total,
          freeBytes: () => statOf().free,
          fill: () => {
            const chunk = Buffer.alloc(64 * 1024, 0x5a);
            const fd = openSync(join(inDaemon(), 'filler'), 'a');
            let written = 0;
            try {
              // Bounded: a tmpfs of diskSize bytes takes at most diskSize; a write that takes nothing is the end.
              for (let i = 0; i <= diskSize / 4096 + 1; i++) {
                let n: number;
                try {
                  n = writeSync(fd, chunk);
                } catch (error) {
                  if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return written;
                  throw error;
                }
                if (n === 0) return written;
                written += n;
              }
              throw new Error(`the disk of ${diskSize} bytes took ${written} bytes and no ENOSPC`);
            } finally {
              closeSync(fd);
            }
          },
          free: () => rmSync(join(inDaemon(), 'filler'), { force: true }),
        };
  try {
    await start();
  } catch (error) {
    await stop();
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  return {
    name: options.tls === true ? 'vsftpd (FTPS)' : 'vsftpd',
    options: { host: '127.0.0.1', port, timeoutMs: 10_000, ...(cert === null ? {} : { tls: { ca: cert.cert } }) },
    // On a small disk: the tmpfs, seen through the daemon while it runs (else the empty mount point).
    get diskRoot(): string {
      if (disk === null) return box;
      try {
        return inDaemon();
      } catch {
        return box;
      }
    },
    disk,
    mailboxDir: 'box/mailbox',
    stop,
    restart: start,
    dispose: async () => {
      await stop();
      rmSync(base, { recursive: true, force: true });
    },
    throttle: (bytesPerSecond) => {
      maxRate = rate('throttle', bytesPerSecond);
    },
  };
}
