/**
 * The hub's side of the TCP adapter over real loopback sockets: what the
 * conformance suite cannot see from the outside — framing on the wire, the
 * first-frame deadline, peers that send garbage or oversized frames, the
 * idle timeout, back-pressure, the caps, and the graceful stop.
 *
 * Most tests drive the transport directly with a recording sink and talk
 * bytes through `RawPeer`. Nothing sleeps: every wait is for an event (a
 * fact, a log entry, a frame or the end of a socket). Deadlines under test
 * are small (50–200 ms) so the tests finish quickly, but no test asserts on
 * how long anything took.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { clientId, CLOSE_REASON_RECONNECT, encodeFrame, profileId, type CommandId, type DialogMessage, type HubInput, type LinkId } from '@dialoghub/core';
import { Hub, ManualClock, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { afterEach, describe, expect, test } from 'vitest';
import { connectTcp, lengthPrefixed, TcpTransport, type TcpClientLink, type TcpLogEntry, type TcpTransportOptions } from '../src/index.js';
import { ENDED, loginRequest, nextTurn, profilesRequest, RawPeer, registerRequest } from './helpers.js';

const ALICE = clientId(101);
let commandSeq = 0;
const cid = (): CommandId => ++commandSeq as CommandId;
const utf8 = new TextEncoder();

const app = (seq: number, payload: Uint8Array): DialogMessage => ({ seq, ack: 0, body: { type: 'app', appType: 'test.note', payload, replyTo: 0 } });
const write = (link: LinkId, messages: readonly DialogMessage[]): TransportCommand => ({ type: 'writeDialog', commandId: cid(), link, clientId: ALICE, messages });
const reply = (link: LinkId, requestId: number): TransportCommand => ({ type: 'reply', commandId: cid(), link, requestId, answer: { code: 'reset', clientId: ALICE } });
const close = (link: LinkId): TransportCommand => ({ type: 'close', commandId: cid(), link, clientId: ALICE, reason: 'kicked', reconnect: false });

const closeFrame = (reason: keyof typeof CLOSE_REASON_RECONNECT) => ({ kind: 'close', reason, reconnect: CLOSE_REASON_RECONNECT[reason] });

async function settles(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`,
  );
}

// ---- fixtures -------------------------------------------------------------------

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track<T extends RawPeer | TcpClientLink>(peer: T): T {
  cleanups.push(() => (peer instanceof RawPeer ? peer.socket.destroy() : peer.destroy()));
  return peer;
}

async function openPeer(port: number): Promise<RawPeer> {
  return track(await RawPeer.open(port));
}

/** A started transport whose facts and logs are recorded. */
async function started(options: TcpTransportOptions = {}) {
  const logs = new WatchList<TcpLogEntry>();
  const facts = new WatchList<TransportEvent>();
  const transport = new TcpTransport({ log: (e) => logs.push(e), ...options });
  await transport.start((e) => facts.push(e));
  cleanups.push(() => transport.stop());
  const port = transport.address().port;
  /** The link a request with `requestId` arrived on. */
  const linkOf = async (requestId: number): Promise<LinkId> =>
    (await facts.first((e) => e.type === 'requestReceived' && e.request.requestId === requestId)).link;
  return { transport, facts, logs, port, linkOf };
}

/** A hub on a TCP transport with one profile, closed after the test. */
async function hubOn(options: TcpTransportOptions = {}) {
  const logs = new WatchList<TcpLogEntry>();
  const steps = new WatchList<HubInput>();
  const transport = new TcpTransport({ log: (e) => logs.push(e), ...options });
  const hub = await Hub.open({ transport, config: { appMessageTypes: ['test.note'] }, onStep: (record) => steps.push(record.input) });
  cleanups.push(() => hub.close());
  expect(await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'alpha' })).toMatchObject({ ok: true });
  return { hub, transport, logs, steps, port: transport.address().port };
}

// ---- tests ----------------------------------------------------------------------

