/**
 * `dialoghub demo`: a small run in process over real loopback TCP (12
 * clients, 3 s) — nothing acknowledged is lost, every policy's takeovers
 * and refusals happen, the trace and the timeline are written and the trace
 * replays without a divergence — plus the ledger's arithmetic and the
 * layout on their own.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayFile } from '@dialoghub/sim';
import { demoLayout, FIRST_CLIENT_ID } from '../src/demo/layout.js';
import { Ledger } from '../src/demo/ledger.js';
import { renderDemo } from '../src/demo/report.js';
import type { DemoResult } from '../src/demo/run-demo.js';
import { cli, lines } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-demo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dialoghub demo', () => {
  it('12 clients for 3 s over TCP: lost 0, every policy settles its conflicts, the trace replays and is drawn', async () => {
    const out = join(dir, 'run');
    const r = await cli('demo', '--clients', '12', '--seconds', '3', '--out', out, '--json');
    expect(r.err).toBe('');
    expect(lines(r.out)).toHaveLength(1);
    const result = JSON.parse(r.out) as DemoResult;
    expect(r.code).toBe(0);
    expect(result).toMatchObject({ lost: 0, duplicates: 0, invariants: [], clients: 12, seconds: 3, profiles: 6, policies: { replaceOld: 4, ignoreNew: 4, seniority: 4 } });
    expect(result.registrations).toBe(12);

    // Each policy's own answer to the two conflicts (docs/protocol.md §5).
    expect(result.takeoversByPolicy.replaceOld).toMatchObject({ replaced: expect.any(Number), pushedOut: expect.any(Number) });
    expect(result.takeoversByPolicy.replaceOld['banned']).toBeUndefined();
    expect(result.rejectionsByPolicy.replaceOld).toEqual({});
    expect(result.takeoversByPolicy.ignoreNew).toMatchObject({ disabled: expect.any(Number) });
    expect(result.takeoversByPolicy.ignoreNew['replaced']).toBeUndefined();
    expect(result.rejectionsByPolicy.ignoreNew).toMatchObject({ profileInUse: expect.any(Number), alreadyOnline: expect.any(Number) });
    expect(result.takeoversByPolicy.seniority).toMatchObject({ banned: expect.any(Number), disabled: expect.any(Number) });
    expect(result.rejectionsByPolicy.seniority).toMatchObject({ alreadyOnline: expect.any(Number) });
    expect(result.stopped).toMatchObject({ pushedOut: expect.any(Number), replaced: expect.any(Number), banned: expect.any(Number), profileInUse: expect.any(Number), alreadyOnline: expect.any(Number) });

    // Links were cut and the engines resumed; messages went both ways and every acknowledged one arrived.
    expect(result.drops).toBeGreaterThan(0);
    expect(result.resumes).toBeGreaterThan(0);
    const m = result.messages;
    for (const books of [m.clientToHub, m.hubToClient]) {
      expect(books.acknowledged).toBeGreaterThan(10);
      expect(books.lost).toBe(0);
      expect(books.delivered).toBeGreaterThanOrEqual(books.acknowledged);
    }
    expect(result.delivered).toBe(m.clientToHub.delivered + m.hubToClient.delivered);
    expect(m.lostSamples).toEqual([]);
    expect(typeof result.settle.settled).toBe('boolean');

    // The trace holds every step with its commands and replays through the core without a divergence.
    expect(result.trace).toBe(join(out, 'trace.dhj'));
    const replay = await replayFile(result.trace);
    expect(replay).toMatchObject({ divergences: 0, invariantViolations: [], restarts: 0 });
    expect(replay.error).toBeUndefined();
    expect(replay.inputs).toBe(result.steps);
    expect(replay.compared).toBe(result.steps);
    const html = await readFile(result.timeline, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('data-clients="12"');
    expect((await stat(result.timeline)).size).toBe(result.timelineBytes);

    // The same result as tables.
    const text = renderDemo(result);
    expect(text).toMatch(/^demo: 12 clients \(4 replaceOld, 4 ignoreNew, 4 seniority\) in 6 profiles/);
    expect(text).toContain('lost: 0 — every acknowledged message was delivered');
    expect(text).toContain('invariants: all hold in the final state');
    expect(text).toMatch(/under seniority\s+banned=\d+ disabled=\d+/);
  });

  it('a second run into the same --out replaces the trace and the timeline', async () => {
    const out = join(dir, 'again');
    for (let i = 0; i < 2; i++) {
      const r = await cli('demo', '--clients', '3', '--seconds', '0.5', '--out', out);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`trace: ${join(out, 'trace.dhj')}`);
    }
    expect((await replayFile(join(out, 'trace.dhj'))).divergences).toBe(0);
  });

  it.each([
    ['no clients', ['--clients', '0'], /--clients must be between 1 and 5000, got 0/],
    ['a non-numeric duration', ['--seconds', 'ten'], /--seconds must be a number, got 'ten'/],
    ['an hour and a bit', ['--seconds', '3601'], /--seconds must be at most 3600/],
  ])('%s: exit 2, one line', async (_what, argv, message) => {
    const r = await cli('demo', ...argv, '--out', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
  });
});

describe('demo parts', () => {
  it('the layout deals clients to the policies in turn and pairs them in profiles', () => {
    const l = demoLayout(7);
    expect(l.perPolicy).toEqual({ replaceOld: 3, ignoreNew: 2, seniority: 2 });
    expect(l.profiles.map((p) => [p.id, p.policy, p.first - FIRST_CLIENT_ID, p.second === null ? null : p.second - FIRST_CLIENT_ID])).toEqual([
      [1, 'replaceOld', 0, 3],
      [2, 'replaceOld', 6, null],
      [3, 'ignoreNew', 1, 4],
      [4, 'seniority', 2, 5],
    ]);
    expect(l.profileOf.get(FIRST_CLIENT_ID + 6)?.id).toBe(2);
  });

  it('the ledger: acknowledged and never delivered is lost, unacknowledged is not; duplicates and wrong payloads count', () => {
    const ledger = new Ledger();
    for (const k of ['c1.1.1', 'c1.1.2', 'c1.1.3']) ledger.clientSent(k);
    ledger.clientAcked('c1.1.1');
    ledger.clientAcked('c1.1.2');
    ledger.hubGot(1, 'c1.1.1');
    ledger.hubGot(1, 'c1.1.1');
    ledger.hubGot(2, 'c1.1.3'); // from the wrong client: not a delivery
    ledger.hubWrote(1, 1, 'p1.1');
    ledger.hubWrote(1, 2, 'p1.2');
    ledger.hubWrote(1, 3, 'p1.3');
    ledger.hubWrote(1, 2, 'p1.2'); // a resend
    ledger.clientGot(1, 1, 1, 'p1.1');
    ledger.clientGot(2, 1, 1, 'p1.1'); // a second engine of the client: not a duplicate
    ledger.clientGot(2, 1, 2, 'other'); // not the payload written under seq 2
    const s = ledger.summary(() => 2);
    expect(s.clientToHub).toEqual({ sent: 3, acknowledged: 2, delivered: 1, lost: 1, duplicates: 1 });
    expect(s.hubToClient).toEqual({ sent: 3, acknowledged: 2, delivered: 1, lost: 1, duplicates: 0 });
    expect(s).toMatchObject({ lost: 2, duplicates: 1, delivered: 2, lostSamples: ['c1.1.2', '1:2 (p1.2)'] });
  });
});
