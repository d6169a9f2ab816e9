/**
 * The live feed (server-sent events) and the Prometheus endpoint, over a
 * real hub: takeovers with their reason, status changes, rejections, the
 * backlog a late subscriber gets, and metrics derived from events, loop
 * steps and the state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAdmin } from '../src/index.js';
import { admin, api, readFeed, testHub, type TestHub } from './helpers.js';

let t: TestHub;
let a: RunningAdmin;

beforeEach(async () => {
  t = await testHub();
  a = await admin(t.hub);
  await t.hub.operate({ type: 'profileCreated', profileId: 1 as never, name: 'one' });
  await t.hub.operate({ type: 'profileCreated', profileId: 2 as never, name: 'two', mode: 'manual' });
});

afterEach(async () => {
  await a.close();
  await t.hub.close();
});

describe('live feed', () => {
  it('streams online/offline, takeovers with reason, status changes and rejections', async () => {
    const feed = readFeed(a);
    const res = await feed.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    // The two profiles created before the subscription come from the backlog.
    await feed.until((es) => es.filter((e) => e.event.type === 'profileChanged').length === 2, 'the backlog');
    await t.register(1, 1);
    await t.register(2, 1);
    await t.register(3, 2);
    await api(a, 'POST', '/api/clients/2/status', { status: 'banned' });
    await t.settle();
    await feed.until((es) => es.some((e) => e.event.type === 'clientOffline' && e.event['clientId'] === 2), 'client 2 offline');
    const events = feed.entries.map((e) => e.event);
    expect(events).toContainEqual({ type: 'clientOnline', clientId: 1, link: 1, via: 'register' });
    expect(events).toContainEqual({ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: 2, loser: 1, reason: 'replaced' });
    expect(events).toContainEqual({ type: 'clientOffline', clientId: 1, link: 1, reason: 'replaced' });
    expect(events).toContainEqual({ type: 'requestRejected', clientId: 3, request: 'register', reason: 'profileManual' });
    expect(events).toContainEqual({ type: 'statusChanged', clientId: 2, from: 'enabled', to: 'banned', cause: 'operator' });
    expect(events).toContainEqual({ type: 'clientOffline', clientId: 2, link: 2, reason: 'banned' });
    // Ids increase by one; times are the hub's.
    expect(feed.entries.map((e) => e.id)).toEqual(feed.entries.map((_, i) => i + 1));
    expect(new Set(feed.entries.map((e) => e.at))).toEqual(new Set([t.hub.state.now]));
    feed.close();
  });

  it('resumes after Last-Event-ID or ?since', async () => {
    await t.register(1, 1);
    const all = readFeed(a);
    // Two profiles created, then the registration and the session.
    await all.until((es) => es.length === 4, 'four events');
    const last = all.entries[1]!.id;
    const resumed = readFeed(a, { 'last-event-id': String(last) });
    await resumed.until((es) => es.length === 2, 'the two after it');
    expect(resumed.entries.map((e) => e.id)).toEqual([last + 1, last + 2]);
    const since = readFeed(a, {}, `/api/events?since=${last + 1}`);
    await since.until((es) => es.length === 1, 'the one after it');
    all.close();
    resumed.close();
    since.close();
    expect(a.feed.since(0).length).toBe(4);
  });

  it('tags SSE ids with the feed epoch; an id of an earlier console gets the whole backlog', async () => {
    await t.register(1, 1);
    const first = readFeed(a);
    await first.until((es) => es.length === 4, 'four events');
    expect(first.ids).toEqual([1, 2, 3, 4].map((n) => `${a.feed.epoch}-${n}`));
    const lastOfFirst = first.ids.at(-1)!;
    first.close();
    // Same console: resume after the id, in either form.
    const same = readFeed(a, { 'last-event-id': `${a.feed.epoch}-3` });
    await same.until((es) => es.length === 1, 'the one after it');
    expect(same.entries.map((e) => e.id)).toEqual([4]);
    same.close();
    // The hub keeps running, the console restarts: its ids start at 1 again.
    await a.close();
    a = await admin(t.hub, { feed: { epoch: 'beef' } });
    await t.register(2, 1);
    const fresh = a.feed.since(0).length;
    expect(fresh).toBeGreaterThan(0);
    // The page reconnects with the old console's last id: it gets everything the new one kept, not nothing.
    const resumed = readFeed(a, { 'last-event-id': lastOfFirst });
    await resumed.until((es) => es.length === fresh, 'the new backlog');
    expect(resumed.ids[0]).toBe('beef-1');
    // A bare id larger than any issued is from an earlier console too.
    const bare = readFeed(a, { 'last-event-id': '999' });
    await bare.until((es) => es.length === fresh, 'the new backlog again');
    // `?since` takes the same ids.
    const bareSame = readFeed(a, {}, `/api/events?since=beef-${fresh - 1}`);
    await bareSame.until((es) => es.length === 1, 'the last one');
    for (const f of [resumed, bare, bareSame]) f.close();
  });

  it('ends the streams when the console closes', async () => {
    const feed = readFeed(a);
    const res = await feed.response;
    const ended = new Promise<void>((resolve) => res.on('close', () => resolve()));
    await feed.until((es) => es.length === 2, 'the backlog');
    expect(a.feed.subscriberCount).toBe(1);
    await a.close();
    await ended;
    expect(a.feed.subscriberCount).toBe(0);
  });
});

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics', () => {
  it('serves Prometheus text from its own registry, derived from events, steps and the state', async () => {
    const one = await t.register(1, 1);
    one.client.link.send({
      kind: 'dialog',
      clientId: 1 as never,
      messages: [
        { seq: 1, ack: 0, body: { type: 'null', replyTo: 0 } },
        { seq: 2, ack: 0, body: { type: 'log', at: 0, isError: false, text: 'x' } },
      ],
    });
    await t.settle();
    await t.register(2, 1);
    await t.register(3, 2);
    // An application message to an offline enabled client waits in its outbox.
    one.client.link.close();
    await t.settle();
    await t.hub.send(2 as never, 'chat', new Uint8Array([1, 2, 3]));
    await t.settle();
    const r = await api(a, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = r.text;
    expect(sample(m, 'dialoghub_clients_registered{status="disabled",profile="1"}')).toBe(1);
    expect(sample(m, 'dialoghub_clients_registered{status="enabled",profile="1"}')).toBe(1);
    expect(sample(m, 'dialoghub_clients_online{status="enabled",profile="1"}')).toBe(1);
    expect(sample(m, 'dialoghub_status_changes_total{to="disabled",cause="request"}')).toBe(1);
    expect(sample(m, 'dialoghub_logins_total{via="register"}')).toBe(2);
    expect(sample(m, 'dialoghub_registrations_total')).toBe(2);
    expect(sample(m, 'dialoghub_takeovers_total{conflict="otherClient",reason="replaced"}')).toBe(1);
    expect(sample(m, 'dialoghub_requests_rejected_total{request="register",reason="profileManual"}')).toBe(1);
    expect(sample(m, 'dialoghub_sessions_ended_total{reason="replaced"}')).toBe(1);
    expect(sample(m, 'dialoghub_messages_received_total')).toBe(2);
    // The bare ack is not counted; the application message is.
    expect(sample(m, 'dialoghub_messages_written_total')).toBe(1);
    expect(sample(m, 'dialoghub_outbox_depth')).toBe(1);
    expect(sample(m, 'dialoghub_outbox_depth_max')).toBe(1);
    expect(sample(m, 'dialoghub_profiles{mode="manual"}')).toBe(1);
    expect(sample(m, 'dialoghub_journal_seq')).toBe(t.hub.journalSeq);
    const commits = sample(m, 'dialoghub_journal_commit_seconds_count')!;
    expect(commits).toBeGreaterThan(0);
    expect(sample(m, 'dialoghub_journal_commit_seconds_bucket{le="+Inf"}')).toBe(commits);
    expect(m).toContain('# TYPE dialoghub_transport_errors_total counter');
    // Every family the console promises, with its type.
    const families: [string, string][] = [
      ['dialoghub_clients_registered', 'gauge'],
      ['dialoghub_clients_online', 'gauge'],
      ['dialoghub_logins_total', 'counter'],
      ['dialoghub_sessions_ended_total', 'counter'],
      ['dialoghub_takeovers_total', 'counter'],
      ['dialoghub_requests_rejected_total', 'counter'],
      ['dialoghub_registrations_total', 'counter'],
      ['dialoghub_status_changes_total', 'counter'],
      ['dialoghub_messages_received_total', 'counter'],
      ['dialoghub_messages_written_total', 'counter'],
      ['dialoghub_outbox_depth', 'gauge'],
      ['dialoghub_outbox_depth_max', 'gauge'],
      ['dialoghub_journal_commit_seconds', 'histogram'],
      ['dialoghub_transport_errors_total', 'counter'],
      ['dialoghub_profiles', 'gauge'],
      ['dialoghub_journal_seq', 'gauge'],
    ];
    expect(m.split('\n').filter((l) => l.startsWith('# TYPE ')).sort()).toEqual(families.map(([n, ty]) => `# TYPE ${n} ${ty}`).sort());
    // Its own registry: nothing of prom-client's global one, no process metrics unless asked.
    expect(m).not.toContain('process_cpu');
  });

  it('counts transport errors from commandFailed inputs', async () => {
    const { client } = await t.register(1, 1);
    // The client vanishes without the hub hearing of it; the hub's next write fails.
    t.net.transport.execute = async () => {
      throw new Error('broken pipe');
    };
    await t.hub.send(1 as never, 'chat', new Uint8Array([9]));
    await t.settle();
    const m = (await api(a, 'GET', '/metrics')).text;
    expect(sample(m, 'dialoghub_transport_errors_total{command="writeDialog"}')).toBe(1);
    client.link.close();
  });
});

describe('bounds', () => {
  it('keeps a bounded backlog and bounded dialog rings', async () => {
    const small = await admin(t.hub, { feed: { backlog: 3 }, recent: { perClient: 2, clients: 1 } });
    try {
      const one = await t.register(1, 1);
      one.client.link.send({ kind: 'dialog', clientId: 1 as never, messages: [1, 2, 3].map((seq) => ({ seq, ack: 0, body: { type: 'null' as const, replyTo: 0 } })) });
      await t.settle();
      // Three in, one bare ack out: the last two are kept.
      expect((await api(small, 'GET', '/api/clients/1')).body.recent.map((m: { dir: string; seq: number }) => `${m.dir}${m.seq}`)).toEqual(['in3', 'out0']);
      const two = await t.register(2, 1);
      two.client.link.send({ kind: 'dialog', clientId: 2 as never, messages: [{ seq: 1, ack: 0, body: { type: 'null', replyTo: 0 } }] });
      await t.settle();
      expect(small.feed.since(0).map((e) => e.event.type)).toEqual(['takeover', 'clientRegistered', 'clientOnline']);
      const r = await api(small, 'GET', '/api/clients/1');
      // Client 2's message made it the most recent: client 1's ring was dropped (one client kept).
      expect(r.body.recent).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