describe('starting', () => {
  test('refuses invalid options', () => {
    expect(() => new TcpTransport({ port: 70_000 })).toThrow(RangeError);
    expect(() => new TcpTransport({ maxFrameBytes: 1 })).toThrow(RangeError);
    expect(() => new TcpTransport({ firstFrameTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new TcpTransport({ maxQueuedBytes: -1 })).toThrow(RangeError);
    expect(() => new TcpTransport({ maxConnections: 1.5 })).toThrow(RangeError);
    expect(() => new TcpTransport({ tls: { key: '', cert: undefined as never } })).toThrow(TypeError);
  });

  test('listens on 127.0.0.1 by default, on an ephemeral port, and starts once', async () => {
    const t = new TcpTransport();
    expect(() => t.address()).toThrow(/not listening/);
    await t.start(() => {});
    cleanups.push(() => t.stop());
    expect(t.address()).toMatchObject({ host: '127.0.0.1' });
    expect(t.address().port).toBeGreaterThan(0);
    expect(await settles(t.start(() => {}))).toMatch(/already started/);
  });

  test('rejects start when the port is taken', async () => {
    const { port } = await started();
    const second = new TcpTransport({ port });
    expect(await settles(second.start(() => {}))).toMatch(/EADDRINUSE/);
    await second.stop();
  });
});

describe('framing', () => {
  test('frames become facts in order; answers and dialog messages come back as frames on the same link', async () => {
    const { transport, facts, port, linkOf } = await started();
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    await peer.send({ kind: 'dialog', clientId: ALICE, messages: [app(1, utf8.encode('a'))] });
    await peer.send({ kind: 'dialog', clientId: ALICE, messages: [app(2, utf8.encode('b'))] });
    const link = await linkOf(1);
    const mine = await facts.count((e) => e.link === link, 3);
    expect(mine.map((e) => e.type)).toEqual(['requestReceived', 'messagesReceived', 'messagesReceived']);
    expect(mine.flatMap((e) => (e.type === 'messagesReceived' ? e.messages.map((m) => m.seq) : []))).toEqual([1, 2]);

    await transport.execute(reply(link, 1));
    await transport.execute(write(link, [app(1, utf8.encode('x'))]));
    expect(await peer.next()).toMatchObject({ kind: 'answer', requestId: 1, answer: { code: 'reset' } });
    expect(await peer.next()).toMatchObject({ kind: 'dialog', clientId: ALICE, messages: [{ seq: 1 }] });
  });

  test('a writeDialog larger than maxFrameBytes goes out as several frames, every message in order', async () => {
    const { transport, port, linkOf } = await started({ maxFrameBytes: 1024 });
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    const messages = Array.from({ length: 30 }, (_, i) => app(i + 1, new Uint8Array(100).fill(i)));
    await transport.execute(write(link, messages));
    const seqs: number[] = [];
    let frames = 0;
    while (seqs.length < 30) {
      const e = await peer.next();
      if (e.kind !== 'dialog') throw new Error(`expected dialog, got ${e.kind}`);
      frames++;
      seqs.push(...e.messages.map((m) => m.seq));
    }
    expect(frames).toBeGreaterThan(1);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  test('a frame cut in half is waited for, and becomes one fact once completed', async () => {
    const { facts, port, linkOf } = await started();
    const slow = await openPeer(port);
    const other = await openPeer(port);
    const bytes = lengthPrefixed(encodeFrame(loginRequest(7, 101, 'secret')));
    await slow.write(bytes.subarray(0, 3)); // half of the prefix
    await other.send(profilesRequest(1));
    await linkOf(1); // the server has been through its event loop since
    await slow.write(bytes.subarray(3, 20)); // the rest of the prefix and part of the payload
    await other.send(profilesRequest(2));
    await linkOf(2);
    expect(facts.items.filter((e) => e.type === 'requestReceived' && e.request.requestId === 7)).toEqual([]);
    await slow.write(bytes.subarray(20));
    const fact = await facts.first((e) => e.type === 'requestReceived' && e.request.requestId === 7);
    expect(fact).toMatchObject({ type: 'requestReceived', request: { kind: 'login', clientId: 101, credential: { secret: 'secret' } } });
  });

  test('rejects commands for a link that never sent a request, and for a frame with no encoding', async () => {
    const { transport, port, linkOf, logs } = await started();
    const silent = await openPeer(port);
    const opened = await logs.first((e) => e.event === 'linkOpened');
    expect(await settles(transport.execute(reply(opened.link!, 1)))).toMatch(/unknown/);
    expect(await settles(transport.execute(reply(0xffff_fff0 as LinkId, 1)))).toMatch(/unknown/);
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    expect(link).not.toBe(opened.link);
    const bad: TransportCommand = { type: 'writeDialog', commandId: cid(), link, clientId: clientId(0), messages: [] };
    expect(await settles(transport.execute(bad))).toMatch(/rejected: .*clientId/);
    expect(silent.events.items).toEqual([]);
  });

  test('link ids are distinct unsigned 32-bit integers', async () => {
    const { port, linkOf } = await started();
    const peers = await Promise.all([1, 2, 3, 4].map(() => openPeer(port)));
    await Promise.all(peers.map((p, i) => p.send(profilesRequest(i + 1))));
    const links = await Promise.all([1, 2, 3, 4].map(linkOf));
    expect(new Set(links).size).toBe(4);
    for (const l of links) expect(Number.isInteger(l) && l >= 0 && l <= 0xffff_ffff).toBe(true);
  });
});

describe('the first frame', () => {
  test('a socket that stays silent is told `notLoggedIn` (reconnect allowed) at the deadline and closed; the hub hears nothing', async () => {
    const { facts, logs, port } = await started({ firstFrameTimeoutMs: 50 });
    const silent = await openPeer(port);
    expect(await silent.next()).toEqual(closeFrame('notLoggedIn'));
    expect(await silent.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'firstFrameTimeout')).toMatchObject({ level: 'info', detail: { pendingBytes: 0 } });
    expect(facts.items).toEqual([]);
  });

  test('half a frame that is never completed is bounded by the same deadline', async () => {
    const { facts, logs, port } = await started({ firstFrameTimeoutMs: 50 });
    const peer = await openPeer(port);
    await peer.write(Uint8Array.of(0, 0, 0, 40, 1, 1));
    expect(await peer.next()).toEqual(closeFrame('notLoggedIn'));
    expect(await peer.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'firstFrameTimeout')).toMatchObject({ detail: { pendingBytes: 6 } });
    expect(facts.items).toEqual([]);
  });

  test('dialog messages before any request: `notLoggedIn`, and the hub hears nothing', async () => {
    const { facts, logs, port } = await started();
    const peer = await openPeer(port);
    await peer.send({ kind: 'dialog', clientId: ALICE, messages: [app(1, utf8.encode('let me in'))] });
    expect(await peer.next()).toEqual(closeFrame('notLoggedIn'));
    expect(await peer.next()).toEqual(ENDED);
    await logs.first((e) => e.event === 'notLoggedIn');
    expect(facts.items).toEqual([]);
  });

  test('a login sent after the deadline is not read: the hub never hears of the link', async () => {
    const { facts, port, linkOf } = await started({ firstFrameTimeoutMs: 50 });
    const late = await openPeer(port);
    expect(await late.next()).toEqual(closeFrame('notLoggedIn'));
    await late.send(loginRequest(5, 101, 'secret'));
    expect(await late.next()).toEqual(ENDED);
    // Another link's round trip: whatever the server read from the late socket, it has handled by now.
    const other = await openPeer(port);
    await other.send(profilesRequest(6));
    await linkOf(6);
    expect(facts.items.filter((e) => e.type === 'requestReceived' && e.request.requestId === 5)).toEqual([]);

    // The same through a client link: once the link has ended, send rejects.
    const link = track(await connectTcp({ port }));
    const ended = new Promise<[unknown, string]>((resolve) => link.onClose((reason, cause) => resolve([reason, cause])));
    expect(await ended).toEqual(['notLoggedIn', 'closedByHub']);
    expect(await settles(link.send(loginRequest(8, 101, 'secret')))).toMatch(/rejected: the link has ended/);
  });
});

describe('peers that break the framing', () => {
  test('garbage as the first frame: told `refused` and closed; the hub hears nothing', async () => {
    const { facts, logs, port } = await started();
    const peer = await openPeer(port);
    await peer.write(lengthPrefixed(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)));
    expect(await peer.next()).toEqual(closeFrame('refused'));
    expect(await peer.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'badFrame')).toMatchObject({ level: 'warn', detail: { code: 'badVersion' } });
    expect(facts.items).toEqual([]);
  });

  test('garbage after a login: the hub hears one connectionClosed (no commandFailed), the peer is told `refused`', async () => {
    const { hub, steps, logs, port } = await hubOn();
    const peer = await openPeer(port);
    await peer.send(registerRequest(1, 101, 1));
    expect(await peer.next()).toMatchObject({ kind: 'answer', answer: { code: 'ok', clientId: 101 } });
    const offline = new Promise((resolve) => hub.on('clientOffline', resolve));
    await peer.write(lengthPrefixed(Uint8Array.of(1, 3, 0, 0, 0, 0, 0)));
    expect(await peer.next()).toEqual(closeFrame('refused'));
    expect(await peer.next()).toEqual(ENDED);
    const closed = await steps.first((i) => i.type === 'connectionClosed');
    expect(closed).toMatchObject({ type: 'connectionClosed', cause: expect.stringMatching(/^badFrame: badValue/) });
    expect(await offline).toMatchObject({ clientId: 101, reason: 'connectionLost' });
    await logs.first((e) => e.event === 'linkClosed');
    await hub.drain();
    expect(steps.items.filter((i) => i.type === 'connectionClosed')).toHaveLength(1);
    expect(steps.items.filter((i) => i.type === 'commandFailed')).toEqual([]);
  });

  test('an oversized frame before a login: told `refused` as soon as its prefix is in', async () => {
    const { facts, logs, port } = await started({ maxFrameBytes: 1024 });
    const peer = await openPeer(port);
    await peer.write(Uint8Array.of(0, 0, 4, 1)); // announces 1025 bytes, sends none of them
    expect(await peer.next()).toEqual(closeFrame('refused'));
    expect(await peer.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'frameTooLarge')).toMatchObject({ detail: { length: 1025, maxFrameBytes: 1024 } });
    expect(facts.items).toEqual([]);
  });

  test('an oversized frame after a login: connectionClosed with cause tooLarge', async () => {
    const { facts, port, linkOf } = await started({ maxFrameBytes: 1024 });
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    await peer.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    expect(await peer.next()).toEqual(closeFrame('refused'));
    const lost = await facts.first((e) => e.type === 'connectionClosed');
    expect(lost).toEqual({ type: 'connectionClosed', link, cause: expect.stringMatching(/^tooLarge: a frame of 4294967295 bytes/) });
  });

  test('a hub-only frame kind from a client is refused', async () => {
    const { facts, port, linkOf } = await started();
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    await peer.send({ kind: 'close', reason: 'shutdown', reconnect: true });
    expect(await peer.next()).toEqual(closeFrame('refused'));
    expect(await facts.first((e) => e.type === 'connectionClosed')).toEqual({ type: 'connectionClosed', link, cause: 'badFrame: a client may not send close frames' });
  });
});

