/**
 * TLS (node:tls) with a certificate the test makes with the `openssl` binary
 * in a temporary directory: a client logs in over TLS; peers that do not
 * speak TLS, or do not trust the hub, fail cleanly, and the hub keeps serving.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { profileId, type Answer } from '@dialoghub/core';
import { Hub, ManualClock, type TransportEvent } from '@dialoghub/runtime';
import { afterEach, describe, expect, test } from 'vitest';
import { connectTcp, TcpTransport, type HubFrame, type TcpClientLink, type TcpLogEntry, type TcpTransportOptions } from '../src/index.js';
import { ENDED, hasOpenssl, loginRequest, profilesRequest, RawPeer, registerRequest, testCertificate } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function settles(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` : String(e)}`,
  );
}

/** Frames a link receives, and how it ended. */
function watch(link: TcpClientLink): { frames: WatchList<HubFrame>; end: Promise<{ reason: unknown; cause: string }> } {
  const frames = new WatchList<HubFrame>();
  link.onFrame((f) => frames.push(f));
  const end = new Promise<{ reason: unknown; cause: string }>((resolve) => link.onClose((reason, cause) => resolve({ reason, cause })));
  cleanups.push(() => link.destroy());
  return { frames, end };
}

async function answerOf(frames: WatchList<HubFrame>, requestId: number): Promise<Answer> {
  const f = await frames.first((x) => x.kind === 'answer' && x.requestId === requestId);
  return (f as Extract<HubFrame, { kind: 'answer' }>).answer;
}

async function tlsTransport(options: TcpTransportOptions = {}) {
  const logs = new WatchList<TcpLogEntry>();
  const facts = new WatchList<TransportEvent>();
  const transport = new TcpTransport({ tls: testCertificate(), log: (e) => logs.push(e), ...options });
  await transport.start((e) => facts.push(e));
  cleanups.push(() => transport.stop());
  return { transport, logs, facts, port: transport.address().port };
}

describe.skipIf(!hasOpenssl())('TLS', () => {
  test('a client registers and logs in over TLS', async () => {
    const transport = new TcpTransport({ tls: testCertificate() });
    const hub = await Hub.open({ transport, config: { policy: 'replaceOld' } });
    cleanups.push(() => hub.close());
    await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'alpha' });
    const { port } = transport.address();

    const first = await connectTcp({ port, tls: { ca: testCertificate().cert } });
    const a = watch(first);
    await first.send(registerRequest(1, 101, 1));
    const registered = await answerOf(a.frames, 1);
    expect(registered).toMatchObject({ code: 'ok', clientId: 101 });
    const secret = registered.code === 'ok' ? registered.secret! : '';

    const second = await connectTcp({ port, tls: { ca: testCertificate().cert, servername: 'localhost' }, host: 'localhost' });
    const b = watch(second);
    await second.send(loginRequest(2, 101, secret));
    expect(await answerOf(b.frames, 2)).toMatchObject({ code: 'ok', clientId: 101 });
    expect(await a.end).toEqual({ reason: 'pushedOut', cause: 'closedByHub' });
  });

  test('a plain client against the TLS port fails cleanly: no frame, no fact, and the hub keeps serving', async () => {
    const { facts, logs, port } = await tlsTransport();
    const plain = await connectTcp({ port });
    const p = watch(plain);
    await plain.send(profilesRequest(1)).catch(() => {});
    const end = await p.end;
    expect(end.reason).toBeNull();
    expect(end.cause).not.toBe('closedByHub');
    expect(p.frames.items).toEqual([]);
    expect(await logs.first((e) => e.event === 'tlsError')).toMatchObject({ level: 'warn' });

    const good = await connectTcp({ port, tls: { ca: testCertificate().cert } });
    await good.send(profilesRequest(2));
    await facts.first((e) => e.type === 'requestReceived' && e.request.requestId === 2);
    expect(facts.items).toHaveLength(1);
    good.destroy();
  });

  test('a client that does not trust the certificate is refused at connect', async () => {
    const { facts, port } = await tlsTransport();
    expect(await settles(connectTcp({ port, tls: true }))).toMatch(/rejected: .*(self.signed|SELF_SIGNED)/i);
    expect(facts.items).toEqual([]);
  });

  test('a TLS client against a plain port is refused at connect', async () => {
    const plain = new TcpTransport();
    await plain.start(() => {});
    cleanups.push(() => plain.stop());
    expect(await settles(connectTcp({ port: plain.address().port, tls: { ca: testCertificate().cert } }))).toMatch(/rejected/);
  });

  test('a socket that never completes the handshake is destroyed at the first-frame deadline', async () => {
    const { logs, facts, port } = await tlsTransport({ firstFrameTimeoutMs: 50 });
    const raw = await RawPeer.open(port);
    cleanups.push(() => raw.socket.destroy());
    expect(await raw.next()).toEqual(ENDED);
    expect(await logs.first((e) => e.event === 'firstFrameTimeout')).toMatchObject({ detail: { tlsHandshakeDone: false } });
    expect(facts.items).toEqual([]);
  });

  test('over the caps a TLS connection is dropped before the handshake: the client fails to connect', async () => {
    const clock = new ManualClock(0);
    const { logs, port } = await tlsTransport({ maxConnections: 1, clock });
    const first = await connectTcp({ port, tls: { ca: testCertificate().cert } });
    watch(first);
    expect(await settles(connectTcp({ port, tls: { ca: testCertificate().cert } }))).toMatch(/rejected/);
    expect(await logs.first((e) => e.event === 'connectionRefused')).toMatchObject({ detail: { limit: 'maxConnections' } });
  });
});
