/**
 * Theory of operation: where the engine's identity comes from. The
 * application's `getCredentials()` is called on EVERY attempt (SignalR's
 * `accessTokenFactory`, Centrifugo's `getToken`): a secret rotated or revoked
 * meanwhile is picked up by the next attempt, and nothing is cached here.
 *
 * It returns either stored credentials (`{ clientId, secret }`) or, on first
 * use, a registration descriptor (`{ register: { profileId, contact, … } }`).
 * A registration's `ok` carries the secret the hub issued — once — and the
 * engine hands it to `onRegistered` before going online, so the application
 * can store it and return it from the next `getCredentials()`.
 *
 * Drawing a client id for a registration that names none is the engine's
 * job (docs/protocol.md B25): a uniform non-zero u32 from the injected random
 * source; `invalidId` (the id is taken) draws again.
 */
import { clientId as toClientId, profileId as toProfileId, isU32Id, type ClientId, type Contact, type Environment, type ProfileId } from '@dialoghub/core';
import { ClientUsageError } from './errors.js';

/** What a new installation registers with. */
export interface Registration {
  readonly profileId: number;
  readonly contact: Contact;
  /** Default: the engine's `environment` setting. */
  readonly environment?: Environment;
  /** A fixed id; omitted, the engine draws one (and draws again when it is taken). */
  readonly clientId?: number;
}

/** What `getCredentials()` returns: stored credentials, or a registration for first use. */
export type Credentials = { readonly clientId: number; readonly secret: string } | { readonly register: Registration };

/** What the hub issued to a registration, as `onRegistered` receives it. */
export interface IssuedCredentials {
  readonly clientId: number;
  readonly secret: string;
}

/** One attempt's identity, normalised for the machine (plain data; the secret never enters the context). */
export type AttemptCredentials =
  | { readonly kind: 'login'; readonly clientId: ClientId; readonly secret: string }
  | {
      readonly kind: 'register';
      readonly clientId: ClientId;
      /** The engine drew the id (so `invalidId` may draw again). */
      readonly drawn: boolean;
      readonly profileId: ProfileId;
      readonly contact: Contact;
      readonly environment: Environment;
    };

/** A uniform id in [1, 2^32 − 1] from `u` in [0, 1). */
export function drawClientId(u: number): ClientId {
  const unit = Number.isFinite(u) ? Math.min(Math.max(u, 0), 1) : 0;
  return toClientId(1 + Math.min(0xfffffffe, Math.floor(unit * 0xffffffff)));
}

/**
 * Checks what `getCredentials()` returned and draws an id if needed. Throws
 * `ClientUsageError('invalidCredentials')` on a malformed value.
 */
export function normalizeCredentials(c: Credentials, environment: Environment, random: () => number): AttemptCredentials {
  if (typeof c !== 'object' || c === null) throw new ClientUsageError('invalidCredentials', 'getCredentials() must return an object');
  if ('register' in c) {
    const r = c.register;
    if (typeof r !== 'object' || r === null || !isU32Id(r.profileId)) {
      throw new ClientUsageError('invalidCredentials', 'register.profileId must be an integer in [1, 2^32)');
    }
    if (r.clientId !== undefined && !isU32Id(r.clientId)) {
      throw new ClientUsageError('invalidCredentials', 'register.clientId must be an integer in [1, 2^32)');
    }
    return {
      kind: 'register',
      clientId: r.clientId === undefined ? drawClientId(random()) : toClientId(r.clientId),
      drawn: r.clientId === undefined,
      profileId: toProfileId(r.profileId),
      contact: r.contact,
      environment: r.environment ?? environment,
    };
  }
  if (!isU32Id(c.clientId)) throw new ClientUsageError('invalidCredentials', 'clientId must be an integer in [1, 2^32)');
  if (typeof c.secret !== 'string' || c.secret.length === 0) throw new ClientUsageError('invalidCredentials', 'secret must be a non-empty string');
  return { kind: 'login', clientId: toClientId(c.clientId), secret: c.secret };
}

/**
 * The simplest credential store: in memory. Starts with `initial` (stored
 * credentials or a registration) and keeps what a registration issued, so the
 * next attempt logs in with it. For a real application, store the issued
 * secret somewhere that survives a restart.
 */
export function memoryCredentials(initial: Credentials): {
  getCredentials(): Promise<Credentials>;
  onRegistered(issued: IssuedCredentials): void;
  current(): Credentials;
} {
  let current = initial;
  return {
    getCredentials: () => Promise.resolve(current),
    onRegistered: (issued) => {
      current = { clientId: issued.clientId, secret: issued.secret };
    },
    current: () => current,
  };
}
