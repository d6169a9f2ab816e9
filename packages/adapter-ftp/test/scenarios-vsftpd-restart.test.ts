/**
 * vsftpd, the real daemon (servers.ts), is stopped while an upload is really
 * in progress — part of the file already on its disk under the temporary
 * name, the rest still on the way — and started again: first the hub's
 * upload, then a client's. Nothing acknowledged is lost, nothing is applied
 * twice, the engine stays online on its one link, no temporary file is left.
 *
 * To catch an upload half-way, the daemon runs with `anon_max_rate`: it then
 * writes an upload to disk in steps of up to 64 KiB, one per 64 KiB / rate
 * seconds (about 1 s here), so a file of 512 KiB takes several seconds. The
 * test does not guess when: it waits for the events of the mailbox directory
 * on disk (`fs.watch`, inotify) until the temporary file holds some bytes
 * but fewer than the payload, and fails if the transfer ends first. It then
 * stops the daemon (its listener and every session process: the transfer
 * breaks at once, no timeout involved), checks that the temporary file on
 * disk is indeed partial, and starts the daemon again without the rate limit
 * (vsftpd reads its config when it starts), so the retried transfers are
 * quick. No wall-clock sleep, no timing assertion.
 *
 * When vsftpd cannot run here (not installed, not root), the file is
 * skipped — loudly, with the reason.
 */
import { MAILBOX_TIMINGS } from '@dialoghub/core';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TickReport } from '../src/index.js';
import { World } from './scenario-kit.js';
import { registered } from './scenario-suite.js';
import { startVsftpd, vsftpdUnavailable, type VsftpdServer } from './servers.js';

const why = await vsftpdUnavailable();
if (why !== null) console.warn(`\n*** SKIPPING the vsftpd restart-mid-upload scenarios: ${why} ***\n`);

/** vsftpd's `anon_max_rate` while the upload is caught: a 64 KiB step a second. */
const RATE = 64 * 1024;
/** Payload bytes of the large message: eight steps of the throttled daemon (half the payload limit). */
const BIG = 512 * 1024;
/** Most change events of the directory a wait looks at (an upload of BIG makes a few dozen). */
const MAX_EVENTS = 10_000;

/** A message of BIG bytes starting with `tag:` (varied text, so a shifted or mixed-up copy does not compare equal). */
function large(tag: string): string {
  let s = `${tag}:`;
  for (let i = 0; s.length < BIG; i++) s += `${i.toString(36)},`;
  return s.slice(0, BIG);
}

/** A short, comparable stand-in for a message (its tag, length and digest), so a failing `toEqual` prints no megabyte. */
const brief = (m: string): string => `${m.split(':', 1)[0]}/${m.length}/${createHash('sha256').update(m).digest('hex').slice(0, 16)}`;