describe('closing and losing links', () => {
  test('close: the close frame, then the end; commands after it reject; no connectionClosed follows (rule 4)', async () => {
    const { transport, facts, logs, port, linkOf } = await started();
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    await transport.execute(reply(link, 1));
    await transport.execute(close(link));
    expect(await peer.next()).toMatchObject({ kind: 'answer' });
    expect(await peer.next()).toEqual({ kind: 'close', reason: 'kicked', reconnect: false });
    expect(await peer.next()).toEqual(ENDED);
    expect(await settles(transport.execute(reply(link, 1)))).toMatch(/rejected/);
    await logs.first((e) => e.event === 'linkClosed' && e.link === link);
    expect(facts.items.filter((e) => e.type === 'connectionClosed')).toEqual([]);
  });

  test('a peer that hangs up: one connectionClosed, after the frames it sent', async () => {
    const { facts, port, linkOf } = await started();
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    await peer.send({ kind: 'dialog', clientId: ALICE, messages: [app(1, utf8.encode('bye'))] });
    peer.socket.end();
    const link = await linkOf(1);
    await facts.first((e) => e.type === 'connectionClosed');
    expect(facts.items.filter((e) => e.link === link).map((e) => e.type)).toEqual(['requestReceived', 'messagesReceived', 'connectionClosed']);
    expect(facts.items.find((e) => e.type === 'connectionClosed')).toMatchObject({ cause: 'peerClosed' });
  });

  test('a link that hears no byte for idleTimeoutMs is dropped: connectionClosed with cause idleTimeout', async () => {
    const { facts, logs, port, linkOf } = await started({ idleTimeoutMs: 100 });
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    expect(await facts.first((e) => e.type === 'connectionClosed')).toEqual({ type: 'connectionClosed', link, cause: 'idleTimeout' });
    // Dropped, not told: the peer was not listening either; for its engine this is a transport loss.
    expect(await peer.next()).toEqual(ENDED);
    await logs.first((e) => e.event === 'idleTimeout');
  });
});

describe('back-pressure', () => {
  test('a reader that stops reading is disconnected once its queue passes maxQueuedBytes: connectionClosed slowReader', async () => {
    const { transport, facts, logs, port, linkOf } = await started({ maxQueuedBytes: 64 * 1024, lingerMs: 100 });
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    peer.socket.pause();
    const payload = new Uint8Array(32 * 1024);
    const outcomes: Promise<string>[] = [];
    // Keep writing, one frame per turn of the event loop, until the adapter gives up on the reader (bounded).
    for (let i = 1; i <= 20_000 && facts.items.length < 2; i++) {
      outcomes.push(settles(transport.execute(write(link, [app(i, payload)]))));
      await nextTurn();
    }
    expect(await facts.first((e) => e.type === 'connectionClosed')).toEqual({ type: 'connectionClosed', link, cause: 'slowReader' });
    const slow = await logs.first((e) => e.event === 'slowReader');
    expect(slow.detail['queuedBytes']).toBeGreaterThan(64 * 1024);
    // The write that found the queue full was refused; from now on every command is.
    expect((await Promise.all(outcomes)).some((o) => o.includes('slow reader'))).toBe(true);
    expect(await settles(transport.execute(write(link, [app(1, payload)])))).toMatch(/rejected/);
    // Memory is released: the socket goes once the linger runs out (or the reader catches up and reads the close).
    peer.socket.resume();
    await peer.closed();
    await logs.first((e) => e.event === 'linkClosed' && e.link === link);
    expect(transport.connections).toBe(0);
    expect(facts.items.filter((e) => e.type === 'connectionClosed')).toHaveLength(1);
  });
});

