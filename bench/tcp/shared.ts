/**
 * Theory of operation: what the `tcp` suite's two processes agree on — the
 * benchmark's application message, the hub's config, and the messages the
 * parent (clients) and a child (one server: hub, broker or echo) exchange
 * over the IPC channel.
 *
 * Every server runs in a child process of its own, one per system, and every
 * client in the parent: on this 2-core machine each side then has a core, the
 * server's heap holds only the server (the heap figure is the child's), and
 * the placement is the same for every system (toolchain.md gives the raw
 * limits in both placements).
 */

/** The application message type the hub handles (`hub.handle`). */
export const APP_TYPE = 'bench.msg';

/** Application payload bytes per message (dialoghub app message, MQTT publish payload). */
export const PAYLOAD_BYTES = 64;

/** The hub's core config: `replaceOld` (a second login of the same client pushes the old link out). */
export const HUB_CONFIG = { policy: 'replaceOld', appMessageTypes: [APP_TYPE] } as const;

export type SystemName = 'dialoghub' | 'aedes' | 'raw';

/** What a child serves. */
export interface ServerSpec {
  readonly system: SystemName;
  /** dialoghub only: the durable `JournalStore` (in a temp dir) instead of `MemoryStore`. */
  readonly durable?: boolean;
  /** raw only: bytes of the frame the echo server sends on accept (the size of a login answer frame). */
  readonly helloBytes?: number;
}

/** Requests from the parent to a child; each gets one `Reply` with the same id. */
export type Command =
  | { readonly id: number; readonly cmd: 'start'; readonly spec: ServerSpec }
  /** dialoghub: create `count` profiles 1…count (one client per profile: one enabled client each). */
  | { readonly id: number; readonly cmd: 'profiles'; readonly count: number }
  /** CPU used so far (user + system, µs) and the application's message counter. */
  | { readonly id: number; readonly cmd: 'stats' }
  /** Full collection, then the heap. */
  | { readonly id: number; readonly cmd: 'heap' }
  /** Connections the server holds now. */
  | { readonly id: number; readonly cmd: 'connections' }
  | { readonly id: number; readonly cmd: 'stop' }
  /** Starts the V8 CPU profiler (node:inspector) in the child, sampling every `intervalUs`. */
  | { readonly id: number; readonly cmd: 'profileStart'; readonly intervalUs: number }
  /** Stops it and writes the .cpuprofile to `file`. */
  | { readonly id: number; readonly cmd: 'profileStop'; readonly file: string };

export interface Stats {
  /** process.cpuUsage() user + system, µs. */
  readonly cpuMicros: number;
  /** The system (kernel) part of `cpuMicros`, µs: socket system calls and the loopback TCP stack. */
  readonly sysMicros: number;
  /** Application messages the server's application saw (hub.handle calls; aedes client publishes; raw frames echoed). */
  readonly handled: number;
  /** Socket writes / chunks read so far (only counted with DH_BENCH_TCP_COUNT_IO=1). */
  readonly writes: number;
  readonly reads: number;
  /** dialoghub: inputs stepped by the hub, and store appends (one per group commit). */
  readonly steps: number;
  readonly appends: number;
}

export interface HeapReading {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
}

export type Reply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };
