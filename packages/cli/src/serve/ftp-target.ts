/**
 * Theory of operation: `serve --ftp URL` — where the mailbox is, how to log
 * in, and what a tick did, as `serve` needs them. Nothing here talks FTP:
 * `@dialoghub/adapter-ftp`'s `FtpTransport` does; this module turns option
 * text into its options and its reports into log lines.
 *
 * - **The URL** (`ftp://[user[:password]@]host[:port][/dir]`, RFC 1738):
 *   the path is the mailbox directory, relative to the login directory as
 *   in RFC 1738 (`ftp://h/hub/dlg` is `hub/dlg`); a first segment `%2F`
 *   makes it absolute (`ftp://h/%2Fsrv/hub` is `/srv/hub`); no path is the
 *   adapter's default, `dialoghub`. Percent-escapes are decoded. Only `ftp:`:
 *   explicit FTPS is the same URL with `--ftps`.
 * - **Credentials**: the URL's, else `DIALOGHUB_FTP_USER` /
 *   `DIALOGHUB_FTP_PASSWORD`, else anonymous. The password is never part of
 *   anything logged: `redacted` shows `user@host:port/dir` only.
 * - **Ticks**: one line per tick that did something (`info`; `warn` when an
 *   operation failed, with why), `debug` for an idle one.
 */
import { readFile } from 'node:fs/promises';
import type { FtpServerOptions, TickReport } from '@dialoghub/adapter-ftp';
import { readingInput, UsageError } from '../errors.js';

/** The default `--poll-interval`: the original Hub governor's 30 s tick (MAILBOX_TIMINGS is mapped from it). */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;

/** The environment variables `serve --ftp` reads credentials from when the URL has none. */
export const FTP_USER_ENV = 'DIALOGHUB_FTP_USER';
export const FTP_PASSWORD_ENV = 'DIALOGHUB_FTP_PASSWORD';

/** `--ftp` and its companions, checked; credentials are resolved at start (`ftpServerOptions`). */
export interface FtpServeTarget {
  readonly host: string;
  readonly port: number;
  /** From the URL, or null (then the environment, then anonymous). */
  readonly user: string | null;
  /** From the URL, or null (then the environment, then anonymous). */
  readonly password: string | null;
  /** The mailbox directory as `FtpTransport`'s `remoteDir` (relative to the login directory unless it starts with `/`). */
  readonly remoteDir: string | undefined;
  /** `--ftps`: explicit FTPS (`AUTH TLS`). */
  readonly tls: boolean;
  /** `--ftps-ca FILE`: PEM certificates to trust instead of the system's. */
  readonly caFile: string | null;
  readonly pollIntervalMs: number;
  /** `--ftp-connections`: the transport's pool (`connections`), or null for its default. */
  readonly connections: number | null;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Which option a URL came from, for its error messages. */
export interface FtpUrlOption {
  /** The option, e.g. `--ftp`. */
  readonly flag: string;
  /** Its explicit-FTPS companion, e.g. `--ftps`. */
  readonly tlsFlag: string;
  /** What the URL's directory is, e.g. `the mailbox`. */
  readonly dirName: string;
}

/** `--ftp`'s naming (the default of `parseFtpUrl`). */
export const FTP_URL_OPTION: FtpUrlOption = Object.freeze({ flag: '--ftp', tlsFlag: '--ftps', dirName: 'the mailbox' });

function decode(part: string, what: string, url: string, flag: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(`${flag} '${safeText(url)}': the ${what} has a malformed %-escape`);
  }
}