describe('caps', () => {
  test('over maxConnections a new socket is told `busy` (back off and retry) and closed at once; a freed slot is served again', async () => {
    const { facts, logs, port, linkOf } = await started({ maxConnections: 2 });
    const a = await openPeer(port);
    const b = await openPeer(port);
    await logs.count((e) => e.event === 'linkOpened', 2);
    const c = await openPeer(port);
    expect(await c.next()).toEqual(closeFrame('busy'));
    expect(await c.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'connectionRefused')).toMatchObject({ link: null, detail: { limit: 'maxConnections' } });
    a.socket.destroy();
    await logs.first((e) => e.event === 'linkClosed');
    const d = await openPeer(port);
    await d.send(profilesRequest(1));
    await linkOf(1);
    expect(facts.items.filter((e) => e.type === 'requestReceived')).toHaveLength(1);
    expect(b.events.items).toEqual([]);
  });

  test('over maxNewConnectionsPerSecond a new socket is told `busy`; tokens come back with time (manual clock)', async () => {
    const clock = new ManualClock(1_000_000);
    const { logs, port, linkOf } = await started({ maxNewConnectionsPerSecond: 2, clock });
    await openPeer(port);
    await openPeer(port);
    await logs.count((e) => e.event === 'linkOpened', 2);
    const third = await openPeer(port);
    expect(await third.next()).toEqual(closeFrame('busy'));
    expect(await logs.first((e) => e.event === 'connectionRefused')).toMatchObject({ detail: { limit: 'maxNewConnectionsPerSecond' } });
    clock.advanceBy(500); // one token back
    const fourth = await openPeer(port);
    await fourth.send(profilesRequest(1));
    await linkOf(1);
    const fifth = await openPeer(port);
    expect(await fifth.next()).toEqual(closeFrame('busy'));
    expect(logs.items.filter((e) => e.event === 'connectionRefused')).toHaveLength(2);
  });
});

