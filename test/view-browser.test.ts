/**
 * The timeline page in a real browser: Debian's headless chromium, driven by
 * playwright-core (never a browser downloaded by playwright). A small
 * scripted trace with takeovers, a loss and resends and a hub restart is
 * rendered, opened with every network request blocked, and the test asserts
 * what is drawn: one lane per client, a takeover marker whose tooltip names
 * its reason, the restart line, the legend — and, from the screenshot's own
 * pixels, that the status fills, the online bar and the restart line are
 * really painted in their colours.
 *
 * Without /usr/bin/chromium the test is skipped, loudly. CI installs it with
 * `apt-get install -y chromium`.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTrace, renderTimeline } from '@dialoghub/sim';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! view-browser.test.ts SKIPPED: ${CHROMIUM} is not installed.\n!! Install Debian's chromium (apt-get update && apt-get install -y chromium) to run it.\n${'!'.repeat(78)}\n`,
  );
}

// ---- a minimal PNG reader (8-bit RGB/RGBA, non-interlaced: what chromium writes) ----

interface Image {
  readonly width: number;
  readonly height: number;
  pixel(x: number, y: number): [number, number, number];
}

function decodePng(png: Buffer): Image {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8]!;
      const color = data[9]!;
      const interlace = data[12]!;
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${color}, interlace ${interlace}`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels]! : 0;
      let v = line[i]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = Math.round(y) * stride + Math.round(x) * channels;
      return [out[i]!, out[i + 1]!, out[i + 2]!];
    },
  };
}

function hex(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function near(a: readonly number[], b: readonly number[], tolerance = 24): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
}

// ----------------------------------------------------------------------------------

describe.skipIf(!hasChromium)('timeline page in headless chromium', () => {
  const demo = demoTrace();
  const dir = mkdtempSync(join(tmpdir(), 'dialoghub-view-browser-'));
  const htmlPath = join(dir, 'timeline.html');
  const shotPath = join(dir, 'timeline.png');
  const pageUrl = pathToFileURL(htmlPath).href;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    writeFileSync(htmlPath, renderTimeline(demo.records, { restarts: demo.restarts, title: 'demo trace' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    // Block every request but the page's own file, and remember what was tried.
    await context.route(
      (url) => url.href !== pageUrl,
      async (route) => {
        blocked.push(route.request().url());
        await route.abort('blockedbyclient');
      },
    );
    page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    await page.goto(pageUrl);
    await page.waitForSelector('#timeline[data-ready="true"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no network request and no script error', () => {
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requests).toEqual([pageUrl]);
  });

  it('draws one lane per client', async () => {
    const lanes = await page.$$eval('g.lane', (els) => els.map((e) => Number(e.getAttribute('data-client'))));
    expect(lanes).toEqual(demo.clients);
    for (const id of demo.clients) {
      const box = await page.locator(`g.lane[data-client="${id}"]`).boundingBox();
      expect(box!.height).toBeGreaterThan(15);
      expect(box!.width).toBeGreaterThan(1000);
    }
    await expect(page.locator('g.lane[data-client="201"] text.label').textContent()).resolves.toBe('client 201 · profile 2 "beta"');
  });

  it('shows a takeover marker whose tooltip names its reason, winner and loser', async () => {
    const markers = page.locator('g.marks[data-client="201"] path.mk-takeover');
    await expect(markers.count()).resolves.toBe(1);
    await expect(markers.first().getAttribute('data-reason')).resolves.toBe('replaced');
    await expect(page.locator('path.mk-takeover[data-reason="pushedOut"]').count()).resolves.toBe(1);
    await markers.first().hover();
    const tip = page.locator('#tip');
    await expect(tip.isVisible()).resolves.toBe(true);
    const text = (await tip.textContent()) ?? '';
    expect(text).toContain('takeover: replaced (otherClient) in profile 2: client 202 wins over client 201 (this client lost)');
    // The line linking winner and loser spans their two lanes.
    const link = await page.locator('line.link').first().boundingBox();
    expect(link!.height).toBeGreaterThan(15);
  });

  it('shows losses, resends and the hub restart line', async () => {
    await expect(page.locator('g.marks[data-client="201"] path.mk-gap').count()).resolves.toBe(1);
    await expect(page.locator('g.marks[data-client="201"] path.mk-connectionLost[data-reason="reset by peer"]').count()).resolves.toBe(1);
    await expect(page.locator('g.marks[data-client="201"] path.mk-resend').count()).resolves.toBe(1);
    const crash = page.locator('line.crash');
    await expect(crash.count()).resolves.toBe(1);
    const box = await crash.boundingBox();
    // Across all four lanes.
    expect(box!.height).toBeGreaterThan(4 * 20);
    // A vertical line has no width for playwright's hover: point at it.
    await page.mouse.move(box!.x + box!.width / 2, box!.y + 2);
    await expect(page.locator('#tip').textContent()).resolves.toContain(`hub restart after seq ${demo.restarts[0]}`);
  });

  it('filters lanes', async () => {
    await page.fill('#filter', 'profile 2');
    await expect(page.locator('#shown-count').textContent()).resolves.toBe('2');
    await page.waitForFunction(() => document.querySelectorAll('g.lane').length === 2);
    await page.fill('#filter', 'pushedout');
    await page.waitForFunction(() => [...document.querySelectorAll('g.lane')].map((e) => e.getAttribute('data-client')).join() === '102');
    await page.fill('#filter', '');
    await page.waitForFunction((n) => document.querySelectorAll('g.lane').length === n, demo.clients.length);
  });

  it('shows the legend', async () => {
    const legend = page.locator('#legend');
    await expect(legend.isVisible()).resolves.toBe(true);
    const text = (await legend.textContent()) ?? '';
    for (const key of ['enabled', 'banned', 'takeover: replaced', 'takeover: pushedOut', 'hub restart', 'loss: messages dropped after a gap']) expect(text).toContain(key);
    const box = await legend.boundingBox();
    expect(box!.height).toBeGreaterThan(20);
  });

  it('paints what it claims: a PNG whose pixels have the status, online and restart colours', async () => {
    await page.mouse.move(5, 5);
    await page.screenshot({ path: shotPath });
    const size = statSync(shotPath).size;
    expect(size).toBeGreaterThan(20_000);
    const img = decodePng(readFileSync(shotPath));
    expect([img.width, img.height]).toEqual([1400, 900]);
    // The banned segment of 202, sampled above the online bar's band.
    const banned = await page.locator('g.lane[data-client="202"] rect.st-banned').boundingBox();
    expect(banned).not.toBeNull();
    expect(img.pixel(banned!.x + banned!.width / 2, banned!.y + 2)).toSatisfy((p: number[]) => near(p, hex('#f4a6a6')));
    // An enabled segment, and 201's first online span in its dark blue (near its start: markers sit on its middle).
    const enabled = await page.locator('g.lane[data-client="201"] rect.st-enabled').first().boundingBox();
    expect(img.pixel(enabled!.x + 3, enabled!.y + 2)).toSatisfy((p: number[]) => near(p, hex('#b7e4b0')));
    const online = await page.locator('g.lane[data-client="201"] rect.on').first().boundingBox();
    expect(img.pixel(online!.x + 3, online!.y + online!.height / 2)).toSatisfy((p: number[]) => near(p, hex('#1f3b73')));
    // The dashed restart line: red on several of the samples down its length.
    const crash = await page.locator('line.crash').boundingBox();
    const xs = crash!.x + crash!.width / 2;
    let red = 0;
    for (let y = crash!.y + 2; y < crash!.y + crash!.height - 2; y += 3) if (near(img.pixel(xs, y), hex('#d00000'), 40)) red++;
    expect(red).toBeGreaterThan(5);
    // And the page background where nothing is drawn stays white.
    expect(img.pixel(img.width - 3, img.height - 3)).toEqual([255, 255, 255]);
  });
});
