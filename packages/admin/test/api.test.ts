/**
 * The admin API against a real `Hub` (memory network, manual clock, memory
 * store): authentication, reads, every operator action through
 * `hub.operate` (journaled and replayable), refusals with the core's reason,
 * and bad input that is always a 4xx, never a 500.
 */
import { deserialize, serialize, step, type HubState } from '@dialoghub/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAdmin } from '../src/index.js';
import { admin, api, START, testHub, TOKEN, type TestHub } from './helpers.js';

let t: TestHub;
let a: RunningAdmin;

beforeEach(async () => {
  t = await testHub();
  a = await admin(t.hub);
});

afterEach(async () => {
  await a.close();
  await t.hub.close();
});

async function twoProfiles(): Promise<void> {
  expect((await api(a, 'POST', '/api/profiles', { id: 1, name: 'front desk' })).status).toBe(200);
  expect((await api(a, 'POST', '/api/profiles', { id: 2, name: 'back office', mode: 'manual', policy: 'ignoreNew' })).status).toBe(200);
}

describe('authentication', () => {
  const routes: [string, string][] = [
    ['GET', '/api/stats'],
    ['GET', '/api/clients'],
    ['GET', '/api/clients/1'],
    ['POST', '/api/clients/1/status'],
    ['POST', '/api/clients/1/kick'],
    ['DELETE', '/api/clients/1'],
    ['GET', '/api/profiles'],
    ['POST', '/api/profiles'],
    ['POST', '/api/profiles/1/mode'],
    ['DELETE', '/api/profiles/1'],
    ['GET', '/api/events'],
    ['GET', '/metrics'],
    ['GET', '/console.js'],
    ['GET', '/no/such/route'],
  ];

  it('answers 401 on every route but the login page without the token, or with a wrong one', async () => {
    for (const [method, path] of routes) {
      for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
        const r = await api(a, method, path, method === 'GET' ? undefined : { status: 'banned' }, token);
        expect(r.status, `${method} ${path} with ${String(token)}`).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(r.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
      }
    }
    // A malformed Authorization header is no token either.
    expect((await api(a, 'GET', '/api/stats', undefined, null, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    // Nothing happened to the hub.
    expect(t.hub.state.profiles.size).toBe(0);
  });

  it('serves the login page without the token, with code and no data, under a strict CSP', async () => {
    await twoProfiles();
    await t.register(424242, 1, { name: 'Secret Person', phone: '+1-555-0100', email: 'secret@example.org' });
    const r = await api(a, 'GET', '/', undefined, null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.text).toContain('<title>dialoghub console</title>');
    for (const secret of ['424242', 'Secret Person', 'secret@example.org', 'front desk', 'back office', TOKEN]) expect(r.text).not.toContain(secret);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('cache-control')).toBe('no-store');
    // The page is the only public route: a POST to it is still a 405, not a way in.
    expect((await api(a, 'POST', '/', {}, null)).status).toBe(405);
  });
});

describe('reads', () => {
  it('lists clients with filters, search and paging', async () => {
    await twoProfiles();
    for (let id = 101; id <= 105; id++) await t.register(id, 1);
    await t.hub.operate({ type: 'profileModeSet', profileId: 2 as never, mode: 'auto' });
    await t.register(201, 2, { name: 'Zoë Example', phone: '+33 1 23', email: 'zoe@example.fr' });
    const all = await api(a, 'GET', '/api/clients');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(6);
    expect(all.body.items.map((c: { id: number }) => c.id)).toEqual([101, 102, 103, 104, 105, 201]);
    // Each registration in profile 1 replaced the previous one: one enabled (105), the rest disabled.
    const enabled = await api(a, 'GET', '/api/clients?status=enabled&profile=1');
    expect(enabled.body.items.map((c: { id: number }) => c.id)).toEqual([105]);
    expect(enabled.body.items[0]).toMatchObject({ id: 105, profileId: 1, profileName: 'front desk', status: 'enabled', online: true, registeredAt: START, contact: { name: 'client 105' } });
    expect((await api(a, 'GET', '/api/clients?status=disabled')).body.total).toBe(4);
    expect((await api(a, 'GET', '/api/clients?online=true')).body.items.map((c: { id: number }) => c.id)).toEqual([105, 201]);
    expect((await api(a, 'GET', '/api/clients?q=zoë')).body.items.map((c: { id: number }) => c.id)).toEqual([201]);
    expect((await api(a, 'GET', '/api/clients?q=EXAMPLE.FR')).body.total).toBe(1);
    expect((await api(a, 'GET', '/api/clients?q=10')).body.total).toBe(5);
    const page = await api(a, 'GET', '/api/clients?offset=2&limit=2');
    expect(page.body).toMatchObject({ total: 6, offset: 2, limit: 2 });
    expect(page.body.items.map((c: { id: number }) => c.id)).toEqual([103, 104]);
    expect((await api(a, 'GET', '/api/clients?offset=10')).body).toMatchObject({ total: 6, items: [] });
  });

  it('caps the page size', async () => {
    const r = await api(a, 'GET', '/api/clients?limit=201');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('limit is at most 200');
    expect((await api(a, 'GET', '/api/clients?limit=200')).status).toBe(200);
  });

  it('shows one client with its environment history and recent dialog', async () => {
    await twoProfiles();
    const { client } = await t.register(7, 1, undefined, { os: 'linux', version: '1.0' });
    client.link.close();
    await t.settle();
    t.clock.advanceBy(1000);
    const again = await t.login(client, { os: 'linux', version: '1.1' });
    again.client.link.send({ kind: 'dialog', clientId: 7 as never, messages: [{ seq: 1, ack: 0, body: { type: 'log', at: 0, isError: false, text: 'hello from the client' } }] });
    await t.settle();
    const r = await api(a, 'GET', '/api/clients/7');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 7, status: 'enabled', online: true, proven: true, messagesIn: 1 });
    expect(r.body.environments).toEqual([
      { at: START, env: { os: 'linux', version: '1.0' } },
      { at: START + 1000, env: { os: 'linux', version: '1.1' } },
    ]);
    expect(r.body.session).toMatchObject({ link: again.client.link.id, since: START + 1000 });
    expect(r.body.dialog).toEqual({ inSeq: 1, outSeq: 0, outAcked: 0, unconfirmed: 0 });
    expect(r.body.recent).toEqual([
      { at: START + 1000, dir: 'in', seq: 1, ack: 0, type: 'log', text: 'log: hello from the client' },
      { at: START + 1000, dir: 'out', seq: 0, ack: 1, type: 'ack', text: 'ack' },
    ]);
    expect((await api(a, 'GET', '/api/clients/8')).status).toBe(404);
  });

  it('lists profiles with mode and policy, and hub statistics', async () => {
    await twoProfiles();
    await t.register(11, 1);
    const p = await api(a, 'GET', '/api/profiles');
    expect(p.body).toEqual({
      hubPolicy: 'replaceOld',
      items: [
        { id: 1, name: 'front desk', mode: 'auto', policy: null, effectivePolicy: 'replaceOld', enabledClient: 11, clientCount: 1, online: 1 },
        { id: 2, name: 'back office', mode: 'manual', policy: 'ignoreNew', effectivePolicy: 'ignoreNew', enabledClient: null, clientCount: 0, online: 0 },
      ],
    });
    const s = await api(a, 'GET', '/api/stats');
    expect(s.body).toEqual({
      now: START,
      journalSeq: t.hub.journalSeq,
      hubPolicy: 'replaceOld',
      profiles: 2,
      clients: { total: 1, enabled: 1, disabled: 0, banned: 0, reset: 0 },
      online: 1,
      outboxDepth: 0,
      messagesReceived: 0,
      messagesWritten: 0,
    });
  });
});

