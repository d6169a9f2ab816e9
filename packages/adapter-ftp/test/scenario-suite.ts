/**
 * Scenarios of a whole hub over the FTP mailbox, run against each real FTP
 * server (scenarios-*.test.ts): a real `Hub` with `FtpTransport`, and real
 * client engines (@dialoghub/client) on `FtpClientTransport`. See
 * scenario-kit.ts for how time and waiting work (rounds, virtual clocks, no
 * sleeps).
 *
 * What the engine sends over the mailbox: `register` (first use), `login`
 * (the user's run with stored credentials: the core's `start` for an
 * enabled client, `resume` for a disabled one), `start` (automatic
 * re-logins after a loss), and Null answers to the hub's Syncs. It never
 * sends the `resume` and `sync` request kinds themselves: `login` covers
 * both (docs/protocol.md §4.1).
 */
import { DEFAULT_CODEC_LIMITS, MAILBOX_TIMINGS, type DialogMessage } from '@dialoghub/core';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, memoryCredentials, type DialogClient } from '@dialoghub/client';
import { DHMB_FORMAT, FtpClientTransport, type TickReport } from '../src/index.js';
import { CHAT, VirtualTimers, World, contact, utf8, type Engine, type HubRigOptions } from './scenario-kit.js';
import type { TestServer } from './servers.js';

export interface ScenarioOptions {
  /** Starts a fresh server for one test. */
  readonly start: () => Promise<TestServer>;
}

/** Client→hub dialog messages the hub stepped from client `id`. */
export function messagesFrom(w: World, id: number): DialogMessage[] {
  const links = w.hub.linksOf(id);
  return w.hub.inputs('messagesReceived').flatMap((m) => (links.has(m.link as number) ? m.messages : []));
}

/** The Syncs the hub wrote to client `id`. */
export function syncsTo(w: World, id: number): DialogMessage[] {
  return w.hub.steps.items.flatMap(({ commands }) =>
    commands.flatMap((c) => (c.type === 'writeDialog' && (c.clientId as number) === id ? c.messages.filter((m) => m.body.type === 'sync') : [])),
  );
}

/** Registers `name` as client `id` in `profile` and waits until it is online. */
export async function registered(w: World, name: string, id: number, profile = 1): Promise<Engine> {
  const e = w.engine(name, id, profile);
  await w.online(e);
  return e;
}

