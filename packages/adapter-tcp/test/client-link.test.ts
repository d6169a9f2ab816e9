/**
 * The client side of a link (`connectTcp`, `TcpClientLink`) against a
 * scripted raw server: what it hands its listeners, in which order, how it
 * ends, and what it refuses.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { clientId, decodeFrame, encodeFrame, type Frame } from '@dialoghub/core';
import { ManualClock } from '@dialoghub/runtime';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { connectTcp, FrameParser, lengthPrefixed, type ClientLink, type HubFrame, type TcpClientLink } from '../src/index.js';
import { profilesRequest } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const wire = (frame: Frame): Uint8Array => lengthPrefixed(encodeFrame(frame));
const ANSWER: HubFrame = { kind: 'answer', requestId: 1, answer: { code: 'reset', clientId: clientId(9) } };

/** A server that hands each accepted socket to the test, and records the frames it receives. */
async function scripted(): Promise<{ port: number; sockets: WatchList<Socket>; received: WatchList<Frame | 'end'> }> {
  const sockets = new WatchList<Socket>();
  const received = new WatchList<Frame | 'end'>();
  const server: Server = createServer((socket) => {
    const parser = new FrameParser(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const payload of parser.push(chunk).frames) {
        received.push(decodeOrThrow(payload));
      }
    });
    socket.on('end', () => received.push('end'));
    socket.on('error', () => {});
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets.items) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, sockets, received };
}

function decodeOrThrow(payload: Uint8Array): Frame {
  const d = decodeFrame(payload);
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
}

/** Connects and records what the link hands its listeners. */
async function linked(port: number): Promise<{ link: TcpClientLink; seen: WatchList<string> }> {
  const link = await connectTcp({ port });
  cleanups.push(() => link.destroy());
  const seen = new WatchList<string>();
  link.onFrame((f) => seen.push(`frame:${f.kind}`));
  link.onClose((reason, cause) => seen.push(`close:${String(reason)}:${cause}`));
  return { link, seen };
}

async function settles(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`,
  );
}

describe('connectTcp', () => {
  test('rejects when nobody listens', async () => {
    const gone = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    expect(await settles(connectTcp({ port: gone }))).toMatch(/ECONNREFUSED/);
  });

  test('gives up after connectTimeoutMs (manual clock: a TLS handshake the server never answers)', async () => {
    const { port, sockets } = await scripted();
    const clock = new ManualClock(0);
    const connecting = settles(connectTcp({ port, tls: true, connectTimeoutMs: 5_000, clock }));
    await sockets.first(() => true);
    clock.advanceBy(5_000);
    expect(await connecting).toMatch(/timed out after 5000 ms/);
  });

  test('refuses an invalid maxFrameBytes', async () => {
    expect(await settles(connectTcp({ port: 1, maxFrameBytes: 0 }))).toMatch(/maxFrameBytes/);
  });
});

describe('TcpClientLink', () => {
  test('frames that arrive before the first listener wait for it; the close frame ends the link with its reason', async () => {
    const { port, sockets } = await scripted();
    const link = await connectTcp({ port });
    cleanups.push(() => link.destroy());
    const server = await sockets.first(() => true);
    const ended = new Promise((resolve) => link.onClose((reason, cause) => resolve({ reason, cause })));
    server.write(wire(ANSWER));
    server.end(wire({ kind: 'close', reason: 'kicked', reconnect: false }));
    expect(await ended).toEqual({ reason: 'kicked', cause: 'closedByHub' });
    const frames: string[] = [];
    link.onFrame((f) => frames.push(f.kind));
    expect(frames).toEqual(['answer', 'close']);
    expect(link.open).toBe(false);
    expect(link.ended).toEqual({ reason: 'kicked', cause: 'closedByHub' });
    // Heard after the end, at once.
    const late: unknown[] = [];
    link.onClose((reason) => late.push(reason));
    expect(late).toEqual(['kicked']);
  });

  test('every frame reaches the listeners before the end', async () => {
    const { port, sockets } = await scripted();
    const { seen } = await linked(port);
    const server = await sockets.first(() => true);
    server.end(Buffer.concat([wire(ANSWER), wire({ kind: 'dialog', clientId: clientId(9), messages: [] }), wire({ kind: 'close', reason: 'shutdown', reconnect: true })]));
    await seen.first((s) => s.startsWith('close:'));
    expect(seen.items).toEqual(['frame:answer', 'frame:dialog', 'frame:close', 'close:shutdown:closedByHub']);
  });

  test('a hub that hangs up without a close frame: reason null (transport loss)', async () => {
    const { port, sockets } = await scripted();
    const { seen } = await linked(port);
    (await sockets.first(() => true)).end();
    expect(await seen.first((s) => s.startsWith('close:'))).toBe('close:null:peerEnded');
  });

  test('a hub that sends garbage, an oversized frame or a request frame: the link ends, reason null, cause says why', async () => {
    const { port, sockets } = await scripted();
    const cases: [Uint8Array, RegExp][] = [
      [lengthPrefixed(Uint8Array.of(7, 7, 7)), /^close:null:badFrame: badVersion/],
      [Uint8Array.of(0xff, 0xff, 0xff, 0xff), /^close:null:tooLarge: a frame of 4294967295 bytes/],
      [wire(profilesRequest(1)), /^close:null:badFrame: the hub may not send request frames/],
    ];
    for (const [i, [bytes, expected]] of cases.entries()) {
      const { seen } = await linked(port);
      const server = await sockets.until((items) => items[i]);
      server.write(bytes);
      expect(await seen.first((s) => s.startsWith('close:'))).toMatch(expected);
      expect(seen.items.filter((s) => s.startsWith('frame:'))).toEqual([]);
    }
  });

  test('close(): the link ends here at once; the server gets every frame sent before, then the end', async () => {
    const { port, received } = await scripted();
    const { link, seen } = await linked(port);
    void link.send(profilesRequest(1));
    void link.send({ kind: 'dialog', clientId: clientId(9), messages: [] });
    link.close();
    expect(seen.items).toEqual(['close:null:closedByClient']);
    expect(await received.count(() => true, 3)).toMatchObject([{ kind: 'request' }, { kind: 'dialog' }, 'end']);
    expect(await settles(link.send(profilesRequest(2)))).toMatch(/rejected: the link has ended \(closedByClient\)/);
    link.close();
    expect(seen.items).toHaveLength(1);
  });

  test('send refuses a hub-only frame kind and a value with no encoding', async () => {
    const { port } = await scripted();
    const { link } = await linked(port);
    expect(await settles(link.send({ kind: 'close', reason: 'kicked', reconnect: false } as never))).toMatch(/TypeError|only request and dialog/);
    expect(await settles(link.send({ kind: 'dialog', clientId: clientId(0), messages: [] }))).toMatch(/clientId/);
    expect(link.open).toBe(true);
  });

  test('has the transport-generic ClientLink shape', async () => {
    const { port } = await scripted();
    const { link } = await linked(port);
    const generic: ClientLink = link;
    expect(typeof generic.send).toBe('function');
    expect(Object.keys(link.addresses)).toEqual(['local', 'remote']);
  });
});