/** The mailbox directory on the server's disk (as `World.files` computes it). */
const onDisk = (server: VsftpdServer): string => join(server.diskRoot, server.mailboxDir.replace(/^box\//, ''));

/**
 * Waits until a file of `dir` whose name `match`es holds more than 0 and
 * fewer than `below` bytes — an upload under way, part of it on disk —
 * looking at the directory once now and then at each of its change events.
 * Rejects when `op` (the tick or poll doing the upload) ends first: the
 * upload was never seen half-way, and the scenario did not happen. Bounded by
 * `op`, which ends at the latest when the throttled transfer does, and by
 * MAX_EVENTS.
 */
function partlyWritten(dir: string, match: (name: string) => boolean, below: number, op: Promise<TickReport>, what: string): Promise<{ readonly name: string; readonly size: number }> {
  return new Promise((resolve, reject) => {
    let done = false;
    let events = 0;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      watcher.close();
      settle();
    };
    const look = (): void => {
      for (const name of readdirSync(dir)) {
        if (!match(name)) continue;
        let size: number;
        try {
          size = statSync(join(dir, name)).size;
        } catch {
          continue; // Renamed or removed meanwhile.
        }
        if (size > 0 && size < below) return finish(() => resolve({ name, size }));
      }
    };
    const watcher = watch(dir, () => {
      if (++events > MAX_EVENTS) finish(() => reject(new Error(`${what}: not seen partly written in ${MAX_EVENTS} change events of ${dir}`)));
      else look();
    });
    watcher.on('error', (error) => finish(() => reject(error)));
    op.then(
      (report) => finish(() => reject(new Error(`${what}: the transfer ended before it was seen partly written on disk (report: ${JSON.stringify(report)})`))),
      (error: unknown) => finish(() => reject(error)),
    );
    look();
  });
}

/** The size of `path` now (0 when it is gone). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

describe.skipIf(why !== null)('vsftpd: the daemon stops in the middle of an upload and starts again', () => {
  let current: World | null = null;
  afterEach(async () => {
    const w = current;
    current = null;
    await w?.dispose();
  });
  const world = async (): Promise<{ readonly w: World; readonly server: VsftpdServer }> => {
    const server = await startVsftpd({ maxRateBytesPerSecond: RATE });
    const w = (current = new World(server));
    await w.hub.open();
    return { w, server };
  };

  it('the hub\'s upload (a large message and the ack of c1) is half on disk when vsftpd stops: it fails at once, then after the restart the message arrives once and c1 was applied once', async () => {
    const { w, server } = await world();
    const a = await registered(w, 'a', 0xa1);
    const s = a.link.session;
    const h2c = join(onDisk(server), 'h2c');
    const h1 = large('h1');

    a.send('c1');
    await a.ftp.poll();
    await w.hub.send(0xa1, h1);
    // The tick reads c1, the hub acknowledges it, and the upload carrying h1 and that ack starts.
    const tick = w.hub.transport!.tick();
    const caught = await partlyWritten(h2c, (name) => name === `${s}.tmp`, BIG, tick, 'the hub\'s upload');
    await server.stop();
    // Stopped mid-transfer: the temporary file keeps what had reached the disk, no more.
    const left = sizeOf(join(h2c, caught.name));
    expect(left, 'bytes of the hub\'s temporary file after the stop').toBeGreaterThanOrEqual(caught.size);
    expect(left, 'bytes of the hub\'s temporary file after the stop').toBeLessThan(BIG);

    const report = await tick;
    // The session processes are gone: not one more byte reached the disk after the stop.
    expect(sizeOf(join(h2c, caught.name)), 'bytes of the hub\'s temporary file once the tick ended').toBe(left);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.uploaded).toBe(0);
    const errors = report.errors.join('\n');
    expect(errors).toMatch(new RegExp(`upload ${s}: `));
    // The daemon's end broke the transfer, not basic-ftp's per-command timeout.
    expect(errors).not.toMatch(/timeout/i);
    // The hub handled c1 before the upload: delivered once, never again.
    expect(w.hub.received(0xa1)).toEqual(['c1']);
    expect(a.messages).toEqual([]);

    server.throttle(null);
    await server.restart();
    await w.until(() => a.messages.length === 1, 'h1 after the restart');
    // The failed upload reached the core as failed writeDialogs (h1, and the bare ack of c1); the core resends after retryAfterMs.
    const failures = w.hub.inputs('commandFailed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.command === 'writeDialog')).toBe(true);
    await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
    await w.idle(3);

    expect(a.messages.map(brief)).toEqual([brief(h1)]);
    expect(w.hub.received(0xa1)).toEqual(['c1']);
    expect(a.isOnline).toBe(true);
    expect(a.links).toHaveLength(1);
    expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
    // The partial temporary file was overwritten by the retried upload and renamed into place.
    const files = w.files();
    expect([...files.c2h, ...files.h2c].filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a client\'s upload (a large message) is half on disk when vsftpd stops: the poll fails at once, then after the restart the hub gets the message once and acknowledges it', async () => {
    const { w, server } = await world();
    const a = await registered(w, 'a', 0xa1);
    const s = a.link.session;
    const c2h = join(onDisk(server), 'c2h');
    const c1 = large('c1');
    await w.hub.send(0xa1, 'h1');
    await w.until(() => a.messages.length === 1, 'h1');

    const ref = a.send(c1);
    const poll = a.ftp.poll();
    const caught = await partlyWritten(c2h, (name) => name.startsWith(`${s}.`) && name.endsWith('.tmp'), BIG, poll, 'the client\'s upload');
    await server.stop();
    const left = sizeOf(join(c2h, caught.name));
    expect(left, 'bytes of the client\'s temporary file after the stop').toBeGreaterThanOrEqual(caught.size);
    expect(left, 'bytes of the client\'s temporary file after the stop').toBeLessThan(BIG);

    const report = await poll;
    expect(sizeOf(join(c2h, caught.name)), 'bytes of the client\'s temporary file once the poll ended').toBe(left);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.uploaded).toBe(0);
    const errors = report.errors.join('\n');
    expect(errors).toMatch(new RegExp(`upload ${s}\\.[0-9]+: `));
    expect(errors).not.toMatch(/timeout/i);
    expect(a.acked.has(ref)).toBe(false);

    server.throttle(null);
    await server.restart();
    await w.until(() => w.hub.received(0xa1).length === 1 && a.acked.has(ref), 'c1 received and acknowledged after the restart');
    await w.hub.send(0xa1, 'h2');
    await w.until(() => a.messages.length === 2, 'h2');
    await w.idle(3);

    expect(w.hub.received(0xa1).map(brief)).toEqual([brief(c1)]);
    expect(a.messages).toEqual(['h1', 'h2']);
    expect(a.isOnline).toBe(true);
    expect(a.links).toHaveLength(1);
    expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
    // The client removed its failed generation's partial temporary file once a newer generation was in place.
    expect(readdirSync(c2h).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const files = w.files();
    expect([...files.c2h, ...files.h2c].filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
