/**
 * Drives hub-process.ts from a test: spawn, wait for it to listen, send it
 * commands and wait for their outcome, kill it with SIGKILL (and wait until
 * the process is really gone and reaped), or close it gracefully.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup, within } from './wait.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'hub-process.ts');
const ROOT = resolve(HERE, '../../..');

export type ChildLine = { event: 'listening'; port: number; pid: number } | { event: 'done'; id: number; ok: boolean; reason: string | null } | { event: 'closed' };

export type LogLine = { run: string; replays: string[] } | { run: string; clientId: number; seq: number; text: string };

export class ChildHub {
  readonly lines = new WatchList<ChildLine>();
  readonly stderr: string[] = [];
  private nextId = 0;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => this.lines.push(JSON.parse(l) as ChildLine));
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c.toString()));
    // Commands written after a kill go nowhere (EPIPE): that is the crash, not an error of the test.
    child.stdin!.on('error', () => {});
    // 'close': the process has exited and its stdout is read to the end (every line it wrote is in `lines`).
    this.exited = new Promise((res) => child.once('close', (code, signal) => res({ code, signal })));
    onCleanup(() => this.kill());
  }

  static async start(dataDir: string, deliveryLog: string, run: string): Promise<{ child: ChildHub; port: number; pid: number }> {
    const proc = spawn(process.execPath, ['--conditions=@dialoghub/source', '--import', 'tsx', SCRIPT, dataDir, deliveryLog, run], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const child = new ChildHub(proc);
    const failed = child.exited.then(({ code, signal }) => {
      throw new Error(`the hub process exited before listening (code ${code}, signal ${signal}): ${child.stderr.join('')}`);
    });
    const listening = child.lines.first((l) => l.event === 'listening') as Promise<Extract<ChildLine, { event: 'listening' }>>;
    const l = await within(Promise.race([listening, failed]), `hub process ${run} to listen`, 30_000);
    return { child, port: l.port, pid: l.pid };
  }

  /** Sends a command; returns its id (await `outcome(id)`). */
  command(op: 'profile' | 'send' | 'close', args: { clientId?: number; text?: string } = {}): number {
    const id = ++this.nextId;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin!.write(`${JSON.stringify({ op, id, ...args })}\n`);
    return id;
  }

  outcome(id: number): Promise<Extract<ChildLine, { event: 'done' }>> {
    return within(this.lines.first((l) => l.event === 'done' && l.id === id) as Promise<Extract<ChildLine, { event: 'done' }>>, `command ${id}`);
  }

  /** Ids of the commands whose outcome was ok, so far. */
  okIds(): Set<number> {
    return new Set(this.lines.items.flatMap((l) => (l.event === 'done' && l.ok ? [l.id] : [])));
  }

  /** SIGKILL, and waits until the process is gone (reaped). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A graceful `hub.close()`, then the process exits. */
  async close(): Promise<void> {
    this.command('close');
    await within(this.lines.first((l) => l.event === 'closed'), 'the hub process to close');
    expect0(await this.exited);
  }
}

function expect0(r: { code: number | null }): void {
  if (r.code !== 0) throw new Error(`the hub process exited with ${r.code}`);
}

export function readDeliveryLog(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}
