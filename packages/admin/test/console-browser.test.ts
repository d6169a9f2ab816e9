/**
 * The console page in a real browser: Debian's headless chromium driven by
 * playwright-core (never a browser playwright downloads), against a hub the
 * test starts (memory network, manual clock). Every request that does not
 * go to the console's own origin is blocked and recorded.
 *
 * It signs in with the token, finds a client, bans it (with the confirmation
 * step) and sees its session end with reason `banned` on the client's own
 * memory link; switches a profile to manual and sees an automatic takeover
 * refused; and watches the live feed and the table update. Screenshots go
 * to a temporary directory; with UPDATE_DOCS_SCREENSHOT=1 the console's is
 * also copied to docs/images/console.png.
 *
 * Without /usr/bin/chromium the test is skipped, loudly. CI installs it with
 * `apt-get install -y chromium`.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkEnd } from '@dialoghub/adapter-memory';
import type { RunningAdmin } from '../src/index.js';
import { admin, testHub, TOKEN, type TestClient, type TestHub } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! console-browser.test.ts SKIPPED: ${CHROMIUM} is not installed.\n!! Install Debian's chromium (apt-get update && apt-get install -y chromium) to run it.\n${'!'.repeat(78)}\n`,
  );
}

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ended(link: TestClient['link']): Promise<LinkEnd> {
  return new Promise((resolve) => {
    if (link.ended !== null) return resolve(link.ended);
    link.onClose(resolve);
  });
}

describe.skipIf(!hasChromium)('the console in headless chromium', () => {
  const shots = mkdtempSync(join(tmpdir(), 'dialoghub-console-'));
  let t: TestHub;
  let a: RunningAdmin;
  let browser: Browser;
  let page: Page;
  const blocked: string[] = [];
  const errors: string[] = [];
  const clients = new Map<number, TestClient>();

  async function shot(name: string): Promise<string> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    const png = readFileSync(path);
    expect(png.subarray(0, 8).equals(PNG)).toBe(true);
    // A blank page compresses to a few hundred bytes; a drawn console does not.
    expect(png.length).toBeGreaterThan(15_000);
    return path;
  }

  async function confirm(): Promise<void> {
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
  }

  beforeAll(async () => {
    t = await testHub();
    a = await admin(t.hub);
    await t.hub.operate({ type: 'profileCreated', profileId: 1 as never, name: 'front desk' });
    await t.hub.operate({ type: 'profileCreated', profileId: 2 as never, name: 'back office', policy: 'replaceOld' });
    const people: [number, number, string][] = [
      [101, 1, 'Ada Lovelace'],
      [102, 1, 'Grace Hopper'],
      [103, 1, 'Alice Martin'],
      [201, 2, 'Barbara Liskov'],
      [202, 2, 'Edsger Dijkstra'],
    ];
    for (const [id, profile, name] of people) {
      const { client } = await t.register(id, profile, { name, phone: `+33 1 45 67 ${id}`, email: `${name.split(' ')[0]!.toLowerCase()}@example.org` }, { os: 'Debian 12', arch: 'x86_64', version: '2.4.1' });
      clients.set(id, client);
    }
    // Some traffic for the detail view and the chart.
    clients.get(103)!.link.send({ kind: 'dialog', clientId: 103 as never, messages: [{ seq: 1, ack: 0, body: { type: 'log', at: 0, isError: false, text: 'printer queue is empty' } }] });
    await t.settle();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const origin = new URL(a.url).origin;
    await context.route(
      (url) => url.origin !== origin,
      async (route) => {
        blocked.push(route.request().url());
        await route.abort('blockedbyclient');
      },
    );
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    await page.goto(a.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await a?.close();
    await t?.hub.close();
  });

  it('refuses a wrong token, then signs in with the right one', async () => {
    await page.waitForSelector('form#login');
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#sign-in');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'This token is not accepted.');
    // The wrong attempt's 401 is the only console error so far; forget it.
    errors.length = 0;
    await page.fill('#token', TOKEN);
    await page.click('#sign-in');
    await page.waitForSelector('#clients tbody tr[data-id="101"]');
    await expect(page.locator('#clients tbody tr').count()).resolves.toBe(5);
    await page.waitForFunction(() => document.querySelector('#stat-clients')?.textContent === '5', undefined, { timeout: 8000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: stat ${await page.locator('#stat-clients').textContent()} / ${await page.locator('#hub-state').textContent()} errors ${errors.join('|')}`);
    });
    await page.waitForSelector('#feed-state[data-live="true"]');
    expect(await page.evaluate(() => sessionStorage.getItem('dialoghub.adminToken'))).toBe(TOKEN);
  });

  it('finds a client and shows its detail', async () => {
    await page.fill('#filter-q', 'alice');
    await page.waitForFunction(() => [...document.querySelectorAll('#clients tbody tr')].map((r) => r.getAttribute('data-id')).join() === '103');
    await page.click('#clients tbody tr[data-id="103"]');
    await page.waitForSelector('#client-detail[data-client="103"]:not([hidden])');
    await expect(page.locator('#detail-status').textContent()).resolves.toBe('enabled');
    await expect(page.locator('#detail-online').textContent()).resolves.toBe('online');
    await expect(page.locator('#environments').textContent()).resolves.toContain('os=Debian 12');
    await expect(page.locator('#recent').textContent()).resolves.toContain('log: printer queue is empty');
    await shot('client-detail');
  });

  it('bans the client after the confirmation step: its session ends with reason banned', async () => {
    const link = clients.get(103)!.link;
    const end = ended(link);
    await page.click('#client-detail button[data-action="status-banned"]');
    await page.waitForSelector('dialog#confirm[open]');
    await expect(page.locator('#confirm-text').textContent()).resolves.toContain('Set client 103 to banned?');
    // Cancel first: nothing happens.
    await page.click('#confirm-cancel');
    expect(link.open).toBe(true);
    expect(t.hub.state.clients.get(103)?.status).toBe('enabled');
    await page.click('#client-detail button[data-action="status-banned"]');
    await confirm();
    await expect(end).resolves.toMatchObject({ by: 'hub', reason: 'banned' });
    expect(t.hub.state.clients.get(103)?.status).toBe('banned');
    // The live feed shows it, and the table and the detail follow.
    await page.waitForSelector('#feed li[data-type="clientOffline"][data-client="103"][data-reason="banned"]');
    await page.waitForSelector('#feed li[data-type="statusChanged"][data-client="103"]');
    await page.waitForSelector('#clients tbody tr[data-id="103"][data-status="banned"][data-online="false"]');
    await page.waitForFunction(() => document.querySelector('#detail-status')?.textContent === 'banned');
    await page.waitForSelector('#toast[data-kind="ok"]');
    await shot('banned');
  });

  it('switches a profile to manual: an automatic takeover is then refused', async () => {
    await page.click('#tab-profiles');
    await page.waitForSelector('#profiles tbody tr[data-id="2"][data-mode="auto"]');
    await page.click('#profiles tbody tr[data-id="2"] button[data-action="toggle-mode"]');
    await confirm();
    await page.waitForSelector('#profiles tbody tr[data-id="2"][data-mode="manual"]');
    expect(t.hub.state.profiles.get(2)?.mode).toBe('manual');
    // A new installation in profile 2 would have replaced the enabled client (replaceOld): now it is refused.
    const enabled = clients.get(202)!;
    const newcomer = await t.register(203, 2, { name: 'Newcomer', phone: '', email: '' });
    expect(newcomer.answer).toEqual({ code: 'rejected', clientId: 203, reason: 'profileManual' });
    expect(enabled.link.open).toBe(true);
    await page.waitForSelector('#feed li[data-type="requestRejected"][data-client="203"][data-reason="profileManual"]');
    await shot('profiles');
  });

  it('creates a profile, and updates the feed live and draws the chart', async () => {
    // Profile 1 turned manual when its client was banned, profile 2 by hand: a third, created from the page.
    await page.fill('#new-profile-id', '3');
    await page.fill('#new-profile-name', 'night shift');
    await page.click('#new-profile-create');
    await confirm();
    await page.waitForSelector('#profiles tbody tr[data-id="3"][data-mode="auto"]');
    expect(t.hub.state.profiles.get(3)?.name).toBe('night shift');
    const before = await page.locator('#feed li').count();
    await t.register(104, 3, { name: 'Late Arrival', phone: '', email: '' });
    await page.waitForSelector('#feed li[data-type="clientRegistered"][data-client="104"]');
    expect(await page.locator('#feed li').count()).toBeGreaterThan(before);
    await page.click('#tab-clients');
    await page.fill('#filter-q', '');
    await page.waitForSelector('#clients tbody tr[data-id="104"]');
    await page.waitForFunction(() => Number((document.querySelector('#chart') as HTMLElement | null)?.dataset['points'] ?? 0) >= 2);
    const path = await shot('console');
    if (process.env['UPDATE_DOCS_SCREENSHOT'] === '1') {
      mkdirSync(join(REPO, 'docs/images'), { recursive: true });
      copyFileSync(path, join(REPO, 'docs/images/console.png'));
    }
  });

  it('loaded nothing from elsewhere and raised no script error', () => {
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});
