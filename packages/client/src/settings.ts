/**
 * Theory of operation: the engine's numbers — timings, bounds, the backoff
 * parameters — as plain data. They live in the machine's context so that the
 * named delays are pure functions of the context (the one random draw, the
 * backoff jitter, comes from the implementation `bindTransport` provides).
 *
 * `resolveSettings` fills in defaults and validates; an invalid value is local
 * misuse and throws `ClientUsageError('invalidOption')`.
 */
import type { Environment } from '@dialoghub/core';
import { ClientUsageError } from './errors.js';

export interface ClientSettings {
  /** First backoff bound: the delay before retry n is drawn from [0, min(cap, base·2^n)]. */
  readonly backoffBaseMs: number;
  /** Largest backoff bound (the cap is applied before the jitter). */
  readonly backoffCapMs: number;
  /** Time online after which the attempt counter resets to 0 (Colyseus `minUptime`). */
  readonly minUptimeMs: number;
  /** Hub silence after which the engine sends a keep-alive (`null`), and again at this interval. */
  readonly heartbeatIntervalMs: number;
  /** Hub silence after which the engine drops the link and stops (`heartbeatTimeout`, terminal). */
  readonly heartbeatTimeoutMs: number;
  /**
   * Hub silence after which the engine, online, sends a `sync` request on its
   * link (the seed's client-side cnx Sync, docs/protocol.md §7.2): the hub
   * re-admits the client and resends what it has not acknowledged. Once per
   * silence: the next one needs another `silenceSyncMs` after a hub frame.
   * null (the default): never. Less than `heartbeatTimeoutMs`. For a mailbox
   * (FTP), the seed's 24 silent polls: 720 000 with a 30 s poll.
   */
  readonly silenceSyncMs: number | null;
  /** Longest wait for the transport to open a link. */
  readonly connectTimeoutMs: number;
  /** Longest wait from an open link to the hub's answer (credentials included). */
  readonly loginTimeoutMs: number;
  /** Most unacknowledged client→hub messages kept; `send` is refused (`bufferFull`) beyond. */
  readonly maxUnacked: number;
  /** Most retries in a row before the engine gives up (`gaveUp`); null: never. */
  readonly maxRetries: number | null;
  /** Largest application payload accepted by `send`, in bytes (the hub's `limits.maxPayloadBytes`). */
  readonly maxPayloadBytes: number;
  /** Most messages in one dialog frame (a resend is split); the codec's `maxMessages` or less. */
  readonly maxFrameMessages: number;
  /** Most `invalidId` answers in a row to a registration with a drawn id before stopping (`invalidId`). */
  readonly maxIdDraws: number;
  /** What the engine reports about its machine in `login` / `start` requests. */
  readonly environment: Environment;
}

/**
 * Defaults: backoff after centrifuge-js (500 ms base) with SignalR's 30 s cap;
 * heartbeat as ESFramework (send every 5 s, time out after 30 s); no
 * client-side `sync` (a connection transport hears the hub's Syncs); buffer and
 * payload bounds as the hub's defaults (`maxOutbox`, `limits.maxPayloadBytes`).
 */
export const DEFAULT_SETTINGS: ClientSettings = Object.freeze({
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
  minUptimeMs: 10_000,
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 30_000,
  silenceSyncMs: null,
  connectTimeoutMs: 10_000,
  loginTimeoutMs: 15_000,
  maxUnacked: 1024,
  maxRetries: null,
  maxPayloadBytes: 1 << 20,
  maxFrameMessages: 256,
  maxIdDraws: 8,
  environment: Object.freeze({}),
});

/** Timers go through `setTimeout`, which fires at once beyond this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(name: string, v: unknown, max = MAX_TIMER_MS): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
    throw new ClientUsageError('invalidOption', `${name} must be an integer in [1, ${max}], got ${String(v)}`);
  }
  return v;
}

/** Fills in defaults and validates. Throws `ClientUsageError('invalidOption')` on a bad value. */
export function resolveSettings(given: Partial<ClientSettings> = {}): ClientSettings {
  const s = { ...DEFAULT_SETTINGS, ...stripUndefined(given) };
  const settings: ClientSettings = {
    backoffBaseMs: positive('backoffBaseMs', s.backoffBaseMs),
    backoffCapMs: positive('backoffCapMs', s.backoffCapMs),
    minUptimeMs: positive('minUptimeMs', s.minUptimeMs),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', s.heartbeatIntervalMs),
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', s.heartbeatTimeoutMs),
    silenceSyncMs: s.silenceSyncMs === null ? null : positive('silenceSyncMs', s.silenceSyncMs),
    connectTimeoutMs: positive('connectTimeoutMs', s.connectTimeoutMs),
    loginTimeoutMs: positive('loginTimeoutMs', s.loginTimeoutMs),
    maxUnacked: positive('maxUnacked', s.maxUnacked, 0xffffffff),
    maxRetries: s.maxRetries === null ? null : positive('maxRetries', s.maxRetries, Number.MAX_SAFE_INTEGER),
    maxPayloadBytes: positive('maxPayloadBytes', s.maxPayloadBytes, Number.MAX_SAFE_INTEGER),
    maxFrameMessages: positive('maxFrameMessages', s.maxFrameMessages, 0xffffffff),
    maxIdDraws: positive('maxIdDraws', s.maxIdDraws, Number.MAX_SAFE_INTEGER),
    environment: environmentOf(s.environment),
  };
  if (settings.backoffCapMs < settings.backoffBaseMs) {
    throw new ClientUsageError('invalidOption', `backoffCapMs (${settings.backoffCapMs}) must be at least backoffBaseMs (${settings.backoffBaseMs})`);
  }
  if (settings.heartbeatTimeoutMs <= settings.heartbeatIntervalMs) {
    throw new ClientUsageError(
      'invalidOption',
      `heartbeatTimeoutMs (${settings.heartbeatTimeoutMs}) must be greater than heartbeatIntervalMs (${settings.heartbeatIntervalMs})`,
    );
  }
  if (settings.silenceSyncMs !== null && settings.silenceSyncMs >= settings.heartbeatTimeoutMs) {
    // The engine stops at heartbeatTimeoutMs of silence: a later sync would never go out.
    throw new ClientUsageError(
      'invalidOption',
      `silenceSyncMs (${settings.silenceSyncMs}) must be less than heartbeatTimeoutMs (${settings.heartbeatTimeoutMs})`,
    );
  }
  return Object.freeze(settings);
}

function environmentOf(e: unknown): Environment {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) {
    throw new ClientUsageError('invalidOption', 'environment must be an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    if (typeof v !== 'string') throw new ClientUsageError('invalidOption', `environment.${k} must be a string`);
    out[k] = v;
  }
  return Object.freeze(out);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
