/**
 * The console page in a real browser: Debian's headless chromium driven by
 * playwright-core (never a browser playwright downloads), against a hub the
 * test starts (memory network, manual clock). Every request that does not
 * go to the console's own origin is blocked and recorded.
 *
 * It signs in with the token, finds a client, bans it (with the confirmation
 * step) and sees its session end with reason `banned` on the client's own
 * memory link; switches a profile to manual and sees an automatic takeover
 * refused (a registration, and the replaced client's login); manages
 * profiles; and watches the live feed, the table, the counts and the chart
 * update. Screenshots go to a temporary directory, and each is decoded
 * (test/png.ts) and checked to show its expected elements where the page
 * says they are; with UPDATE_DOCS_SCREENSHOT=1 the console's is also copied
 * to docs/images/console.png.
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
import { decodePng, inked, pixelsOfColour, type Box, type Image } from './png.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! console-browser.test.ts SKIPPED: ${CHROMIUM} is not installed.\n!! Install Debian's chromium (apt-get update && apt-get install -y chromium) to run it.\n${'!'.repeat(78)}\n`,
  );
}

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

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

  /** Where `selector`'s element is on the full-page screenshot (CSS pixels = image pixels at deviceScaleFactor 1). */
  async function boxOf(selector: string): Promise<Box> {
    const box = await page.locator(selector).first().evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
    });
    expect(box.width * box.height, `${selector} has no area`).toBeGreaterThan(0);
    return box;
  }

  /**
   * The page's size and, for each selector, its box and text: what a
   * screenshot must agree with. Read in one evaluation, so the page's own
   * script cannot re-render between two readings.
   */
  async function layout(selectors: readonly string[]): Promise<{ size: { width: number; height: number }; boxes: Box[]; texts: string[] }> {
    const read = await page.evaluate((sels) => {
      const found = sels.map((sel) => {
        const el = document.querySelector(sel);
        if (el === null) return null;
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return { box: { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height }, text: el.textContent ?? '', shown: style.visibility !== 'hidden' && style.display !== 'none' && r.width * r.height > 0 };
      });
      return { size: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight }, found };
    }, selectors);
    read.found.forEach((f, i) => {
      expect(f, `${selectors[i]} is on the page`).not.toBe(null);
      expect(f!.shown, `${selectors[i]} is visible`).toBe(true);
    });
    return { size: read.size, boxes: read.found.map((f) => f!.box), texts: read.found.map((f) => f!.text) };
  }

  /**
   * Saves a full-page screenshot and checks it shows what it should: each
   * selector of `expected` is visible with the expected text, lies inside the
   * image, and its region of the saved PNG holds drawn pixels (text, marks),
   * not a blank area. The page may still re-render after an event (the
   * tables refresh from the feed): the layout is read before and after the
   * screenshot, and the screenshot is taken again until both agree.
   */
  async function shot(name: string, expected: Readonly<Record<string, string | RegExp>>): Promise<{ path: string; image: Image }> {
    const path = join(shots, `${name}.png`);
    const selectors = Object.keys(expected);
    let before = await layout(selectors);
    for (let attempt = 1; ; attempt++) {
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      const after = await layout(selectors);
      if (JSON.stringify(after) === JSON.stringify(before)) break;
      expect(attempt, `${name}: the page kept changing under the screenshot`).toBeLessThan(10);
      before = after;
    }
    const image = decodePng(readFileSync(path));
    expect({ width: image.width, height: image.height }).toEqual(before.size);
    selectors.forEach((selector, i) => {
      const text = expected[selector]!;
      const content = before.texts[i]!;
      if (typeof text === 'string') expect(content, `${name}: ${selector}`).toContain(text);
      else expect(content, `${name}: ${selector}`).toMatch(text);
      const box = before.boxes[i]!;
      expect(box.x + box.width, `${name}: ${selector} inside the image`).toBeLessThanOrEqual(image.width + 1);
      expect(box.y + box.height, `${name}: ${selector} inside the image`).toBeLessThanOrEqual(image.height + 1);
      expect(inked(image, box), `${name}: ${selector} is drawn in the screenshot`).toBeGreaterThan(20);
    });
    return { path, image };
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
    // The page alone shows nothing of the hub: no request it made before sign-in was answered with data.
    expect(await page.locator('#clients, #feed, #stat-online').count()).toBe(0);
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#sign-in');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'This token is not accepted.');
    const login = await shot('login', { 'form#login h1': 'dialoghub console', '#sign-in': 'Sign in', '#login-error': 'This token is not accepted.' });
    // The check sees the difference: the empty page below the form holds no drawn pixel.
    const form = await boxOf('form#login');
    expect(inked(login.image, { x: 0, y: form.y + form.height + 20, width: login.image.width, height: login.image.height - (form.y + form.height + 20) })).toBe(0);
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
    await shot('client-detail', {
      '#filter-q': '',
      '#clients tbody tr[data-id="103"]': 'Alice Martin',
      '#client-detail h2': /^Client 103 enabled online$/,
      '#environments': 'os=Debian 12',
      '#recent': 'log: printer queue is empty',
      '#client-detail button[data-action="status-banned"]': 'Ban',
    });
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
    // The toast hides itself after a few seconds of wall-clock time: read it now, not in the screenshot.
    await page.waitForSelector('#toast[data-kind="ok"]');
    await expect(page.locator('#toast').textContent()).resolves.toBe('client 103 is now banned');
    await shot('banned', {
      '#clients tbody tr[data-id="103"][data-status="banned"][data-online="false"]': 'banned',
      '#detail-status': 'banned',
      '#detail-online': 'offline',
      '#feed li[data-type="clientOffline"][data-client="103"][data-reason="banned"]': 'client 103 offline: banned',
      '#feed li[data-type="statusChanged"][data-client="103"]': 'client 103 enabled → banned (operator)',
    });
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
    // Nor may the client it replaced take the profile back: its login (a resume of the profile) is refused too.
    const replaced = await t.login(clients.get(201)!);
    expect(replaced.answer).toEqual({ code: 'rejected', clientId: 201, reason: 'profileManual' });
    expect(enabled.link.open).toBe(true);
    expect(t.hub.state.profiles.get(2)?.enabledClient).toBe(202);
    await page.waitForSelector('#feed li[data-type="requestRejected"][data-client="201"][data-reason="profileManual"]');
    await shot('profiles', {
      '#profiles tbody tr[data-id="2"][data-mode="manual"]': 'back office',
      '#profiles tbody tr[data-id="2"] button[data-action="toggle-mode"]': 'manual',
      '#feed li[data-type="requestRejected"][data-client="203"][data-reason="profileManual"]': 'register from client 203 rejected: profileManual',
      '#feed li[data-type="requestRejected"][data-client="201"][data-reason="profileManual"]': 'login from client 201 rejected: profileManual',
      '#feed li[data-type="profileChanged"]': 'profile 2 mode: mode manual',
    });
  });

  it('creates a profile, and updates the feed live and draws the chart', async () => {
    // Profile 1 turned manual when its client was banned, profile 2 by hand: a third, created from the page.
    await page.fill('#new-profile-id', '3');
    await page.fill('#new-profile-name', 'night shift');
    await page.click('#new-profile-create');
    await confirm();
    await page.waitForSelector('#profiles tbody tr[data-id="3"][data-mode="auto"]');
    expect(t.hub.state.profiles.get(3)?.name).toBe('night shift');
    // The other profile actions: rename, set the policy, remove (each confirmed, each an operator input).
    await page.fill('#new-profile-id', '4');
    await page.fill('#new-profile-name', 'temp');
    await page.click('#new-profile-create');
    await confirm();
    await page.waitForSelector('#profiles tbody tr[data-id="4"]');
    page.once('dialog', (d) => void d.accept('temporary'));
    await page.click('#profiles tbody tr[data-id="4"] button[data-action="rename"]');
    await confirm();
    await page.waitForFunction(() => document.querySelector('#profiles tbody tr[data-id="4"] td:nth-child(2)')?.textContent === 'temporary');
    await page.selectOption('#profiles tbody tr[data-id="4"] select[data-action="policy"]', 'seniority');
    await confirm();
    await page.waitForFunction(() => (document.querySelector('#profiles tbody tr[data-id="4"] select[data-action="policy"]') as HTMLSelectElement | null)?.value === 'seniority');
    expect(t.hub.state.profiles.get(4)).toMatchObject({ name: 'temporary', policy: 'seniority', mode: 'auto' });
    await page.click('#profiles tbody tr[data-id="4"] button[data-action="remove"]');
    await confirm();
    await page.waitForSelector('#profiles tbody tr[data-id="4"]', { state: 'detached' });
    expect(t.hub.state.profiles.has(4)).toBe(false);
    // An action the core refuses shows the core's reason.
    await page.fill('#new-profile-id', '3');
    await page.fill('#new-profile-name', 'again');
    await page.click('#new-profile-create');
    await confirm();
    await page.waitForSelector('#toast[data-kind="error"]');
    await expect(page.locator('#toast').textContent()).resolves.toMatch(/^profileExists: /);
    expect(t.hub.state.profiles.get(3)?.name).toBe('night shift');
    // Chromium logs the refused request; it is the only console error of this step.
    expect(errors).toEqual([expect.stringContaining('409')]);
    errors.length = 0;
    // Only an empty profile offers removal.
    expect(await page.locator('#profiles tbody tr[data-id="1"] button[data-action="remove"]').isDisabled()).toBe(true);
    const before = await page.locator('#feed li').count();
    const late = await t.register(104, 3, { name: 'Late Arrival', phone: '+33 1 45 67 104', email: 'late@example.org' });
    await page.waitForSelector('#feed li[data-type="clientRegistered"][data-client="104"]');
    expect(await page.locator('#feed li').count()).toBeGreaterThan(before);
    // Some dialog traffic for the messages-per-second series.
    late.client.link.send({ kind: 'dialog', clientId: 104 as never, messages: Array.from({ length: 40 }, (_, i) => ({ seq: i + 1, ack: 0, body: { type: 'log' as const, at: 0, isError: false, text: `line ${i + 1}` } })) });
    await t.settle();
    await page.click('#tab-clients');
    await page.fill('#filter-q', '');
    await page.waitForSelector('#clients tbody tr[data-id="104"][data-online="true"]');
    // The header follows the hub: six registered, two online (104 and 202), three profiles.
    const online = String(t.hub.state.sessions.size);
    expect(online).toBe('2');
    await page.waitForFunction(
      (want) => document.querySelector('#stat-clients')?.textContent === '6' && document.querySelector('#stat-online')?.textContent === want && document.querySelector('#stat-profiles')?.textContent === '3',
      online,
    );
    // A chart point taken after the traffic: two online, a positive message rate.
    await page.waitForFunction((want) => {
      const d = (document.querySelector('#chart') as HTMLElement | null)?.dataset;
      return d !== undefined && Number(d['points']) >= 2 && d['online'] === want && Number(d['rate']) > 0;
    }, online);
    await page.evaluate(() => document.getElementById('toast')?.classList.remove('show'));
    const { path, image } = await shot('console', {
      '#stat-clients': '6',
      '#stat-online': online,
      '#stat-profiles': '3',
      '#hub-state': 'connected',
      '#feed-state': 'live',
      '#clients tbody tr[data-id="104"]': 'Late Arrival',
      '#feed li[data-type="clientRegistered"][data-client="104"]': 'client 104 registered in profile 3',
    });
    // The chart draws both series: online clients in blue, messages per second in orange.
    const chart = await boxOf('#chart');
    expect(pixelsOfColour(image, chart, '#1f6feb')).toBeGreaterThan(50);
    expect(pixelsOfColour(image, chart, '#d9480f')).toBeGreaterThan(50);
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
