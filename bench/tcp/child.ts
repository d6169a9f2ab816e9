/**
 * Theory of operation: the parent's handle on one server child
 * (bench/tcp/server.ts): fork it, call it, stop it.
 *
 * The child runs with `--expose-gc` (its heap is the measured one), the
 * workspace's source condition and tsx, like `npm run bench`. Setting
 * `DH_BENCH_TCP_PROF=<dir>` adds `--cpu-prof --cpu-prof-dir=<dir>/<label>` to
 * the children only: each server writes its .cpuprofile files (one per
 * thread) when it exits, which is how
 * the suite's profile findings (docs/performance.md) were taken.
 *
 * Calls are request/reply over the IPC channel, matched by id. `stop` closes
 * the server, disconnects the channel (the child exits on it) and waits for
 * the exit; a child that does not exit within 10 s is killed by its pid.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, HeapReading, Reply, ServerSpec, Stats } from './shared.js';

type Call = Command extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export class ServerChild {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (w === undefined) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r.value);
      else w.reject(new Error(`${label}: ${r.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${label}: the server child exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Forks a child and starts its server; resolves with the child and the port it listens on (127.0.0.1). */
  static async start(label: string, spec: ServerSpec): Promise<{ child: ServerChild; port: number }> {
    const prof = process.env.DH_BENCH_TCP_PROF;
    const execArgv = ['--expose-gc', '--conditions=@dialoghub/source', '--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${join(prof, label)}`] : [])];
    const cp = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const child = new ServerChild(cp, label);
    const { port } = (await child.call({ cmd: 'start', spec })) as { port: number };
    return { child, port };
  }

  call(command: Call): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id } as Command);
    });
  }

  stats(): Promise<Stats> {
    return this.call({ cmd: 'stats' }) as Promise<Stats>;
  }

  heap(): Promise<HeapReading> {
    return this.call({ cmd: 'heap' }) as Promise<HeapReading>;
  }

  connections(): Promise<number> {
    return this.call({ cmd: 'connections' }) as Promise<number>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      await this.call({ cmd: 'stop' });
    } finally {
      if (this.child.connected) this.child.disconnect();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
