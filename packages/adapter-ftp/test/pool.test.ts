/**
 * The hub's connection pool (`connections`, docs/adapters/ftp.md §4): a busy
 * tick shares its downloads and uploads out on several control connections,
 * and nothing else changes — the facts reach the hub in session order, every
 * command settles once, every answer reaches its client.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { TransportCommand, TransportEvent } from '@dialoghub/runtime';
import { FtpClientTransport, FtpTransport, type ClientFrame, type FtpClientLink, type FtpLogEntry, type HubFrame } from '../src/index.js';
import { seededHex64 } from './scenario-kit.js';
import { startFtpSrv, type TestServer } from './servers.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

const register = (i: number): ClientFrame => ({
  kind: 'request',
  request: { kind: 'register', requestId: i, clientId: (0x100 + i) as never, profileId: 1 as never, contact: { name: `c${i}`, phone: '', email: '' }, environment: {} },
});

/** One busy round with `connections`: N clients register in one tick, the hub answers each in the next. */
async function busyRound(srv: TestServer, connections: number, n: number): Promise<{ facts: TransportEvent[]; answers: number[][]; closed: number[] }> {
  const facts: TransportEvent[] = [];
  const logs: FtpLogEntry[] = [];
  const hub = new FtpTransport({ server: srv.options, remoteDir: `${srv.mailboxDir}/c${connections}`, connections, log: (e) => logs.push(e) });
  await hub.start((e) => facts.push(e));
  const clients = new FtpClientTransport({ server: srv.options, remoteDir: `${srv.mailboxDir}/c${connections}`, randomHex64: seededHex64(7) });
  const links: FtpClientLink[] = [];
  const answers: number[][] = [];
  for (let i = 1; i <= n; i++) {
    const link = await clients.connect();
    const got: number[] = [];
    link.onFrame((f: HubFrame) => {
      if (f.kind === 'answer') got.push(f.requestId);
    });
    void link.send(register(i));
    links.push(link);
    answers.push(got);
  }
  expect(await clients.poll()).toMatchObject({ uploaded: n, failed: 0 });
  expect(await hub.tick()).toMatchObject({ downloaded: n, delivered: n, failed: 0, links: n });
  const replies = facts.map((f, k) =>
    f.type === 'requestReceived'
      ? hub.execute({ type: 'reply', commandId: k + 1, link: f.link, requestId: f.request.requestId, answer: { code: 'rejected', clientId: 0x100 + f.request.requestId, reason: 'profileInUse' } } as unknown as TransportCommand)
      : Promise.reject(new Error(`unexpected fact ${f.type}`)),
  );
  expect(await hub.tick()).toMatchObject({ uploaded: n, failed: 0 });
  await Promise.all(replies);
  expect(await clients.poll()).toMatchObject({ downloaded: n, failed: 0 });
  await clients.close();
  await hub.stop();
  // The extra connections that were opened log their close on stop (the first one logs without a number).
  const closed = logs.filter((l) => l.event === 'disconnected' && l.detail['why'] === 'closed').map((l) => Number(l.detail['connection'] ?? 1));
  return { facts, answers, closed: closed.sort((a, b) => a - b) };
}

describe('FtpTransport connections', () => {
  test('a busy tick on 3 connections: the same facts in the same (session) order as on one, every command settled, every answer delivered', async () => {
    server = await startFtpSrv();
    const one = await busyRound(server, 1, 12);
    const three = await busyRound(server, 3, 12);
    const summary = (facts: TransportEvent[]) => facts.map((f) => (f.type === 'requestReceived' ? `${f.link}:${f.request.requestId}` : f.type));
    expect(summary(three.facts)).toEqual(summary(one.facts));
    expect(three.answers).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1]));
    expect(one.answers).toEqual(three.answers);
    // Every connection of the pool carried part of the tick (each was opened, so each is closed on stop).
    expect(three.closed).toEqual([1, 2, 3]);
    expect(one.closed).toEqual([1]);
  });

  test('a server that allows one connection per account: the pool falls back on the first, every file is served in the same tick, the refusal is reported', async () => {
    server = await startFtpSrv({ maxConnections: 1 });
    // Six registrations in the mailbox (the clients' transport, then gone: the server counts every connection).
    const clients = new FtpClientTransport({ server: server.options, remoteDir: server.mailboxDir, randomHex64: seededHex64(9) });
    for (let i = 1; i <= 6; i++) void (await clients.connect()).send(register(i));
    expect(await clients.poll()).toMatchObject({ uploaded: 6, failed: 0 });
    await clients.close();
    const facts: TransportEvent[] = [];
    const second = new FtpTransport({ server: server.options, remoteDir: server.mailboxDir, connections: 3 });
    await second.start((e) => facts.push(e));
    const report = await second.tick();
    expect(report).toMatchObject({ downloaded: 6, delivered: 6, links: 6 });
    // Connections 2 and 3 were refused once each; no file failed for it.
    expect(report.failed).toBe(2);
    expect(report.errors.every((e) => /^connect \(connection [23] of 3\): 530 /.test(e))).toBe(true);
    expect(facts.filter((f) => f.type === 'requestReceived')).toHaveLength(6);
    // The hub's answers go out on the first connection; the refused ones sit the next ticks out.
    for (const [k, f] of facts.entries()) {
      if (f.type === 'requestReceived') void second.execute({ type: 'reply', commandId: k + 1, link: f.link, requestId: f.request.requestId, answer: { code: 'rejected', clientId: 0x100 + f.request.requestId, reason: 'profileInUse' } } as unknown as TransportCommand);
    }
    expect(await second.tick()).toMatchObject({ uploaded: 6, failed: 0 });
    await second.stop();
  });

  test('connections must be an integer from 1 to 16', () => {
    for (const bad of [0, 17, 1.5, Number.NaN]) expect(() => new FtpTransport({ connections: bad })).toThrow(RangeError);
    expect(() => new FtpTransport({ connections: 16 })).not.toThrow();
  });
});