export function runScenarios(label: string, options: ScenarioOptions): void {
  describe(`hub + client engines over the FTP mailbox (${label})`, () => {
    let current: World | null = null;
    afterEach(async () => {
      const w = current;
      current = null;
      await w?.dispose();
    });
    const world = async (policy?: 'replaceOld' | 'ignoreNew' | 'seniority', rig: Omit<HubRigOptions, 'policy'> = {}): Promise<World> => {
      current = new World(await options.start(), { ...rig, ...(policy === undefined ? {} : { policy }) });
      await current.hub.open();
      return current;
    };

    it('registration: the engine registers, talks both ways, answers a Sync with a Null, then logs in again with the stored secret', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
      expect(w.hub.eventsOf('clientRegistered')).toEqual([{ type: 'clientRegistered', clientId: 0xa1, profileId: 1 }]);
      expect(w.hub.eventsOf('clientOnline')).toMatchObject([{ clientId: 0xa1, via: 'register' }]);
      expect(w.hub.status(0xa1)).toBe('enabled');
      expect(a.events.items.filter((e) => e.type === 'registered')).toEqual([{ type: 'registered', clientId: 0xa1 }]);
      const stored = a.store.current();
      expect(stored).toMatchObject({ clientId: 0xa1, secret: expect.any(String) });
      // One session: one client file (superseded generations are removed), one hub file.
      const s1 = a.link.session;
      expect(w.files()).toEqual({ c2h: [expect.stringMatching(new RegExp(`^${s1}\\.[1-9][0-9]*\\.dhm$`))], h2c: [`${s1}.dhm`] });

      const refs = [a.send('c1'), a.send('c2'), a.send('c3')];
      await w.hub.send(0xa1, 'h1');
      await w.hub.send(0xa1, 'h2');
      await w.until(() => w.hub.received(0xa1).length >= 3 && a.messages.length >= 2 && refs.every((r) => a.acked.has(r)), 'the dialog both ways');
      expect(w.hub.received(0xa1)).toEqual(['c1', 'c2', 'c3']);
      expect(a.messages).toEqual(['h1', 'h2']);

      // Silence: the hub's Sync after syncAfterMs; the engine answers it with a Null naming it.
      await w.hub.advance(MAILBOX_TIMINGS.syncAfterMs);
      const syncs = syncsTo(w, 0xa1);
      expect(syncs).toHaveLength(1);
      const syncSeq = syncs[0]!.seq;
      await w.until(() => messagesFrom(w, 0xa1).some((m) => m.body.type === 'null' && m.body.replyTo === syncSeq), 'the Null answering the Sync');
      expect(w.hub.h.state.online.has(0xa1)).toBe(true);

      // The user stops the engine (a Close), then a new run of the installation logs in with the stored secret.
      a.stop();
      await w.until(() => w.hub.eventsOf('clientOffline').length === 1, 'the hub to hear the Close');
      expect(w.hub.eventsOf('clientOffline')).toMatchObject([{ clientId: 0xa1, reason: 'closedByClient' }]);
      await a.powerOff();
      const again = w.engine('a again', stored);
      await w.online(again);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'login']);
      await w.hub.send(0xa1, 'h3');
      again.send('c4');
      await w.until(() => w.hub.received(0xa1).length >= 4 && again.messages.length >= 1, 'the dialog after the new login');
      expect(w.hub.received(0xa1)).toEqual(['c1', 'c2', 'c3', 'c4']);
      expect(again.messages).toEqual(['h3']);
      // The first session's files were collected once its client ended it.
      await w.until(() => !w.files().h2c.includes(`${s1}.dhm`), 'the first session to be collected');
      const s2 = again.link.session;
      expect(w.files()).toEqual({ c2h: [expect.stringMatching(new RegExp(`^${s2}\\.[1-9][0-9]*\\.dhm$`))], h2c: [`${s2}.dhm`] });
    });

    it('the promise facade (`connect`) over the mailbox: resolves once online, `send` resolves once the hub acknowledged, `close` says goodbye', async () => {
      const w = await world();
      const ftp = new FtpClientTransport({ server: w.server.options, remoteDir: w.server.mailboxDir });
      w.transports.push(ftp);
      const creds = memoryCredentials({ register: { profileId: 1, clientId: 0xf1, contact: contact('f') } });
      let client: DialogClient | null = null;
      void connect({ transport: ftp, ...creds, clock: new VirtualTimers(), random: () => 0.5, heartbeatIntervalMs: 600_000, heartbeatTimeoutMs: 3_600_000 }).then(
        (c) => (client = c),
      );
      await w.until(() => client !== null, 'connect() to resolve');
      const c = client!;
      expect([c.status, c.clientId]).toEqual(['online', 0xf1]);
      expect(creds.current()).toMatchObject({ clientId: 0xf1, secret: expect.any(String) });
      let acked = false;
      void c.send(CHAT, utf8.encode('via the facade')).then(() => (acked = true));
      await w.until(() => acked, 'send() to resolve');
      expect(w.hub.received(0xf1)).toEqual(['via the facade']);
      await c.close();
      await w.until(() => w.hub.eventsOf('clientOffline').length === 1, 'the goodbye');
      expect(w.hub.eventsOf('clientOffline')).toMatchObject([{ clientId: 0xf1, reason: 'closedByClient' }]);
      expect(c.status).toBe('stopped');
    });

    it('batching and trimming (B21): a busy tick uploads each changed file once, an idle one only lists; the files on the server stay small, trimmed by acknowledgement', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      const dir = join(w.server.diskRoot, w.server.mailboxDir.replace(/^box\//, ''));
      const read = (path: string) => {
        const decoded = DHMB_FORMAT.decode(readFileSync(join(dir, path)), DEFAULT_CODEC_LIMITS, 16 << 20);
        if (!decoded.ok) throw new Error(`${path}: ${decoded.error.message}`);
        return decoded.value;
      };
      for (let i = 1; i <= 10; i++) {
        for (let j = 1; j <= 3; j++) {
          a.send(`c${i}.${j}`);
          await w.hub.send(0xa1, `h${i}.${j}`);
        }
        await w.round();
        // However many commands a tick carries, each changed stream is one upload.
        expect(w.hub.ticks.at(-1)!.uploaded).toBeLessThanOrEqual(1);
      }
      await w.until(() => w.hub.received(0xa1).length === 30 && a.messages.length === 30, 'the whole dialog');
      await w.idle(3);
      // Idle: one listing, nothing downloaded or uploaded; the client finds its hub file unchanged by its size.
      expect(w.hub.ticks.at(-1)).toMatchObject({ listed: 1, downloaded: 0, uploaded: 0, failed: 0 });
      expect(a.polls.at(-1)).toMatchObject({ downloaded: 0, unchanged: 1, uploaded: 0, failed: 0 });
      const s = a.link.session;
      const hubFile = read(`h2c/${s}.dhm`);
      const [clientName] = w.files().c2h;
      const clientFile = read(`c2h/${clientName}`);
      // Dozens of frames went each way; each file holds a few, the rest trimmed by the other side's acknowledgement.
      expect(clientFile.epoch).toBe(hubFile.epoch);
      expect(hubFile.base).toBeGreaterThanOrEqual(10);
      expect(hubFile.base).toBe(clientFile.peerAck);
      expect(hubFile.frames.length).toBeLessThanOrEqual(3);
      expect(clientFile.base).toBeGreaterThanOrEqual(10);
      // The hub has read everything the client wrote. The client's file still holds its last round
      // (three messages, three bare acks): the hub's acknowledgement came with its last upload, and
      // trimming alone is no reason for an upload (docs/adapters/ftp.md §7).
      expect(hubFile.peerAck).toBe(clientFile.base + clientFile.frames.length);
      expect(clientFile.frames.length).toBeLessThanOrEqual(6);
      expect(w.hub.received(0xa1)).toHaveLength(30);
      expect(new Set(a.messages).size).toBe(30);
    });

    it('an idle client (decision 0006): half an hour of 30 s ticks and polls costs one Sync exchange per 5 minutes of silence — the hub uploads the Sync, the engine downloads it once and uploads its Null once, nothing else moves', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      await w.idle(3);
      const ticks0 = w.hub.ticks.length;
      const polls0 = a.polls.length;
      const syncs0 = syncsTo(w, 0xa1).length;
      for (let i = 0; i < 60; i++) {
        await w.hub.advance(30_000);
        await w.round();
      }
      const ticks = w.hub.ticks.slice(ticks0);
      const polls = a.polls.slice(polls0);
      const sum = (rs: readonly TickReport[], k: 'downloaded' | 'uploaded' | 'unchanged' | 'failed'): number => rs.reduce((n, r) => n + r[k], 0);
      const syncs = syncsTo(w, 0xa1).length - syncs0;
      // 30 min of silence: a Sync after 5 min, answered within two rounds, so the next one 5 min later.
      expect(syncs).toBeGreaterThanOrEqual(5);
      expect(syncs).toBeLessThanOrEqual(6);
      // Each exchange: one hub upload (the Sync; no bare ack for the Null, no upload only to acknowledge),
      // one download of the client's file (the Null) …
      expect(sum(ticks, 'uploaded')).toBe(syncs);
      expect(sum(ticks, 'downloaded')).toBe(syncs);
      // … one client download (the Sync) and one upload (the Null); every other poll is a SIZE.
      expect(sum(polls, 'downloaded')).toBe(syncs);
      expect(sum(polls, 'uploaded')).toBe(syncs);
      expect(sum(polls, 'unchanged')).toBe(polls.length - syncs);
      expect(sum(ticks, 'failed') + sum(polls, 'failed')).toBe(0);
      expect(w.hub.eventsOf('clientOffline')).toEqual([]);
      expect(a.isOnline).toBe(true);
    });

    it('a file over maxFileBytes in the mailbox (a broken or hostile client) is refused once (what arrives beyond the limit is discarded), never downloaded again, and the hub keeps serving', async () => {
      const maxFileBytes = 64 << 10;
      const w = await world(undefined, { transport: { maxFileBytes } });
      const a = await registered(w, 'a', 0xa1);
      const dir = join(w.server.diskRoot, w.server.mailboxDir.replace(/^box\//, ''));
      const big = '0123456789abcdef.1.dhm';
      // (Regression: such a file was downloaded whole on every tick, and each time the control connection was dropped.)
      writeFileSync(join(dir, 'c2h', big), new Uint8Array(maxFileBytes + 1));
      chmodSync(join(dir, 'c2h', big), 0o644);
      a.send('c1');
      await w.hub.send(0xa1, 'h1');
      await w.until(() => w.hub.received(0xa1).length === 1 && a.messages.length === 1, 'a served');
      await w.idle(3);
      expect(w.hub.ftpLogs.items.filter((l) => l.event === 'badFile')).toEqual([
        { level: 'warn', event: 'badFile', link: null, detail: { file: `c2h/${big}`, problem: expect.stringMatching(/^tooLarge: /) } },
      ]);
      expect(w.hub.ticks.filter((t) => t.errors.some((e) => e.includes('0123456789abcdef')))).toEqual([]);
      // Refusing it cost no reconnection either.
      expect(w.hub.ftpLogs.items.filter((l) => l.event === 'disconnected')).toEqual([]);
      // Nobody serves it: a stray, removed once abandonAfterMs has passed.
      await w.hub.advance(24 * 3_600_000 - 1);
      await w.round();
      expect(w.files().c2h).toContain(big);
      await w.hub.advance(1);
      await w.until(() => !w.files().c2h.includes(big), 'the stray to be removed');
      expect(w.hub.inputs('requestReceived')).toHaveLength(1);
    });

    it('takeover, replaceOld: a new client of the profile takes it over and the old one is told `replaced`; the same client on a second link pushes the first out (`pushedOut`)', async () => {
      const w = await world('replaceOld');
      const a = await registered(w, 'a', 0xa1);
      const b = await registered(w, 'b', 0xb2);
      await w.until(() => a.isStopped, 'a to stop');
      expect(a.stopReason).toBe('replaced');
      expect(a.closes).toEqual([{ reason: 'replaced', reconnect: false }]);
      expect(w.hub.eventsOf('takeover')).toEqual([{ type: 'takeover', profileId: 1, conflict: 'otherClient', winner: 0xb2, loser: 0xa1, reason: 'replaced' }]);
      expect([w.hub.status(0xa1), w.hub.status(0xb2)]).toEqual(['disabled', 'enabled']);

      // The same installation's credentials in a second process: the newer link wins, the older is told why.
      const b2 = w.engine('b2', b.store.current());
      await w.online(b2);
      await w.until(() => b.isStopped, 'b to stop');
      expect(b.stopReason).toBe('pushedOut');
      expect(b.closes).toEqual([{ reason: 'pushedOut', reconnect: false }]);
      expect(w.hub.eventsOf('takeover')[1]).toEqual({ type: 'takeover', profileId: 1, conflict: 'sameClient', winner: 0xb2, loser: 0xb2, reason: 'pushedOut' });
      b2.send('still me');
      await w.until(() => w.hub.received(0xb2).includes('still me'), 'the winner to carry on');
      // Terminal reasons: neither loser tried again.
      await w.idle(3);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
      expect(w.hub.requestsFrom(0xb2)).toEqual(['register', 'login']);
      expect([a.isStopped, b.isStopped, b2.isOnline]).toEqual([true, true, true]);
    });

    it('takeover, ignoreNew: a new client of the profile is refused (`profileInUse`), the same client on a second link too (`alreadyOnline`); the first keeps the profile', async () => {
      const w = await world('ignoreNew');
      const a = await registered(w, 'a', 0xa1);
      const b = w.engine('b', 0xb2).start();
      await w.until(() => b.isStopped, 'b to be refused');
      expect(b.stopReason).toBe('profileInUse');
      expect(b.links[0]!.received).toContainEqual({ kind: 'answer', requestId: expect.any(Number), answer: { code: 'rejected', clientId: 0xb2, reason: 'profileInUse' } });
      expect(b.closes).toEqual([{ reason: 'refused', reconnect: false }]);
      expect(w.hub.eventsOf('requestRejected')).toMatchObject([{ clientId: 0xb2, request: 'register', reason: 'profileInUse' }]);
      expect(w.hub.status(0xb2)).toBeUndefined();

      const a2 = w.engine('a2', a.store.current()).start();
      await w.until(() => a2.isStopped, 'a2 to be refused');
      expect(a2.stopReason).toBe('alreadyOnline');
      expect(a2.closes).toEqual([{ reason: 'alreadyOnline', reconnect: false }]);
      expect(w.hub.eventsOf('takeover')).toEqual([]);
      a.send('still mine');
      await w.until(() => w.hub.received(0xa1).includes('still mine'), 'a to carry on');
      expect([a.isOnline, w.hub.status(0xa1)]).toEqual([true, 'enabled']);
    });

    it('takeover, seniority: a registration is refused while the profile is online; when the older client comes back (a `login` that resumes it), it wins and the newer one is banned and told `banned`', async () => {
      const w = await world('seniority');
      const a = await registered(w, 'a', 0xa1);
      const b = w.engine('b', 0xb2).start();
      await w.until(() => b.isStopped, 'b to be refused');
      expect(b.stopReason).toBe('profileInUse');

      // a leaves; c registers while a is offline: a is disabled.
      a.stop();
      await w.until(() => w.hub.eventsOf('clientOffline').some((e) => e.clientId === 0xa1), 'a to leave');
      await a.powerOff();
      const c = await registered(w, 'c', 0xc3);
      expect([w.hub.status(0xa1), w.hub.status(0xc3)]).toEqual(['disabled', 'enabled']);

      // a's installation starts again: the older registration wins.
      const a2 = w.engine('a2', a.store.current());
      await w.online(a2);
      await w.until(() => c.isStopped, 'c to be told');
      expect(c.stopReason).toBe('banned');
      expect(c.closes).toEqual([{ reason: 'banned', reconnect: false }]);
      expect([w.hub.status(0xa1), w.hub.status(0xc3)]).toEqual(['enabled', 'banned']);
      expect(w.hub.eventsOf('takeover').at(-1)).toMatchObject({ conflict: 'otherClient', winner: 0xa1, loser: 0xc3, reason: 'banned' });
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'login']);
      await w.idle(2);
      expect(w.hub.requestsFrom(0xc3)).toEqual(['register']);
    });

    it('the hub down for several ticks: the engine re-logs in with `start` when it is back; what each side sent meanwhile arrives once, in order', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.send('before');
      await w.hub.send(0xa1, 'h-before');
      await w.until(() => w.hub.received(0xa1).length === 1 && a.messages.length === 1, 'the first exchange');

      await w.hub.close();
      // The engine reads `shutdown` (reconnect allowed), opens a new session and writes its `start`; nobody answers.
      await w.until(() => a.links.length === 2, 'a new link', undefined, false);
      expect(a.closes).toEqual([{ reason: 'shutdown', reconnect: true }]);
      const refs = ['d1', 'd2', 'd3'].map((t) => a.send(t));
      for (let tick = 0; tick < 5; tick++) {
        await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
        await w.round();
      }
      expect(a.isOnline).toBe(false);
      expect(w.files().c2h.filter((f) => f.startsWith(a.link.session))).toHaveLength(1);

      await w.hub.open();
      await w.hub.send(0xa1, 'h-while-down');
      await w.until(() => a.isOnline && refs.every((r) => a.acked.has(r)) && a.messages.length >= 2, 'the resume');
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'start']);
      expect(a.events.items.filter((e) => e.type === 'relogon')).toEqual([{ type: 'relogon', result: 'ok', reason: null }]);
      await w.idle(3);
      expect(w.hub.received(0xa1)).toEqual(['before', 'd1', 'd2', 'd3']);
      expect(a.messages).toEqual(['h-before', 'h-while-down']);
      // The first run's session is gone from the mailbox: only the new one is left. (Regression: the
      // hub file of a stale session whose client had already ended it was never removed.)
      const s = a.link.session;
      await w.until(() => w.files().h2c.length === 1, `the old session to be collected (${JSON.stringify(w.files())}, new ${s})`);
      expect(w.files().h2c).toEqual([`${s}.dhm`]);
    });

    it('the hub crashes (no goodbye) and is back after several ticks: the old session is refused with `shutdown`, the engine re-logs in with `start`; nothing is lost or applied twice', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.send('c1');
      await w.hub.send(0xa1, 'h1');
      await w.until(() => w.hub.received(0xa1).length === 1 && a.messages.length === 1, 'the first exchange');
      const first = a.link;

      await w.hub.crash();
      // The engine does not know: it goes on writing into its session's file, which nobody reads.
      a.send('c2');
      a.send('c3');
      for (let tick = 0; tick < 5; tick++) {
        await w.hub.advance(MAILBOX_TIMINGS.retryAfterMs);
        await w.round();
      }
      expect([a.isOnline, a.links.length]).toEqual([true, 1]);

      await w.hub.open();
      await w.hub.send(0xa1, 'h2');
      await w.until(() => a.links.length === 2 && a.isOnline && w.hub.received(0xa1).length === 3 && a.messages.length === 2, 'the resume');
      expect(a.closes).toEqual([{ reason: 'shutdown', reconnect: true }]);
      expect(first.open).toBe(false);
      expect(w.hub.ftpLogs.items).toContainEqual({ level: 'info', event: 'staleSession', link: null, detail: { session: first.session } });
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'start']);
      await w.idle(3);
      expect(w.hub.received(0xa1)).toEqual(['c1', 'c2', 'c3']);
      expect(a.messages).toEqual(['h1', 'h2']);
      await w.until(() => w.files().h2c.length === 1 && w.files().c2h.length === 1, 'the old session to be collected');
      expect(w.files().h2c).toEqual([`${a.link.session}.dhm`]);
    });

    it('a client offline for a day (virtual time): the hub Syncs, declares it offline, collects its files; back a day later, it gets what was queued once, in order, and answers the resent Syncs with Nulls', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.send('hello');
      await w.until(() => w.hub.received(0xa1).length === 1, 'hello');
      const s1 = a.link.session;
      const stored = a.store.current();
      await a.powerOff();
      await w.hub.send(0xa1, 'm1');
      // The hub's first 20 minutes of the day, one tick every 30 s: Syncs, the dead deadline, the linger.
      for (let tick = 0; tick < 40; tick++) {
        await w.hub.advance(30_000);
        await w.round();
      }
      // MAILBOX_TIMINGS: Syncs at 300, 360 and 420 s of silence, offline at 480 s.
      expect(new Set(syncsTo(w, 0xa1).map((m) => m.seq)).size).toBe(3);
      expect(w.hub.eventsOf('clientOffline')).toMatchObject([{ clientId: 0xa1, reason: 'heartbeatTimeout' }]);
      expect(w.hub.status(0xa1)).toBe('enabled');
      expect(w.files()).toEqual({ c2h: [], h2c: [] });
      expect(w.hub.ftpLogs.items.some((l) => l.event === 'garbageCollected' && l.detail['session'] === s1)).toBe(true);
      await w.hub.send(0xa1, 'm2');
      await w.hub.advance(24 * 3_600_000);
      await w.round();
      await w.hub.send(0xa1, 'm3');

      const back = w.engine('a back', stored);
      await w.online(back);
      await w.until(() => back.messages.length >= 3, 'the queued messages');
      const syncSeqs = new Set(syncsTo(w, 0xa1).map((m) => m.seq));
      await w.until(() => messagesFrom(w, 0xa1).some((m) => m.body.type === 'null' && syncSeqs.has(m.body.replyTo)), 'the Nulls');
      await w.idle(2);
      expect(back.messages).toEqual(['m1', 'm2', 'm3']);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'login']);
      expect(w.hub.h.state.online.has(0xa1)).toBe(true);
    });

    it('a client asleep for a day (its polls stopped, virtual time): its session was collected; awake, its link is gone (`mailboxGone`), it re-logs in with `start` and gets what was queued once, in order', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.send('hello');
      await w.until(() => w.hub.received(0xa1).length === 1, 'hello');
      const first = a.link;
      a.asleep = true;
      await w.hub.send(0xa1, 'm1');
      for (let tick = 0; tick < 40; tick++) {
        await w.hub.advance(30_000);
        await w.round();
      }
      expect(w.hub.eventsOf('clientOffline')).toMatchObject([{ clientId: 0xa1, reason: 'heartbeatTimeout' }]);
      expect(w.files()).toEqual({ c2h: [], h2c: [] });
      await w.hub.advance(24 * 3_600_000);
      await w.round();
      await w.hub.send(0xa1, 'm2');

      a.asleep = false;
      // (Regression: ftp-srv answers RETR of a missing file with 551, which the client took for a
      // transient failure — the link never ended and the engine waited forever.)
      await w.until(() => a.isOnline && a.links.length === 2 && a.messages.length >= 2, 'a back online');
      expect(first.ended).toEqual({ reason: null, cause: 'mailboxGone' });
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register', 'start']);
      // The old session's last word (its end, written after the loss) is collected too.
      await w.until(() => w.files().c2h.every((f) => !f.startsWith(first.session)), 'the old session\'s end to be collected');
      await w.idle(2);
      expect(a.messages).toEqual(['m1', 'm2']);
      expect(w.hub.received(0xa1)).toEqual(['hello']);
      expect(w.files().h2c).toEqual([`${a.link.session}.dhm`]);
    });

    it('a client asleep past deadAfterMs but back within lingerMs reads why its link was closed (`heartbeatTimeout`) and stops for good, as protocol §5.4 says, after the messages queued before it', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.asleep = true;
      await w.hub.send(0xa1, 'm1');
      // Ten minutes: the core's Syncs, then its heartbeat timeout at 8 min; the close frame lingers for lingerMs (10 min).
      for (let tick = 0; tick < 20; tick++) {
        await w.hub.advance(30_000);
        await w.round();
      }
      expect(w.hub.eventsOf('clientOffline')).toMatchObject([{ clientId: 0xa1, reason: 'heartbeatTimeout' }]);
      expect(w.files().h2c).toEqual([`${a.link.session}.dhm`]);
      a.asleep = false;
      await w.until(() => a.isStopped, 'a to read the close');
      expect(a.stopReason).toBe('heartbeatTimeout');
      expect(a.closes).toEqual([{ reason: 'heartbeatTimeout', reconnect: false }]);
      // The messages the hub queued reached the engine before the close; it stopped without a new attempt.
      expect(a.messages).toEqual(['m1']);
      await w.idle(2);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
      // Once the client has read it, the session is collected (no need to wait for lingerMs).
      await w.until(() => w.files().h2c.length === 0, 'the session to be collected');
    });

    it('two clients of one profile racing: both registrations are in the mailbox at once, both reach the hub (no request overwrites another: B16), each reads only its own answer, and the policy picks one', async () => {
      const w = await world('replaceOld');
      const a = w.engine('a', 0xa1).start();
      const b = w.engine('b', 0xb2).start();
      // Only the engines poll until both requests are on the server.
      await w.until(() => w.files().c2h.length === 2, `both requests in the mailbox (${JSON.stringify(w.files())})`, undefined, false);
      await w.until(() => a.isStopped || b.isStopped, 'one of them to lose');
      await w.until(() => a.isOnline || b.isOnline, 'the other to be online');
      // One listing, sessions taken in name order: the later registration replaces the earlier one.
      const [first, second] = a.link.session < b.link.session ? [a, b] : [b, a];
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
      expect(w.hub.requestsFrom(0xb2)).toEqual(['register']);
      expect(first.stopReason).toBe('replaced');
      expect(first.closes).toEqual([{ reason: 'replaced', reconnect: false }]);
      expect(second.isOnline).toBe(true);
      expect(w.hub.eventsOf('takeover')).toMatchObject([{ conflict: 'otherClient', winner: second.clientId, loser: first.clientId, reason: 'replaced' }]);
      for (const e of [a, b]) {
        const answers = e.links.flatMap((l) => l.received.flatMap((f) => (f.kind === 'answer' ? [f.answer] : [])));
        expect(answers).toMatchObject([{ code: 'ok', clientId: e.clientId }]);
      }
      expect([w.hub.status(first.clientId), w.hub.status(second.clientId)]).toEqual(['disabled', 'enabled']);
    });

    it('the FTP server restarts between ticks: both sides reconnect by themselves and nothing is lost or applied twice', async () => {
      const w = await world();
      const a = await registered(w, 'a', 0xa1);
      a.send('c1');
      await w.hub.send(0xa1, 'h1');
      await w.until(() => w.hub.received(0xa1).length === 1 && a.messages.length === 1, 'the first exchange');
      await w.server.stop();
      a.send('c2');
      await w.hub.send(0xa1, 'h2');
      await w.round();
      await w.round();
      expect(w.hub.ticks.at(-1)!.failed).toBeGreaterThan(0);
      await w.server.restart();
      await w.until(() => w.hub.received(0xa1).length === 2 && a.messages.length === 2, 'the exchange after the restart');
      await w.idle(2);
      expect(w.hub.received(0xa1)).toEqual(['c1', 'c2']);
      expect(a.messages).toEqual(['h1', 'h2']);
      expect(a.links).toHaveLength(1);
      expect(w.hub.requestsFrom(0xa1)).toEqual(['register']);
    });
  });
}
