/**
 * `dialoghub serve`: as a child process of the source entry (the life of a
 * hub over TCP: registration, SIGTERM, restart from its data directory,
 * SIGKILL mid-dialog, TLS), in process (its log lines, its failures), and
 * its small helpers.
 *
 * Helpers first: `dialoghub serve` as a child process of the
 * source entry whose JSON log lines can be awaited, and a client engine over
 * TCP whose events can be awaited. Nothing sleeps: every wait is for a line
 * or an event, bounded by a deadline that only turns a hang into a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, type TlsClientOptions } from '@dialoghub/adapter-tcp';
import { connect, memoryCredentials, type ClientEmitted, type DialogClient } from '@dialoghub/client';
import { clientId, type ClientId, type LinkId, type Policy, type ProfileId } from '@dialoghub/core';
import { JournalStore, type HubStore } from '@dialoghub/runtime';
import { replayFile } from '@dialoghub/sim';
import { runInspect } from '../src/index.js';
import { parseServe, runServe } from '../src/commands/serve.js';
import { eventLine } from '../src/serve/event-lines.js';
import { profileSpec } from '../src/serve/profile-spec.js';
import { semiSpaceMiB } from '../src/serve/young-generation.js';
import { capturedLog, cli, lines, MAIN, pendingWaits, REPO, Waiter, type LogLine } from './helpers.js';
import { EXIT, StoreFailedError } from '../src/errors.js';




export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `dialoghub serve`. */
export class ServeProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly waiter = new Waiter();

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, event: 'notJson' };
      }
      this.lines.push(line);
      this.waiter.poke();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    this.exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(...args: string[]): ServeProcess {
    const child = spawn(process.execPath, ['--conditions=@dialoghub/source', '--import', 'tsx', MAIN, 'serve', '--admin-port', '0', ...args], {
      cwd: REPO,
      env: { ...process.env, DIALOGHUB_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServeProcess(child);
  }

  /** The first log line (from index `from`) that `match` accepts. */
  line(match: (l: LogLine) => boolean, what: string, from = 0): Promise<LogLine> {
    return this.waiter.until(() => this.lines.slice(from).find(match), `${what}; stderr: ${this.stderr.join('')}`);
  }

  /** The port of the `listening on` line. */
  async port(): Promise<number> {
    const l = await this.line((x) => x.event === 'listening', 'the listening line');
    expect(l.msg).toMatch(/^listening on 127\.0\.0\.1:\d+$/);
    return l['port'] as number;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** A client engine over TCP to a port that may change between hub runs. */
export class TestClient {
  readonly events: ClientEmitted[] = [];
  readonly waiter = new Waiter();
  port: number;
  client!: DialogClient;

  private constructor(port: number) {
    this.port = port;
  }

  static async register(port: number, clientId: number, profileId: number, tls?: TlsClientOptions): Promise<TestClient> {
    const t = new TestClient(port);
    const creds = memoryCredentials({ register: { profileId, clientId, contact: { name: 'till', phone: '', email: 'till@example.org' } } });
    t.client = await connect({
      transport: { connect: () => connectTcp({ host: '127.0.0.1', port: t.port, connectTimeoutMs: 2_000, ...(tls !== undefined ? { tls } : {}) }) },
      getCredentials: creds.getCredentials,
      onRegistered: creds.onRegistered,
      backoffBaseMs: 20,
      backoffCapMs: 200,
    });
    for (const type of ['online', 'offline', 'stopped', 'relogon', 'message', 'attemptFailed'] as const) {
      t.client.on(type, (e) => {
        t.events.push(e);
        t.waiter.poke();
      });
    }
    return t;
  }

  /** The first event (from index `from`) that `match` accepts. */
  event<T extends ClientEmitted>(match: (e: ClientEmitted) => e is T, what: string, from = 0): Promise<T> {
    return this.waiter.until(() => this.events.slice(from).find(match), what);
  }

  /** Application messages received, as `replyTo` values (an echo answers the client message with that seq). */
  echoes(): number[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.replyTo] : []));
  }

  untilEchoes(replyTos: readonly number[], what: string): Promise<true> {
    return this.waiter.until(() => (replyTos.every((r) => this.echoes().includes(r)) ? true : undefined), what);
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---- the tests ---------------------------------------------------------------

let dir: string;
const running: ServeProcess[] = [];
const clients: TestClient[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-serve-'));
});
afterAll(async () => {
  for (const c of clients) await c.client.close();
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function serve(...args: string[]): ServeProcess {
  const p = ServeProcess.start(...args);
  running.push(p);
  return p;
}

const isOnline = (relogon: boolean) => (e: ClientEmitted): e is Extract<ClientEmitted, { type: 'online' }> => e.type === 'online' && e.relogon === relogon;
const isOffline = (e: ClientEmitted): e is Extract<ClientEmitted, { type: 'offline' }> => e.type === 'offline';

describe('dialoghub serve as a process', () => {
  it('registers a client, stops on SIGTERM telling it shutdown, restarts from its data with nothing lost, survives SIGKILL mid-dialog', async ({ onTestFailed }) => {
    // If it ever runs out of time (seen twice on a heavily loaded machine), it says what it was still waiting for.
    onTestFailed(() => console.error(`still waiting for: ${JSON.stringify(pendingWaits())}`));
    const data = join(dir, 'data');

    // 1. First run: a client registers and exchanges a message.
    const first = serve('--port', '0', '--data', data, '--profile', '1:shop', '--profile', '2:office:ignoreNew', '--echo');
    const port = await first.port();
    await first.line((l) => l.event === 'profile' && l['profileId'] === 2 && l['policy'] === 'ignoreNew', 'profile 2 created');
    const t = await TestClient.register(port, 77, 1);
    clients.push(t);
    expect(t.client.clientId).toBe(77);
    await first.line((l) => l.event === 'registered' && l['clientId'] === 77 && l.msg === 'client 77 registered in profile 1', 'the registered line');
    await first.line((l) => l.event === 'online' && l['clientId'] === 77 && l['via'] === 'register', 'the online line');
    await t.client.send('chat', bytes('hello'));
    await t.untilEchoes([1], 'the echo of message 1');

    // 2. SIGTERM: the client is told `shutdown` (and will reconnect), the process exits 0.
    const offlineFrom = t.events.length;
    first.kill('SIGTERM');
    const offline = await t.event(isOffline, 'the client going offline', offlineFrom);
    expect(offline.cause).toBe('shutdown');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    await first.line((l) => l.event === 'stopping' && l['reason'] === 'SIGTERM' && l['online'] === 1, 'the stopping line');
    await first.line((l) => l.event === 'stopped', 'the stopped line');
    expect(first.stderr.join('')).toBe('');
    expect(first.lines.every((l) => l.event !== 'notJson')).toBe(true);

    // 3. Restart on the same directory and port: the engine logs in again with its secret; counters continue.
    const second = serve('--port', String(port), '--data', data, '--profile', '1:shop', '--echo');
    expect(await second.port()).toBe(port);
    await second.line((l) => l.event === 'offline' && l['clientId'] === 77 && l['cause'] === 'hubRestarted', 'the session of the previous run ended');
    const back = await t.event(isOnline(true), 'the client back online');
    expect(back.clientId).toBe(77);
    await second.line((l) => l.event === 'online' && l['clientId'] === 77 && l['via'] === 'start', 'the re-login line');
    expect(second.lines.some((l) => l.event === 'registered' || l.event === 'profile')).toBe(false);
    await t.client.send('chat', bytes('again'));
    await t.untilEchoes([2], 'the echo of message 2 (the hub kept its counters)');
    const echo2 = t.events.find((e): e is Extract<ClientEmitted, { type: 'message' }> => e.type === 'message' && e.replyTo === 2)!;
    expect(echo2.seq).toBe(2);

    // 4. SIGKILL while 40 messages are in flight; a restart loses nothing the hub acknowledged.
    const burst = Array.from({ length: 40 }, (_, i) => t.client.send('chat', bytes(`burst ${i}`)));
    await t.waiter.until(() => (t.echoes().filter((r) => r > 2).length >= 10 ? true : undefined), 'ten echoes of the burst');
    second.kill('SIGKILL');
    expect(await second.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const third = serve('--port', String(port), '--data', data, '--echo');
    await third.port();
    await Promise.all(burst);
    const all = Array.from({ length: 42 }, (_, i) => i + 1);
    await t.untilEchoes(all, 'an echo of every message');

    await t.client.close();
    await third.line((l) => l.event === 'offline' && l['clientId'] === 77 && l['reason'] === 'closedByClient', 'the client closing');
    third.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });

    const summary = await runInspect({ dir: data });
    expect(summary.invariants).toEqual([]);
    expect(summary.lock).toBeNull();
    const row = summary.clients.find((c) => c.id === 77)!;
    expect(row).toMatchObject({ profileId: 1, status: 'enabled', online: false });
    // 42 application messages and the engine's close (keep-alives would come on top, all sequenced).
    expect(row.inSeq).toBeGreaterThanOrEqual(43);
    expect(row.messagesIn).toBe(row.inSeq);
    expect(summary.profiles.map((p) => [p.id, p.name, p.policy])).toEqual([
      [1, 'shop', null],
      [2, 'office', 'ignoreNew'],
    ]);
  }, 180_000); // three server processes and a burst: a generous bound on a loaded machine (no timing is asserted)

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('serves TLS with --tls-key and --tls-cert', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const p = serve('--port', '0', '--data', join(dir, 'tls-data'), '--tls-key', key, '--tls-cert', cert, '--profile', '5:tls');
    const listening = await p.line((l) => l.event === 'listening', 'the listening line');
    const port = listening['port'] as number;
    expect(listening).toMatchObject({ msg: `listening on 127.0.0.1:${port} (TLS)`, tls: true });
    const t = await TestClient.register(port, 91, 5, { ca: readFileSync(cert, 'utf8') });
    clients.push(t);
    await t.client.send('chat', bytes('over TLS'));
    await p.line((l) => l.event === 'registered' && l['clientId'] === 91, 'the registered line');
    const from = t.events.length;
    p.kill('SIGTERM');
    expect((await t.event(isOffline, 'shutdown over TLS', from)).cause).toBe('shutdown');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });
});

describe('dialoghub serve: options and failures (exit 2, one line)', () => {
  it.each([
    ['a port out of range', ['--port', '70000'], /--port must be between 0 and 65535/],
    ['a key without a certificate', ['--tls-key', 'k.pem'], /--tls-key and --tls-cert go together/],
    ['a malformed profile', ['--profile', 'shop'], /malformed --profile 'shop'/],
    ['a profile id twice', ['--profile', '1:a', '--profile', '1:b'], /--profile 1 is given twice/],
    ['an unknown policy', ['--policy', 'newestWins'], /unknown --policy 'newestWins'/],
    ['a bad application type', ['--app-types', 'chat,9lives'], /--app-types: application message type "9lives"/],
    ['an unknown log level', ['--log-level', 'loud'], /unknown --log-level 'loud'/],
    ['a missing TLS file', ['--tls-key', '/nonexistent/k.pem', '--tls-cert', '/nonexistent/c.pem', '--port', '0'], /\/nonexistent\/k\.pem: no such file or directory/],
  ])('%s', async (_what, argv, message) => {
    const r = await cli('serve', '--data', join(dir, 'never'), ...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('a port in use: exit 2, and the data directory is released again', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const data = join(dir, 'busy-port');
    try {
      const r = await cli('serve', '--port', String(port), '--admin-port', '0', '--data', data, '--log-level', 'silent');
      expect(r.code).toBe(2);
      expect(r.err).toBe(`dialoghub: cannot listen on 127.0.0.1:${port}: address already in use\n`);
      expect(existsSync(join(data, 'LOCK'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a data directory another hub holds: exit 2', async () => {
    const data = join(dir, 'held');
    const store = await JournalStore.open({ dir: data });
    try {
      const r = await cli('serve', '--port', '0', '--admin-port', '0', '--data', data, '--log-level', 'silent');
      expect(r.code).toBe(2);
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toMatch(/already open in this process/);
    } finally {
      await store.close();
    }
  });

  it('in process: JSON lines, one per event, a clean stop when `until` resolves, and --trace', async () => {
    const { io, logged, waiter } = capturedLog();
    let stop: (reason: string) => void = () => undefined;
    const until = new Promise<string>((resolve) => (stop = resolve));
    const options = { ...parseServe({ port: '0', adminPort: '0', data: join(dir, 'in-process'), profile: ['3:desk:seniority'], trace: join(dir, 'in-process.dht') }), until, stdoutIsTty: false };
    const run = runServe(options, { io });
    const listening = await waiter.until(() => logged.find((l) => l.event === 'listening'), 'the listening line');
    const port = listening['port'] as number;
    const t = await TestClient.register(port, 501, 3);
    await t.client.close();
    await waiter.until(() => logged.find((l) => l.event === 'offline'), 'the offline line');
    stop('test');
    const result = await run;
    expect(result).toMatchObject({ reason: 'test', port, profiles: 1, clients: 1, online: 0 });
    // The lines of serve itself (the core's and the adapter's own logs carry `src`).
    expect(logged.filter((l) => l['src'] === undefined).map((l) => l.msg)).toEqual([
      'profile 3 created (mode auto, policy seniority)',
      `console at ${String(logged.find((l) => l.event === 'console')?.['url'])} (admin token in ${join(dir, 'in-process', 'admin-token')}, just created)`,
      `listening on 127.0.0.1:${port}`,
      'client 501 registered in profile 3',
      'client 501 online (register, link 1)',
      'client 501 offline: closedByClient',
      'stopping (test): telling 0 connected client(s) shutdown',
      `stopped: journal at seq ${result.journalSeq} and snapshotted, ${options.dataDir} unlocked`,
    ]);
    expect(logged.every((l) => typeof l['level'] === 'number' && typeof l['time'] === 'string' && l['pid'] === process.pid)).toBe(true);
    // --trace: every step with its commands, replayable through the core.
    const replay = await replayFile(join(dir, 'in-process.dht'));
    expect(replay).toMatchObject({ inputs: result.inputs, compared: result.inputs, divergences: 0, invariantViolations: [] });
  });
});

describe('serve: a store failure', () => {
  it('stops the hub without a snapshot, releases the data directory and ends runServe with StoreFailedError (exit code 4)', async () => {
    const { io, logged, waiter } = capturedLog();
    let failing = false;
    const data = join(dir, 'store-fails');
    const options = {
      ...parseServe({ port: '0', noAdmin: true, admin: false, data }),
      until: new Promise<string>(() => undefined),
      stdoutIsTty: false,
      wrapStore: (journal: HubStore): HubStore => ({
        recover: () => journal.recover(),
        append: (records) => (failing ? Promise.reject(new Error('no space left on device (simulated)')) : journal.append(records)),
        snapshot: (bytes, seq) => journal.snapshot(bytes, seq),
        close: () => journal.close(),
      }),
    };
    const run = runServe(options, { io });
    const outcome = run.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const listening = await waiter.until(() => logged.find((l) => l.event === 'listening'), 'the listening line');
    failing = true;
    // A request is an input: its commit fails, so it is never answered.
    const link = await connectTcp({ host: '127.0.0.1', port: listening['port'] as number });
    void link.send({ kind: 'request', request: { kind: 'profiles', requestId: 1, clientId: clientId(900) } }).catch(() => undefined);
    const error = await outcome;
    expect(error).toBeInstanceOf(StoreFailedError);
    expect((error as Error).message).toMatch(/store failed \(no space left on device \(simulated\)\); restart to recover from the journal/);
    expect(EXIT.storeFailed).toBe(4);
    const fatal = logged.find((l) => l.event === 'storeFailed' && l['src'] === undefined);
    expect(fatal?.['level']).toBe(60);
    expect(logged.at(-1)?.msg).toMatch(/^stopped on a store failure: journal at seq \d+, no snapshot, .* unlocked$/);
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
    link.close();
  });
});

describe('serve helpers', () => {
  it('profile specs: ID:NAME[:policy], names with colons', () => {
    expect(profileSpec('7:shop')).toEqual({ id: 7, name: 'shop', policy: null });
    expect(profileSpec('7:shop:ignoreNew')).toEqual({ id: 7, name: 'shop', policy: 'ignoreNew' });
    expect(profileSpec('7:a:b')).toEqual({ id: 7, name: 'a:b', policy: null });
    expect(() => profileSpec('0:x')).toThrow(/--profile id must be between 1 and 4294967295/);
    expect(() => profileSpec('7:')).toThrow(/empty name/);
  });

  it('takeover lines say who lost, to whom, why, under which policy', () => {
    const policyOf = (): Policy => 'seniority';
    const line = eventLine({ type: 'takeover', profileId: 2 as ProfileId, conflict: 'otherClient', winner: 11 as ClientId, loser: 12 as ClientId, reason: 'banned' }, { policyOf });
    expect(line.msg).toBe('client 12 banned: the older registration 11 won profile 2 (policy seniority)');
    expect(line.fields).toEqual({ event: 'takeover', conflict: 'otherClient', profileId: 2, winner: 11, loser: 12, reason: 'banned', policy: 'seniority' });
    const pushed = eventLine({ type: 'takeover', profileId: 2 as ProfileId, conflict: 'sameClient', winner: 11 as ClientId, loser: 11 as ClientId, reason: 'pushedOut' }, { policyOf: () => 'replaceOld' });
    expect(pushed.msg).toBe('client 11 pushed out by its own new connection (pushedOut, policy replaceOld)');
    const lost = eventLine({ type: 'clientOffline', clientId: 11 as ClientId, link: 4 as LinkId, reason: 'connectionLost' }, { policyOf, cause: 'error: ECONNRESET' });
    expect(lost.msg).toBe('client 11 offline: connectionLost (error: ECONNRESET)');
  });

  it('the young generation size comes from node’s arguments or NODE_OPTIONS', () => {
    expect(semiSpaceMiB(['--max-semi-space-size=64'], '')).toBe(64);
    expect(semiSpaceMiB([], '--max_semi_space_size=32 --enable-source-maps')).toBe(32);
    expect(semiSpaceMiB(['--conditions=x'], '')).toBeNull();
  });

  const bin = join(REPO, 'packages/cli/bin/dialoghub.js');
  const built = existsSync(join(REPO, 'packages/cli/dist/main.js'));
  it.skipIf(!built)('the built bin runs node with --max-semi-space-size=64 (after npm run build)', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--admin-port', '0', '--data', join(dir, 'bin-data')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const listening = await new Promise<LogLine>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (text) => {
        out.push(text);
        const l = JSON.parse(text) as LogLine;
        if (l.event === 'listening') resolve(l);
      });
      child.on('exit', () => reject(new Error(`exited early: ${out.join('\n')}`)));
    });
    expect(listening['semiSpaceMiB']).toBe(64);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
