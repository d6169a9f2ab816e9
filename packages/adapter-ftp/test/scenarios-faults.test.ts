/**
 * Faults only ftp-srv can inject (servers.ts `Faults`), with a real hub and
 * real client engines (scenario-kit.ts):
 *
 * - the FTP server stops in the middle of an upload — the hub's and then a
 *   client's, each held in flight by the file system until the server is
 *   down — and starts again: nothing acknowledged is lost, nothing is
 *   applied twice;
 * - uploads refused as permission denied and as disk full (ftp-srv answers
 *   both with reply 550 and the fault in the text, servers.ts): each
 *   failure reaches the core as a `commandFailed`, the hub retries, and it
 *   keeps serving the other clients meanwhile; a client's refused upload is
 *   retried by its own transport.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { MAILBOX_TIMINGS, profileId, type ClientId } from '@dialoghub/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { TickReport } from '../src/index.js';
import { World } from './scenario-kit.js';
import { registered } from './scenario-suite.js';
import { startFtpSrv, type Faults } from './servers.js';

/** Holds the next write whose path `match`es until `release()`; `held` says when it is in flight. */
function holdNextWrite(faults: Faults, match: (path: string) => boolean): { readonly held: Promise<string>; release(): void } {
  const seen = new WatchList<string>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  faults.onWrite = (path) => {
    if (!match(path)) return;
    faults.onWrite = undefined;
    seen.push(path);
    return gate;
  };
  return { held: seen.first(() => true), release };
}

/** Resolves with the path once the write is held; fails if `op` ends first (nothing was uploaded). */
async function heldDuring(hold: { readonly held: Promise<string> }, op: Promise<TickReport>): Promise<string> {
  return Promise.race([hold.held, op.then(() => Promise.reject(new Error('the operation ended without the upload being held')))]);
}

