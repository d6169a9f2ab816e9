/**
 * `dialoghub serve --legacy-ftp URL`: the hub also serves an unmodified
 * legacy Hub fleet through the legacy bridge (docs/adapters/ftp-legacy.md
 * §10). The FTP server is ftp-srv in this process; the legacy client is the
 * simulator of the original (`legacy-fleet.ts`), driven by the test: one
 * `tick()` of its timer per round. The bridge ticks on its own, every 50 ms
 * of wall-clock time (`--legacy-poll-interval`), and logs every tick
 * (`--log-level debug`): a round waits for the tick *after* the one that may
 * have been running when the client acted, so the bridge has read what the
 * client wrote. Waits are for log lines, never for time; the rounds are
 * bounded.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientId } from '@dialoghub/core';
import { parseServe } from '../src/commands/serve.js';
import { createLogger } from '../src/serve/logger.js';
import { startServer, type RunningServer } from '../src/serve/server.js';
import { parseFtpUrl } from '../src/serve/ftp-target.js';
import { LEGACY_URL_OPTION, LegacyTicker, legacyTickLine } from '../src/serve/legacy-bridge.js';
import {
  decodeCnxRequestFile,
  decodeLegacyTransfer,
  encodeCnxPayload,
  encodeCnxRequestFile,
  encodeLegacyTransfer,
  epochMsToTicks,
  type BridgeTickReport,
  type LegacyBridge,
  type LegacyClientEnvironment,
  type LegacyMessage,
} from '@dialoghub/adapter-ftp';
import { startFtpSrv, type TestServer } from '../../adapter-ftp/test/servers.js';
import { LegacyFleetClient } from '../../adapter-ftp/test/legacy-fleet.js';
import { capturedLog, cli, lines, type LogLine, type Waiter } from './helpers.js';

/** Wall-clock ms between bridge ticks: short, so rounds come soon; nothing depends on its exact value. */
const POLL = '50';
/** Rounds a legacy client gets to reach a phase: each is one client tick and about two bridge ticks. */
const MAX_ROUNDS = 20;
const DIR = 'hub/dlg';
const LEGACY_ENV: LegacyClientEnvironment = {
  architecture: 'win7sp1x64',
  is64BitOperatingSystem: true,
  userName: 'agent',
  machineName: 'PC-7',
  osVersion: 'Microsoft Windows NT 6.1.7601 Service Pack 1',
  hubVersion: '1.0.6812.2561',
};

