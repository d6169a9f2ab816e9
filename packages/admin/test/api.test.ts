/**
 * The admin API against a real `Hub` (memory network, manual clock, memory
 * store): authentication, reads, every operator action through
 * `hub.operate` (journaled and replayable), refusals with the core's reason,
 * and bad input that is always a 4xx, never a 500.
 */
import { checkInvariants, deserialize, serialize, step, type HubState } from '@dialoghub/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '@dialoghub/adapter-memory';
import { Hub, ManualClock, MemoryStore, seededEntropy } from '@dialoghub/runtime';
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
  const WRONG: readonly (string | null)[] = [null, '', 'wrong-token-0123456789', `${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase()];
  /** Paths that no route serves: a static file must not be a way around the token either. */
  const UNROUTED = ['/console.js', '/console.css', '/index.html', '/favicon.ico', '/web/main.ts', '/dist/web/console.js', '/api', '/api/', '/no/such/route', '/metrics/', '/%2e%2e/package.json'];

  /** The status of `method path` with `token`, without waiting for a streamed body. */
  async function statusOf(method: string, path: string, token: string | null, headers: Record<string, string> = {}): Promise<{ status: number; auth: string | null; body: unknown }> {
    const abort = new AbortController();
    const h: Record<string, string> = { ...headers };
    if (token !== null) h['authorization'] = `Bearer ${token}`;
    const withBody = method !== 'GET' && method !== 'HEAD';
    if (withBody) h['content-type'] = 'application/json';
    const res = await fetch(new URL(path, a.url), { method, headers: h, signal: abort.signal, ...(withBody ? { body: '{"status":"banned","id":9,"name":"x","mode":"manual","policy":null}' } : {}) });
    let body: unknown = undefined;
    if (method !== 'HEAD' && res.headers.get('content-type')?.startsWith('application/json') === true) body = await res.json();
    abort.abort();
    return { status: res.status, auth: res.headers.get('www-authenticate'), body };
  }

  const concrete = (pattern: string): string => pattern.replaceAll(':id', '1');

  it('has exactly one public route, the console page', () => {
    expect(a.routes.filter((r) => r.isPublic)).toEqual([{ method: 'GET', pattern: '/', isPublic: true }]);
    // Every route of the issue is there: reads, actions, the feed and the metrics.
    expect(a.routes.map((r) => `${r.method} ${r.pattern}`)).toEqual([
      'GET /',
      'GET /api/stats',
      'GET /api/clients',
      'GET /api/clients/:id',
      'POST /api/clients/:id/status',
      'POST /api/clients/:id/kick',
      'DELETE /api/clients/:id',
      'GET /api/profiles',
      'POST /api/profiles',
      'POST /api/profiles/:id/name',
      'POST /api/profiles/:id/mode',
      'POST /api/profiles/:id/policy',
      'DELETE /api/profiles/:id',
      'GET /api/events',
      'GET /metrics',
    ]);
  });

  it('answers 401 on every route but the console page, and on every unrouted path, without the right token', async () => {
    const targets: [string, string][] = [
      ...a.routes.filter((r) => !r.isPublic).flatMap((r): [string, string][] => (r.method === 'GET' ? [['GET', concrete(r.pattern)], ['HEAD', concrete(r.pattern)]] : [[r.method, concrete(r.pattern)]])),
      ...UNROUTED.flatMap((p): [string, string][] => [['GET', p], ['POST', p]]),
      // The page's path with another method is no way in either.
      ['POST', '/'],
      ['DELETE', '/'],
    ];
    for (const [method, path] of targets) {
      for (const token of WRONG) {
        const r = await statusOf(method, path, token);
        expect(r.status, `${method} ${path} with ${JSON.stringify(token)}`).toBe(401);
        expect(r.auth).toMatch(/^Bearer/);
        if (method !== 'HEAD') expect(r.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
      }
    }
    // A token anywhere but the Authorization header is no token: not as Basic, not in the query, not in a cookie.
    for (const [method, path] of [['GET', '/api/stats'], ['GET', '/api/events'], ['GET', '/metrics']] as const) {
      expect((await statusOf(method, path, null, { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` })).status).toBe(401);
      expect((await statusOf(method, `${path}?token=${TOKEN}`, null)).status).toBe(401);
      expect((await statusOf(method, `${path}?access_token=${TOKEN}`, null)).status).toBe(401);
      expect((await statusOf(method, path, null, { cookie: `token=${TOKEN}` })).status).toBe(401);
    }
    // Nothing happened to the hub.
    expect(t.hub.state.profiles.size).toBe(0);
    expect(t.hub.journalSeq).toBe(0);
  });

  it('lets the right token through on every route (so the 401s above are the token, not the path)', async () => {
    for (const r of a.routes) {
      const { status } = await statusOf(r.method, concrete(r.pattern), TOKEN);
      expect(status, `${r.method} ${r.pattern}`).not.toBe(401);
      expect(status, `${r.method} ${r.pattern}`).toBeLessThan(500);
    }
    // The right token on an unrouted path is a plain 404.
    expect((await statusOf('GET', '/console.js', TOKEN)).status).toBe(404);
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
    // Only GET (and HEAD) of the page is public: another method on its path needs the token, and is then a 405.
    expect((await api(a, 'POST', '/', {}, null)).status).toBe(401);
    expect((await api(a, 'POST', '/', {})).status).toBe(405);
    const head = await fetch(a.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
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
    // Each console action is in the journal as the operator input it was, and the invariants hold.
    expect(records.map((r) => r.input.type).filter((type) => ['statusSet', 'clientDeleted', 'profileRenamed', 'profileCreated'].includes(type))).toEqual([
      'profileCreated',
      'profileCreated',
      'statusSet',
      'statusSet',
      'clientDeleted',
      'profileRenamed',
    ]);
    expect(checkInvariants(state)).toEqual([]);
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

  it('any body, path id or query is answered below 500 (property, seeded)', async () => {
    await twoProfiles();
    await t.register(5, 1);
    const actions = a.routes.filter((r) => r.method !== 'GET');
    const segment = fc.oneof(fc.constantFrom('1', '2', '5', '0', '4294967295', '4294967296', '-1', '1.5', '1e3', '0x10', ' 1', ''), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ status: fc.constantFrom('enabled', 'disabled', 'banned', 'reset', 'gone'), id: fc.integer({ min: -2, max: 2 ** 33 }), name: fc.string({ maxLength: 20 }), mode: fc.constantFrom('auto', 'manual', 'x'), policy: fc.constantFrom('replaceOld', 'ignoreNew', 'seniority', null, 7) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }),
    );
    const query = fc.dictionary(fc.constantFrom('profile', 'status', 'online', 'q', 'offset', 'limit', 'since', 'x'), fc.string({ maxLength: 12 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...actions), segment, body, query, async (route, id, payload, q) => {
        const r = await api(a, route.method, route.pattern.replaceAll(':id', id === '' ? '%20' : id), payload);
        expect(r.status, `${route.method} ${route.pattern} ${id} ${payload}`).toBeLessThan(500);
        expect(r.body).toEqual(r.status === 200 ? expect.objectContaining({ ok: true }) : { error: expect.any(String), message: expect.any(String) });
        const list = await api(a, 'GET', `/api/clients?${new URLSearchParams(q)}`);
        expect(list.status, JSON.stringify(q)).toBeLessThan(500);
        expect([200, 400]).toContain(list.status);
      }),
      { seed: 6006, numRuns: 150 },
    );
    // The hub is still consistent and serving.
    expect((await api(a, 'GET', '/api/stats')).status).toBe(200);
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

  it('an action whose journal write fails is a 503 storeFailed, and so is every route but the page after it', async () => {
    class FailingStore extends MemoryStore {
      failing = false;
      override async append(records: Parameters<MemoryStore['append']>[0]): Promise<void> {
        if (this.failing) throw new Error('no space left on device');
        return super.append(records);
      }
    }
    const store = new FailingStore();
    const hub = await Hub.open({ transport: createMemoryNetwork().transport, store, clock: new ManualClock(START), entropy: seededEntropy(1) });
    const b = await admin(hub);
    try {
      expect((await api(b, 'POST', '/api/profiles', { id: 1, name: 'one' })).status).toBe(200);
      store.failing = true;
      const r = await api(b, 'POST', '/api/profiles', { id: 2, name: 'two' });
      expect(r).toMatchObject({ status: 503, body: { error: 'storeFailed' } });
      expect(r.body.message).toContain('no space left on device');
      // The hub's state now holds profile 2, which its journal does not: nothing is shown any more, every route says why.
      expect(t.hub.failed).toBe(null);
      expect(hub.failed).not.toBe(null);
      for (const [method, path, body] of [['POST', '/api/profiles', { id: 3, name: 'three' }], ['GET', '/api/profiles'], ['GET', '/api/clients'], ['GET', '/api/stats'], ['GET', '/metrics'], ['GET', '/api/events']] as const) {
        const answer = await api(b, method, path, body);
        expect(answer, `${method} ${path}`).toMatchObject({ status: 503, body: { error: 'storeFailed', message: expect.stringContaining('restart the hub') } });
      }
      // The page still loads (it holds no data), and the token is still checked first.
      expect((await api(b, 'GET', '/', undefined, null)).status).toBe(200);
      expect((await api(b, 'GET', '/api/stats', undefined, null)).status).toBe(401);
    } finally {
      await b.close();
      await hub.close();
    }
  });

  it('an action on a closed hub is a 503', async () => {
    await t.hub.close();
    const r = await api(a, 'POST', '/api/profiles', { id: 9, name: 'late' });
    expect(r).toMatchObject({ status: 503, body: { error: 'hubClosed' } });
  });
});
