/**
 * Real-socket tools for the end-to-end tests:
 *
 * - `RawPeer`: a client that speaks bytes (garbage, half frames, oversized
 *   length prefixes, nothing at all) and records every frame the hub writes
 *   back, then `ended` once the socket closed;
 * - `TcpProxy`: a loopback relay between a client and the hub whose two
 *   directions can be black-holed, so a test can make the hub look silent to
 *   a client (or the client to the hub) without touching either;
 *
 * Nothing here sleeps: every wait is on a `WatchList` of what happened.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { decodeFrame, encodeFrame, type Frame } from '@dialoghub/core';
import { FrameParser, lengthPrefixed } from '@dialoghub/adapter-tcp';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What a raw peer sees: decoded frames, `garbage` for a payload it could not decode, then `ended`. */
export type RawEvent = Frame | { readonly kind: 'garbage'; readonly detail: string } | { readonly kind: 'ended' };

export class RawPeer {
  readonly events = new WatchList<RawEvent>();
  private readonly parser = new FrameParser(2 ** 32 - 1);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { frames } = this.parser.push(chunk);
      for (const payload of frames) {
        const d = decodeFrame(payload);
        this.events.push(d.ok ? d.value : { kind: 'garbage', detail: d.error.code });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.events.push({ kind: 'ended' }));
  }

  /** Connects to 127.0.0.1:`port`; resolves once the TCP handshake is done. */
  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket));
      });
    });
  }

  /** Writes raw bytes; resolves once they are handed to the kernel (or the socket is gone). */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.socket.writableEnded) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** Writes one frame, length-prefixed. */
  send(frame: Frame): Promise<void> {
    return this.write(lengthPrefixed(encodeFrame(frame)));
  }

  /** The frames seen so far (not `ended`). */
  frames(): Frame[] {
    return this.events.items.filter((e): e is Frame => e.kind !== 'ended' && e.kind !== 'garbage');
  }

  /** Resolves once the socket has closed, with everything seen. */
  async ended(): Promise<readonly RawEvent[]> {
    await this.events.first((e) => e.kind === 'ended');
    return this.events.items;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Which way bytes flow through the proxy: `up` client → hub, `down` hub → client. */
export type Direction = 'up' | 'down';

/**
 * A relay on 127.0.0.1 to `127.0.0.1:target`. Each accepted connection gets
 * its own upstream connection; `blackhole(direction)` silently drops every
 * byte in that direction from then on (both ends stay open and quiet, like a
 * dead route), `destroyAll()` resets every pair.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly dropping = new Set<Direction>();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async open(target: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.relay(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy = new TcpProxy(server, address.port);
    return proxy;
  }

  blackhole(direction: Direction): void {
    this.dropping.add(direction);
  }

  private relay(client: Socket, target: number): void {
    this.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: target, noDelay: true });
    client.setNoDelay(true);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket, direction: Direction) => {
      from.on('data', (chunk: Buffer) => {
        if (!this.dropping.has(direction) && !to.destroyed) to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        to.destroy();
        this.pairs.delete(pair);
      });
    };
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
  }

  destroyAll(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
  }

  async close(): Promise<void> {
    this.destroyAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
