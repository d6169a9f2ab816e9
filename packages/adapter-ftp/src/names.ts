/**
 * Theory of operation: every remote name the adapter reads or writes, built
 * from validated values and parsed back with strict patterns.
 *
 * Layout under the configured remote directory (docs/adapters/ftp.md §1):
 *
 * ```
 * <dir>/c2h/<session>.<gen>.dhm   client→hub stream of one session, generation <gen> (written by that client only)
 * <dir>/c2h/<session>.<gen>.tmp   the same, while it is being uploaded
 * <dir>/h2c/<session>.dhm         hub→client stream of one session (written by the hub only)
 * <dir>/h2c/<session>.tmp         the same, while it is being uploaded
 * ```
 *
 * A session id is a random 64-bit value the client draws for each link, as 16
 * lower-case hex digits (never all zeros). Client ids never appear in names:
 * two processes that claim the same client id still write different files
 * (seed bug B16 in another guise). Anything in a listing that does not match
 * these patterns is ignored (and logged by the caller); no name that came
 * from a peer is ever used as a path unless it matched.
 */

/** A session id: 16 lower-case hex digits, not all zeros. */
export type SessionId = string & { readonly __session: true };

/** The two directions of a session's streams. */
export type Direction = 'clientToHub' | 'hubToClient';

const SESSION = /^[0-9a-f]{16}$/;
const ZERO_SESSION = '0000000000000000';
const C2H = /^([0-9a-f]{16})\.([1-9][0-9]{0,15})\.(dhm|tmp)$/;
const H2C = /^([0-9a-f]{16})\.(dhm|tmp)$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** True for a valid session id. */
export function isSessionId(s: unknown): s is SessionId {
  return typeof s === 'string' && SESSION.test(s) && s !== ZERO_SESSION;
}

/** Checks `s` and brands it. @throws TypeError for anything but 16 lower-case hex digits, not all zeros. */
export function sessionId(s: string): SessionId {
  if (!isSessionId(s)) throw new TypeError(`not a session id (16 lower-case hex digits, not all zeros): ${JSON.stringify(s)}`);
  return s;
}

/** The sub-directory of each direction. */
export const DIRECTORY: Readonly<Record<Direction, string>> = Object.freeze({ clientToHub: 'c2h', hubToClient: 'h2c' });

/** A parsed listing entry of `c2h/`. */
export interface ClientFileName {
  readonly session: SessionId;
  readonly generation: number;
  /** True for an upload in progress (or one its writer abandoned). */
  readonly temporary: boolean;
}

/** A parsed listing entry of `h2c/`. */
export interface HubFileName {
  readonly session: SessionId;
  readonly temporary: boolean;
}

/** Parses a `c2h/` entry; null for anything that is not exactly one of ours. */
export function parseClientFileName(name: string): ClientFileName | null {
  const m = C2H.exec(name);
  if (m === null) return null;
  const session = m[1] as string;
  const generation = Number(m[2]);
  if (!isSessionId(session) || !Number.isSafeInteger(generation)) return null;
  return { session, generation, temporary: m[3] === 'tmp' };
}

/** Parses an `h2c/` entry; null for anything that is not exactly one of ours. */
export function parseHubFileName(name: string): HubFileName | null {
  const m = H2C.exec(name);
  if (m === null) return null;
  const session = m[1] as string;
  if (!isSessionId(session)) return null;
  return { session, temporary: m[2] === 'tmp' };
}

function generationOk(generation: number): void {
  if (!Number.isSafeInteger(generation) || generation < 1) throw new RangeError(`a generation is a safe integer ≥ 1, got ${generation}`);
}

/**
 * Remote paths of one mailbox directory. `base` is the validated remote
 * directory (see `checkRemoteDir`); every path is `base` + a fixed
 * sub-directory + a name built from a validated session id and generation.
 */
export class MailboxPaths {
  /** `base`: the mailbox directory; '' when it is the working directory (names are then relative). */
  constructor(readonly base: string) {}

  /** The directory of one direction. */
  dir(direction: Direction): string {
    return this.base === '' ? DIRECTORY[direction] : `${this.base}/${DIRECTORY[direction]}`;
  }

  /** `c2h/<session>.<gen>.dhm` (or `.tmp`). */
  clientFile(session: SessionId, generation: number, temporary = false): string {
    generationOk(generation);
    return `${this.dir('clientToHub')}/${sessionId(session)}.${generation}.${temporary ? 'tmp' : 'dhm'}`;
  }

  /** `h2c/<session>.dhm` (or `.tmp`). */
  hubFile(session: SessionId, temporary = false): string {
    return `${this.dir('hubToClient')}/${sessionId(session)}.${temporary ? 'tmp' : 'dhm'}`;
  }
}

/**
 * Validates the configured remote directory and returns it without a
 * trailing slash: `/`-separated segments of `[A-Za-z0-9._-]` that do not
 * start with a dot (so no `.` or `..`), relative to the FTP login directory
 * unless it starts with `/`. `''` or `'.'` is the login directory itself.
 *
 * @throws TypeError for anything else.
 */
export function checkRemoteDir(dir: string): string {
  if (typeof dir !== 'string') throw new TypeError('remoteDir must be a string');
  if (dir === '' || dir === '.') return '.';
  const absolute = dir.startsWith('/');
  const body = dir.replace(/^\/+/, '').replace(/\/+$/, '');
  if (body === '') return absolute ? '' : '.';
  const segments = body.split('/');
  for (const s of segments) {
    if (!SEGMENT.test(s)) throw new TypeError(`remoteDir segment ${JSON.stringify(s)} must match ${SEGMENT} (no '.', '..', spaces or control characters)`);
  }
  return `${absolute ? '/' : ''}${segments.join('/')}`;
}
