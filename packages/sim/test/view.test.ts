/**
 * The timeline page: what the model holds for a scripted trace (lanes,
 * statuses, online spans, takeovers, losses, resends, the hub restart), that
 * the HTML is one self-contained, deterministic file (no URL, no external
 * resource, a CSP that forbids fetching, data that cannot break out of its
 * script element), and that 10,000 clients still give a bounded page.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientId, type HubInput, type LinkId, type ProfileId, type TraceRecord } from '@dialoghub/core';
import { TraceWriter } from '@dialoghub/runtime';
import { describe, expect, it } from 'vitest';
import { demoTrace, DEMO_CONFIG, DEMO_EPOCH } from '../src/replay/demo-trace.js';
import { recordTrace } from '../src/replay/index.js';
import { buildTimeline, renderTimeline, renderTimelineFile, renderTimelineFileWithModel, type Lane } from '../src/view/index.js';

const demo = demoTrace();

interface PageData {
  span: number;
  kinds: string[];
  statuses: string[];
  lanes: { c: number; p: number | null; label: string; tip: string; s: [number, number][]; o: [number, number | null, number, string, string | null][]; m: [number, number, number, string, string][] }[];
  takeovers: [number, number, number, string, string, number][];
  restarts: [number, number, number][];
}

function pageData(html: string): PageData {
  const m = /<script type="application\/json" id="timeline-data">([^<]*)<\/script>/.exec(html);
  if (m === null) throw new Error('no data block');
  return JSON.parse(m[1]!) as PageData;
}

function scripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

const lane = (lanes: readonly Lane[], id: number): Lane => lanes.find((l) => l.clientId === id)!;
const t = (seq: number): number => demo.records[seq - 1]!.now - demo.records[0]!.now;
const seqOf = (pred: (r: TraceRecord) => boolean): number => demo.records.find(pred)!.seq;

describe('timeline model', () => {
  const model = buildTimeline(demo.records, { restarts: demo.restarts });

  it('has one lane per client, ordered by profile then client, with profile names', () => {
    expect(model.lanes.map((l) => [l.clientId, l.profileId])).toEqual([
      [101, 1],
      [102, 1],
      [201, 2],
      [202, 2],
    ]);
    expect(model.totalClients).toBe(4);
    expect([...model.profileNames]).toEqual([
      [1, 'alpha'],
      [2, 'beta'],
    ]);
  });

  it('follows statuses and online spans', () => {
    const replaced101 = seqOf((r) => r.input.type === 'requestReceived' && r.input.request.clientId === 102 && r.input.request.kind === 'register');
    const back101 = seqOf((r) => r.input.type === 'requestReceived' && r.input.request.kind === 'login' && r.input.request.clientId === 101);
    expect(lane(model.lanes, 101).statuses).toEqual([
      { t: t(3), status: 'enabled' },
      { t: t(replaced101), status: 'disabled' },
      { t: t(back101), status: 'enabled' },
    ]);
    const ban = seqOf((r) => r.input.type === 'statusSet');
    expect(lane(model.lanes, 202).statuses.map((s) => s.status)).toEqual(['enabled', 'banned']);
    expect(lane(model.lanes, 202).statuses[1]!.t).toBe(t(ban));
    const spans201 = lane(model.lanes, 201).online;
    expect(spans201.map((o) => [o.link, o.via, o.reason])).toEqual([
      [3, 'register', 'connectionLost (reset by peer)'],
      [4, 'login', 'replaced'],
    ]);
    expect(lane(model.lanes, 101).online.at(-1)).toMatchObject({ link: 8, reason: 'heartbeatTimeout' });
  });

  it('marks takeovers on both lanes and links winner and loser', () => {
    expect(model.takeovers.map((k) => [k.winner, k.loser, k.reason, k.conflict])).toEqual([
      [102, 101, 'replaced', 'otherClient'],
      [202, 201, 'replaced', 'otherClient'],
      [102, 102, 'pushedOut', 'sameClient'],
      [101, 102, 'replaced', 'otherClient'],
    ]);
    expect(model.counts.takeover).toBe(4);
    expect(model.takeoverReasons).toEqual(['pushedOut', 'replaced']);
    const m102 = lane(model.lanes, 102).markers.filter((m) => m.kind === 'takeover');
    expect(m102.map((m) => m.label)).toEqual(['replaced', 'pushedOut', 'replaced']);
    expect(m102[0]!.detail).toBe('replaced (otherClient) in profile 1: client 102 wins over client 101 (this client won)');
  });

  it('marks losses and resends', () => {
    const kinds = (id: number): string[] => lane(model.lanes, id).markers.map((m) => `${m.kind}:${m.label}`);
    expect(kinds(201)).toEqual(['gap:1', 'duplicate:1', 'connectionLost:reset by peer', 'resend:1', 'takeover:replaced']);
    expect(lane(model.lanes, 201).markers.find((m) => m.kind === 'resend')!.detail).toBe('hub resent 1 message(s), seq 2 (had written up to 2) on link 4');
    expect(kinds(202)).toEqual(['takeover:replaced', 'rejected:banned']);
    // 101's repeated Syncs resend the earlier ones; then the hub gives up on it.
    expect(kinds(101).filter((k) => k.startsWith('resend')).length).toBe(3);
    expect(kinds(101).at(-1)).toBe('heartbeatTimeout:timeout');
    // The restart's closes are one line, not a loss per lane.
    expect(kinds(102).some((k) => k.includes('hubRestarted'))).toBe(false);
  });

  it('draws the hub restart once, from the header and from the hubRestarted closes alike', () => {
    const expected = [{ t: t(demo.restarts[0]! + 1), afterSeq: demo.restarts[0], sessionsClosed: 2 }];
    expect(model.restarts).toEqual(expected);
    expect(buildTimeline(demo.records).restarts).toEqual(expected);
    expect(buildTimeline(demo.records.filter((r) => !(r.input.type === 'connectionClosed' && r.input.cause === 'hubRestarted')).map((r, i) => ({ ...r, seq: i + 1 })), { restarts: demo.restarts }).restarts).toEqual([
      { t: t(demo.restarts[0]! + 3), afterSeq: demo.restarts[0], sessionsClosed: 0 },
    ]);
  });
});

describe('renderTimeline', () => {
  const html = renderTimeline(demo.records, { restarts: demo.restarts, title: 'demo' });

  it('is one self-contained HTML file: no URL, no external resource, fetching forbidden', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href|srcset|action|poster)\s*=/i);
    // (`url(#chart-clip)` is a reference inside the page itself.)
    expect(html).not.toMatch(/url\((?!#)|@import|<link|<iframe|<img|fetch\(|XMLHttpRequest|WebSocket|EventSource|import\(/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`);
    expect(html.match(/<html/g)).toHaveLength(1);
    expect(html.match(/<body>/g)).toHaveLength(1);
    expect(html.match(/<style>/g)).toHaveLength(1);
    // The inline script compiles (it is not run here), and the data block parses.
    const code = scripts(html);
    expect(code).toHaveLength(1);
    expect(() => new Function(code[0]!)).not.toThrow();
    expect(pageData(html).lanes).toHaveLength(4);
  });

  it('holds the lanes, markers, restart and legend', () => {
    expect(html).toContain('<div id="timeline" data-lanes="4" data-clients="4" data-restarts="1">');
    const data = pageData(html);
    expect(data.lanes.map((l) => l.c)).toEqual(demo.clients);
    expect(data.lanes[0]!.label).toBe('client 101 · profile 1 "alpha"');
    const takeover = data.kinds.indexOf('takeover');
    expect(data.lanes[2]!.m.filter((m) => m[1] === takeover).map((m) => m[3])).toEqual(['replaced']);
    expect(data.takeovers.map((k) => [k[1], k[2], k[3]])).toContainEqual([202, 201, 'replaced']);
    expect(data.restarts).toEqual([[t(demo.restarts[0]! + 1), demo.restarts[0], 2]]);
    expect(data.lanes[3]!.s.map((s) => data.statuses[s[1]])).toEqual(['enabled', 'banned']);
    // Legend: statuses, every marker kind, the takeover reasons of the trace, the link and the restart line.
    const legend = /<div id="legend"[^>]*>([\s\S]*?)<\/div>/.exec(html)![1]!;
    for (const text of ['enabled', 'disabled', 'banned', 'reset', 'online', 'takeover: replaced', 'takeover: pushedOut', 'loss: messages dropped after a gap', 'resend: hub→client', 'hub restart', 'winner ↔ loser']) {
      expect(legend).toContain(text);
    }
    expect(html).toContain('<p class="summary" id="summary">34 inputs (seq 1..34) over +1m15.000s of virtual time · 4 clients · 8 logins · 4 takeovers · 3 losses · 8 resends · 1 rejections · 5 status changes · 1 hub restarts</p>');
  });

  it('renders an empty trace', () => {
    const page = renderTimeline([]);
    expect(page).toContain('<div id="timeline" data-lanes="0" data-clients="0" data-restarts="0">');
    expect(page).toContain('0 inputs (no records)');
    expect(() => new Function(scripts(page)[0]!)).not.toThrow();
  });

  it('is deterministic', () => {
    expect(renderTimeline(demoTrace().records, { restarts: demo.restarts, title: 'demo' })).toBe(html);
  });

  it('keeps hostile names inside their element', () => {
    const name = '</script><script>alert(1)</script><b x="';
    const records = demo.records.map((r) => (r.input.type === 'profileCreated' && r.input.profileId === 1 ? { ...r, input: { ...r.input, name } } : r));
    const page = renderTimeline(records, { title: '<i>"t"</i>' });
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page).toContain('<title>&lt;i&gt;&quot;t&quot;&lt;/i&gt;</title>');
    expect(pageData(page).lanes[0]!.label).toBe(`client 101 · profile 1 "</script>…`);
  });

  it('recomputes the commands of records that carry none, given the initial state', async () => {
    const bare = demo.records.map(({ seq, now, input }) => ({ seq, now, input }));
    expect(pageData(renderTimeline(bare, { restarts: demo.restarts })).lanes.map((l) => l.c)).toEqual(demo.clients);
    const withInitial = renderTimeline(bare, { restarts: demo.restarts, title: 'demo', initial: (await import('@dialoghub/core')).initialState(DEMO_CONFIG, DEMO_EPOCH) });
    expect(withInitial).toBe(html);
  });
});

describe('renderTimelineFile', () => {
  it("reads a file's header: restarts, and commands recomputed for a journal's records", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialoghub-view-'));
    const write = async (name: string, records: readonly TraceRecord[]): Promise<string> => {
      const path = join(dir, name);
      const w = await TraceWriter.create(path, { config: DEMO_CONFIG, hubCreatedAt: DEMO_EPOCH, extra: { restarts: demo.restarts, sim: { seed: 3, clients: 4 } } });
      await w.write(records);
      await w.close();
      return path;
    };
    const full = await renderTimelineFile(await write('full.dht', demo.records));
    const bare = await renderTimelineFile(await write('bare.dht', demo.records.map(({ seq, now, input }) => ({ seq, now, input }))));
    expect(full).toContain('<title>dialoghub timeline: full.dht</title>');
    expect(full).toContain('<p class="subtitle">simulation: seed 3, clients 4</p>');
    expect(pageData(bare)).toEqual(pageData(full));
    expect(pageData(full)).toEqual(pageData(renderTimeline(demo.records, { restarts: demo.restarts })));
    const withModel = await renderTimelineFileWithModel(join(dir, 'full.dht'));
    expect(withModel.html).toBe(full);
    expect(withModel.model).toMatchObject({ totalClients: 4, records: demo.records.length, restarts: [{ afterSeq: demo.restarts[0], sessionsClosed: 2 }] });
  });
});

describe('scale', () => {
  it('keeps a 10,000-client trace to the busiest lanes and a bounded size', () => {
    const n = 10_000;
    const script: { now: number; input: HubInput }[] = [];
    let now = DEMO_EPOCH;
    for (let i = 1; i <= n; i++) {
      now += 10;
      script.push({ now, input: { type: 'profileCreated', actionId: `p${i}`, profileId: i as ProfileId, name: `profile ${i}` } });
      script.push({
        now,
        input: { type: 'requestReceived', link: i as LinkId, request: { kind: 'register', requestId: 1, clientId: i as ClientId, profileId: i as ProfileId, contact: { name: '', phone: '', email: '' }, environment: {} }, issued: { verifier: 'ab'.repeat(32) } },
      });
      // Every 7th client loses a message (a gap) and every 11th loses its link.
      if (i % 7 === 0) script.push({ now, input: { type: 'messagesReceived', link: i as LinkId, messages: [{ seq: 2, ack: 0, body: { type: 'null', replyTo: 0 } }] } });
      if (i % 11 === 0) script.push({ now, input: { type: 'connectionClosed', link: i as LinkId, cause: 'reset' } });
    }
    // Timers long enough that nobody times out: only the scripted losses single clients out.
    const { records } = recordTrace(script, { config: { syncAfterMs: 3_600_000, deadAfterMs: 7_200_000 }, hubCreatedAt: DEMO_EPOCH });
    const started = performance.now();
    const page = renderTimeline(records, { clients: [1] });
    const ms = performance.now() - started;
    expect(page).toContain(`data-lanes="500" data-clients="${n}"`);
    expect(page).toContain(`Showing the 500 busiest of ${n} clients`);
    const data = pageData(page);
    // Client 1 was asked for; the others are the ones with a loss, 77 (gap and lost link) first.
    expect(data.lanes.map((l) => l.c)).toContain(1);
    expect(data.lanes.map((l) => l.c)).toContain(77);
    expect(data.lanes.filter((l) => l.c !== 1).every((l) => l.c % 7 === 0 || l.c % 11 === 0)).toBe(true);
    expect(page.length).toBeLessThan(1_000_000);
    expect(ms).toBeLessThan(10_000);
    expect(renderTimeline(records, { maxLanes: 20_000 })).toContain(`data-lanes="${n}"`);
  });
});