describe('hub + client engines over the FTP mailbox: injected faults (ftp-srv)', () => {
  let current: World | null = null;
  afterEach(async () => {
    const w = current;
    current = null;
    await w?.dispose();
  });
  const world = async (faults: Faults): Promise<World> => {
    current = new World(await startFtpSrv({ faults }));
    await current.hub.open();
    return current;
  };

  it('the FTP server restarts in the middle of the hub\'s upload, then of a client\'s: nothing acknowledged is lost, nothing is applied twice', async () => {
    const faults: Faults = {};
    const w = await world(faults);
    const a = await registered(w, 'a', 0xa1);
    const s = a.link.session;

    // The hub's upload carrying h1 and the ack of c1 is in flight when the server goes down.
    a.send('c1');
    await a.ftp.poll();
    await w.hub.send(0xa1, 'h1');
    const hubHold = holdNextWrite(faults, (p) => p.endsWith(`h2c/${s}.tmp`));
    const tick = w.hub.transport!.tick();
    await heldDuring(hubHold, tick);
    await w.server.stop();
    hubHold.release();
    const report = await tick;
    expect(report.failed).toBeGreaterThan(0);
    expect(report.uploaded).toBe(0);
    // The hub handled c1 before the upload: delivered once, never again.
    expect(w.hub.received(0xa1)).toEqual(['c1']);
    await w.server.restart();
    await w.until(() => a.messages.length === 1, 'h1 after the restart');
    // The failed upload reached the core as a failed writeDialog; the core's own resend comes after retryAfterMs.
    // (One per writeDialog the upload carried: h1, and the bare ack of c1.)
    const failures = w.hub.inputs('commandFailed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.command === 'writeDialog')).toBe(true);
    await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
    await w.idle(3);
    expect(a.messages).toEqual(['h1']);

    // A client's upload carrying c2 is in flight when the server goes down.
    a.send('c2');
    const clientHold = holdNextWrite(faults, (p) => p.includes(`c2h/${s}.`) && p.endsWith('.tmp'));
    const poll = a.ftp.poll();
    await heldDuring(clientHold, poll);
    await w.server.stop();
    clientHold.release();
    expect((await poll).failed).toBeGreaterThan(0);
    await w.server.restart();
    await w.until(() => w.hub.received(0xa1).length === 2, 'c2 after the restart');
    await w.hub.send(0xa1, 'h2');
    await w.until(() => a.messages.length === 2, 'h2');
    await w.idle(3);
    expect(w.hub.received(0xa1)).toEqual(['c1', 'c2']);
    expect(a.messages).toEqual(['h1', 'h2']);
    expect(a.links).toHaveLength(1);
    expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
  });

  it('permission denied and disk full on two clients\' hub files: command failures in the core, retried, while a third client is served; then a client\'s own refused upload is retried', async () => {
    const faults: Faults = {};
    const w = await world(faults);
    for (const p of [2, 3]) expect(await w.hub.h.operate({ type: 'profileCreated', profileId: profileId(p), name: `p${p}` })).toMatchObject({ ok: true });
    const a = await registered(w, 'a', 0xa1, 1);
    const b = await registered(w, 'b', 0xb2, 2);
    const c = await registered(w, 'c', 0xc3, 3);
    const [sa, sb, sc] = [a.link.session, b.link.session, c.link.session];
    const [la, lb] = [[...w.hub.linksOf(0xa1)][0], [...w.hub.linksOf(0xb2)][0]];
    faults.failWrite = (path) => (path.endsWith(`h2c/${sa}.tmp`) ? 553 : path.endsWith(`h2c/${sb}.tmp`) ? 552 : null);

    await w.hub.send(0xa1, 'to a');
    await w.hub.send(0xb2, 'to b');
    await w.hub.send(0xc3, 'to c');
    c.send('from c');
    await w.until(() => c.messages.includes('to c') && w.hub.received(0xc3).includes('from c'), 'c to be served');
    const failed = (link: number | undefined) => w.hub.inputs('commandFailed').filter((f) => (f.link as number) === link);
    await w.until(() => failed(la).length > 0 && failed(lb).length > 0, 'the failures to reach the core');
    expect(failed(la)[0]).toMatchObject({ command: 'writeDialog', reason: expect.stringMatching(/550 permission denied/) });
    expect(failed(lb)[0]).toMatchObject({ command: 'writeDialog', reason: expect.stringMatching(/550 disk full/) });
    expect(w.hub.logs.items.some((l) => l.event === 'commandFailed' && (l.clientId as ClientId | null) === (0xa1 as ClientId))).toBe(true);
    const errors = w.hub.ticks.at(-1)!.errors.join('\n');
    expect(errors).toMatch(new RegExp(`upload ${sa}: 550 permission denied`));
    expect(errors).toMatch(new RegExp(`upload ${sb}: 550 disk full`));
    expect([a.messages, b.messages]).toEqual([[], []]);

    // Retried: by every tick (the frames stay in the stream) and by the core after retryAfterMs (a new writeDialog).
    const before = failed(la).length;
    await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
    await w.until(() => failed(la).length > before, 'the core\'s retry to fail too');
    c.send('still served');
    await w.until(() => w.hub.received(0xc3).includes('still served'), 'c still served');

    faults.failWrite = undefined;
    await w.until(() => a.messages.length > 0 && b.messages.length > 0, 'a and b after the fault cleared');
    await w.idle(3);
    expect([a.messages, b.messages, c.messages]).toEqual([['to a'], ['to b'], ['to c']]);
    expect([a.isOnline, b.isOnline, c.isOnline]).toEqual([true, true, true]);

    // The client side: c's uploads are refused; its transport retries at every poll until they pass.
    faults.failWrite = (path) => (path.includes(`c2h/${sc}.`) ? 553 : null);
    const polled = c.polls.length;
    c.send('after the denial');
    await w.until(() => c.polls.slice(polled).filter((r) => r.failed > 0).length >= 2, 'c\'s refused uploads');
    expect(c.polls.slice(polled).find((r) => r.failed > 0)!.errors.join()).toMatch(/550 permission denied/);
    expect(w.hub.received(0xc3)).toEqual(['from c', 'still served']);
    faults.failWrite = undefined;
    await w.until(() => w.hub.received(0xc3).length === 3, 'c\'s message after the denial');
    await w.idle(2);
    expect(w.hub.received(0xc3)).toEqual(['from c', 'still served', 'after the denial']);
  });

  it('a hub file over the client\'s maxFileBytes (limits that do not match the hub\'s) ends the link as a bad file once, instead of failing every poll', async () => {
    const w = await world({});
    const a = w.engine('a', 0xa1, 1, {}, { maxFileBytes: 2048 });
    await w.online(a);
    await w.hub.send(0xa1, 'x'.repeat(4096));
    await w.until(() => a.links.length >= 2, 'the first link to end');
    expect(a.links[0]!.link.ended).toEqual({ reason: null, cause: expect.stringMatching(/^badFile: tooLarge: /) });
    // The failure was the file's, not the connection's: no poll counted it as a failed transfer.
    expect(a.polls.filter((r) => r.failed > 0)).toEqual([]);
  });
});
