/**
 * `dialoghub serve --ftp URL`: the hub on an FTP mailbox (ftp-srv in this
 * process, on 127.0.0.1), run in process as `runServe` with an `until`
 * promise; clients are the real engine on `FtpClientTransport`. Both sides
 * tick on their own (`--poll-interval`, the client's `pollIntervalMs`):
 * every wait is for a log line or an engine event, bounded by a deadline
 * that only turns a hang into a failure. Nothing sleeps, nothing is timed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpSrv, FileSystem } from 'ftp-srv';
import { FtpClientTransport, type FtpServerOptions } from '@dialoghub/adapter-ftp';
import { connect, memoryCredentials, type ClientEmitted, type DialogClient } from '@dialoghub/client';
import { MAILBOX_TIMINGS } from '@dialoghub/core';
import { parseServe, runServe, type ServeCommandResult } from '../src/commands/serve.js';
import { parseFtpUrl, redacted, tickLine } from '../src/serve/ftp-target.js';
import { freePort, hasOpenssl, startFtpSrv, testCertificate, type TestServer } from '../../adapter-ftp/test/servers.js';
import { capturedLog, cli, lines, Waiter, type LogLine } from './helpers.js';

/** Poll period of both sides, in wall-clock ms: the waits below are for events, this only makes them come soon. */
const POLL = '20';



/** `serve` in this process with captured JSON log lines. */
class InProcessServe {
  readonly logged: LogLine[];
  readonly raw: string[];
  readonly waiter: Waiter;
  readonly result: Promise<ServeCommandResult>;
  private stopWith: (reason: string) => void = () => undefined;

  constructor(o: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
    const { io, logged, raw, waiter } = capturedLog(env);
    this.logged = logged;
    this.raw = raw;
    this.waiter = waiter;
    const until = new Promise<string>((resolve) => (this.stopWith = resolve));
    this.result = runServe({ ...parseServe(o), until, stdoutIsTty: false }, { io });
    // A start failure settles `result` early: wake the waits so they fail with it rather than time out.
    this.result.catch(() => this.waiter.poke());
  }

  line(match: (l: LogLine) => boolean, what: string, from = 0): Promise<LogLine> {
    return this.waiter.until(() => this.logged.slice(from).find(match), what);
  }

  stop(reason: string): Promise<ServeCommandResult> {
    this.stopWith(reason);
    return this.result;
  }
}

/** A client engine on the FTP mailbox whose events can be awaited. */
class FtpTestClient {
  readonly events: ClientEmitted[] = [];
  readonly waiter = new Waiter();
  client!: DialogClient;

  private constructor(readonly ftp: FtpClientTransport) {}

  static async register(server: FtpServerOptions, remoteDir: string, clientId: number, profileId: number): Promise<FtpTestClient> {
    const t = new FtpTestClient(new FtpClientTransport({ server, remoteDir, pollIntervalMs: Number(POLL) }));
    const creds = memoryCredentials({ register: { profileId, clientId, contact: { name: 'till', phone: '', email: 'till@example.org' } } });
    t.client = await connect({ transport: t.ftp, getCredentials: creds.getCredentials, onRegistered: creds.onRegistered, backoffBaseMs: 20, backoffCapMs: 200 });
    for (const type of ['online', 'offline', 'stopped', 'message'] as const) {
      t.client.on(type, (e) => {
        t.events.push(e);
        t.waiter.poke();
      });
    }
    return t;
  }