describe('stop', () => {
  test('tells every client `shutdown` (reconnect allowed) — logged in, silent or mid-frame — and reports nothing after', async () => {
    const { transport, facts, port, linkOf } = await started();
    const open = await openPeer(port);
    await open.send(profilesRequest(1));
    const link = await linkOf(1);
    const silent = await openPeer(port);
    const midFrame = await openPeer(port);
    await midFrame.write(Uint8Array.of(0, 0, 0, 9, 1));
    const client = track(await connectTcp({ port }));
    const clientEnd = new Promise((resolve) => client.onClose((reason, cause) => resolve({ reason, cause })));
    await client.send(profilesRequest(2));
    await linkOf(2);
    const before = facts.items.length;

    const stopping = transport.stop();
    expect(transport.stop()).toBe(stopping);
    for (const peer of [open, silent, midFrame]) {
      expect(await peer.next()).toEqual(closeFrame('shutdown'));
      expect(await peer.next()).toEqual(ENDED);
    }
    expect(await clientEnd).toEqual({ reason: 'shutdown', cause: 'closedByHub' });
    await stopping;
    expect(facts.items.length).toBe(before);
    expect(await settles(transport.execute(reply(link, 1)))).toMatch(/rejected/);
    expect(await settles(connectTcp({ port }))).toMatch(/ECONNREFUSED/);
  });

  test('a peer that does not read cannot hold stop() up beyond stopTimeoutMs', async () => {
    const { transport, logs, port, linkOf } = await started({ stopTimeoutMs: 100, lingerMs: 60_000, maxQueuedBytes: 1 << 30 });
    const peer = await openPeer(port);
    await peer.send(profilesRequest(1));
    const link = await linkOf(1);
    peer.socket.pause();
    const payload = new Uint8Array(256 * 1024);
    for (let i = 1; i <= 64; i++) void transport.execute(write(link, [app(i, payload)])).catch(() => {});
    await nextTurn();
    await transport.stop();
    expect(await logs.first((e) => e.event === 'stopTimeout')).toMatchObject({ level: 'warn', detail: { links: 1 } });
    peer.socket.resume();
    await peer.closed();
  });

  test('stop before start resolves, and start after stop rejects', async () => {
    const t = new TcpTransport();
    await t.stop();
    expect(await settles(t.start(() => {}))).toMatch(/already stopped/);
  });
});

describe('load', () => {
  test('a thousand connections that never speak are all closed by the first-frame deadline while a real client keeps being served', async () => {
    const { hub, port } = await hubOn({ firstFrameTimeoutMs: 150, maxConnections: 5_000 });
    const served = new WatchList<string>();
    hub.handle('test.note', (d) => served.push(new TextDecoder().decode(d.payload)));
    const real = track(await connectTcp({ port }));
    const inbox = new WatchList<unknown>();
    real.onFrame((f) => inbox.push(f));
    await real.send(registerRequest(1, 101, 1));
    await inbox.first((f) => (f as { kind: string }).kind === 'answer');

    const silent: RawPeer[] = [];
    for (let batch = 0; batch < 10; batch++) {
      silent.push(...(await Promise.all(Array.from({ length: 100 }, () => openPeer(port)))));
      // The real client is served between batches.
      await real.send({ kind: 'dialog', clientId: ALICE, messages: [app(batch + 1, utf8.encode(`m${batch + 1}`))] });
      await served.first((text) => text === `m${batch + 1}`);
    }
    const ends = await Promise.all(silent.map(async (p) => [await p.next(), await p.next()]));
    expect(ends.every(([first, second]) => first!.kind === 'close' && (first as { reason: string }).reason === 'notLoggedIn' && second === ENDED)).toBe(true);
    await real.send({ kind: 'dialog', clientId: ALICE, messages: [app(11, utf8.encode('still here'))] });
    await served.first((text) => text === 'still here');
    expect(served.items).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i + 1}`), 'still here']);
    expect(real.open).toBe(true);
  }, 60_000);
});
