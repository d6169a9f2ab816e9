/**
 * Theory of operation: a promise facade for applications that do not want to
 * touch the machine. `connect(options)` builds one engine (bindTransport +
 * createActor), starts it and resolves once it is online; `send` resolves
 * when the hub acknowledged the message; `on` listens to the engine's
 * events; `resume` asks, once, to be re-enabled after the engine stopped;
 * `close` stops it. All state stays in the machine: the facade only
 * keeps the promises it handed out, keyed by the `ref` it gave each `send`.
 */
import { createActor, type Actor } from 'xstate';
import { bindTransport, type EngineBindings } from './bind-transport.js';
import { ClientStoppedError, ClientUsageError, SendRefusedError } from './errors.js';
import type { ClientMachine } from './machine.js';
import { resolveSettings, type ClientSettings } from './settings.js';
import type { ClientEmitted, ClientEmittedType } from './types.js';

/** A timer source: xstate's `Clock` (`SimulatedClock` in tests). */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Everything an engine needs: the bindings, any settings, and optionally a clock. */
export interface ClientOptions extends EngineBindings, Partial<ClientSettings> {
  /** Timers; default the real ones. Pass xstate's `SimulatedClock` to drive time in tests. */
  readonly clock?: TimerClock;
}

/** The engine as an xstate actor. */
export type ClientActor = Actor<ClientMachine>;

function settingsOf(options: ClientOptions): Partial<ClientSettings> {
  const keys: readonly (keyof ClientSettings)[] = [
    'backoffBaseMs',
    'backoffCapMs',
    'minUptimeMs',
    'heartbeatIntervalMs',
    'heartbeatTimeoutMs',
    'silenceSyncMs',
    'connectTimeoutMs',
    'loginTimeoutMs',
    'maxUnacked',
    'maxRetries',
    'maxPayloadBytes',
    'maxFrameMessages',
    'maxIdDraws',
    'environment',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k];
  return out as Partial<ClientSettings>;
}

/**
 * Builds an engine actor, not started. Start it, then send `{ type: 'start' }`;
 * listen with `actor.on('online' | 'stopped' | …)`. Throws
 * `ClientUsageError('invalidOption')` on a bad option.
 */
export function createClientActor(options: ClientOptions): ClientActor {
  const input = resolveSettings(settingsOf(options));
  const machine = bindTransport(options);
  return options.clock === undefined ? createActor(machine, { input }) : createActor(machine, { input, clock: options.clock });
}

/** An engine behind promises. */
export interface DialogClient {
  /** The client id in use (after a registration, the one the hub granted). */
  readonly clientId: number;
  /** Where the engine is: `online`, `offline` (between attempts), `stopped`. */
  readonly status: 'online' | 'offline' | 'stopped';
  /**
   * Sends an application message. Resolves when the hub acknowledged it,
   * possibly after reconnects (it is resent until then). Rejects with
   * `SendRefusedError` when it cannot be queued (`invalidMessage`,
   * `bufferFull`, `stopped`) and with `ClientStoppedError` when the engine
   * stops before the acknowledgement.
   */
  send(appType: string, payload: Uint8Array, options?: { readonly replyTo?: number }): Promise<void>;
  /** Listens to one kind of engine event; returns a function that stops listening. */
  on<K extends ClientEmittedType>(type: K, listener: (event: Extract<ClientEmitted, { type: K }>) => void): () => void;
  /**
   * Asks the hub, once, to re-enable this client — after the engine stopped
   * because it was disabled or replaced, when the user wants it back (never
   * call it in a loop: two installations would take the profile from each
   * other). Sends one `resume` request on a new link; the hub's policy
   * decides. Resolves when the engine is online again; rejects with
   * `ClientStoppedError` carrying the refusal (`profileInUse`, `seniority`,
   * `alreadyOnline`, `banned`, …) or `resumeFailed` (no answer: the
   * transport failed), and with `ClientUsageError('notStopped')` unless the
   * engine is stopped. The `resume` event reports the same outcome.
   */
  resume(): Promise<void>;
  /** Stops the engine (a `close` goes to the hub if online); pending sends reject with `ClientStoppedError('closedByUser')`. */
  close(): Promise<void>;
  /** The underlying actor, for inspection or finer control. */
  readonly actor: ClientActor;
}

/**
 * Starts an engine and resolves when it is first online. Rejects with
 * `ClientStoppedError` if it stops first (a terminal refusal, `maxRetries`).
 * It keeps retrying with backoff meanwhile; set `maxRetries` to bound that.
 */
export function connect(options: ClientOptions): Promise<DialogClient> {
  const actor = createClientActor(options);
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextRef = 1;

  const settleAll = (error: Error): void => {
    const all = [...pending.values()];
    pending.clear();
    for (const p of all) p.reject(error);
  };
  actor.on('acknowledged', (e) => {
    for (const ref of e.refs) {
      const p = pending.get(ref);
      if (p !== undefined) {
        pending.delete(ref);
        p.resolve();
      }
    }
  });
  actor.on('sendRefused', (e) => {
    const p = pending.get(e.ref);
    if (p !== undefined) {
      pending.delete(e.ref);
      p.reject(new SendRefusedError(e.reason));
    }
  });
  actor.on('stopped', (e) => settleAll(new ClientStoppedError(e.reason)));

  const client: DialogClient = {
    get clientId() {
      return actor.getSnapshot().context.clientId ?? 0;
    },
    get status() {
      const s = actor.getSnapshot();
      if (s.matches('stopped')) return 'stopped';
      if (s.matches({ attached: 'online' })) return 'online';
      return 'offline';
    },
    send(appType, payload, sendOptions) {
      const ref = nextRef++;
      return new Promise<void>((resolve, reject) => {
        pending.set(ref, { resolve, reject });
        actor.send({ type: 'send', appType, payload, replyTo: sendOptions?.replyTo ?? 0, ref });
      });
    },
    on(type, listener) {
      const sub = actor.on(type, listener as (event: ClientEmitted) => void);
      return () => sub.unsubscribe();
    },
    resume() {
      if (!actor.getSnapshot().matches('stopped')) {
        return Promise.reject(new ClientUsageError('notStopped', 'resume() is for a stopped engine: this one is running'));
      }
      return new Promise<void>((resolve, reject) => {
        const online = actor.on('online', () => {
          online.unsubscribe();
          stopped.unsubscribe();
          resolve();
        });
        const stopped = actor.on('stopped', (e) => {
          online.unsubscribe();
          stopped.unsubscribe();
          reject(new ClientStoppedError(e.reason));
        });
        actor.send({ type: 'resume' });
      });
    },
    close() {
      actor.send({ type: 'stop' });
      return Promise.resolve();
    },
    actor,
  };

  return new Promise<DialogClient>((resolve, reject) => {
    const online = actor.on('online', () => {
      online.unsubscribe();
      stopped.unsubscribe();
      resolve(client);
    });
    const stopped = actor.on('stopped', (e) => {
      online.unsubscribe();
      stopped.unsubscribe();
      actor.stop();
      reject(new ClientStoppedError(e.reason));
    });
    actor.start();
    actor.send({ type: 'start' });
  });
}
