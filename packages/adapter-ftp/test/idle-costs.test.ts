/**
 * What keeps an idle mailbox cheap (docs/adapters/ftp.md §5, §7, §11), and
 * that it never costs a message:
 *
 * - the `dhmb/1` padding: meaningless zero bytes before the checksum;
 * - lazy acknowledgements: a consumed count alone makes no upload, unless
 *   urgent (a close frame read, a large peer file), from another epoch, or
 *   `ACK_EVERY_FRAMES` behind;
 * - the client's change check: a `SIZE` instead of a download when the hub
 *   file's size is the one last read, which the hub keeps sound by giving every
 *   new hub file a size its client cannot be holding; and a download anyway
 *   once `fullReadEveryMs` has passed;
 * - the hub's listing by names (`NLST`), and its fallback to `LIST` on a
 *   server that refuses `NLST`.
 *
 * The transport tests drive both sides by hand on ftp-srv (a tick, a poll),
 * with the frames the hub would write, so each file's size is known.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_CODEC_LIMITS, type CloseReason, type DialogMessage } from '@dialoghub/core';
import { ManualClock, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { ACK_EVERY_FRAMES, StreamWriter } from '../src/stream-writer.js';
import {
  DHMB_FORMAT,
  FtpClientTransport,
  FtpTransport,
  sessionId,
  type ClientFrame,
  type FtpClientLink,
  type HubFrame,
  type MailboxFile,
  type MailboxFormat,
} from '../src/index.js';
import { startFtpSrv, type TestServer } from './servers.js';

const LIMITS = DEFAULT_CODEC_LIMITS;
const S1 = sessionId('5e55100000000001');
const EPOCH = 'e90c000000000abc';
const CLIENT = 0x1a2b;

const REGISTER: ClientFrame = {
  kind: 'request',
  request: { kind: 'register', requestId: 1, clientId: CLIENT as never, profileId: 1 as never, contact: { name: 'Ada', phone: '', email: '' }, environment: {} },
};
const syncMsg = (seq: number, ack = 0): DialogMessage => ({ seq, ack, body: { type: 'sync' } });
const nullMsg = (seq: number, ack: number): DialogMessage => ({ seq, ack, body: { type: 'null', replyTo: ack } });

// ---- the format ---------------------------------------------------------------------------

describe('dhmb/1 padding', () => {
  const file: MailboxFile = { direction: 'hubToClient', session: S1, epoch: EPOCH, generation: 3, base: 1, peerAck: 2, ended: false, frames: [{ kind: 'dialog', clientId: CLIENT as never, messages: [syncMsg(2)] }] };

  test('padded files grow by the padding, set the flag, and decode to the same file', () => {
    const plain = DHMB_FORMAT.encode(file);
    const padded = DHMB_FORMAT.encode({ ...file, padding: 5 });
    expect(padded.length).toBe(plain.length + 5);
    expect(padded[6]).toBe(0x02);
    expect(plain[6]).toBe(0);
    const decoded = DHMB_FORMAT.decode(padded, LIMITS, 1 << 20);
    expect(decoded).toEqual({ ok: true, value: { ...file, padding: 5 } });
    expect(DHMB_FORMAT.decode(plain, LIMITS, 1 << 20)).toEqual({ ok: true, value: file });
  });

  test('bytes after the last frame are refused without the flag, and a non-zero padding byte with it', () => {
    const padded = DHMB_FORMAT.encode({ ...file, padding: 3 });
    const unflagged = withCrc(Uint8Array.from(padded, (b, i) => (i === 6 ? 0 : b)));
    expect(DHMB_FORMAT.decode(unflagged, LIMITS, 1 << 20)).toMatchObject({ ok: false, error: { code: 'badValue', message: '3 bytes after the last frame' } });
    const dirty = withCrc(Uint8Array.from(padded, (b, i) => (i === padded.length - 5 ? 1 : b)));
    expect(DHMB_FORMAT.decode(dirty, LIMITS, 1 << 20)).toMatchObject({ ok: false, error: { code: 'badValue' } });
    expect(() => DHMB_FORMAT.encode({ ...file, padding: -1 })).toThrow(RangeError);
  });
});

/** The file with its CRC-32 recomputed (so that only the edit is under test). */
function withCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

// ---- lazy acknowledgements ----------------------------------------------------------------

