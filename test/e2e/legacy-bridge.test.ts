/**
 * An unmodified legacy Hub fleet served by a dialoghub hub through the
 * legacy bridge (`LegacyBridge`, docs/adapters/ftp-legacy.md §10): simulated
 * original clients (`legacy-fleet.ts`, hub-protocol.md §9) that know nothing
 * but the original files on ftp-srv, a real `Hub` on the memory network in
 * virtual time (`ManualClock`, `MAILBOX_TIMINGS`), and the bridge in between
 * as a client of that hub.
 *
 * A round is 30 virtual seconds — the governor's and the client's dialog
 * timer: the hub's timers fire, the bridge ticks once, every legacy client
 * ticks once. Nothing sleeps; waits run rounds until a condition holds, with
 * a bound.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '@dialoghub/adapter-memory';
import { Hub, ManualClock, MemoryStore, type LogCommand } from '@dialoghub/runtime';
import { MAILBOX_TIMINGS, clientDialogOf, clientId, profileId, type HubEvent, type Policy } from '@dialoghub/core';
import { memoryTransport } from '@dialoghub/client';
import {
  LegacyBridge,
  decodeGovDialogFile,
  decodeLegacyTransfer,
  legacyDialogFileNames,
  memoryStateStore,
  type BridgeLogEntry,
  type BridgeStateStore,
} from '@dialoghub/adapter-ftp';
import { LegacyFleetClient } from '../../packages/adapter-ftp/test/legacy-fleet.js';
import { startFtpSrv, startVsftpd, vsftpdUnavailable, type TestServer } from '../../packages/adapter-ftp/test/servers.js';
import { advanceHub } from './helpers/clock.js';

const ROUND_MS = 30_000;

interface World {
  readonly server: TestServer;
  /** The fleet's directory on the server (`hub/dlg` where the login directory is writable). */
  readonly dir: string;
  readonly clock: ManualClock;
  hub: Hub;
  readonly events: HubEvent[];
  readonly logs: LogCommand[];
  readonly bridgeLog: BridgeLogEntry[];
  bridge: LegacyBridge;
  readonly store: BridgeStateStore;
  readonly clients: LegacyFleetClient[];
  /** The hub's network (a new one when the hub is started again: a memory network does not restart). */
  network: ReturnType<typeof createMemoryNetwork>;
  readonly hubStore: MemoryStore;
  readonly policy: Policy;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    for (const c of w.clients) await c.close();
    await w.bridge.close();
    await w.hub.close();
    await w.server.dispose();
  }
});

/** The server the current describe block runs on. */
let startServer: () => Promise<TestServer> = () => startFtpSrv();

async function world(policy: Policy = 'replaceOld'): Promise<World> {
  const server = await startServer();
  // The writable part of the server: the login directory on ftp-srv, `box/` on vsftpd (mailboxDir's parent).
  const dir = `${server.mailboxDir.slice(0, server.mailboxDir.lastIndexOf('/') + 1)}hub/dlg`;
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 8, 0, 0));
  const network = createMemoryNetwork();
  const events: HubEvent[] = [];
  const logs: LogCommand[] = [];
  const hubStore = new MemoryStore();
  const hub = await openHub(network, hubStore, clock, policy, events, logs);
  for (const [id, name] of [
    [1, 'Douane Alger'],
    [2, 'Douane Oran'],
  ] as const) {
    await hub.operate({ type: 'profileCreated', profileId: profileId(id), name });
  }
  const store = memoryStateStore();
  const bridgeLog: BridgeLogEntry[] = [];
  const w: World = {
    server,
    dir,
    hubStore,
    policy,
    clock,
    hub,
    events,
    logs,
    bridgeLog,
    store,
    network,
    clients: [],
    bridge: newBridge(server, dir, () => w.network, store, clock, bridgeLog),
  };
  worlds.push(w);
  // The bridge's first tick publishes profiles.gov and an empty cxnresp.gov, as the governor's start did.
  expect((await w.bridge.tick()).errors).toEqual([]);
  return w;
}

