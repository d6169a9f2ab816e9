/**
 * Theory of operation: the child process of the `tcp` suite — one server,
 * driven by the parent over the IPC channel (bench/tcp/child.ts forks it with
 * `--expose-gc`, the source condition and tsx).
 *
 * - `dialoghub`: a real `Hub` (`Hub.open`) on a `TcpTransport` bound to
 *   127.0.0.1, `MemoryStore` or — `durable` — a `JournalStore` in a fresh temp
 *   dir; the application handles `bench.msg` with a counter (`hub.handle`).
 *   The transport's connection caps are lifted (see suite.ts) so the figures
 *   are the hub's, not the cap's.
 * - `aedes`: `Aedes.createBroker()` on `net.createServer(broker.handle)`; the
 *   `publish` event counts client publishes (the broker's application hook).
 * - `raw`: a bare node:net server: on accept it writes one frame of
 *   `helloBytes` (the size of a login answer), and echoes every
 *   length-prefixed frame it receives, corked per chunk.
 *
 * Every server socket has TCP_NODELAY, as dialoghub's always does.
 */
import { Aedes } from 'aedes';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import inspector from 'node:inspector';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileId } from '@dialoghub/core';
import { Hub, JournalStore, MemoryStore, type HubStore } from '@dialoghub/runtime';
import { TcpTransport } from '@dialoghub/adapter-tcp';
import { APP_TYPE, HUB_CONFIG, type Command, type HeapReading, type Reply, type ServerSpec, type Stats } from './shared.js';

interface Running {
  readonly port: number;
  profiles(count: number): Promise<void>;
  handled(): number;
  connections(): number;
  stop(): Promise<void>;
}

let running: Running | null = null;

/**
 * Diagnostics (`DH_BENCH_TCP_COUNT_IO=1`, off by default: it costs a call per
 * write): socket writes handed to libuv (`_write` / `_writev`, one system call
 * each when the socket is writable) and chunks read (`push`), all sockets.
 */
const io = { writes: 0, reads: 0 };
/** dialoghub: inputs stepped and store appends (group commits), always counted (a call per step). */
const counts = { steps: 0, appends: 0 };
if (process.env.DH_BENCH_TCP_COUNT_IO === '1') {
  const proto = Socket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, key] of [
    ['_write', 'writes'],
    ['_writev', 'writes'],
    ['push', 'reads'],
  ] as const) {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      if (name !== 'push' || args[0] !== null) io[key]++;
      return original.apply(this, args);
    };
  }
}

async function startDialoghub(durable: boolean): Promise<Running> {
  const dir = durable ? await mkdtemp(join(tmpdir(), 'dh-bench-tcp-')) : null;
  const inner: HubStore = dir === null ? new MemoryStore() : await JournalStore.open({ dir });
  // Counts the driver's group commits (one `append` per batch of stepped inputs).
  const store: HubStore = {
    recover: () => inner.recover(),
    append: (records) => {
      counts.appends++;
      return inner.append(records);
    },
    snapshot: (bytes, seq) => inner.snapshot(bytes, seq),
    close: () => inner.close(),
  };
  const transport = new TcpTransport({ host: '127.0.0.1', port: 0, maxConnections: 50_000, maxNewConnectionsPerSecond: Infinity });
  let handled = 0;
  const hub = await Hub.open({
    transport,
    store,
    config: HUB_CONFIG,
    onStep: () => void counts.steps++,
    setup: (h) =>
      h.handle(APP_TYPE, () => {
        handled++;
      }),
  });
  return {
    port: transport.address().port,
    async profiles(count) {
      for (let from = 1; from <= count; from += 1000) {
        const batch: Promise<unknown>[] = [];
        for (let p = from; p < Math.min(count + 1, from + 1000); p++) {
          batch.push(
            hub.operate({ type: 'profileCreated', profileId: profileId(p), name: `p${p}` }).then((o) => {
              if (!o.ok) throw new Error(`profile ${p}: ${o.reason}: ${o.message}`);
            }),
          );
        }
        await Promise.all(batch);
      }
    },
    handled: () => handled,
    connections: () => transport.connections,
    async stop() {
      await hub.close();
      if (dir !== null) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startAedes(): Promise<Running> {
  const broker = await Aedes.createBroker();
  let handled = 0;
  broker.on('publish', (_packet, client) => {
    if (client !== null) handled++;
  });
  const server = createServer({ noDelay: true }, broker.handle);
  const port = await listen(server);
  return {
    port,
    profiles: async () => undefined,
    handled: () => handled,
    connections: () => broker.connectedClients,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startRaw(helloBytes: number): Promise<Running> {
  const sockets = new Set<Socket>();
  let handled = 0;
  const hello = Buffer.alloc(helloBytes);
  hello.writeUInt32BE(helloBytes - 4, 0);
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(hello);
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      socket.cork();
      while (buf.length - at >= 4) {
        const end = at + 4 + buf.readUInt32BE(at);
        if (end > buf.length) break;
        socket.write(buf.subarray(at, end));
        handled++;
        at = end;
      }
      socket.uncork();
      buf = buf.subarray(at);
      pending = buf.length === 0 ? null : Buffer.from(buf);
    });
  });
  const port = await listen(server);
  return {
    port,
    profiles: async () => undefined,
    handled: () => handled,
    connections: () => sockets.size,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function start(spec: ServerSpec): Promise<Running> {
  switch (spec.system) {
    case 'dialoghub':
      return startDialoghub(spec.durable === true);
    case 'aedes':
      return startAedes();
    case 'raw':
      return startRaw(spec.helloBytes ?? 16);
  }
}

function heap(): HeapReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the tcp suite child needs --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
}

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'start':
      if (running !== null) throw new Error('already started');
      running = await start(c.spec);
      return { port: running.port };
    case 'profiles':
      await need().profiles(c.count);
      return null;
    case 'stats': {
      const u = process.cpuUsage();
      return { cpuMicros: u.user + u.system, sysMicros: u.system, handled: running?.handled() ?? 0, writes: io.writes, reads: io.reads, steps: counts.steps, appends: counts.appends } satisfies Stats;
    }
    case 'heap':
      return heap();
    case 'connections':
      return need().connections();
    case 'stop':
      if (running !== null) await running.stop();
      running = null;
      return null;
    case 'profileStart':
      profiler ??= new inspector.Session();
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: c.intervalUs });
      await post('Profiler.start');
      return null;
    case 'profileStop': {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      profiler?.disconnect();
      await writeFile(c.file, JSON.stringify(profile));
      return null;
    }
  }
}

let profiler: inspector.Session | null = null;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => profiler!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
}

function need(): Running {
  if (running === null) throw new Error('not started');
  return running;
}

process.on('message', (c: Command) => {
  void handle(c).then(
    (value) => send({ id: c.id, ok: true, value: value ?? null }),
    (error: unknown) => send({ id: c.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

function send(reply: Reply): void {
  process.send?.(reply);
}

// The parent disconnects once it is done with this server (after `stop`, or on its own exit).
process.on('disconnect', () => process.exit(0));
