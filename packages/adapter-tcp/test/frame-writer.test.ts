/**
 * FrameWriter on a real loopback socket pair: what reaches the peer, in which
 * order, and how many chunks the socket is handed per tick.
 */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COALESCE_BYTES, FrameWriter } from '../src/frame-writer.js';
import { FrameParser } from '../src/framing.js';

let server: Server;
let sender: Socket;
let receiver: Socket;

beforeEach(async () => {
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  sender = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(sender, 'connect');
  [receiver] = (await accepted) as [Socket];
});

afterEach(async () => {
  sender.destroy();
  receiver.destroy();
  server.close();
  await once(server, 'close');
});

/** Everything the receiver gets until the sender's FIN. */
async function receivedUntilEnd(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  receiver.on('data', (c: Buffer) => chunks.push(c));
  await once(receiver, 'end');
  return Buffer.concat(chunks);
}

function payload(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

function frames(bytes: Buffer): Uint8Array[] {
  const r = new FrameParser(1 << 24).push(bytes);
  if (r.error !== null) throw new Error(`bad framing: ${JSON.stringify(r.error)}`);
  return r.frames;
}

/** Counts the chunks the socket is handed (write calls) while `f` runs and the tick ends. */
function countWrites(socket: Socket): { readonly count: number; restore(): void } {
  const original = socket.write.bind(socket);
  const counter = { count: 0, restore: () => void (socket.write = original) };
  socket.write = ((...args: Parameters<Socket['write']>) => {
    counter.count++;
    return original(...args);
  }) as Socket['write'];
  return counter;
}

describe('FrameWriter', () => {
  it('gathers the small frames of one tick into one chunk and keeps their order around a large one', async () => {
    const writer = new FrameWriter(sender);
    const writes = countWrites(sender);
    const small = [payload(10, 1), payload(COALESCE_BYTES, 2), payload(0, 3)];
    const large = payload(COALESCE_BYTES + 1, 4);
    const done = Promise.all([writer.write(small), writer.write([large]), writer.write([payload(5, 5), payload(6, 6)])]);
    // Nothing of the gathered frames is handed over before the tick ends, but the large one flushed the first three.
    expect(writes.count).toBe(3); // gathered chunk + large prefix + large view
    await done;
    // The last two small frames left as one more chunk when the tick ended.
    expect(writes.count).toBe(4);
    writes.restore();
    const received = receivedUntilEnd();
    writer.end();
    const got = frames(await received);
    expect(got.map((f) => [f.length, f[0] ?? null])).toEqual([
      [10, 1],
      [COALESCE_BYTES, 2],
      [0, null],
      [COALESCE_BYTES + 1, 4],
      [5, 5],
      [6, 6],
    ]);
  });

  it('end() hands over the frames gathered in this tick before the FIN', async () => {
    const writer = new FrameWriter(sender);
    const received = receivedUntilEnd();
    const written = writer.write([payload(3, 7)]);
    writer.end();
    await written;
    expect(frames(await received).map((f) => Array.from(f))).toEqual([[7, 7, 7]]);
  });

  it('a write on a destroyed socket rejects, and so does a tick whose socket is destroyed before it ends', async () => {
    const writer = new FrameWriter(sender);
    const pending = writer.write([payload(8, 1)]);
    sender.destroy();
    await expect(pending).rejects.toThrow();
    await expect(writer.write([payload(8, 1)])).rejects.toThrow(/closed/);
  });
});