async function openHub(network: ReturnType<typeof createMemoryNetwork>, store: MemoryStore, clock: ManualClock, policy: Policy, events: HubEvent[], logs: LogCommand[]): Promise<Hub> {
  const hub = await Hub.open({ transport: network.transport, store, clock, config: { ...MAILBOX_TIMINGS, policy, appMessageTypes: ['chat'] }, log: (e) => logs.push(e) });
  hub.onAny((e) => events.push(e));
  return hub;
}

function newBridge(server: TestServer, dir: string, network: () => ReturnType<typeof createMemoryNetwork>, store: BridgeStateStore, clock: ManualClock, log: BridgeLogEntry[]): LegacyBridge {
  return new LegacyBridge({ server: server.options, remoteDir: dir, hub: { connect: () => memoryTransport(network()).connect() }, state: store, now: () => clock.now(), onLog: (e) => log.push(e) });
}

let nextId = 0x5000_0000;
function client(w: World, profile: number, options: { clientId?: number; beforeCnxUpload?: () => Promise<void> } = {}): LegacyFleetClient {
  const c = new LegacyFleetClient({
    server: { host: '127.0.0.1', port: w.server.options.port!, ...(w.server.options.user !== undefined ? { user: w.server.options.user } : {}), ...(w.server.options.password !== undefined ? { password: w.server.options.password } : {}) },
    dir: w.dir,
    profileId: profile,
    contact: { name: `user ${w.clients.length + 1}`, phone: '021', email: 'u@douane.gov.dz' },
    nextClientId: () => (nextId += 0x101),
    nowMs: () => w.clock.now(),
    ...options,
  });
  w.clients.push(c);
  return c;
}

async function round(w: World, only?: readonly LegacyFleetClient[]): Promise<void> {
  await advanceHub(w.hub, w.clock, ROUND_MS);
  const report = await w.bridge.tick();
  expect(report.errors, `bridge tick ${report.tick}`).toEqual([]);
  for (const c of only ?? w.clients) await c.tick();
  await w.hub.drain();
}

async function until(w: World, what: string, done: () => boolean, maxRounds = 20, only?: readonly LegacyFleetClient[]): Promise<number> {
  for (let i = 0; i < maxRounds; i++) {
    if (done()) return i;
    await round(w, only);
  }
  if (done()) return maxRounds;
  throw new Error(`${what}: not within ${maxRounds} rounds\n${w.clients.map((c, i) => `client ${i}: ${c.phase} ${c.events.join(' | ')}`).join('\n')}\nbridge: ${w.bridgeLog.map((e) => `${e.event} ${e.clientId ?? ''} ${e.detail}`).join(' | ')}`);
}

function hubClient(w: World, c: LegacyFleetClient) {
  return w.hub.state.clients.get(clientId(c.clientId!));
}

function online(w: World, c: LegacyFleetClient): boolean {
  return c.clientId !== null && w.hub.state.online.has(clientId(c.clientId));
}

/** What the hub handled of the client's messages (its inSeq for the client). */
function handled(w: World, c: LegacyFleetClient): number {
  const hc = hubClient(w, c)!;
  return clientDialogOf(w.hub.state, hc)!.inSeq;
}

/** The legacy client's side agrees with the hub's: running while enabled there, stopped (or refused) otherwise. */
function settled(w: World, c: LegacyFleetClient): boolean {
  if (c.phase === 'registering') return false;
  const status = c.clientId === null ? undefined : hubClient(w, c)?.status;
  return status === 'enabled' ? c.phase === 'running' && online(w, c) : c.phase !== 'running';
}

/** How many client log entries the hub logged with this text. */
function logTexts(w: World, text: string): number {
  return w.logs.filter((l) => JSON.stringify(l.detail).includes(text)).length;
}