let dir: string;
const servers: TestServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-serve-legacy-'));
});
afterAll(async () => {
  for (const s of servers) await s.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** `startServer` in this process, logging JSON lines at debug (every bridge tick) into memory. */
async function serveInProcess(o: Record<string, unknown>): Promise<{ server: RunningServer; logged: LogLine[]; raw: string[]; waiter: Waiter }> {
  const { io, logged, raw, waiter } = capturedLog();
  const log = createLogger(io, { level: 'debug', format: 'json', stdoutIsTty: false });
  const server = await startServer({ ...parseServe(o), env: {} }, log);
  return { server, logged, raw, waiter };
}

const tickOf = (l: LogLine): number => (l.event === 'legacyTick' ? (l['tick'] as number) : 0);

/** Waits for bridge tick `n` (its log line). */
function bridgeTick(run: { logged: LogLine[]; waiter: Waiter }, n: number): Promise<LogLine> {
  return run.waiter.until(() => run.logged.find((l) => tickOf(l) >= n), `legacy tick ${n}`);
}

/**
 * Rounds until `done`: the client ticks once, then the bridge ticks twice (the tick running while the
 * client acted may have read the files before it; the next one started after it). Bounded.
 */
async function rounds(run: { logged: LogLine[]; waiter: Waiter }, client: LegacyFleetClient, what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < MAX_ROUNDS && !done(); i++) {
    await client.tick();
    const last = Math.max(0, ...run.logged.map(tickOf));
    await bridgeTick(run, last + 2);
  }
  if (!done()) throw new Error(`${what}: not within ${MAX_ROUNDS} rounds (client ${client.phase}: ${client.events.join(' | ')})`);
}

describe('dialoghub serve --legacy-ftp', () => {
  it('bridges a legacy client over TCP mode: it registers and runs, the hub has it enabled, and after a restart its Start is admitted with the kept state', async () => {
    const ftp = await startFtpSrv();
    servers.push(ftp);
    const port = ftp.options.port!;
    const data = join(dir, 'e2e');
    const options = { port: '0', admin: false, data, profile: ['1:Douane Alger'], legacyFtp: `ftp://127.0.0.1:${port}/${DIR}`, legacyPollInterval: POLL };
    const statePath = join(data, 'legacy-bridge.json');
    const url = `ftp://anonymous@127.0.0.1:${port}/${DIR}`;
    const client = new LegacyFleetClient({ server: { host: '127.0.0.1', port }, dir: DIR, profileId: 1, nextClientId: () => 0x5000_0101, nowMs: () => Date.now() });
    try {
      // ---- first run: registration -------------------------------------------------------
      const first = await serveInProcess(options);
      try {
        expect(first.server.port).toBeGreaterThan(0);
        // A new data directory served with --legacy-ftp gets the mailbox timings (the legacy clients tick every 30 s).
        expect(first.server.hub.state.config).toMatchObject({ syncAfterMs: 300_000, deadAfterMs: 480_000 });
        expect(first.logged.find((l) => l.event === 'legacyBridge')).toMatchObject({
          level: 30,
          msg: `bridging the legacy fleet at ${url}, a tick every 50 ms (state ${statePath})`,
          legacy: url,
          ftps: false,
          pollIntervalMs: 50,
          state: statePath,
          legacyClients: 0,
        });
        expect(first.logged.findIndex((l) => l.event === 'legacyBridge')).toBeGreaterThan(first.logged.findIndex((l) => l.event === 'listening'));
        // The first tick publishes profiles.gov and an empty cxnresp.gov, as the governor's start did.
        const tick1 = await bridgeTick(first, 1);
        expect(tick1).toMatchObject({ level: 30, uploaded: 2, failed: 0, msg: 'legacy tick 1: 0 requests, 0 answers, 0 to hub, 0 to clients, 2 uploaded, 0 downloaded, 0 failed (0 online)' });

        await client.launch();
        expect(client.phase).toBe('registering');
        const id = client.clientId!;
        await rounds(first, client, 'registration', () => client.phase === 'running');
        expect(client.status).toBe('enabled');
        expect(first.server.hub.state.clients.get(clientId(id))?.status).toBe('enabled');
        expect(first.server.hub.state.online.has(clientId(id))).toBe(true);
        expect(first.server.legacy?.onlineClients).toEqual([id]);
        expect(first.logged.find((l) => l.event === 'registered' && l['clientId'] === id)).toMatchObject({ level: 30, profileId: 1 });
        expect(first.logged.find((l) => l.event === 'online' && l['clientId'] === id)).toMatchObject({ level: 30, via: 'register' });
        // The tick that handled the registration: one request, its answer, the client's files and the answer uploaded.
        const handled = first.logged.find((l) => l.event === 'legacyTick' && l['requests'] === 1);
        expect(handled).toMatchObject({ level: 30, answers: 1, failed: 0, online: 1 });
        expect(handled!.msg).toMatch(/^legacy tick \d+: 1 request, 1 answer, 0 to hub, 0 to clients, [1-9]\d* uploaded, 1 downloaded, 0 failed \(1 online\)$/);
        // Idle ticks are debug lines; busy ones info; none failed.
        for (const l of first.logged.filter((x) => x.event === 'legacyTick')) {
          const busy = (['requests', 'answers', 'toHub', 'toClients', 'uploaded'] as const).some((k) => (l[k] as number) > 0);
          expect([l['tick'], l.level]).toEqual([l['tick'], busy ? 30 : 20]);
        }

        // A legacy message reaches the hub.
        client.postLog('bonjour du poste 7');
        await rounds(first, client, 'the log reaching the hub', () => first.logged.some((l) => l.event === 'legacyTick' && (l['toHub'] as number) > 0));

        // The state file holds the client's secret: mode 0600, and the secret is never logged.
        const secret = first.server.legacy!.snapshot!.clients.get(id)!.secret;
        expect((await stat(statePath)).mode & 0o777).toBe(0o600);
        expect(await readFile(statePath, 'utf8')).toContain(secret);
        expect(first.raw.join('')).not.toContain(secret);
      } finally {
        const summary = await first.server.close('test');
        expect(summary).toMatchObject({ reason: 'test', legacy: url, mailbox: null, clients: 1 });
      }
      expect(first.logged.at(-1)?.event).toBe('stopped');
      expect(existsSync(join(data, 'LOCK'))).toBe(false);

      // ---- second run on the same data directory: the bridge's state survived ------------
      const second = await serveInProcess(options);
      try {
        expect(second.logged.find((l) => l.event === 'legacyBridge')).toMatchObject({ legacyClients: 1 });
        // The data directory keeps the mailbox timings it was created with: no warning.
        expect(second.logged.some((l) => l.event === 'timingsKept')).toBe(false);
        const id = client.clientId!;
        await client.relaunch();
        expect(client.phase).toBe('starting');
        await rounds(second, client, 'the Start after the restart', () => client.phase === 'running');
        expect(client.clientId).toBe(id);
        expect(client.status).toBe('enabled');
        expect(client.events).not.toContain('reset: must re-register');
        expect(second.server.hub.state.clients.get(clientId(id))?.status).toBe('enabled');
        expect(second.server.hub.state.online.has(clientId(id))).toBe(true);
        expect(second.logged.some((l) => l.event === 'registered')).toBe(false);
        expect(second.logged.find((l) => l.event === 'online' && l['clientId'] === id && l['via'] === 'start')).toBeDefined();
      } finally {
        await second.server.close('test');
      }
      expect(existsSync(join(data, 'LOCK'))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('with --ftp: the mailbox and the legacy fleet on one FTP server, each in its own directory', async () => {
    const ftp = await startFtpSrv();
    servers.push(ftp);
    const port = ftp.options.port!;
    const data = join(dir, 'with-mailbox');
    const run = await serveInProcess({ ftp: `ftp://127.0.0.1:${port}/${ftp.mailboxDir}`, pollInterval: POLL, admin: false, data, profile: ['1:Douane Alger'], legacyFtp: `ftp://127.0.0.1:${port}`, legacyPollInterval: POLL });
    try {
      expect(run.logged.find((l) => l.event === 'serving')).toMatchObject({ mailbox: `ftp://anonymous@127.0.0.1:${port}/mailbox`, syncAfterMs: 300_000 });
      expect(run.logged.find((l) => l.event === 'legacyBridge')?.msg).toBe(`bridging the legacy fleet at ftp://anonymous@127.0.0.1:${port}/hub/dlg, a tick every 50 ms (state ${join(data, 'legacy-bridge.json')})`);
      await bridgeTick(run, 1);
      await run.waiter.until(() => run.logged.find((l) => l.event === 'tick'), 'a mailbox tick');
      // The bridge published the fleet's files where the original governor did; the mailbox has its own.
      expect(existsSync(join(ftp.diskRoot, DIR, 'profiles.gov'))).toBe(true);
      expect(existsSync(join(ftp.diskRoot, DIR, 'cxnresp.gov'))).toBe(true);
      expect(existsSync(join(ftp.diskRoot, 'mailbox', 'c2h'))).toBe(true);
    } finally {
      const summary = await run.server.close('test');
      expect(summary).toMatchObject({ mailbox: `ftp://anonymous@127.0.0.1:${port}/mailbox`, legacy: `ftp://anonymous@127.0.0.1:${port}/hub/dlg` });
    }
  });

  it('--legacy-reset empties the connection files the old governor left before the first tick reads them', async () => {
    const ftp = await startFtpSrv();
    servers.push(ftp);
    const port = ftp.options.port!;
    // What the old governor left: a Start of a client this hub never knew, and its answer.
    await mkdir(join(ftp.diskRoot, DIR), { recursive: true });
    const start: LegacyMessage = {
      id: 7,
      reqId: 0,
      timestamp: epochMsToTicks(Date.UTC(2026, 0, 5)),
      ...encodeCnxPayload({ type: 'start', clientId: 0x0bad_cafe, environment: LEGACY_ENV, startTime: epochMsToTicks(Date.UTC(2026, 0, 5)) }),
    };
    await writeFile(join(ftp.diskRoot, DIR, 'cxnreq.hub'), encodeLegacyTransfer(encodeCnxRequestFile([start])));
    const data = join(dir, 'reset');
    const run = await serveInProcess({ port: '0', admin: false, data, legacyFtp: `ftp://127.0.0.1:${port}/${DIR}`, legacyPollInterval: POLL, legacyReset: true });
    try {
      expect(run.logged.find((l) => l.event === 'legacyReset')).toMatchObject({ level: 30 });
      expect(await bridgeTick(run, 2)).toMatchObject({ requests: 0, failed: 0 });
      const left = decodeLegacyTransfer(new Uint8Array(await readFile(join(ftp.diskRoot, DIR, 'cxnreq.hub'))));
      expect(left.ok && decodeCnxRequestFile(left.value)).toEqual({ ok: true, value: [] });
      // Without the reset the bridge would have answered that Start and written the client's .gov (Reseted).
      expect(existsSync(join(ftp.diskRoot, DIR, 'BADCAFE.gov'))).toBe(false);
    } finally {
      await run.server.close('test');
    }
  });

  it('a restored hub with TCP timings warns (timingsKept) when it is served with --legacy-ftp', async () => {
    const data = join(dir, 'tcp-first');
    const tcp = await serveInProcess({ port: '0', admin: false, data });
    await tcp.server.close('test');
    const legacy = await serveInProcess({ port: '0', admin: false, data, legacyFtp: 'ftp://127.0.0.1:1/hub/dlg', legacyPollInterval: '86400000' });
    try {
      expect(legacy.logged.find((l) => l.event === 'timingsKept')).toMatchObject({ level: 40, syncAfterMs: 10_000, deadAfterMs: 30_000 });
    } finally {
      await legacy.server.close('test');
    }
  });

  it('a corrupt legacy-bridge.json in the data directory: exit 2, one line naming the file, the data directory released', async () => {
    const data = join(dir, 'corrupt');
    await mkdir(data, { recursive: true });
    const state = join(data, 'legacy-bridge.json');
    await writeFile(state, '{"version": 1, "lastRequestId": "many"');
    const r = await cli('serve', '--port', '0', '--no-admin', '--data', data, '--legacy-ftp', 'ftp://127.0.0.1:1/hub/dlg', '--log-level', 'silent');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^dialoghub: legacy bridge state ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON`));
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
    // Broken invariants are refused the same way.
    await writeFile(state, JSON.stringify({ version: 1, lastRequestId: -1, lastResponseId: 0, answers: [], clients: {} }));
    const again = await cli('serve', '--port', '0', '--no-admin', '--data', data, '--legacy-ftp', 'ftp://127.0.0.1:1/hub/dlg', '--log-level', 'silent');
    expect(again.code).toBe(2);
    expect(lines(again.err)).toHaveLength(1);
    expect(again.err).toContain(`legacy bridge state ${state}: lastRequestId must be a uint32`);
  });
});

describe('dialoghub serve --legacy-ftp: options (exit 2, one line)', () => {
  it.each([
    ['--legacy-ftps without --legacy-ftp', ['--legacy-ftps'], /^dialoghub: --legacy-ftps needs --legacy-ftp\n$/],
    ['--legacy-ftps-ca without --legacy-ftp', ['--legacy-ftps-ca', 'ca.pem'], /^dialoghub: --legacy-ftps-ca needs --legacy-ftp\n$/],
    ['--legacy-poll-interval without --legacy-ftp', ['--legacy-poll-interval', '100'], /^dialoghub: --legacy-poll-interval needs --legacy-ftp\n$/],
    ['--legacy-reset without --legacy-ftp', ['--legacy-reset'], /^dialoghub: --legacy-reset needs --legacy-ftp\n$/],
    ['--legacy-ftps-ca without --legacy-ftps', ['--legacy-ftp', 'ftp://h/x', '--legacy-ftps-ca', 'ca.pem'], /--legacy-ftps-ca needs --legacy-ftps/],
    ['not a URL', ['--legacy-ftp', 'just words'], /--legacy-ftp 'just words' is not a URL/],
    ['another scheme', ['--legacy-ftp', 'ftps://h/x'], /--legacy-ftp 'ftps:\/\/h\/x': the scheme must be ftp:\/\/ \(explicit FTPS is ftp:\/\/ with --legacy-ftps\)/],
    ['a hidden directory', ['--legacy-ftp', 'ftp://h/hub/.dlg'], /--legacy-ftp 'ftp:\/\/h\/hub\/\.dlg': the directory segment '\.dlg' must match/],
    ['the root as directory', ['--legacy-ftp', 'ftp://h/%2F'], /the legacy dialog directory cannot be the server's root directory/],
    ['a zero poll interval', ['--legacy-ftp', 'ftp://h/x', '--legacy-poll-interval', '0'], /--legacy-poll-interval must be between 1 and 86400000, got 0/],
    ['a poll interval that is not a number', ['--legacy-ftp', 'ftp://h/x', '--legacy-poll-interval', 'often'], /--legacy-poll-interval must be an integer, got 'often'/],
    ['the mailbox directory', ['--ftp', 'ftp://h/hub/dlg', '--legacy-ftp', 'ftp://h'], /--legacy-ftp and --ftp name the same directory \(hub\/dlg\)/],
    ['a missing CA file', ['--legacy-ftp', 'ftp://127.0.0.1:1/x', '--legacy-ftps', '--legacy-ftps-ca', '/nonexistent/ca.pem'], /\/nonexistent\/ca\.pem: no such file or directory/],
  ])('%s', async (_what, argv, message) => {
    const r = await cli('serve', '--data', join(dir, 'never'), '--no-admin', ...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('a password in a bad URL is not echoed', async () => {
    const r = await cli('serve', '--legacy-ftp', 'ftp://gov:hunter2@h/hub/dlg?x=1', '--no-admin', '--data', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.err).toBe("dialoghub: --legacy-ftp 'ftp://gov:***@h/hub/dlg?x=1': no query or fragment allowed\n");
  });
});

describe('serve --legacy-ftp helpers', () => {
  it('parses the URL with --ftp’s rules, naming --legacy-ftp; no path is left to the caller (hub/dlg)', () => {
    expect(parseFtpUrl('ftp://gov%40douane:p%3Ass@files.example.org:2121/hub/dlg', LEGACY_URL_OPTION)).toEqual({ host: 'files.example.org', port: 2121, user: 'gov@douane', password: 'p:ss', remoteDir: 'hub/dlg' });
    expect(parseServe({ legacyFtp: 'ftp://files.example.org' }).legacy).toEqual({ host: 'files.example.org', port: 21, user: null, password: null, remoteDir: 'hub/dlg', tls: false, caFile: null, pollIntervalMs: 30_000, reset: false });
    expect(parseServe({ legacyFtp: 'ftp://files.example.org', legacyReset: true }).legacy).toMatchObject({ reset: true });
    expect(parseServe({ legacyFtp: 'ftp://h/%2Fsrv/hub/dlg', legacyFtps: true, legacyFtpsCa: 'ca.pem', legacyPollInterval: '1000' }).legacy).toMatchObject({ remoteDir: '/srv/hub/dlg', tls: true, caFile: 'ca.pem', pollIntervalMs: 1000 });
    expect(parseServe({}).legacy).toBeNull();
  });

  it('the tick loop: ticks never overlap, one that throws is logged at error level and the loop goes on, stop waits for a running tick', async () => {
    const { io, logged, waiter } = capturedLog();
    const log = createLogger(io, { level: 'debug', format: 'json', stdoutIsTty: false });
    let calls = 0;
    let inFlight = 0;
    let overlapped = false;
    const fake = {
      async tick(): Promise<BridgeTickReport> {
        const n = ++calls;
        if (++inFlight > 1) overlapped = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
        inFlight--;
        if (n === 2) throw new Error('the state file cannot be written (simulated)');
        return { tick: n, requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 1, failed: 0, online: 0, errors: [] };
      },
    };
    const ticker = new LegacyTicker(fake as unknown as LegacyBridge, 1, log);
    ticker.start();
    await waiter.until(() => (logged.filter((l) => l.event === 'legacyTick').length >= 3 ? true : undefined), 'three ticks after the failed one');
    await ticker.stop();
    const settled = logged.filter((l) => l.event === 'legacyTick' || l.event === 'legacyTickFailed').length;
    // Every tick that started has settled and was logged: stop waited for the running one, and started no other.
    expect(settled).toBe(calls);
    expect(overlapped).toBe(false);
    expect(logged.find((l) => l.event === 'legacyTickFailed')).toMatchObject({ level: 50, msg: 'legacy tick failed: the state file cannot be written (simulated)' });
    // …and the loop went on after it.
    const failedAt = logged.findIndex((l) => l.event === 'legacyTickFailed');
    expect(logged.slice(failedAt + 1).some((l) => l.event === 'legacyTick')).toBe(true);
    await ticker.stop();
    expect(calls).toBe(settled);
  });

  it('a legacy tick line: info when the tick did something, warn with the errors when an operation failed, debug when it only polled', () => {
    const base = { tick: 7, requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 1, failed: 0, online: 3, errors: [] };
    expect(legacyTickLine(base)).toEqual({
      level: 'debug',
      fields: { event: 'legacyTick', tick: 7, requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 1, failed: 0, online: 3 },
      msg: 'legacy tick 7: 0 requests, 0 answers, 0 to hub, 0 to clients, 0 uploaded, 1 downloaded, 0 failed (3 online)',
    });
    expect(legacyTickLine({ ...base, requests: 1, answers: 1, uploaded: 3 })).toMatchObject({ level: 'info', msg: 'legacy tick 7: 1 request, 1 answer, 0 to hub, 0 to clients, 3 uploaded, 1 downloaded, 0 failed (3 online)' });
    expect(legacyTickLine({ ...base, toHub: 2 }).level).toBe('info');
    expect(legacyTickLine({ ...base, failed: 1, errors: ['upload 50000101.gov: 550 disk full'] })).toEqual({
      level: 'warn',
      fields: { event: 'legacyTick', tick: 7, requests: 0, answers: 0, toHub: 0, toClients: 0, uploaded: 0, downloaded: 1, failed: 1, online: 3, errors: ['upload 50000101.gov: 550 disk full'] },
      msg: 'legacy tick 7: 0 requests, 0 answers, 0 to hub, 0 to clients, 0 uploaded, 1 downloaded, 1 failed (3 online): upload 50000101.gov: 550 disk full',
    });
  });
});
