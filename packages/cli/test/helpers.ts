/**
 * Shared test helpers: the program run in-process with captured streams, a
 * real child process of the source entry, and a data directory written by a
 * real `Hub` over a `JournalStore`.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientId, LinkId, ProfileId } from '@dialoghub/core';
import { Hub, JournalStore, ManualClock, type HubTransport, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { memoryIo, runCli, type CliIo } from '../src/index.js';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const MAIN = join(REPO, 'packages/cli/src/main.ts');

export interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** One JSON log line of `serve`. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly event?: string; readonly level?: number };

/** An in-process `CliIo` whose standard output is parsed as JSON log lines; every line pokes `waiter`. */
export function capturedLog(env: Record<string, string | undefined> = {}): { readonly io: CliIo; readonly logged: LogLine[]; readonly raw: string[]; readonly waiter: Waiter } {
  const logged: LogLine[] = [];
  const raw: string[] = [];
  const waiter = new Waiter();
  const io: CliIo = {
    ...memoryIo(env),
    writeOut: (text) => {
      raw.push(text);
      logged.push(JSON.parse(text) as LogLine);
      waiter.poke();
    },
  };
  return { io, logged, raw, waiter };
}

/** `dialoghub …argv` in this process. */
export async function cli(...argv: string[]): Promise<Ran> {
  const io = memoryIo();
  const code = await runCli(argv, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** `dialoghub …argv` as a child process of the source entry (tsx, workspace sources). */
export function cliProcess(...argv: string[]): Ran {
  const r = spawnSync(process.execPath, ['--conditions=@dialoghub/source', '--import', 'tsx', MAIN, ...argv], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DIALOGHUB_DEBUG: '' } });
  if (r.error !== undefined) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Asserts nothing about the test runner; returns the lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Every file of a directory with its bytes and mtime, to prove a command changed nothing. */
export async function fingerprint(dir: string): Promise<Record<string, { bytes: string; mtimeMs: number }>> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const s = await stat(p);
    out[name] = { bytes: (await readFile(p)).toString('base64'), mtimeMs: s.mtimeMs };
  }
  return out;
}

export class TestTransport implements HubTransport {
  sink: (e: TransportEvent) => void = () => undefined;
  readonly executed: TransportCommand[] = [];
  async start(sink: (e: TransportEvent) => void): Promise<void> {
    this.sink = sink;
  }
  async execute(c: TransportCommand): Promise<void> {
    this.executed.push(c);
  }
  async stop(): Promise<void> {}
}

export const T0 = Date.UTC(2026, 0, 1);
const SECRET = 'cli-test-secret-0123456789abcdefghij';

/**
 * A running hub on `dir`: profiles 1 `shop` and 2 `office`; client 11
 * (shop) registered and online on link 3 after sending two chat messages;
 * client 12 (office) registered, then its link lost (offline).
 */
export async function populatedHub(dir: string): Promise<{ hub: Hub; transport: TestTransport; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const transport = new TestTransport();
  const store = await JournalStore.open({ dir });
  const hub = await Hub.open({ transport, store, clock, entropy: { secret: () => SECRET }, config: { appMessageTypes: ['chat'] }, snapshotEvery: 1_000 });
  await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'shop' });
  await hub.operate({ type: 'profileCreated', profileId: 2 as ProfileId, name: 'office' });
  const contact = (name: string) => ({ name, phone: '', email: `${name}@example.org` });
  transport.sink({ type: 'requestReceived', link: 1 as LinkId, request: { kind: 'register', requestId: 1, clientId: 11 as ClientId, profileId: 1 as ProfileId, contact: contact('till'), environment: {} } });
  transport.sink({ type: 'requestReceived', link: 2 as LinkId, request: { kind: 'register', requestId: 1, clientId: 12 as ClientId, profileId: 2 as ProfileId, contact: contact('desk'), environment: {} } });
  await hub.drain();
  clock.advanceBy(1_000);
  transport.sink({ type: 'connectionClosed', link: 1 as LinkId, cause: 'test' });
  transport.sink({ type: 'connectionClosed', link: 2 as LinkId, cause: 'test' });
  transport.sink({ type: 'requestReceived', link: 3 as LinkId, request: { kind: 'login', requestId: 2, clientId: 11 as ClientId, credential: { secret: SECRET }, environment: null, lastReceived: 0 } });
  await hub.drain();
  clock.advanceBy(1_000);
  const chat = (seq: number) => ({ seq, ack: 0, body: { type: 'app' as const, appType: 'chat', payload: new Uint8Array([seq]), replyTo: 0 } });
  transport.sink({ type: 'messagesReceived', link: 3 as LinkId, messages: [chat(1), chat(2)] });
  await hub.drain();
  return { hub, transport, clock };
}

/** Every wait still pending, across all waiters: what a test that timed out was stuck on. */
const PENDING = new Map<() => void, string>();

/** The waits not satisfied yet (their `what`), oldest first — print them when a test times out. */
export function pendingWaits(): string[] {
  return [...PENDING.values()];
}

/**
 * Resolves when `check` holds, re-checked on every `poke` (the tests poke on
 * each captured log line or client event). Waits are for events only, never
 * for time: a wait that never ends is bounded by the test's own timeout.
 */
export class Waiter {
  private readonly waiting = new Set<() => void>();

  poke(): void {
    for (const w of [...this.waiting]) w();
  }

  /** `what` names the wait where it is written, and in `pendingWaits()` while it is not satisfied. */
  until<T>(check: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve) => {
      const attempt = (): void => {
        const v = check();
        if (v === undefined) return;
        this.waiting.delete(attempt);
        PENDING.delete(attempt);
        resolve(v);
      };
      this.waiting.add(attempt);
      PENDING.set(attempt, what);
      attempt();
    });
  }
}