async function govStatus(w: World, id: number): Promise<string> {
  const bytes = new Uint8Array(await readFile(join(w.server.diskRoot, w.dir.replace(/^box\//, ''), legacyDialogFileNames(id).gov)));
  const plain = decodeLegacyTransfer(bytes);
  if (!plain.ok) throw new Error(plain.error.message);
  const gov = decodeGovDialogFile(plain.value);
  if (!gov.ok) throw new Error(gov.error.message);
  return gov.value.status;
}

async function registered(w: World, c: LegacyFleetClient): Promise<void> {
  await c.launch();
  await until(w, 'registration', () => c.phase === 'running');
  expect(c.status).toBe('enabled');
  expect(hubClient(w, c)?.status).toBe('enabled');
  expect(online(w, c)).toBe(true);
}

function scenarios(): void {
  it('registers a legacy client, publishes profiles.gov, and carries its messages to the hub', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    expect(w.events.filter((e) => e.type === 'clientRegistered')).toHaveLength(1);
    expect(await govStatus(w, a.clientId!)).toBe('enabled');
    // The client posts a Log right after… nothing (registration sends no Start, §9.1); one more Log by hand.
    const before = handled(w, a);
    a.postLog('bonjour du poste 7');
    await until(w, 'the log reaching the hub', () => handled(w, a) === before + 1);
    expect(w.logs.some((l) => JSON.stringify(l.detail).includes('bonjour du poste 7'))).toBe(true);
  });

  it('keeps an idle client online for an hour with Sync/Null exchanges, each Null acknowledging the Sync', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    for (let i = 0; i < 120; i++) await round(w);
    expect(online(w, a)).toBe(true);
    const syncs = a.seen.filter((m) => m.code === 'sync');
    // A Sync after 5 min of silence, answered within a round: about 10 an hour (MAILBOX_TIMINGS).
    expect(syncs.length).toBeGreaterThanOrEqual(8);
    expect(syncs.length).toBeLessThanOrEqual(12);
    expect(a.phase).toBe('running');
    // The client never had to ask (its own TTL of 24 ticks never ran out).
    expect(a.events.some((e) => e.startsWith('post sync'))).toBe(false);
    // Every Sync the hub sent is acknowledged by the client's Null: nothing stays in the hub's outbox
    // (the last one may still be on its way when the hour ends).
    const outbox = () => clientDialogOf(w.hub.state, hubClient(w, a)!)!.outbox.length;
    await until(w, 'the last Sync answered', () => outbox() === 0, 3);
    expect(w.events.some((e) => e.type === 'clientOffline')).toBe(false);
  });

  it('restarts a session when the legacy client launches again (Start): the new session counts from 1, nothing of the old one is read twice', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    a.postLog('première session');
    await until(w, 'the first log', () => logTexts(w, 'première session') === 1);
    await a.relaunch();
    expect(a.phase).toBe('starting');
    await until(w, 'the Start answered', () => a.phase === 'running');
    expect(online(w, a)).toBe(true);
    // The Start's own Log (§9.3) is message 1 of the new session, as the first session's log was of the old one.
    await until(w, 'the Start log', () => logTexts(w, 'Aucun serveur proxy') === 1);
    a.postLog('deuxième session');
    await until(w, 'the second log', () => logTexts(w, 'deuxième session') === 1);
    for (let i = 0; i < 3; i++) await round(w);
    expect([logTexts(w, 'première session'), logTexts(w, 'Aucun serveur proxy'), logTexts(w, 'deuxième session')]).toEqual([1, 1, 1]);
  });

  it('a takeover by another client of the profile: the loser reads Disabled and goes silent; its Resume takes the profile back', async () => {
    const w = await world('replaceOld');
    const a = client(w, 1);
    await registered(w, a);
    const b = client(w, 1);
    await registered(w, b);
    await until(w, 'a disabled', () => a.phase === 'silent');
    // (The original client goes silent without updating its own status, §9.5 step 2.)
    expect(hubClient(w, a)?.status).toBe('disabled');
    expect(await govStatus(w, a.clientId!)).toBe('disabled');
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'takeover', winner: clientId(b.clientId!), loser: clientId(a.clientId!) }));
    // a's user starts it again: its .gov says Disabled, so it sends Resume (§9.1) — and under replaceOld it wins.
    await a.relaunch();
    expect(a.phase).toBe('resuming');
    await until(w, 'a resumed', () => a.phase === 'running' && b.phase === 'silent');
    expect(hubClient(w, a)?.status).toBe('enabled');
    expect(hubClient(w, b)?.status).toBe('disabled');
    expect(await govStatus(w, b.clientId!)).toBe('disabled');
  });

  it('an operator ban reaches the client through its .gov; it exits and posts Close', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    const outcome = await w.hub.operate({ type: 'statusSet', clientId: clientId(a.clientId!), status: 'banned' });
    expect(outcome.ok).toBe(true);
    await until(w, 'a banned', () => a.phase === 'exited');
    expect(a.exitReason).toBe('banned');
    expect(await govStatus(w, a.clientId!)).toBe('banned');
    expect(online(w, a)).toBe(false);
  });

  it('a client the bridge does not know (registered with the old governor) is told Reseted and registers again', async () => {
    const w = await world();
    const old = client(w, 2, { clientId: 0x0bad_cafe });
    await old.launch();
    // The old governor left no .gov here: the client assumes Enabled and sends Start (§9.1 step 3).
    expect(old.phase).toBe('starting');
    await until(w, 'the Start refused', () => old.phase === 'exited');
    expect(old.exitReason).toBe('startRejected');
    expect(await govStatus(w, 0x0bad_cafe)).toBe('reset');
    await old.relaunch();
    expect(old.phase).toBe('mustReRegister');
    await old.launch();
    await until(w, 're-registration', () => old.phase === 'running');
    expect(old.clientId).not.toBe(0x0bad_cafe);
    expect(hubClient(w, old)?.status).toBe('enabled');
  });

  it('a NewConnection naming a running client\'s ClientID gets InvalidID and leaves that client\'s session alone', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    const taken = a.clientId!;
    let draws = 0;
    const b = new LegacyFleetClient({
      server: { host: '127.0.0.1', port: w.server.options.port!, ...(w.server.options.user !== undefined ? { user: w.server.options.user } : {}), ...(w.server.options.password !== undefined ? { password: w.server.options.password } : {}) },
      dir: w.dir,
      profileId: 2,
      nextClientId: () => (draws++ === 0 ? taken : 0x7000_0001),
      nowMs: () => w.clock.now(),
    });
    w.clients.push(b);
    await b.launch();
    await until(w, 'b registered under another id', () => b.phase === 'running');
    expect(b.clientId).toBe(0x7000_0001);
    expect(b.events.some((e) => /invalid ?id/i.test(e))).toBe(true);
    expect(online(w, a)).toBe(true);
    expect(w.events.filter((e) => e.type === 'clientOffline')).toEqual([]);
    const before = handled(w, a);
    a.postLog('toujours là');
    await until(w, 'a still heard', () => handled(w, a) === before + 1);
  });

  it('two clients posting at once lose a request to B16; the lost one re-posts when it sees a newer answer, and both register', async () => {
    const w = await world();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let aDownloaded!: () => void;
    const aHolds = new Promise<void>((resolve) => (aDownloaded = resolve));
    const a = client(w, 1, {
      beforeCnxUpload: async () => {
        aDownloaded();
        await gate;
      },
    });
    const b = client(w, 2);
    // a downloads cxnreq.hub and holds it; b downloads the same file, appends its request and uploads;
    // then a uploads its own copy over b's: both requests carry the same id, b's is gone from the file.
    const aPosting = a.launch();
    await aHolds;
    await b.launch();
    release();
    await aPosting;
    await until(w, 'both registered', () => a.phase === 'running' && b.phase === 'running', 12);
    expect(b.events.some((e) => e.includes('lost'))).toBe(true);
    expect(hubClient(w, a)?.status).toBe('enabled');
    expect(hubClient(w, b)?.status).toBe('enabled');
  });

  it('a bridge restart loses nothing: messages posted while it was down reach the hub once, the session goes on', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    await round(w);
    const before = handled(w, a);
    await w.bridge.close();
    // Two dialog ticks of the client without a bridge: it uploads its .hub as usual.
    a.postLog('pendant la panne 1');
    await a.tick();
    a.postLog('pendant la panne 2');
    await a.tick();
    w.bridge = newBridge(w.server, w.dir, () => w.network, w.store, w.clock, w.bridgeLog);
    await until(w, 'the two logs', () => handled(w, a) >= before + 2);
    for (let i = 0; i < 3; i++) await round(w);
    expect(handled(w, a)).toBe(before + 2);
    expect(online(w, a)).toBe(true);
    expect(w.bridgeLog.some((e) => e.event === 'relogin' && e.clientId === a.clientId)).toBe(true);
    const texts = w.logs.map((l) => JSON.stringify(l.detail)).filter((t) => t.includes('pendant la panne'));
    expect(texts).toHaveLength(2);
  });

  it('a client the hub declared dead comes back by its own cnx Sync after 24 silent ticks (§8.4), and what it posted meanwhile is not skipped', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    // a's machine sleeps: no ticks of its own for 10 minutes; the hub Syncs, then declares it dead.
    await until(w, 'a declared dead', () => !online(w, a), 30, []);
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'clientOffline', clientId: clientId(a.clientId!), reason: 'heartbeatTimeout' }));
    // It wakes up, answers the Syncs it finds in its .gov, and posts a log; nobody reads its .hub any more.
    await a.tick();
    a.postLog('au réveil');
    // 24 dialog ticks without a governor message, then a cnx Sync every tick until one arrives.
    await until(w, 'a back online', () => online(w, a), 40);
    expect(a.events.some((e) => e.startsWith('post sync'))).toBe(true);
    expect(a.phase).toBe('running');
    await until(w, 'the log written while away', () => logTexts(w, 'au réveil') === 1);
    for (let i = 0; i < 3; i++) await round(w);
    expect(logTexts(w, 'au réveil')).toBe(1);
  });

  it('a hub restart: the bridge logs its clients in again, and what they posted while the hub was down arrives once', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    const before = handled(w, a);
    await w.hub.close();
    // The hub is down for a few ticks: the bridge cannot reach it (its tick reports that), the client goes on.
    a.postLog('hub arrêté');
    for (let i = 0; i < 3; i++) {
      w.clock.advanceBy(ROUND_MS);
      const report = await w.bridge.tick();
      expect(report.online).toBe(0);
      await a.tick();
    }
    w.network = createMemoryNetwork();
    w.hub = await openHub(w.network, w.hubStore, w.clock, w.policy, w.events, w.logs);
    await until(w, 'the log posted while the hub was down', () => logTexts(w, 'hub arrêté') === 1);
    expect(online(w, a)).toBe(true);
    expect(w.bridgeLog.some((e) => e.event === 'relogin' && e.clientId === a.clientId)).toBe(true);
    for (let i = 0; i < 3; i++) await round(w);
    expect(logTexts(w, 'hub arrêté')).toBe(1);
    expect(handled(w, a)).toBe(before + 1);
    expect(a.phase).toBe('running');
  });

  it('a SetInfo reaches the hub and its Ok comes back in <ID>.gov naming the SetInfo (ReqID)', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    // A message first, so the SetInfo is not the session's message 1 (the Ok's ReqID must be the legacy id, not the hub's seq).
    a.postLog('avant');
    await until(w, 'the log', () => logTexts(w, 'avant') === 1);
    const contact = { name: 'Karim B.', phone: '021 00 00 00', email: 'k.b@douane.gov.dz' };
    const setInfoId = await a.setInfo(contact);
    expect(setInfoId).toBeGreaterThan(1);
    await until(w, 'the Ok of the SetInfo', () => a.seen.some((m) => m.code === 'ok' && m.reqId === setInfoId));
    expect(hubClient(w, a)?.contact).toEqual(contact);
  });

  for (const policy of ['replaceOld', 'ignoreNew', 'seniority'] as const) {
    it(`a second registration in a profile under ${policy}: each client's legacy state says what the hub decided`, async () => {
      const w = await world(policy);
      const a = client(w, 1);
      await registered(w, a);
      const b = client(w, 1);
      await b.launch();
      // Whatever the policy decides, the bridge must show it: the hub's enabled client runs, the other one does not.
      await until(w, 'both settled', () => settled(w, a) && settled(w, b), 20);
      const enabled = [a, b].filter((c) => c.clientId !== null && hubClient(w, c)?.status === 'enabled');
      expect(enabled).toHaveLength(1);
      for (const c of [a, b]) {
        const status = c.clientId === null ? undefined : hubClient(w, c)?.status;
        expect([c.phase, status]).toEqual(status === 'enabled' ? ['running', 'enabled'] : [expect.stringMatching(/^(silent|exited|idle)$/), status]);
        if (status !== undefined) expect(await govStatus(w, c.clientId!)).toBe(status);
      }
      for (let i = 0; i < 3; i++) await round(w);
      expect(online(w, enabled[0]!)).toBe(true);
    });
  }

  it('a client that closed (Close) is not logged in again by a restarted bridge', async () => {
    const w = await world();
    const a = client(w, 1);
    const b = client(w, 2);
    await registered(w, a);
    await registered(w, b);
    await a.stop();
    await until(w, 'a offline', () => !online(w, a));
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'clientOffline', clientId: clientId(a.clientId!), reason: 'closedByClient' }));
    await w.bridge.close();
    w.bridge = newBridge(w.server, w.dir, () => w.network, w.store, w.clock, w.bridgeLog);
    for (let i = 0; i < 3; i++) await round(w, [b]);
    expect(online(w, a)).toBe(false);
    expect(online(w, b)).toBe(true);
    expect(w.bridgeLog.filter((e) => e.event === 'relogin').map((e) => e.clientId)).toEqual([b.clientId]);
  });

  it('a push the legacy protocol cannot carry is reported undeliverable and acknowledged by the next Null', async () => {
    const w = await world();
    const a = client(w, 1);
    await registered(w, a);
    await w.hub.send(clientId(a.clientId!), 'chat', new TextEncoder().encode('hello'));
    await round(w);
    expect(w.bridgeLog).toContainEqual(expect.objectContaining({ event: 'undeliverable', clientId: a.clientId }));
    await until(w, 'the outbox emptied by a Sync exchange', () => clientDialogOf(w.hub.state, hubClient(w, a)!)!.outbox.length === 0, 20);
  });
}

const noVsftpd = await vsftpdUnavailable();
if (noVsftpd !== null) console.warn(`\n*** SKIPPING the legacy bridge on vsftpd: ${noVsftpd} ***\n`);

describe('legacy bridge: an unmodified Hub fleet on a dialoghub hub (ftp-srv)', () => {
  beforeAll(() => {
    startServer = () => startFtpSrv();
  });
  scenarios();
});

describe.skipIf(noVsftpd !== null)('legacy bridge: an unmodified Hub fleet on a dialoghub hub (vsftpd)', () => {
  beforeAll(() => {
    startServer = () => startVsftpd();
  });
  scenarios();
});
