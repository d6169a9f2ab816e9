/**
 * TLS end to end: a certificate made for the test with `openssl` in a temp
 * dir, a `Hub` on a `TcpTransport` serving TLS with it, client engines
 * connecting with `connectTcp({ tls: { ca } })`. The whole life of a client
 * works inside TLS: registration (the issued secret travels only inside the
 * encrypted stream), a dialog both ways, a reset connection and a resume
 * with nothing lost or repeated, a push-out, and an operator kick. Clients
 * that do not trust the certificate, or do not speak TLS, never reach the
 * hub.
 */
import { testCertificate, type TestCertificate } from '@dialoghub/adapter-tests';
import { connectTcp } from '@dialoghub/adapter-tcp';
import { clientId } from '@dialoghub/core';
import { connect as netConnect } from 'node:net';
import { beforeAll, describe, expect, test } from 'vitest';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { hubEvent, startHub } from './helpers/hub.js';
import { useCleanup, within } from './helpers/wait.js';

useCleanup();

let cert: TestCertificate;
beforeAll(() => {
  cert = testCertificate();
});

const ID = 71;

describe('TLS', () => {
  test('register, dialog both ways, a reset and a resume, a push-out and a kick — all over TLS', async () => {
    const h = await startHub({ tcp: { tls: { key: cert.key, cert: cert.cert } } });
    const tls = { ca: cert.cert };
    const e = startEngine({ port: h.port, tls, credentials: registration(ID) });
    await e.online();
    expect(e.count('registered')).toBe(1);
    const credentials = e.store.current();
    expect('secret' in credentials && credentials.secret.length > 0).toBe(true);

    // A dialog both ways.
    const refs = [e.send('one'), e.send('two')];
    await e.acknowledged(refs);
    await h.send(ID, 'three');
    await e.received(1);
    expect(h.deliveries.items.map((d) => d.text)).toEqual(['one', 'two']);
    expect(e.messages().map((m) => m.text)).toEqual(['three']);

    // A reset connection mid-dialog: the engine resumes over a new TLS link, nothing lost or repeated.
    const more = [e.send('four'), e.send('five')];
    const hubSends = [h.send(ID, 'six'), h.send(ID, 'seven')];
    e.link.tcp.destroy();
    await e.nth('online', 2);
    await Promise.all(hubSends);
    await e.acknowledged(more);
    await e.received(3);
    expect(h.deliveries.items.map((d) => [d.seq, d.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'four'],
      [4, 'five'],
    ]);
    expect(e.messages().map((m) => m.text)).toEqual(['three', 'six', 'seven']);
    expect(h.requestsFrom(ID)).toEqual(['register', 'start']);

    // A second installation with the same identity logs in over TLS: the first is pushed out, for good.
    const second = startEngine({ port: h.port, tls, credentials, name: 'second' });
    await second.online();
    expect(await e.stopped()).toBe('pushedOut');
    expect(Engine.closeFrame(e.link)).toEqual({ reason: 'pushedOut', reconnect: false });
    await e.expectNoReconnect();
    const ref = second.send('eight');
    await second.acknowledged([ref]);
    expect(h.deliveries.items.at(-1)).toEqual({ clientId: ID, seq: 5, text: 'eight' });

    // The operator kicks it: terminal too.
    expect(await h.hub.operate({ type: 'clientKicked', clientId: clientId(ID) })).toMatchObject({ ok: true });
    expect(await second.stopped()).toBe('kicked');
    expect(Engine.closeFrame(second.link)).toEqual({ reason: 'kicked', reconnect: false });
    await second.expectNoReconnect();
    expect(h.status(ID)).toBe('enabled');
    expect(h.online()).toEqual([]);
  });

  test('a client that does not trust the certificate, or speaks plain TCP, never reaches the hub', async () => {
    const h = await startHub({ tcp: { tls: { key: cert.key, cert: cert.cert } } });
    const inputsBefore = h.steps.items.length;

    // No CA given: the system's CAs do not know the test's self-signed certificate.
    await expect(connectTcp({ port: h.port, tls: {} })).rejects.toThrow(/self[- ]signed|certificate/i);
    // The right CA but the wrong name.
    await expect(connectTcp({ port: h.port, tls: { ca: cert.cert, servername: 'example.org' } })).rejects.toThrow(/altnames|hostname|certificate/i);
    // Plain TCP bytes into the TLS port: the handshake fails on the hub side and the socket is dropped.
    const plain = netConnect({ host: '127.0.0.1', port: h.port });
    plain.on('error', () => {});
    plain.write(Buffer.from([0, 0, 0, 4, 1, 4, 1, 0]));
    await within(new Promise((resolve) => plain.once('close', resolve)), 'the plain socket to be dropped');
    await within(h.tcpLogs.first((l) => l.event === 'tlsError'), 'a tlsError log');

    // An engine that does not trust the hub keeps failing its attempts, and the hub never hears of it.
    const e = startEngine({ port: h.port, tls: {}, credentials: registration(ID), settings: { maxRetries: 3 } });
    expect(await e.stopped()).toBe('gaveUp');
    expect(e.connects).toBe(4);
    expect(e.events.items.filter((x) => x.type === 'attemptFailed').every((x) => x.type === 'attemptFailed' && /certificate/i.test(x.reason))).toBe(true);

    expect(h.steps.items.slice(inputsBefore)).toEqual([]);
    expect(h.status(ID)).toBeUndefined();

    // Meanwhile a client that trusts it is served.
    const good = startEngine({ port: h.port, tls: { ca: cert.cert }, credentials: registration(ID) });
    await good.online();
    await hubEvent(h, 'clientOnline', (x) => (x.clientId as number) === ID);
  });
});
