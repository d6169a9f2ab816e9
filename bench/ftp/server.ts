/**
 * Theory of operation: the `ftp` suite's FTP server — ftp-srv in this
 * process on 127.0.0.1, anonymous, rooted in a throwaway directory — and the
 * byte meter that counts what crosses its sockets.
 *
 * **Counting.** Every TCP connection the server accepts, control or data
 * (ftp-srv opens one listening socket per passive transfer), is counted on
 * the server's side: `bytesRead + bytesWritten` of the accepted socket, i.e.
 * every payload byte in both directions (TCP/IP headers, handshakes and ACKs
 * are not bytes of the stream and are not counted; `connections` says how
 * many connections were opened, each costing a handshake and a teardown).
 * ftp-srv creates its servers with `net.createServer` — the control server
 * at construction, a data server at each `PASV`/`EPSV` — so the meter wraps
 * `net.createServer` for as long as it is installed and listens to the
 * `connection` event of every server made meanwhile. Nothing else in this
 * process creates servers during the suite (`freePort` binds one that
 * accepts nothing).
 *
 * Every accepted socket gets TCP_NODELAY: ftp-srv leaves Nagle on, and a
 * transfer would otherwise wait for a delayed ACK (~40 ms, toolchain.md) —
 * for every system alike, so the figures would be Nagle's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystem, FtpSrv } from 'ftp-srv';

/** Bytes and connections seen so far, since the meter was installed. */
export interface MeterReading {
  readonly bytes: number;
  /** The part of `bytes` on control connections (commands and replies); the rest is on data connections (listings, file contents). */
  readonly controlBytes: number;
  readonly dataBytes: number;
  /** TCP connections accepted. */
  readonly connections: number;
}

export class ByteMeter {
  private closedBytes = 0;
  private closedControl = 0;
  private opened = 0;
  /** Ports of the control servers: a socket accepted on one is a control connection. */
  readonly controlPorts = new Set<number>();
  private readonly open = new Set<Socket>();
  private restore: (() => void) | null = null;

  /** Starts counting every connection accepted by a server created from now on. */
  install(): void {
    if (this.restore !== null) return;
    const original = net.createServer;
    const track = (socket: Socket): void => this.track(socket);
    const wrapped = function (this: unknown, ...args: unknown[]): net.Server {
      const server = (original as (...a: unknown[]) => net.Server).apply(net, args);
      server.on('connection', track);
      return server;
    };
    (net as { createServer: unknown }).createServer = wrapped;
    this.restore = () => {
      (net as { createServer: unknown }).createServer = original;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  private track(socket: Socket): void {
    this.opened++;
    socket.setNoDelay(true);
    this.open.add(socket);
    const control = this.controlPorts.has(socket.localPort ?? -1);
    socket.once('close', () => {
      this.open.delete(socket);
      this.closedBytes += socket.bytesRead + socket.bytesWritten;
      if (control) this.closedControl += socket.bytesRead + socket.bytesWritten;
    });
  }

  read(): MeterReading {
    let bytes = this.closedBytes;
    let controlBytes = this.closedControl;
    for (const s of this.open) {
      const b = s.bytesRead + s.bytesWritten;
      bytes += b;
      if (this.controlPorts.has(s.localPort ?? -1)) controlBytes += b;
    }
    return { bytes, controlBytes, dataBytes: bytes - controlBytes, connections: this.opened };
  }

  /** What happened between two readings. */
  static delta(from: MeterReading, to: MeterReading): MeterReading {
    return {
      bytes: to.bytes - from.bytes,
      controlBytes: to.controlBytes - from.controlBytes,
      dataBytes: to.dataBytes - from.dataBytes,
      connections: to.connections - from.connections,
    };
  }
}

export interface BenchServer {
  readonly host: string;
  readonly port: number;
  readonly diskRoot: string;
  dispose(): Promise<void>;
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

/** A free TCP port on 127.0.0.1 (bound once, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** ftp-srv on 127.0.0.1, anonymous, rooted in a fresh temp dir; `meter` (installed) counts its connections. */
export async function startServer(meter: ByteMeter): Promise<BenchServer> {
  const diskRoot = mkdtempSync(join(tmpdir(), 'dh-bench-ftp-'));
  const port = await freePort();
  meter.controlPorts.add(port);
  const srv = new FtpSrv({
    url: `ftp://127.0.0.1:${port}`,
    pasv_url: '127.0.0.1',
    pasv_min: 20_000,
    pasv_max: 29_999,
    anonymous: true,
    greeting: 'dialoghub bench server',
    log: silentLog as never,
  });
  srv.on('login', ({ connection }, resolve) => {
    resolve({ fs: new FileSystem(connection, { root: diskRoot, cwd: '/' }), cwd: '/' });
  });
  srv.on('client-error', () => {});
  await srv.listen();
  return {
    host: '127.0.0.1',
    port,
    diskRoot,
    async dispose() {
      for (const c of Object.values((srv as unknown as { connections: Record<string, { close(): unknown }> }).connections)) void c.close();
      await srv.close();
      rmSync(diskRoot, { recursive: true, force: true });
    },
  };
}
