/**
 * `dialoghub admin`: the console's actions from the command line, against a
 * real admin server — first over a hub on the memory network, then over
 * `dialoghub serve` run in process, whose log must name the token file and
 * never the token.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryNetwork, type MemoryNetwork } from '@dialoghub/adapter-memory';
import { startAdmin, type RunningAdmin } from '@dialoghub/admin';
import { clientId, profileId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, seededEntropy } from '@dialoghub/runtime';
import { memoryIo, runCli } from '../src/index.js';
import { parseServe, runServe } from '../src/commands/serve.js';
import { parseAdmin } from '../src/commands/admin.js';

const TOKEN = 'cli-test-token-0123456789';

async function admin(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo(env);
  const code = await runCli(['admin', ...argv], io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('dialoghub admin against a console', () => {
  let dir: string;
  let hub: Hub;
  let console_: RunningAdmin;
  const env = { DIALOGHUB_ADMIN_TOKEN: TOKEN };
  let url: string;
  let net: MemoryNetwork;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dialoghub-cli-admin-'));
    net = createMemoryNetwork();
    hub = await Hub.open({ transport: net.transport, store: new MemoryStore(), clock: new ManualClock(1_700_000_000_000), entropy: seededEntropy(5) });
    console_ = await startAdmin({ hub, token: TOKEN, port: 0, heartbeatMs: 0 });
    url = console_.url;
    await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'shop' });
    for (const id of [11, 12]) {
      const link = net.connect();
      link.send({ kind: 'request', request: { kind: 'register', requestId: 1, clientId: clientId(id), profileId: profileId(1), contact: { name: `Client ${id}`, phone: '', email: `c${id}@example.org` }, environment: { os: 'linux' } } });
      await net.idle();
      await hub.drain();
      await net.idle();
    }
  });

  afterAll(async () => {
    await console_.close();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads stats, profiles, clients and one client', async () => {
    const stats = await admin(env, 'stats', '--url', url, '--json');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.out)).toMatchObject({ kind: 'stats', stats: { profiles: 1, clients: { total: 2, enabled: 1, disabled: 1 }, online: 1 } });
    const text = await admin(env, 'stats', '--url', url);
    expect(text.out).toMatch(/clients\s+2\n/);
    const profiles = await admin(env, 'profiles', '--url', url);
    expect(profiles.out).toMatch(/1\s+shop\s+auto\s+\(hub: replaceOld\)\s+2\s+1\s+12/);
    const clients = await admin(env, 'clients', '--url', url, '--status', 'enabled');
    expect(clients.code).toBe(0);
    expect(clients.out).toContain('Client 12');
    expect(clients.out).not.toContain('Client 11');
    expect(clients.out).toContain('1-1 of 1');
    const search = await admin(env, 'clients', '--url', url, '--search', 'c11@', '--json');
    expect(JSON.parse(search.out).page.items.map((c: { id: number }) => c.id)).toEqual([11]);
    const one = await admin(env, 'client', '12', '--url', url);
    expect(one.out).toMatch(/status\s+enabled/);
    expect(one.out).toMatch(/environment\s+os=linux/);
    const metrics = await admin(env, 'metrics', '--url', url);
    expect(metrics.out).toContain('dialoghub_clients_registered{status="enabled",profile="1"} 1');
  });

  it('acts, and a refusal exits 1 with the core reason', async () => {
    expect(await admin(env, 'status', '12', 'banned', '--url', url)).toEqual({ code: 0, out: 'client 12 is now banned\n', err: '' });
    expect(hub.state.clients.get(12)?.status).toBe('banned');
    expect(await admin(env, 'delete', '12', '--url', url)).toEqual({ code: 1, out: 'refused (notReset): client 12 is banned; only a reset client can be deleted\n', err: '' });
    expect((await admin(env, 'kick', '12', '--url', url)).out).toContain('refused (notOnline)');
    expect((await admin(env, 'profile-create', '2', 'office', '--mode', 'manual', '--policy', 'ignoreNew', '--url', url)).code).toBe(0);
    expect(hub.state.profiles.get(2)).toMatchObject({ name: 'office', mode: 'manual', policy: 'ignoreNew' });
    expect((await admin(env, 'profile-rename', '2', 'back office', '--url', url)).code).toBe(0);
    expect((await admin(env, 'profile-mode', '2', 'auto', '--url', url)).code).toBe(0);
    expect((await admin(env, 'profile-policy', '2', 'default', '--url', url)).code).toBe(0);
    expect(hub.state.profiles.get(2)).toMatchObject({ name: 'back office', mode: 'auto', policy: null });
    expect((await admin(env, 'profile-remove', '1', '--url', url)).out).toContain('refused (profileNotEmpty)');
    expect((await admin(env, 'profile-remove', '2', '--url', url, '--json')).out).toContain('"kind":"done"');
    const missing = await admin(env, 'client', '99', '--url', url);
    expect(missing).toMatchObject({ code: 1, out: 'refused (unknownClient): client 99 does not exist\n' });
  });

  it('kicks an online client, resets it and deletes it', async () => {
    expect((await admin(env, 'profile-create', '3', 'kiosk', '--url', url)).code).toBe(0);
    const link = net.connect();
    link.send({ kind: 'request', request: { kind: 'register', requestId: 1, clientId: clientId(31), profileId: profileId(3), contact: { name: 'Kiosk', phone: '', email: '' }, environment: { os: 'linux' } } });
    await net.idle();
    await hub.drain();
    await net.idle();
    expect(hub.state.online.has(31)).toBe(true);
    const kick = await admin(env, 'kick', '31', '--url', url, '--json');
    expect(kick.code).toBe(0);
    expect(JSON.parse(kick.out)).toMatchObject({ kind: 'done', action: 'kick', result: { ok: true, journalSeq: hub.journalSeq } });
    await net.idle();
    expect(link.ended).toMatchObject({ by: 'hub', reason: 'kicked' });
    expect(hub.state.clients.get(31)?.status).toBe('enabled');
    expect((await admin(env, 'status', '31', 'reset', '--url', url)).code).toBe(0);
    expect(await admin(env, 'delete', '31', '--url', url)).toMatchObject({ code: 0, err: '' });
    expect(hub.state.clients.has(31)).toBe(false);
    expect((await admin(env, 'profile-remove', '3', '--url', url)).code).toBe(0);
    expect(hub.state.profiles.has(3)).toBe(false);
  });

  it('takes the token from --token, the environment or --data-dir; a wrong or missing one exits 2', async () => {
    expect((await admin({}, 'stats', '--url', url, '--token', TOKEN)).code).toBe(0);
    const noToken = await admin({}, 'stats', '--url', url);
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/no admin token: pass --data-dir/);
    const wrong = await admin({ DIALOGHUB_ADMIN_TOKEN: 'wrong-token-0123456789' }, 'stats', '--url', url);
    expect(wrong).toEqual({ code: 2, out: '', err: `dialoghub: ${url}: the console refused the admin token\n` });
    const noFile = await admin({}, 'stats', '--url', url, '--data-dir', dir);
    expect(noFile.code).toBe(2);
    expect(noFile.err).toMatch(/admin-token: no such file/);
  });

  it('checks its arguments before any request', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing required argument 'action'/],
      [['ban', '1'], /unknown action 'ban'/],
      [['status', '1'], /status takes <clientId> <enabled\|disabled\|banned\|reset>, got 1 argument/],
      [['status', '0', 'banned'], /clientId must be between 1 and 4294967295/],
      [['status', '1', 'gone'], /unknown status 'gone'/],
      [['profile-mode', '1', 'sometimes'], /unknown mode 'sometimes'/],
      [['profile-policy', '1', 'newestWins'], /unknown policy 'newestWins'/],
      [['kick', '1', '--status', 'banned'], /--status is an option of 'clients' only/],
      [['clients', '--online', '--offline'], /exclude each other/],
      [['stats', '--url', 'ftp://x'], /is not an http\(s\) URL/],
    ];
    for (const [argv, message] of cases) {
      const r = await admin(env, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(parseAdmin(['profile-policy', '3', 'seniority'], {}).action).toEqual({ kind: 'profile-policy', id: 3, policy: 'seniority' });
  });

  it('an unreachable console exits 2', async () => {
    const r = await admin(env, 'stats', '--url', 'http://127.0.0.1:9/');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot reach the console at http:\/\/127\.0\.0\.1:9\//);
  });
});

describe('dialoghub serve starts the console', () => {
  it('logs its URL and the token file (never the token), and dialoghub admin drives it with --data-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dialoghub-serve-admin-'));
    const data = join(dir, 'data');
    const io = memoryIo({});
    let stop: (reason: string) => void = () => undefined;
    const until = new Promise<string>((resolve) => (stop = resolve));
    const lines: Record<string, unknown>[] = [];
    const waiting = new Set<() => void>();
    const capture = { ...io, writeOut: (text: string) => {
      for (const l of text.split('\n').filter((x) => x !== '')) lines.push(JSON.parse(l) as Record<string, unknown>);
      for (const w of [...waiting]) w();
    } };
    const run = runServe({ ...parseServe({ port: '0', adminPort: '0', data, profile: ['1:shop'] }), until, stdoutIsTty: false, logFormat: 'json' }, { io: capture });
    const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = (): void => {
        const found = lines.find((l) => l['event'] === 'listening');
        if (found !== undefined) resolve(lines.find((l) => l['event'] === 'console')!);
      };
      waiting.add(check);
      void run.catch(reject);
    });
    try {
      expect(line['tokenFile']).toBe(join(data, 'admin-token'));
      expect(line['tokenSource']).toBe('created');
      const url = String(line['url']);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const token = (await readFile(join(data, 'admin-token'), 'utf8')).trim();
      expect((await stat(join(data, 'admin-token'))).mode & 0o777).toBe(0o600);
      expect(JSON.stringify(lines)).not.toContain(token);
      const r = await admin({}, 'profiles', '--url', url, '--data-dir', data, '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).profiles).toEqual([expect.objectContaining({ id: 1, name: 'shop' })]);
      expect((await admin({}, 'profile-create', '2', 'office', '--url', url, '--data-dir', data)).code).toBe(0);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>dialoghub console</title>');
      expect((await fetch(new URL('/metrics', url))).status).toBe(401);
      const metrics = await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${token}` } });
      expect(await metrics.text()).toContain('dialoghub_process_');
    } finally {
      stop('test');
      await run;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the token from DIALOGHUB_ADMIN_TOKEN when set, and writes no token file then', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dialoghub-serve-admin-env-'));
    const data = join(dir, 'data');
    const lines: Record<string, unknown>[] = [];
    let seen: () => void = () => undefined;
    const io = memoryIo({ DIALOGHUB_ADMIN_TOKEN: TOKEN });
    const capture = { ...io, writeOut: (text: string) => {
      for (const l of text.split('\n').filter((x) => x !== '')) lines.push(JSON.parse(l) as Record<string, unknown>);
      seen();
    } };
    let stop: (reason: string) => void = () => undefined;
    const until = new Promise<string>((resolve) => (stop = resolve));
    const run = runServe({ ...parseServe({ port: '0', adminPort: '0', data }), until, stdoutIsTty: false, logFormat: 'json' }, { io: capture });
    try {
      const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
        seen = () => {
          if (lines.some((l) => l['event'] === 'listening')) resolve(lines.find((l) => l['event'] === 'console')!);
        };
        void run.catch(reject);
      });
      expect(line).toMatchObject({ tokenSource: 'env', tokenFile: null });
      expect(existsSync(join(data, 'admin-token'))).toBe(false);
      expect(JSON.stringify(lines)).not.toContain(TOKEN);
      const url = String(line['url']);
      expect((await admin({ DIALOGHUB_ADMIN_TOKEN: TOKEN }, 'stats', '--url', url)).code).toBe(0);
      expect((await fetch(new URL('/api/stats', url), { headers: { authorization: 'Bearer not-the-env-token-000' } })).status).toBe(401);
    } finally {
      stop('test');
      await run;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--no-admin starts none; a busy console port fails the start and releases the data directory', async () => {
    expect(parseServe({ admin: false }).admin).toBe(null);
    expect(parseServe({}).admin).toEqual({ host: '127.0.0.1', port: 7401 });
    expect(parseServe({ adminHost: '0.0.0.0', adminPort: '0' }).admin).toEqual({ host: '0.0.0.0', port: 0 });
    expect(() => parseServe({ adminPort: '70000' })).toThrow(/--admin-port must be between 0 and 65535/);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), 'dialoghub-serve-admin-busy-'));
    try {
      const io = memoryIo({});
      const code = await runCli(['serve', '--port', '0', '--admin-port', String(port), '--data', join(dir, 'data'), '--log-level', 'silent'], io);
      expect(code).toBe(2);
      expect(io.err.join('')).toBe(`dialoghub: cannot start the console on 127.0.0.1:${port}: address already in use\n`);
      expect(existsSync(join(dir, 'data', 'LOCK'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
