/**
 * vsftpd, the real daemon (servers.ts), serves a directory on a disk that
 * really fills up: with `diskRootSizeBytes` its `box/` (where the mailbox
 * lives) is a tmpfs of 256 KiB in a mount namespace of the daemon's own. The
 * test fills that disk to its last byte (a filler file written through
 * `/proc/<daemon>/root` until the kernel answers ENOSPC), so vsftpd's own
 * writes fail and it answers the STOR with `451 Failure writing to local
 * file.` — first for the hub's upload, then for a client's. Then it removes
 * the filler, and everything converges: each message accepted before or
 * during the full window arrives once, in order; nothing is applied twice;
 * the engine stays online on its one link; no temporary file is left; the
 * hub kept ticking throughout (each tick reports what failed), and another
 * client registers and is served afterwards.
 *
 * Every wait is a bounded number of rounds (scenario-kit.ts); no wall-clock
 * sleep. When vsftpd cannot run on a disk of its own here (not installed,
 * not root, no `unshare --mount`), the file is skipped — loudly, with the
 * reason.
 */
import { MAILBOX_TIMINGS, profileId, type ClientId } from '@dialoghub/core';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { World } from './scenario-kit.js';
import { registered } from './scenario-suite.js';
import { startVsftpd, vsftpdSmallDiskUnavailable, type SmallDisk, type VsftpdServer } from './servers.js';

const why = await vsftpdSmallDiskUnavailable();
if (why !== null) console.warn(`\n*** SKIPPING the vsftpd disk-full scenarios: ${why} ***\n`);

/** The daemon's disk: the mailbox, a few pages a file, fits many times over. */
const DISK = 256 * 1024;
/** vsftpd's reply when writing an upload to its disk fails (ENOSPC here). */
const DISK_FULL = '451 Failure writing to local file';