describe('actions go through hub.operate', () => {
  it('bans an online client: its session ends with reason banned, the profile turns manual, all journaled', async () => {
    await twoProfiles();
    const { client } = await t.register(31, 1);
    const seq = t.hub.journalSeq;
    const r = await api(a, 'POST', '/api/clients/31/status', { status: 'banned' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, message: 'client 31 is now banned', journalSeq: seq + 1 });
    await t.settle();
    expect(client.link.ended).toMatchObject({ by: 'hub', reason: 'banned' });
    expect(t.hub.state.clients.get(31)?.status).toBe('banned');
    expect(t.hub.state.profiles.get(1)?.mode).toBe('manual');
    const { records } = await t.store.recover();
    expect(records.at(-1)?.input).toMatchObject({ type: 'statusSet', clientId: 31, status: 'banned' });
  });

  it('kicks, resets and deletes; refusals carry the core reason', async () => {
    await twoProfiles();
    const { client } = await t.register(41, 1);
    expect(await api(a, 'DELETE', '/api/clients/41')).toMatchObject({ status: 409, body: { error: 'notReset' } });
    expect((await api(a, 'POST', '/api/clients/41/kick', {})).status).toBe(200);
    await t.settle();
    expect(client.link.ended).toMatchObject({ by: 'hub', reason: 'kicked' });
    expect(await api(a, 'POST', '/api/clients/41/kick')).toMatchObject({ status: 409, body: { error: 'notOnline', message: 'client 41 is not online' } });
    expect((await api(a, 'POST', '/api/clients/41/status', { status: 'reset' })).status).toBe(200);
    expect((await api(a, 'DELETE', '/api/clients/41')).status).toBe(200);
    expect(t.hub.state.clients.has(41)).toBe(false);
    expect(await api(a, 'POST', '/api/clients/41/status', { status: 'enabled' })).toMatchObject({ status: 404, body: { error: 'unknownClient' } });
  });

  it('manages profiles: create, rename, mode, policy, remove', async () => {
    await twoProfiles();
    expect(await api(a, 'POST', '/api/profiles', { id: 1, name: 'again' })).toMatchObject({ status: 409, body: { error: 'profileExists' } });
    expect(await api(a, 'POST', '/api/profiles', { id: 3, name: '   ' })).toMatchObject({ status: 422, body: { error: 'invalidName' } });
    expect((await api(a, 'POST', '/api/profiles/1/name', { name: 'reception' })).status).toBe(200);
    expect((await api(a, 'POST', '/api/profiles/1/mode', { mode: 'manual' })).status).toBe(200);
    expect((await api(a, 'POST', '/api/profiles/1/policy', { policy: 'seniority' })).status).toBe(200);
    expect((await api(a, 'POST', '/api/profiles/2/policy', { policy: null })).status).toBe(200);
    expect(t.hub.state.profiles.get(1)).toMatchObject({ name: 'reception', mode: 'manual', policy: 'seniority' });
    expect(t.hub.state.profiles.get(2)?.policy).toBe(null);
    await t.hub.operate({ type: 'profileModeSet', profileId: 1 as never, mode: 'auto' });
    await t.register(51, 1);
    expect(await api(a, 'DELETE', '/api/profiles/1')).toMatchObject({ status: 409, body: { error: 'profileNotEmpty' } });
    expect((await api(a, 'DELETE', '/api/profiles/2')).status).toBe(200);
    expect(await api(a, 'DELETE', '/api/profiles/2')).toMatchObject({ status: 404, body: { error: 'unknownProfile' } });
  });

  it('a manual profile refuses the automatic takeover the operator did not make', async () => {
    await twoProfiles();
    const first = await t.register(61, 1);
    expect((await api(a, 'POST', '/api/profiles/1/mode', { mode: 'manual' })).status).toBe(200);
    const second = await t.register(62, 1);
    expect(second.answer).toEqual({ code: 'rejected', clientId: 62, reason: 'profileManual' });
    expect(first.client.link.open).toBe(true);
    expect(t.hub.state.profiles.get(1)?.enabledClient).toBe(61);
  });

  it('replaying the journal gives the same state: console actions are ordinary operator inputs', async () => {
    await twoProfiles();
    await t.register(71, 1);
    await t.register(72, 1);
    await api(a, 'POST', '/api/clients/71/status', { status: 'enabled' });
    await api(a, 'POST', '/api/clients/72/status', { status: 'reset' });
    await api(a, 'DELETE', '/api/clients/72');
    await api(a, 'POST', '/api/profiles/2/name', { name: 'renamed' });
    await t.settle();
    const { snapshot, records } = await t.store.recover();
    const restored = deserialize(snapshot!.bytes);
    if (!restored.ok) throw new Error('snapshot');
    let state: HubState = restored.value;
    for (const r of records) state = step(state, r.input, r.now).state;
    expect(serialize(state)).toEqual(serialize(t.hub.state));
  });
});