/** The URL as it may appear in an error: without its password. */
function safeText(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/**
 * Parses `--ftp URL` (or, with `option`, another option's FTP URL, such as `--legacy-ftp`).
 * @throws UsageError naming the option and what is wrong (never echoing the password).
 */
export function parseFtpUrl(text: string, option: FtpUrlOption = FTP_URL_OPTION): Pick<FtpServeTarget, 'host' | 'port' | 'user' | 'password' | 'remoteDir'> {
  const { flag, tlsFlag, dirName } = option;
  const shown = `${flag} '${safeText(text)}'`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${shown} is not a URL (expected ftp://[user[:password]@]host[:port][/dir])`);
  }
  if (url.protocol !== 'ftp:') {
    throw new UsageError(`${shown}: the scheme must be ftp:// (explicit FTPS is ftp:// with ${tlsFlag})`);
  }
  if (url.search !== '' || url.hash !== '') throw new UsageError(`${shown}: no query or fragment allowed`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${shown} has no host`);
  const port = url.port === '' ? 21 : Number(url.port);
  if (!Number.isInteger(port) || port < 1) throw new UsageError(`${shown}: the port must be between 1 and 65535`);
  const decoded = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decode(s, 'path', text, flag));
  // RFC 1738: a first segment that starts with an encoded '/' (`%2F`) names a directory from the root.
  const absolute = decoded[0]?.startsWith('/') === true;
  if (absolute) {
    decoded[0] = decoded[0]!.slice(1);
    if (decoded[0] === '') decoded.shift();
  }
  for (const s of decoded) {
    if (!SEGMENT.test(s)) throw new UsageError(`${shown}: the directory segment '${s}' must match ${SEGMENT} (no '.', '..', spaces or '/')`);
  }
  if (absolute && decoded.length === 0) throw new UsageError(`${shown}: ${dirName} cannot be the server's root directory`);
  const remoteDir = decoded.length === 0 ? undefined : `${absolute ? '/' : ''}${decoded.join('/')}`;
  return {
    host,
    port,
    user: url.username === '' ? null : decode(url.username, 'user', text, flag),
    password: url.password === '' ? null : decode(url.password, 'password', text, flag),
    remoteDir,
  };
}

/** Where the hub serves, for logs: `ftp://user@host:port/dir`, never the password. `defaultDir`: the directory when the URL named none. */
export function redacted(target: Pick<FtpServeTarget, 'host' | 'port' | 'remoteDir'> & Partial<FtpServeTarget>, user: string, defaultDir = 'dialoghub'): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const remoteDir = target.remoteDir ?? defaultDir;
  const dir = remoteDir.startsWith('/') ? `%2F${remoteDir.slice(1)}` : remoteDir;
  return `ftp://${encodeURIComponent(user)}@${host}:${target.port}/${dir}`;
}

/**
 * The transport's server options: credentials resolved (URL, then `env`, then anonymous), the CA file read.
 * `envNames`: the variables to read (default `DIALOGHUB_FTP_USER` / `DIALOGHUB_FTP_PASSWORD`).
 */
export async function ftpServerOptions(
  target: Pick<FtpServeTarget, 'host' | 'port' | 'user' | 'password' | 'tls' | 'caFile'>,
  env: Readonly<Record<string, string | undefined>>,
  envNames: { readonly user: string; readonly password: string } = { user: FTP_USER_ENV, password: FTP_PASSWORD_ENV },
): Promise<{ readonly server: FtpServerOptions; readonly user: string; readonly passwordFrom: 'url' | 'env' | 'none' }> {
  const user = target.user ?? nonEmpty(env[envNames.user]) ?? 'anonymous';
  const password = target.password ?? nonEmpty(env[envNames.password]);
  const passwordFrom = target.password !== null ? 'url' : password !== undefined ? 'env' : 'none';
  const ca = target.caFile === null ? undefined : await readingInput(target.caFile, () => readFile(target.caFile!, 'utf8'));
  const server: FtpServerOptions = {
    host: target.host,
    port: target.port,
    user,
    ...(password !== undefined ? { password } : {}),
    ...(target.tls ? { tls: ca === undefined ? true : { ca } } : {}),
  };
  return { server, user, passwordFrom };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** A log line for one tick's report: `info` when it moved files, `warn` when something failed, `debug` when idle. */
export function tickLine(report: TickReport): { readonly level: 'debug' | 'info' | 'warn'; readonly fields: Record<string, unknown>; readonly msg: string } {
  const { tick, listed, downloaded, uploaded, deleted, failed, delivered, links, bytes, dataConnections, errors } = report;
  const fields: Record<string, unknown> = { event: 'tick', tick, listed, downloaded, uploaded, deleted, failed, delivered, links, bytes, dataConnections };
  if (failed > 0) fields['errors'] = errors;
  const level = failed > 0 ? 'warn' : downloaded + uploaded + deleted + delivered > 0 ? 'info' : 'debug';
  const why = failed > 0 ? `: ${errors.join('; ')}` : '';
  return {
    level,
    fields,
    msg: `tick ${tick}: ${downloaded} downloaded, ${uploaded} uploaded, ${deleted} deleted, ${failed} failed (${delivered} delivered, ${links} link${links === 1 ? '' : 's'}, ${bytes} bytes)${why}`,
  };
}