/** The size of `path` now (-1 when it is not there). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

describe.skipIf(why !== null)('vsftpd: its disk fills up (ENOSPC), then space is freed', () => {
  let current: World | null = null;
  afterEach(async () => {
    const w = current;
    current = null;
    // Stops the daemon (every process of its mount namespace: the tmpfs goes with them) and removes its directory.
    await w?.dispose();
  });
  const world = async (): Promise<{ readonly w: World; readonly server: VsftpdServer; readonly disk: SmallDisk }> => {
    const server = await startVsftpd({ diskRootSizeBytes: DISK });
    const w = (current = new World(server));
    await w.hub.open();
    expect(await w.hub.h.operate({ type: 'profileCreated', profileId: profileId(2), name: 'two' })).toMatchObject({ ok: true });
    const disk = server.disk!;
    expect(disk.totalBytes()).toBe(DISK);
    return { w, server, disk };
  };
  /** The mailbox directory as the daemon sees it. */
  const mailbox = (server: VsftpdServer): string => join(server.diskRoot, server.mailboxDir.replace(/^box\//, ''));

  it('the hub\'s uploads fail on the full disk: failed ticks, command failures in the core, nothing delivered; once space is freed every message arrives once, in order, and another client is served', async () => {
    const { w, server, disk } = await world();
    const a = await registered(w, 'a', 0xa1, 1);
    const s = a.link.session;
    const la = [...w.hub.linksOf(0xa1)][0];
    const r1 = a.send('c1');
    await w.hub.send(0xa1, 'h1');
    await w.until(() => a.messages.length === 1 && w.hub.received(0xa1).length === 1 && a.acked.has(r1), 'c1 and h1 before the disk fills');
    await w.idle(2);
    const hubFile = join(mailbox(server), 'h2c', `${s}.dhm`);
    const before = sizeOf(hubFile);
    expect(before, 'the hub file before the disk fills').toBeGreaterThan(0);

    expect(disk.fill()).toBeGreaterThan(0);
    expect(disk.freeBytes()).toBe(0);
    // Accepted by the hub (journaled) while the disk is full: they must not be lost.
    await w.hub.send(0xa1, 'h2');
    await w.hub.send(0xa1, 'h3');
    const ticked = w.hub.ticks.length;
    const report = await w.hub.transport!.tick();
    expect(report.failed).toBeGreaterThan(0);
    expect(report.uploaded).toBe(0);
    expect(report.errors.join('\n')).toMatch(new RegExp(`upload ${s}: ${DISK_FULL}`));

    // The failure reaches the core as failed writeDialogs; the core's own resend (after retryAfterMs) fails too.
    const failed = () => w.hub.inputs('commandFailed').filter((f) => (f.link as number) === la);
    await w.until(() => failed().length > 0, 'the failure to reach the core');
    expect(failed()[0]).toMatchObject({ command: 'writeDialog', reason: expect.stringContaining(DISK_FULL) });
    expect(w.hub.logs.items.some((l) => l.event === 'commandFailed' && (l.clientId as ClientId | null) === (0xa1 as ClientId))).toBe(true);
    const first = failed().length;
    await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
    await w.until(() => failed().length > first, 'the core\'s resend to fail too');
    await w.idle(2);
    // The hub kept ticking; every tick of the full window tried the upload, and it failed.
    const full = w.hub.ticks.slice(ticked);
    expect(full.length).toBeGreaterThanOrEqual(4);
    for (const t of full) {
      expect(t.uploaded, `tick ${t.tick}`).toBe(0);
      expect(t.errors.join('\n'), `tick ${t.tick}`).toMatch(new RegExp(`upload ${s}: ${DISK_FULL}`));
    }
    // Nothing reached the client, and the final name still holds the file before the disk filled.
    expect(a.messages).toEqual(['h1']);
    expect(sizeOf(hubFile)).toBe(before);
    expect(disk.freeBytes()).toBe(0);

    disk.free();
    expect(disk.freeBytes()).toBeGreaterThan(0);
    await w.until(() => a.messages.length === 3, 'h2 and h3 once space is freed');
    // The core's pending resends go out too: the engine must not apply them again.
    await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
    await w.idle(3);
    expect(a.messages).toEqual(['h1', 'h2', 'h3']);
    expect(w.hub.received(0xa1)).toEqual(['c1']);
    expect(w.hub.ticks.at(-1)!.failed).toBe(0);

    // The same link carries on, and a client registering now is served.
    const r2 = a.send('c2');
    const b = await registered(w, 'b', 0xb2, 2);
    b.send('from b');
    await w.hub.send(0xb2, 'to b');
    await w.until(() => a.acked.has(r2) && w.hub.received(0xb2).length === 1 && b.messages.length === 1, 'a and b after the disk was freed');
    await w.idle(2);
    expect(w.hub.received(0xa1)).toEqual(['c1', 'c2']);
    expect([w.hub.received(0xb2), b.messages]).toEqual([['from b'], ['to b']]);
    expect(a.messages).toEqual(['h1', 'h2', 'h3']);
    expect([a.isOnline, b.isOnline]).toEqual([true, true]);
    expect(a.links).toHaveLength(1);
    expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
    const files = w.files();
    expect([...files.c2h, ...files.h2c].filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a client\'s uploads fail on the full disk: each poll reports it, the hub hears nothing and keeps ticking; once space is freed the hub gets every message once, in order, and acknowledges it', async () => {
    const { w, disk } = await world();
    const a = await registered(w, 'a', 0xa1, 1);
    const s = a.link.session;
    const r1 = a.send('c1');
    await w.hub.send(0xa1, 'h1');
    await w.until(() => a.messages.length === 1 && w.hub.received(0xa1).length === 1 && a.acked.has(r1), 'c1 and h1 before the disk fills');
    await w.idle(2);

    expect(disk.fill()).toBeGreaterThan(0);
    expect(disk.freeBytes()).toBe(0);
    const r2 = a.send('c2');
    const r3 = a.send('c3');
    const polled = a.polls.length;
    const ticked = w.hub.ticks.length;
    const report = await a.ftp.poll();
    expect(report.failed).toBeGreaterThan(0);
    expect(report.uploaded).toBe(0);
    expect(report.errors.join('\n')).toMatch(new RegExp(`upload ${s}\\.[0-9]+: ${DISK_FULL}`));
    await w.idle(4);
    // Every poll of the full window tried again (a new generation each time) and failed.
    const full = a.polls.slice(polled);
    expect(full.length).toBeGreaterThanOrEqual(5);
    for (const p of full) {
      expect(p.uploaded, `poll ${p.tick}`).toBe(0);
      expect(p.errors.join('\n'), `poll ${p.tick}`).toMatch(new RegExp(`upload ${s}\\.[0-9]+: ${DISK_FULL}`));
    }
    // The hub kept ticking (reading needs no space) and got nothing; nothing was acknowledged.
    expect(w.hub.ticks.length - ticked).toBeGreaterThanOrEqual(4);
    expect(w.hub.ticks.slice(ticked).every((t) => t.failed === 0 && t.delivered === 0)).toBe(true);
    expect(w.hub.received(0xa1)).toEqual(['c1']);
    expect([a.acked.has(r2), a.acked.has(r3)]).toEqual([false, false]);
    expect(disk.freeBytes()).toBe(0);

    disk.free();
    expect(disk.freeBytes()).toBeGreaterThan(0);
    await w.until(() => w.hub.received(0xa1).length === 3 && a.acked.has(r2) && a.acked.has(r3), 'c2 and c3 received and acknowledged once space is freed');
    await w.hub.send(0xa1, 'h2');
    await w.until(() => a.messages.length === 2, 'h2');
    await w.idle(3);
    expect(w.hub.received(0xa1)).toEqual(['c1', 'c2', 'c3']);
    expect(a.messages).toEqual(['h1', 'h2']);
    expect(a.polls.at(-1)!.failed).toBe(0);

    const b = await registered(w, 'b', 0xb2, 2);
    b.send('from b');
    await w.hub.send(0xb2, 'to b');
    await w.until(() => w.hub.received(0xb2).length === 1 && b.messages.length === 1, 'b after the disk was freed');
    await w.idle(2);
    expect([w.hub.received(0xb2), b.messages]).toEqual([['from b'], ['to b']]);
    expect(w.hub.received(0xa1)).toEqual(['c1', 'c2', 'c3']);
    expect([a.isOnline, b.isOnline]).toEqual([true, true]);
    expect(a.links).toHaveLength(1);
    expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
    // The failed generations (their empty temporaries included) were removed once a newer one was in place.
    const files = w.files();
    expect([...files.c2h, ...files.h2c].filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(files.c2h.filter((n) => n.startsWith(`${s}.`))).toHaveLength(1);
  });
});
