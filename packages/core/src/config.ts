/**
 * Theory of operation: the hub's configuration. `resolveConfig` fills in
 * defaults and validates; an invalid config is local misuse and throws a
 * `HubUsageError` (it never comes from a peer).
 */
import { HubUsageError } from './errors.js';
import { POLICIES, type Policy } from './model.js';

export interface Limits {
  /** Longest accepted profile name, contact field or log text, in UTF-16 units. */
  readonly maxTextLength: number;
  /** Most environment entries a client may report, and most history entries kept. */
  readonly maxEnvironmentEntries: number;
  /** Most messages accepted in one `messagesReceived` input. */
  readonly maxBatch: number;
  /** Largest application payload accepted, in bytes. */
  readonly maxPayloadBytes: number;
}

export interface HubConfig {
  /** Hub-wide re-login policy; a profile may override it. Default `replaceOld`. */
  readonly policy?: Policy;
  /** Silence after which the hub sends a Sync. */
  readonly syncAfterMs?: number;
  /** Interval between repeated Syncs while the client stays silent. */
  readonly syncEveryMs?: number;
  /** Silence after which the client is declared offline (status unchanged). */
  readonly deadAfterMs?: number;
  /** Delay before resending after a failed `writeDialog`. */
  readonly retryAfterMs?: number;
  /** Most unacknowledged hub→client messages kept per client (the outbox bound). */
  readonly maxOutbox?: number;
  /** Application message types the embedding application handles (the seed's dispatch table). */
  readonly appMessageTypes?: readonly string[];
  /** Most application messages per client handed over and not yet confirmed by the application. */
  readonly maxUnconfirmed?: number;
  readonly limits?: Partial<Limits>;
}

export interface ResolvedConfig {
  readonly policy: Policy;
  readonly syncAfterMs: number;
  readonly syncEveryMs: number;
  readonly deadAfterMs: number;
  readonly retryAfterMs: number;
  readonly maxOutbox: number;
  readonly maxUnconfirmed: number;
  /** Sorted, without duplicates. */
  readonly appMessageTypes: readonly string[];
  readonly limits: Limits;
}

/** Timings for connection transports (ESFramework: heartbeat 5–10 s, timeout 30 s). */
export const CONNECTION_TIMINGS = Object.freeze({
  syncAfterMs: 10_000,
  syncEveryMs: 5_000,
  deadAfterMs: 30_000,
  retryAfterMs: 1_000,
});

/**
 * Timings for mailbox transports, mapped from the seed's 30 s ticks: first Sync
 * after 10 silent ticks (~5 min), dead after 16 (~8 min). A Sync is repeated
 * every 60 s, not on every tick as the seed did: a Null needs one hub tick
 * and one client poll to come back, so a 30 s repeat always fired before the
 * answer to the previous Sync could be read, doubling every exchange
 * (docs/protocol.md §7.2).
 */
export const MAILBOX_TIMINGS = Object.freeze({
  syncAfterMs: 300_000,
  syncEveryMs: 60_000,
  deadAfterMs: 480_000,
  retryAfterMs: 30_000,
});

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxTextLength: 4096,
  maxEnvironmentEntries: 32,
  maxBatch: 1024,
  maxPayloadBytes: 1 << 20,
});

const APP_TYPE = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new HubUsageError('invalidConfig', `${name} must be a positive integer, got ${String(v)}`, { field: name });
  }
  return v;
}

/** Fills in defaults and validates. Throws `HubUsageError('invalidConfig')` on a bad value. */
export function resolveConfig(config: HubConfig = {}): ResolvedConfig {
  const policy = config.policy ?? 'replaceOld';
  if (!POLICIES.includes(policy)) {
    throw new HubUsageError('invalidConfig', `policy must be one of ${POLICIES.join(', ')}, got ${String(policy)}`, { field: 'policy' });
  }
  const t = CONNECTION_TIMINGS;
  const syncAfterMs = positiveInt('syncAfterMs', config.syncAfterMs ?? t.syncAfterMs);
  const syncEveryMs = positiveInt('syncEveryMs', config.syncEveryMs ?? t.syncEveryMs);
  const deadAfterMs = positiveInt('deadAfterMs', config.deadAfterMs ?? t.deadAfterMs);
  const retryAfterMs = positiveInt('retryAfterMs', config.retryAfterMs ?? t.retryAfterMs);
  if (deadAfterMs <= syncAfterMs) {
    throw new HubUsageError('invalidConfig', `deadAfterMs (${deadAfterMs}) must be greater than syncAfterMs (${syncAfterMs})`, {
      field: 'deadAfterMs',
    });
  }
  const maxOutbox = positiveInt('maxOutbox', config.maxOutbox ?? 1024);
  const maxUnconfirmed = positiveInt('maxUnconfirmed', config.maxUnconfirmed ?? 1024);
  const types = [...new Set(config.appMessageTypes ?? [])].sort();
  for (const ty of types) {
    if (typeof ty !== 'string' || !APP_TYPE.test(ty)) {
      throw new HubUsageError('invalidConfig', `application message type ${JSON.stringify(ty)} must match ${APP_TYPE}`, {
        field: 'appMessageTypes',
      });
    }
  }
  const l = { ...DEFAULT_LIMITS, ...(config.limits ?? {}) };
  const limits: Limits = {
    maxTextLength: positiveInt('limits.maxTextLength', l.maxTextLength),
    maxEnvironmentEntries: positiveInt('limits.maxEnvironmentEntries', l.maxEnvironmentEntries),
    maxBatch: positiveInt('limits.maxBatch', l.maxBatch),
    maxPayloadBytes: positiveInt('limits.maxPayloadBytes', l.maxPayloadBytes),
  };
  return Object.freeze({ policy, syncAfterMs, syncEveryMs, deadAfterMs, retryAfterMs, maxOutbox, maxUnconfirmed, appMessageTypes: Object.freeze(types), limits: Object.freeze(limits) });
}
