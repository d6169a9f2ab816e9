/**
 * Test helpers for the TCP adapter: a raw peer (bytes in, decoded frames
 * out), a throwaway certificate made with the `openssl` binary, and small
 * waits on events. (A `TestPeer` on a client link is adapter-tests'
 * `peerOfLink`.)
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { clientId, decodeFrame, encodeFrame, profileId, type Frame, type Request } from '@dialoghub/core';
import { connect, type Socket } from 'node:net';
import { FrameParser, lengthPrefixed, type ClientFrame } from '../src/index.js';

export { hasOpenssl, testCertificate, type TestCertificate } from '@dialoghub/adapter-tests';

// ---- a raw peer: bytes in, decoded frames out -----------------------------------

/** What a raw peer sees: decoded frames, `garbage` for bytes it could not decode, and `ended` once the socket closed. */
export type RawEvent = Frame | { readonly kind: 'garbage'; readonly detail: string } | { readonly kind: 'ended' };

export const ENDED = Object.freeze({ kind: 'ended' }) as RawEvent;

/**
 * A client that speaks bytes: for sending what a well-behaved link never
 * would (garbage, half frames, oversized prefixes) and for watching exactly
 * what the hub writes back.
 */
export class RawPeer {
  readonly events = new WatchList<RawEvent>();
  private cursor = 0;
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
    socket.on('close', () => this.events.push(ENDED));
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

  /** Writes raw bytes; resolves once they are handed to the kernel (or the socket refused them). */
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

  /** The next thing seen (frames in order, then `ended` for ever). */
  async next(): Promise<RawEvent> {
    const at = this.cursor;
    const event = await this.events.until((items) => items[at]);
    if (event.kind !== 'ended') this.cursor++;
    return event;
  }

  /** Resolves once the socket has closed. */
  closed(): Promise<unknown> {
    return this.events.first((e) => e.kind === 'ended');
  }
}

/** A `profiles` request frame: harmless, answered by any hub, and it opens the link. */
export function profilesRequest(requestId: number, client = 900): ClientFrame {
  return { kind: 'request', request: { kind: 'profiles', requestId, clientId: clientId(client) } };
}

/** A `register` request frame. */
export function registerRequest(requestId: number, client: number, profile: number): ClientFrame {
  const request: Request = { kind: 'register', requestId, clientId: clientId(client), profileId: profileId(profile), contact: { name: `c${client}`, phone: '', email: '' }, environment: {} };
  return { kind: 'request', request };
}

/** A `login` request frame. */
export function loginRequest(requestId: number, client: number, secret: string): ClientFrame {
  return { kind: 'request', request: { kind: 'login', requestId, clientId: clientId(client), credential: { secret }, environment: null, lastReceived: 0 } };
}

/** Resolves on the next turn of the event loop (not a sleep: no time passes on purpose). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