  echoes(): number[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.replyTo] : []));
  }

  async dispose(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await this.ftp.close();
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let dir: string;
const servers: TestServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-serve-ftp-'));
});
afterAll(async () => {
  for (const s of servers) await s.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function ftpSrv(tls = false): Promise<TestServer> {
  const s = await startFtpSrv({ tls });
  servers.push(s);
  return s;
}

const silentLog = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silentLog };

/** ftp-srv that accepts only `user`/`password` (the adapter's test server accepts anyone). */
async function passwordFtpSrv(user: string, password: string): Promise<{ port: number; logins: string[]; close(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'dh-cli-ftp-auth-'));
  mkdirSync(join(root, 'box'));
  const port = await freePort();
  const logins: string[] = [];
  const srv = new FtpSrv({ url: `ftp://127.0.0.1:${port}`, pasv_url: '127.0.0.1', pasv_min: 1024, anonymous: false, log: silentLog as never });
  srv.on('login', ({ connection, username, password: given }, resolve, reject) => {
    logins.push(`${username}:${given === password ? 'right' : 'wrong'}`);
    if (username === user && given === password) resolve({ fs: new FileSystem(connection, { root, cwd: '/' }), cwd: '/' });
    else reject(new Error('530 login incorrect'));
  });
  srv.on('client-error', () => {});
  await srv.listen();
  return {
    port,
    logins,
    close: async () => {
      await srv.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

describe('dialoghub serve --ftp', () => {
  it('serves an FTP mailbox: a client registers, exchanges a message, closes; every tick that moved files is logged at info, idle ones at debug; the console runs', async () => {
    const server = await ftpSrv();
    const data = join(dir, 'plain');
    const url = `ftp://127.0.0.1:${server.options.port}/${server.mailboxDir}`;
    const serve = new InProcessServe({ ftp: url, pollInterval: POLL, adminPort: '0', data, profile: ['1:shop'], echo: true, logLevel: 'debug' });
    const serving = await serve.line((l) => l.event === 'serving', 'the serving line');
    expect(serving).toMatchObject({
      level: 30,
      msg: `serving the mailbox ftp://anonymous@127.0.0.1:${server.options.port}/mailbox, a tick every 20 ms`,
      mailbox: `ftp://anonymous@127.0.0.1:${server.options.port}/mailbox`,
      ftps: false,
      pollIntervalMs: 20,
      syncAfterMs: MAILBOX_TIMINGS.syncAfterMs,
      deadAfterMs: MAILBOX_TIMINGS.deadAfterMs,
    });
    expect(serve.logged.some((l) => l.event === 'listening')).toBe(false);
    const console = serve.logged.find((l) => l.event === 'console');
    expect(console?.msg).toMatch(/^console at http:\/\/127\.0\.0\.1:\d+\/ \(admin token in .*admin-token, just created\)$/);
    // The mailbox directories exist once serving is announced.
    expect(existsSync(join(server.diskRoot, 'mailbox', 'c2h'))).toBe(true);
    expect(existsSync(join(server.diskRoot, 'mailbox', 'h2c'))).toBe(true);

    const t = await FtpTestClient.register(server.options, server.mailboxDir, 77, 1);
    try {
      expect(t.client.clientId).toBe(77);
      await serve.line((l) => l.event === 'registered' && l['clientId'] === 77, 'the registered line');
      await serve.line((l) => l.event === 'online' && l['clientId'] === 77 && l['via'] === 'register', 'the online line');
      await t.client.send('chat', bytes('hello over ftp'));
      await t.waiter.until(() => (t.echoes().includes(1) ? true : undefined), 'the echo of message 1');

      // The tick that read the registration: the client file downloaded, its request delivered, the answer uploaded.
      const reading = serve.logged.find((l) => l.event === 'tick' && (l['downloaded'] as number) > 0 && (l['delivered'] as number) > 0);
      expect(reading).toBeDefined();
      expect(reading!.level).toBeGreaterThanOrEqual(30);
      expect(reading!.msg).toMatch(/^tick \d+: [1-9]\d* downloaded, \d+ uploaded, \d+ deleted, \d+ failed \([1-9]\d* delivered, 1 link, [1-9]\d* bytes\)/);
      expect(reading!['dataConnections']).toBeGreaterThanOrEqual(2); // the listing and the download, at least
      expect(serve.logged.some((l) => l.event === 'tick' && (l['uploaded'] as number) > 0 && l.level === 30)).toBe(true);
      // Idle ticks are debug, active ones info, ticks with a failure (a client replacing its file mid-download) warn.
      const ticks = serve.logged.filter((l) => l.event === 'tick');
      expect(ticks.length).toBeGreaterThan(2);
      for (const l of ticks) {
        const moved = (l['downloaded'] as number) + (l['uploaded'] as number) + (l['deleted'] as number) + (l['delivered'] as number);
        expect([l['tick'], l.level]).toEqual([l['tick'], (l['failed'] as number) > 0 ? 40 : moved > 0 ? 30 : 20]);
      }
      const from = serve.logged.length;
      await serve.line((l) => l.event === 'tick' && l.level === 20 && l['links'] === 1, 'an idle tick (debug) while the client is online', from);

      await t.client.close();
      await serve.line((l) => l.event === 'offline' && l['clientId'] === 77 && l['reason'] === 'closedByClient', 'the client closing');
      // The session is over: its files are removed by a later tick, which says so.
      await serve.line((l) => l.event === 'tick' && (l['deleted'] as number) > 0 && l.level === 30, 'a tick that removed the files of the ended session');
    } finally {
      await t.dispose();
    }
    const result = await serve.stop('test');
    expect(result).toMatchObject({ reason: 'test', host: '127.0.0.1', port: server.options.port, mailbox: `ftp://anonymous@127.0.0.1:${server.options.port}/mailbox`, profiles: 1, clients: 1, online: 0 });
    await serve.line((l) => l.event === 'stopped', 'the stopped line');
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
  });

  it('takes credentials from DIALOGHUB_FTP_USER / DIALOGHUB_FTP_PASSWORD (or the URL) and never logs the password', async () => {
    const auth = await passwordFtpSrv('hubuser', 'pa55-w0rd');
    try {
      const env = { DIALOGHUB_FTP_USER: 'hubuser', DIALOGHUB_FTP_PASSWORD: 'pa55-w0rd' };
      const fromEnv = new InProcessServe({ ftp: `ftp://127.0.0.1:${auth.port}/box/hub`, pollInterval: POLL, admin: false, data: join(dir, 'env-creds') }, env);
      const serving = await fromEnv.line((l) => l.event === 'serving', 'the serving line (credentials from the environment)');
      expect(serving.msg).toBe(`serving the mailbox ftp://hubuser@127.0.0.1:${auth.port}/box/hub, a tick every 20 ms`);
      await fromEnv.stop('test');
      expect(fromEnv.raw.join('')).not.toContain('pa55-w0rd');
      expect(fromEnv.logged.some((l) => l.event === 'console')).toBe(false);

      // In the URL: it works too, with a warning that names no password.
      const fromUrl = new InProcessServe({ ftp: `ftp://hubuser:pa55-w0rd@127.0.0.1:${auth.port}/box/hub`, pollInterval: POLL, admin: false, data: join(dir, 'url-creds') });
      await fromUrl.line((l) => l.event === 'serving', 'the serving line (credentials from the URL)');
      await fromUrl.stop('test');
      expect(fromUrl.logged.find((l) => l.event === 'ftpPasswordInUrl')).toMatchObject({ level: 40, mailbox: `ftp://hubuser@127.0.0.1:${auth.port}/box/hub` });
      expect(fromUrl.raw.join('')).not.toContain('pa55-w0rd');

      // A wrong password: exit 2, one line, no password in it, the data directory released.
      expect(auth.logins.length).toBeGreaterThan(0);
      expect(auth.logins.every((l) => l === 'hubuser:right')).toBe(true);
      const before = auth.logins.length;
      const data = join(dir, 'wrong-creds');
      const r = await cli('serve', '--ftp', `ftp://hubuser:not-it@127.0.0.1:${auth.port}/box/hub`, '--no-admin', '--data', data, '--log-level', 'silent');
      expect(r.code).toBe(2);
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^dialoghub: cannot serve the mailbox ftp://hubuser@127\\.0\\.0\\.1:${auth.port}/box/hub: .*530`));
      expect(r.err).not.toContain('not-it');
      expect(existsSync(join(data, 'LOCK'))).toBe(false);
      expect(auth.logins.slice(before).length).toBeGreaterThan(0);
      expect(auth.logins.slice(before).every((l) => l === 'hubuser:wrong')).toBe(true);
    } finally {
      await auth.close();
    }
  });

  it('a data directory created over TCP keeps its timings: serving it with --ftp warns (timingsKept)', async () => {
    const data = join(dir, 'tcp-first');
    const tcp = new InProcessServe({ port: '0', admin: false, data });
    await tcp.line((l) => l.event === 'listening', 'the listening line');
    await tcp.stop('test');
    const server = await ftpSrv();
    const ftp = new InProcessServe({ ftp: `ftp://127.0.0.1:${server.options.port}/${server.mailboxDir}`, pollInterval: POLL, admin: false, data });
    const serving = await ftp.line((l) => l.event === 'serving', 'the serving line');
    expect(serving).toMatchObject({ syncAfterMs: 10_000, deadAfterMs: 30_000 });
    expect(ftp.logged.find((l) => l.event === 'timingsKept')).toMatchObject({ level: 40, syncAfterMs: 10_000, syncEveryMs: 5_000, deadAfterMs: 30_000, retryAfterMs: 1_000 });
    await ftp.stop('test');
    // A directory created with --ftp has the mailbox timings: no warning on a second run.
    const fresh = join(dir, 'ftp-first');
    for (let run = 0; run < 2; run++) {
      const again = new InProcessServe({ ftp: `ftp://127.0.0.1:${server.options.port}/${server.mailboxDir}`, pollInterval: POLL, admin: false, data: fresh });
      await again.line((l) => l.event === 'serving', `the serving line of run ${run + 1}`);
      await again.stop('test');
      expect(again.logged.some((l) => l.event === 'timingsKept')).toBe(false);
    }
  });

  it.skipIf(!hasOpenssl())('--ftps with --ftps-ca: explicit FTPS against a self-signed server', async () => {
    const server = await ftpSrv(true);
    const ca = join(dir, 'ftps-ca.pem');
    await writeFile(ca, testCertificate().cert);
    const serve = new InProcessServe({ ftp: `ftp://127.0.0.1:${server.options.port}/${server.mailboxDir}`, ftps: true, ftpsCa: ca, pollInterval: POLL, admin: false, data: join(dir, 'ftps'), profile: ['1:tls'] });
    const serving = await serve.line((l) => l.event === 'serving', 'the serving line');
    expect(serving).toMatchObject({ msg: `serving the mailbox ftp://anonymous@127.0.0.1:${server.options.port}/mailbox (FTPS), a tick every 20 ms`, ftps: true });
    const t = await FtpTestClient.register(server.options, server.mailboxDir, 91, 1);
    try {
      await serve.line((l) => l.event === 'online' && l['clientId'] === 91, 'the online line over FTPS');
    } finally {
      await t.dispose();
    }
    await serve.stop('test');

    // Without the CA, the self-signed certificate is refused: exit 2, one line.
    const r = await cli('serve', '--ftp', `ftp://127.0.0.1:${server.options.port}/mailbox`, '--ftps', '--no-admin', '--data', join(dir, 'ftps-untrusted'), '--log-level', 'silent');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^dialoghub: cannot serve the mailbox ftp:\/\/anonymous@127\.0\.0\.1:\d+\/mailbox: .*(self.signed|certificate)/i);
  });
});

describe('dialoghub serve --ftp: options and failures (exit 2, one line)', () => {
  it.each([
    ['not a URL', ['--ftp', 'just words'], /--ftp 'just words' is not a URL/],
    ['another scheme', ['--ftp', 'sftp://h/x'], /the scheme must be ftp:\/\//],
    ['a query', ['--ftp', 'ftp://h/x?passive=1'], /no query or fragment allowed/],
    ['a hidden directory', ['--ftp', 'ftp://h/a/.b'], /the directory segment '\.b' must match/],
    ['a space in the directory', ['--ftp', 'ftp://h/a%20b'], /the directory segment 'a b'/],
    ['the root as mailbox', ['--ftp', 'ftp://h/%2F'], /cannot be the server's root directory/],
    ['--ftp with --port', ['--ftp', 'ftp://h/x', '--port', '7'], /--port is for TCP; --ftp serves an FTP mailbox instead/],
    ['--ftp with TLS files', ['--ftp', 'ftp://h/x', '--tls-key', 'k', '--tls-cert', 'c'], /--tls-key is for TCP/],
    ['--ftps without --ftp', ['--ftps'], /--ftps needs --ftp/],
    ['--poll-interval without --ftp', ['--poll-interval', '100'], /--poll-interval needs --ftp/],
    ['--ftps-ca without --ftps', ['--ftp', 'ftp://h/x', '--ftps-ca', 'ca.pem'], /--ftps-ca needs --ftps/],
    ['a zero poll interval', ['--ftp', 'ftp://h/x', '--poll-interval', '0'], /--poll-interval must be between 1 and 86400000, got 0/],
    ['--ftp-connections without --ftp', ['--ftp-connections', '2'], /--ftp-connections needs --ftp/],
    ['seventeen connections', ['--ftp', 'ftp://h/x', '--ftp-connections', '17'], /--ftp-connections must be between 1 and 16, got 17/],
    ['a missing CA file', ['--ftp', 'ftp://127.0.0.1:1/x', '--ftps', '--ftps-ca', '/nonexistent/ca.pem'], /\/nonexistent\/ca\.pem: no such file or directory/],
  ])('%s', async (_what, argv, message) => {
    const r = await cli('serve', '--data', join(dir, 'never'), '--no-admin', ...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('a password in a bad URL is not echoed', async () => {
    const r = await cli('serve', '--ftp', 'ftp://u:hunter2@h/x#frag', '--no-admin', '--data', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.err).toBe("dialoghub: --ftp 'ftp://u:***@h/x#frag': no query or fragment allowed\n");
  });

  it('no FTP server there: exit 2 naming the mailbox, and the data directory is released again', async () => {
    const port = await freePort();
    const data = join(dir, 'no-server');
    const r = await cli('serve', '--ftp', `ftp://127.0.0.1:${port}/hub`, '--no-admin', '--data', data, '--log-level', 'silent');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^dialoghub: cannot serve the mailbox ftp://anonymous@127\\.0\\.0\\.1:${port}/hub: .*ECONNREFUSED`));
    expect(lines(r.err)).toHaveLength(1);
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
  });
});

describe('serve --ftp helpers', () => {
  it('parses ftp URLs as RFC 1738 does: path relative to the login directory, %2F for absolute, escapes decoded', () => {
    expect(parseFtpUrl('ftp://u%40corp:p%3Ass@example.org:2121/hub/dlg')).toEqual({ host: 'example.org', port: 2121, user: 'u@corp', password: 'p:ss', remoteDir: 'hub/dlg' });
    expect(parseFtpUrl('ftp://example.org')).toEqual({ host: 'example.org', port: 21, user: null, password: null, remoteDir: undefined });
    expect(parseFtpUrl('ftp://[::1]:21/%2Fsrv/hub/')).toEqual({ host: '::1', port: 21, user: null, password: null, remoteDir: '/srv/hub' });
    expect(redacted({ host: '::1', port: 21, user: null, password: 'x', remoteDir: '/srv/hub', tls: false, caFile: null, pollIntervalMs: 1, connections: null }, 'a b')).toBe('ftp://a%20b@[::1]:21/%2Fsrv/hub');
  });

  it('a tick line: info when files moved, warn with the errors when an operation failed, debug when idle', () => {
    const base = { tick: 4, listed: 2, downloaded: 0, unchanged: 0, uploaded: 0, deleted: 0, failed: 0, delivered: 0, links: 1, bytes: 160, dataConnections: 1, errors: [] };
    expect(tickLine(base)).toEqual({
      level: 'debug',
      fields: { event: 'tick', tick: 4, listed: 2, downloaded: 0, uploaded: 0, deleted: 0, failed: 0, delivered: 0, links: 1, bytes: 160, dataConnections: 1 },
      msg: 'tick 4: 0 downloaded, 0 uploaded, 0 deleted, 0 failed (0 delivered, 1 link, 160 bytes)',
    });
    expect(tickLine({ ...base, downloaded: 1, uploaded: 2, delivered: 1, links: 2, bytes: 1200 })).toMatchObject({ level: 'info', msg: 'tick 4: 1 downloaded, 2 uploaded, 0 deleted, 0 failed (1 delivered, 2 links, 1200 bytes)' });
    expect(tickLine({ ...base, failed: 1, errors: ['upload 00000000000000a1: 552 disk full'] })).toEqual({
      level: 'warn',
      fields: { event: 'tick', tick: 4, listed: 2, downloaded: 0, uploaded: 0, deleted: 0, failed: 1, delivered: 0, links: 1, bytes: 160, dataConnections: 1, errors: ['upload 00000000000000a1: 552 disk full'] },
      msg: 'tick 4: 0 downloaded, 0 uploaded, 0 deleted, 1 failed (0 delivered, 1 link, 160 bytes): upload 00000000000000a1: 552 disk full',
    });
  });
});