describe('StreamWriter: lazy acknowledgements', () => {
  const writer = (): StreamWriter => new StreamWriter('clientToHub', S1, EPOCH);
  const upload = (w: StreamWriter): MailboxFile => {
    const snap = w.snapshot(EPOCH);
    w.uploaded(snap);
    return snap.file;
  };

  test('a consumed count alone makes no upload; the next frame carries it', () => {
    const w = writer();
    w.append([{ frame: REGISTER, bytes: 10 }]);
    upload(w);
    w.consumedUpTo(3, EPOCH);
    expect(w.dirty).toBe(false);
    w.append([{ frame: { kind: 'dialog', clientId: CLIENT as never, messages: [nullMsg(1, 3)] }, bytes: 10 }]);
    expect(w.dirty).toBe(true);
    expect(upload(w).peerAck).toBe(3);
    expect(w.dirty).toBe(false);
  });

  test('urgent, another epoch, or ACK_EVERY_FRAMES behind: the acknowledgement goes out alone', () => {
    const urgent = writer();
    urgent.consumedUpTo(1, EPOCH, true);
    expect(urgent.dirty).toBe(true);
    expect(upload(urgent).peerAck).toBe(1);
    expect(urgent.dirty).toBe(false);

    const epoch = writer();
    epoch.consumedUpTo(1, 'ffff000000000001');
    expect(epoch.dirty).toBe(true);

    const behind = writer();
    behind.consumedUpTo(ACK_EVERY_FRAMES - 1, EPOCH);
    expect(behind.dirty).toBe(false);
    behind.consumedUpTo(ACK_EVERY_FRAMES, EPOCH);
    expect(behind.dirty).toBe(true);
  });

  test('an urgent acknowledgement stays due until an upload carries it, even if that upload failed', () => {
    const w = writer();
    w.consumedUpTo(2, EPOCH, true);
    w.snapshot(EPOCH); // the upload failed: no `uploaded`
    expect(w.dirty).toBe(true);
    const snap = w.snapshot(EPOCH);
    w.consumedUpTo(4, EPOCH); // more read while that upload was on its way
    w.uploaded(snap);
    expect(w.dirty).toBe(false); // 4 is not urgent on its own
    expect(snap.file.peerAck).toBe(2);
  });
});

// ---- over ftp-srv ---------------------------------------------------------------------------

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

interface Pair {
  readonly hub: FtpTransport;
  readonly client: FtpClientTransport;
  readonly link: FtpClientLink;
  readonly frames: HubFrame[];
  readonly closed: { reason: CloseReason | null; cause: string }[];
  readonly events: TransportEvent[];
  readonly clock: ManualClock;
  /** Size on disk of the session's hub file. */
  hubFileSize(): number;
  /** The hub writes `messages` on link 1 and ticks. */
  write(messages: readonly DialogMessage[]): Promise<void>;
}

let commandId = 0;

async function pair(srv: TestServer, options: { format?: MailboxFormat; fullReadEveryMs?: number } = {}): Promise<Pair> {
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 9, 0));
  const events: TransportEvent[] = [];
  const format = options.format ?? DHMB_FORMAT;
  const hub = new FtpTransport({ server: srv.options, remoteDir: srv.mailboxDir, clock, format });
  await hub.start((e) => events.push(e));
  const client = new FtpClientTransport({ server: srv.options, remoteDir: srv.mailboxDir, clock, format, ...(options.fullReadEveryMs === undefined ? {} : { fullReadEveryMs: options.fullReadEveryMs }) });
  const link = await client.connect();
  const frames: HubFrame[] = [];
  const closed: { reason: CloseReason | null; cause: string }[] = [];
  link.onFrame((f) => frames.push(f));
  link.onClose((reason, cause) => closed.push({ reason, cause }));
  void link.send(REGISTER);
  expect(await client.poll()).toMatchObject({ uploaded: 1, failed: 0 });
  expect(await hub.tick()).toMatchObject({ downloaded: 1, delivered: 1, failed: 0, links: 1 });
  const h2c = join(srv.diskRoot, srv.mailboxDir, 'h2c');
  return {
    hub,
    client,
    link,
    frames,
    closed,
    events,
    clock,
    hubFileSize: () => statSync(join(h2c, readdirSync(h2c).find((n) => n.endsWith('.dhm'))!)).size,
    write: async (messages) => {
      const done = hub.execute({ type: 'writeDialog', commandId: ++commandId, link: 1, clientId: CLIENT, messages } as unknown as TransportCommand);
      expect(await hub.tick()).toMatchObject({ uploaded: 1, failed: 0 });
      await done;
    },
  };
}

