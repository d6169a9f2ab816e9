/**
 * The admin API at 100 000 registered clients: every registration is a real
 * `register` request stepped by the hub (through a transport whose links the
 * test drives), so the state is what a hub that registered them would hold.
 * The list stays paged on the server; the test checks answers, and prints
 * how long the reads took (measured, never asserted). With Debian's
 * chromium installed, the console page is driven against the same hub too:
 * it holds one page of rows, pages, filters and searches at this size.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { clientId, linkId, profileId, type LinkId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, seededEntropy, type HubTransport, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAdmin } from '../src/index.js';
import { admin, api, START, TOKEN } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';

const CLIENTS = 100_000;
const PROFILES = 1_000;

class DrivenTransport implements HubTransport {
  sink: (e: TransportEvent) => void = () => undefined;
  replies = 0;
  async start(sink: (e: TransportEvent) => void): Promise<void> {
    this.sink = sink;
  }
  async execute(c: TransportCommand): Promise<void> {
    if (c.type === 'reply') this.replies++;
  }
  async stop(): Promise<void> {}
}

let hub: Hub;
let a: RunningAdmin;
const timings: Record<string, number> = {};

async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  timings[name] = Math.round((performance.now() - t0) * 10) / 10;
  return r;
}

beforeAll(async () => {
  const transport = new DrivenTransport();
  hub = await Hub.open({ transport, store: new MemoryStore(), clock: new ManualClock(START), entropy: seededEntropy(3), snapshotEvery: 1_000_000 });
  a = await admin(hub);
  const created = await Promise.all(Array.from({ length: PROFILES }, (_, i) => hub.operate({ type: 'profileCreated', profileId: profileId(i + 1), name: `profile ${i + 1}` })));
  expect(created.every((o) => o.ok)).toBe(true);
  const t0 = performance.now();
  for (let id = 1; id <= CLIENTS; id++) {
    transport.sink({
      type: 'requestReceived',
      link: linkId(id) as LinkId,
      request: {
        kind: 'register',
        requestId: 1,
        clientId: clientId(id),
        profileId: profileId(((id - 1) % PROFILES) + 1),
        contact: { name: `Client ${id}`, phone: `+1-555-${String(id).padStart(6, '0')}`, email: `c${id}@example.org` },
        environment: { os: id % 2 === 0 ? 'linux' : 'windows', version: '1.0' },
      },
    });
  }
  await hub.drain();
  timings['register 100k through the hub'] = Math.round(performance.now() - t0);
  expect(transport.replies).toBe(CLIENTS);
}, 300_000);

afterAll(async () => {
  await a?.close();
  await hub?.close();
  console.log(`admin API at ${CLIENTS} clients (ms): ${JSON.stringify(timings, null, 1)}`);
});

describe(`${CLIENTS} registered clients`, () => {
  it('holds them all', () => {
    expect(hub.state.clients.size).toBe(CLIENTS);
  });

  it('serves the first page, a middle page and the last page', async () => {
    const first = await timed('first page', () => api(a, 'GET', '/api/clients?limit=50'));
    expect(first.body.total).toBe(CLIENTS);
    expect(first.body.items.map((c: { id: number }) => c.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const middle = await timed('page at offset 50 000', () => api(a, 'GET', '/api/clients?offset=50000&limit=200'));
    expect(middle.body.items[0].id).toBe(50_001);
    expect(middle.body.items).toHaveLength(200);
    const last = await timed('last page', () => api(a, 'GET', `/api/clients?offset=${CLIENTS - 10}&limit=50`));
    expect(last.body.items.map((c: { id: number }) => c.id)).toEqual(Array.from({ length: 10 }, (_, i) => CLIENTS - 9 + i));
  });

  it('filters by status and profile, and searches contact fields', async () => {
    // Each registration replaced the profile's previous client: the last of each profile is enabled.
    const enabled = await timed('status=enabled', () => api(a, 'GET', '/api/clients?status=enabled&limit=10'));
    expect(enabled.body.total).toBe(PROFILES);
    expect(enabled.body.items[0].id).toBe(CLIENTS - PROFILES + 1);
    const profile = await timed('profile=7', () => api(a, 'GET', '/api/clients?profile=7&limit=200'));
    expect(profile.body.total).toBe(CLIENTS / PROFILES);
    expect(profile.body.items.every((c: { profileId: number }) => c.profileId === 7)).toBe(true);
    const both = await timed('profile=7&status=enabled&online=true', () => api(a, 'GET', '/api/clients?profile=7&status=enabled&online=true'));
    expect(both.body.items.map((c: { id: number }) => c.id)).toEqual([CLIENTS - PROFILES + 7]);
    const search = await timed('q=c54321@', () => api(a, 'GET', '/api/clients?q=c54321@'));
    expect(search.body.items.map((c: { id: number }) => c.id)).toEqual([54_321]);
    const phone = await timed('q=555-0999 (phone prefix, 100 hits)', () => api(a, 'GET', '/api/clients?q=555-0999&limit=200'));
    expect(phone.body.total).toBe(100);
    const none = await timed('q=nobody', () => api(a, 'GET', '/api/clients?q=nobody'));
    expect(none.body).toMatchObject({ total: 0, items: [] });
  });

  it('acts on one client among them, and answers stats, detail and metrics', async () => {
    const ban = await timed('ban one client', () => api(a, 'POST', '/api/clients/99999/status', { status: 'banned' }));
    expect(ban.status).toBe(200);
    const detail = await timed('client detail', () => api(a, 'GET', '/api/clients/99999'));
    expect(detail.body).toMatchObject({ id: 99_999, status: 'banned', online: false, environments: [{ env: { os: 'windows', version: '1.0' } }] });
    const stats = await timed('stats', () => api(a, 'GET', '/api/stats'));
    expect(stats.body.clients).toEqual({ total: CLIENTS, enabled: PROFILES - 1, disabled: CLIENTS - PROFILES, banned: 1, reset: 0 });
    expect(stats.body.online).toBe(PROFILES - 1);
    const metrics = await timed('metrics', () => api(a, 'GET', '/metrics'));
    expect(metrics.text).toContain(`dialoghub_registrations_total ${CLIENTS}`);
    expect(metrics.text).toContain('dialoghub_clients_registered{status="banned",profile="999"} 1');
  });
});

describe.skipIf(!existsSync(CHROMIUM))(`the console page at ${CLIENTS} registered clients`, () => {
  it('signs in, shows one page of 50 rows, pages, filters by profile and status, and searches', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const info = (): Promise<string | null> => page.locator('#page-info').textContent();
      const rows = (): Promise<(string | null)[]> => page.locator('#clients tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
      await page.goto(a.url);
      await page.fill('#token', TOKEN);
      const t0 = performance.now();
      await page.click('#sign-in');
      await page.waitForFunction((n) => document.querySelector('#page-info')?.getAttribute('data-total') === String(n), CLIENTS);
      timings['page: sign in to first page shown'] = Math.round(performance.now() - t0);
      expect(await info()).toBe('1–50 of 100,000');
      expect(await rows()).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
      await page.click('#next');
      await page.waitForFunction(() => document.querySelector('#page-info')?.textContent === '51–100 of 100,000');
      expect((await rows())[0]).toBe('51');
      // The profile filter lists all 1 000 profiles; profile 7 holds 100 clients, one of them enabled (the last registered).
      await page.waitForFunction((n) => document.querySelectorAll('#filter-profile option').length === n + 1, PROFILES);
      await page.selectOption('#filter-profile', '7');
      await page.waitForFunction(() => document.querySelector('#page-info')?.textContent === '1–50 of 100');
      await page.selectOption('#filter-status', 'enabled');
      await page.waitForFunction(() => document.querySelector('#page-info')?.textContent === '1–1 of 1');
      expect(await rows()).toEqual([String(CLIENTS - PROFILES + 7)]);
      await page.selectOption('#filter-profile', '');
      await page.selectOption('#filter-status', '');
      await page.fill('#filter-q', 'c54321@');
      await page.waitForFunction(() => document.querySelector('#page-info')?.textContent === '1–1 of 1');
      expect(await rows()).toEqual(['54321']);
      // The DOM never held more than a page.
      expect(await page.locator('#clients tbody tr').count()).toBe(1);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
