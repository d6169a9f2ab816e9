/**
 * Theory of operation: clients of the bare node:net echo server — the floor
 * every other figure is compared with. A "login" is a TCP connection whose
 * hello frame (the size of a login answer) arrived; the echo load keeps up to
 * `window` same-size length-prefixed frames in flight per connection, one
 * `write()` each, like the dialoghub client's one frame per app message.
 */
import { connect as netConnect, type Socket } from 'node:net';

const HOST = '127.0.0.1';

/** One raw connection that counts whole frames arriving. */
export class RawConnection {
  private pending = 0;
  private buffered: Buffer | null = null;
  private onFrames: ((n: number) => void) | null = null;
  private readonly ended: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      let buf = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
      let at = 0;
      let n = 0;
      while (buf.length - at >= 4) {
        const end = at + 4 + buf.readUInt32BE(at);
        if (end > buf.length) break;
        n++;
        at = end;
      }
      buf = buf.subarray(at);
      this.buffered = buf.length === 0 ? null : Buffer.from(buf);
      if (n === 0) return;
      if (this.onFrames === null) this.pending += n;
      else this.onFrames(n);
    });
  }

  /** Connects and resolves once the server's hello frame arrived. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: HOST, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const c = new RawConnection(socket);
        c.onFrames = (n) => {
          c.onFrames = null;
          c.pending += n - 1;
          resolve(c);
        };
      });
    });
  }

  /** Echo load: up to `window` frames in flight, drawn from `budget`. Resolves with the frames echoed back. */
  pump(frame: Buffer, window: number, budget: { left: number }): Promise<number> {
    return new Promise((resolve, reject) => {
      let echoed = 0;
      let outstanding = 0;
      const lost = (): void => reject(new Error('the raw connection closed during the load'));
      this.socket.once('close', lost);
      const fill = (): void => {
        while (outstanding < window && budget.left > 0) {
          budget.left--;
          outstanding++;
          this.socket.write(frame);
        }
        if (outstanding === 0) {
          this.onFrames = null;
          this.socket.off('close', lost);
          resolve(echoed);
        }
      };
      this.onFrames = (n) => {
        echoed += n;
        outstanding -= n;
        fill();
      };
      fill();
    });
  }

  /** Ends the connection (FIN) and resolves once it is closed. */
  close(): Promise<void> {
    this.socket.end();
    return this.ended;
  }
}