const seqs = (frames: readonly HubFrame[]): number[] => frames.flatMap((f) => (f.kind === 'dialog' ? f.messages.map((m) => m.seq) : []));

describe('the client finds out by SIZE whether its hub file changed', () => {
  test('idle polls ask SIZE only; a new hub file is downloaded at the next poll', async () => {
    server = await startFtpSrv();
    const p = await pair(server);
    await p.write([syncMsg(1)]);
    expect(await p.client.poll()).toMatchObject({ downloaded: 1, unchanged: 0, failed: 0 });
    expect(seqs(p.frames)).toEqual([1]);
    for (let i = 0; i < 3; i++) expect(await p.client.poll()).toMatchObject({ downloaded: 0, unchanged: 1, uploaded: 0, failed: 0 });
    // What an idle poll costs, to the byte: one command and its one-line reply, no data connection.
    const size = p.hubFileSize();
    const idle = await p.client.poll();
    expect(idle).toMatchObject({ unchanged: 1, dataConnections: 0 });
    expect(idle.bytes).toBe(`SIZE h2c/${p.link.session}.dhm\r\n`.length + `213 ${size}\r\n`.length);
    await p.write([syncMsg(2)]);
    const read = await p.client.poll();
    expect(read).toMatchObject({ downloaded: 1, unchanged: 0, failed: 0, dataConnections: 1 });
    // The SIZE, then EPSV and RETR with their replies, then the file itself on the data connection.
    expect(read.bytes).toBeGreaterThan(idle.bytes + p.hubFileSize());
    expect(seqs(p.frames)).toEqual([1, 2]);
    // The hub's ticks count what they moved too: an upload is a data connection.
    const tick = await (async () => {
      const done = p.hub.execute({ type: 'writeDialog', commandId: 999, link: 1, clientId: CLIENT, messages: [syncMsg(3)] } as unknown as TransportCommand);
      const r = await p.hub.tick();
      await done;
      return r;
    })();
    expect(tick).toMatchObject({ uploaded: 1 });
    expect(tick.dataConnections).toBe(2); // the NLST and the STOR
    expect(tick.bytes).toBeGreaterThan(p.hubFileSize());
    await p.client.close();
    await p.hub.stop();
  });

  test('a file of the same natural size as the one the client holds is padded, so the client still sees it', async () => {
    server = await startFtpSrv();
    const p = await pair(server);
    // Sync 1 alone, read; the client answers (its Null acknowledges frame 1, so the hub trims it).
    await p.write([syncMsg(1)]);
    await p.client.poll();
    const first = p.hubFileSize();
    void p.link.send({ kind: 'dialog', clientId: CLIENT as never, messages: [nullMsg(1, 1)] });
    expect(await p.client.poll()).toMatchObject({ unchanged: 1, uploaded: 1 });
    expect(await p.hub.tick()).toMatchObject({ downloaded: 1, uploaded: 0 });
    // Sync 2 alone: the same frames, byte for byte as long as Sync 1's file. The client may still hold
    // that one, so the hub pads this one.
    const natural = DHMB_FORMAT.encode({ direction: 'hubToClient', session: p.link.session, epoch: p.hub.epoch, generation: 2, base: 1, peerAck: 1, ended: false, frames: [{ kind: 'dialog', clientId: CLIENT as never, messages: [syncMsg(2, 1)] }] }).length;
    expect(natural).toBe(first);
    await p.write([syncMsg(2, 1)]);
    expect(p.hubFileSize()).not.toBe(first);
    expect(await p.client.poll()).toMatchObject({ downloaded: 1, failed: 0 });
    expect(seqs(p.frames)).toEqual([1, 2]);
    await p.client.close();
    await p.hub.stop();
  });

  test('fuzz: whatever the hub writes between polls, the next poll delivers every frame written so far, once, in order', async () => {
    server = await startFtpSrv();
    const p = await pair(server);
    // A fixed pseudo-random schedule (no wall clock): 0–2 hub writes between polls, the client
    // acknowledging (with a Null) after some of its reads so that the hub trims and sizes repeat.
    let x = 12345;
    const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) % n;
    let seq = 0;
    let clientSeq = 0;
    for (let round = 0; round < 40; round++) {
      for (let w = rnd(3); w > 0; w--) await p.write([syncMsg(++seq, clientSeq)]);
      await p.client.poll();
      expect(seqs(p.frames)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
      if (rnd(2) === 0 && p.frames.length > 0) {
        const read = seqs(p.frames).at(-1)!;
        void p.link.send({ kind: 'dialog', clientId: CLIENT as never, messages: [nullMsg(++clientSeq, read)] });
        await p.client.poll();
        await p.hub.tick();
      }
    }
    await p.client.poll();
    expect(seqs(p.frames)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    await p.client.close();
    await p.hub.stop();
  });

  test('after fullReadEveryMs without a download, the client downloads even an unchanged file', async () => {
    server = await startFtpSrv();
    const p = await pair(server, { fullReadEveryMs: 60_000 });
    await p.write([syncMsg(1)]);
    expect(await p.client.poll()).toMatchObject({ downloaded: 1 });
    p.clock.advanceBy(59_999);
    expect(await p.client.poll()).toMatchObject({ downloaded: 0, unchanged: 1 });
    p.clock.advanceBy(1);
    expect(await p.client.poll()).toMatchObject({ downloaded: 1, unchanged: 0 });
    expect(seqs(p.frames)).toEqual([1]);
    await p.client.close();
    await p.hub.stop();
  });

  test('fullReadEveryMs 0, or a format that cannot pad: a download at every poll', async () => {
    server = await startFtpSrv();
    const always = await pair(server, { fullReadEveryMs: 0 });
    await always.write([syncMsg(1)]);
    for (let i = 0; i < 3; i++) expect(await always.client.poll()).toMatchObject({ downloaded: 1, unchanged: 0 });
    await always.client.close();
    await always.hub.stop();
    await server.dispose();

    server = await startFtpSrv();
    const noPadding: MailboxFormat = { name: 'dhmb/1 without padding', encode: (f) => DHMB_FORMAT.encode({ ...f, padding: 0 }), decode: DHMB_FORMAT.decode };
    const p = await pair(server, { format: noPadding });
    await p.write([syncMsg(1)]);
    for (let i = 0; i < 3; i++) expect(await p.client.poll()).toMatchObject({ downloaded: 1, unchanged: 0 });
    await p.client.close();
    await p.hub.stop();
  });

  test('a hub file removed by the hub still ends the link (SIZE answers 550 like a download)', async () => {
    server = await startFtpSrv();
    const p = await pair(server);
    await p.write([syncMsg(1)]);
    await p.client.poll();
    const h2c = join(server.diskRoot, server.mailboxDir, 'h2c');
    for (const n of readdirSync(h2c)) rmSync(join(h2c, n));
    await p.client.poll();
    expect(p.closed).toEqual([{ reason: null, cause: 'mailboxGone' }]);
    await p.client.close();
    await p.hub.stop();
  });

  test('a restarted hub tells a stale session `shutdown` in a file the client sees change', async () => {
    server = await startFtpSrv();
    const p = await pair(server);
    await p.write([syncMsg(1)]);
    await p.client.poll();
    expect(await p.client.poll()).toMatchObject({ unchanged: 1 });
    // The hub process dies (no stop, no last upload); a new one starts on the same mailbox.
    const second = new FtpTransport({ server: server.options, remoteDir: server.mailboxDir, clock: p.clock });
    await second.start(() => {});
    void p.link.send({ kind: 'dialog', clientId: CLIENT as never, messages: [nullMsg(1, 1)] });
    await p.client.poll();
    await second.tick();
    await second.tick();
    await p.client.poll();
    expect(p.closed).toEqual([{ reason: 'shutdown', cause: 'closedByHub' }]);
    await p.client.close();
    await second.stop();
  });
});

describe('the hub lists names', () => {
  test('on a server that refuses NLST, the listing falls back to LIST and the hub serves as usual', async () => {
    server = await startFtpSrv({ blacklist: ['NLST'] });
    const p = await pair(server);
    await p.write([syncMsg(1)]);
    await p.client.poll();
    expect(seqs(p.frames)).toEqual([1]);
    expect(p.events).toMatchObject([{ type: 'requestReceived', link: 1 }]);
    await p.client.close();
    await p.hub.stop();
  });
});