describe('bad input is a 4xx with a message, never a 500', () => {
  const cases: [string, string, string | undefined, number, Record<string, string>?][] = [
    ['POST', '/api/clients/1/status', '{"status": "banned"', 400],
    ['POST', '/api/clients/1/status', 'not json at all', 400],
    ['POST', '/api/clients/1/status', '[1,2,3]', 400],
    ['POST', '/api/clients/1/status', 'null', 400],
    ['POST', '/api/clients/1/status', '{"status":"deleted"}', 400],
    ['POST', '/api/clients/1/status', '{"status":"banned","extra":1}', 400],
    ['POST', '/api/clients/1/status', '{}', 400],
    ['POST', '/api/clients/0/status', '{"status":"banned"}', 400],
    ['POST', '/api/clients/4294967296/status', '{"status":"banned"}', 400],
    ['POST', '/api/clients/-1/status', '{"status":"banned"}', 400],
    ['POST', '/api/clients/1e3/status', '{"status":"banned"}', 400],
    ['POST', '/api/clients/%zz/status', '{"status":"banned"}', 400],
    ['POST', '/api/clients/1/status', '{"status":"banned"}', 415, { 'content-type': 'text/plain' }],
    ['POST', '/api/profiles', '{"id":1.5,"name":"x"}', 400],
    ['POST', '/api/profiles', '{"id":"1","name":"x"}', 400],
    ['POST', '/api/profiles', '{"id":1,"name":42}', 400],
    ['POST', '/api/profiles', '{"id":1,"name":"x","mode":"sometimes"}', 400],
    ['POST', '/api/profiles/1/policy', '{"policy":"newestWins"}', 400],
    ['POST', '/api/profiles/1/policy', '{}', 400],
    ['GET', '/api/clients?status=online', undefined, 400],
    ['GET', '/api/clients?limit=0', undefined, 400],
    ['GET', '/api/clients?offset=-1', undefined, 400],
    ['GET', '/api/clients?profile=abc', undefined, 400],
    ['GET', '/api/clients?sort=name', undefined, 400],
    ['GET', '/api/clients?q=' + 'x'.repeat(201), undefined, 400],
    ['GET', '/api/stats?x=1', undefined, 400],
    ['GET', '/api/events?since=abc', undefined, 400],
    ['GET', '/api/nothing', undefined, 404],
    ['PUT', '/api/clients/1/status', '{"status":"banned"}', 405],
    ['GET', '/api/clients/1/status', undefined, 405],
  ];

  it.each(cases)('%s %s %s → %i', async (method, path, body, status, headers) => {
    const r = await api(a, method, path, body, TOKEN, headers ?? {});
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect(r.body.message.length).toBeGreaterThan(5);
  });

  it('refuses an oversize body with 413 and keeps serving', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
    const r = await api(a, 'POST', '/api/profiles/1/name', big);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('bodyTooLarge');
    const chunked = await fetch(new URL('/api/profiles/1/name', a.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 80; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await api(a, 'GET', '/api/stats')).status).toBe(200);
  });

  it('an action on a closed hub is a 503', async () => {
    await t.hub.close();
    const r = await api(a, 'POST', '/api/profiles', { id: 9, name: 'late' });
    expect(r).toMatchObject({ status: 503, body: { error: 'hubClosed' } });
  });
});
