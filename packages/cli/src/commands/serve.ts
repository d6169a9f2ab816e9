/**
 * Theory of operation: `dialoghub serve` — a hub on a data directory, over
 * TCP or (with `--ftp URL`) an FTP mailbox, and (with `--legacy-ftp URL`)
 * an unmodified legacy Hub fleet through the legacy bridge, until SIGINT or
 * SIGTERM, then a graceful stop (src/serve/server.ts does the work). This module reads the options, sets up the log, waits for the
 * signal and stops the hub once: a repeated signal during the stop is
 * logged and ignored (a terminal's Ctrl+C may reach the process twice, from
 * the terminal and through bin/dialoghub.js). Everything the hub does is
 * logged as it happens; the command prints no result of its own, and exits
 * 0 after a clean stop.
 */
import type { Command } from 'commander';
import { POLICIES, resolveConfig, HubUsageError, type Policy } from '@dialoghub/core';
import { DEFAULT_DATA_DIR } from '@dialoghub/runtime';
import { DEFAULT_ADMIN_PORT } from '@dialoghub/admin';
import { integer, policy } from '../args.js';
import type { CliCommand, CommandContext } from '../command.js';
import { StoreFailedError, UsageError } from '../errors.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevelName } from '../serve/logger.js';
import { profileSpecs } from '../serve/profile-spec.js';
import { DEFAULT_APP_TYPES, startServer, type ServerConfig, type ServeSummary } from '../serve/server.js';
import { DEFAULT_POLL_INTERVAL_MS, FTP_PASSWORD_ENV, FTP_USER_ENV, parseFtpUrl, type FtpServeTarget } from '../serve/ftp-target.js';
import {
  DEFAULT_LEGACY_DIR,
  DEFAULT_LEGACY_POLL_INTERVAL_MS,
  LEGACY_FTP_PASSWORD_ENV,
  LEGACY_FTP_USER_ENV,
  LEGACY_URL_OPTION,
  legacyTarget,
  type LegacyServeTarget,
} from '../serve/legacy-bridge.js';

/** The port `serve` listens on unless told otherwise. */
export const DEFAULT_PORT = 7420;

export interface ServeCommandOptions extends ServerConfig {
  readonly logLevel: LogLevelName;
  readonly logFormat: LogFormat;
  /**
   * Resolves with the reason to stop. Default: the first SIGINT or SIGTERM.
   * Tests and embedders pass their own.
   */
  readonly until?: Promise<string>;
  /** Whether stdout is a terminal (pretty logs by default). Default `process.stdout.isTTY`. */
  readonly stdoutIsTty?: boolean;
}

export type ServeCommandResult = ServeSummary;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The first SIGINT/SIGTERM, as a promise; later ones are reported to `repeated`. */
function stopSignals(repeated: (signal: string) => void): { readonly first: Promise<string>; dispose(): void } {
  let fired = false;
  let resolveFirst: (signal: string) => void = () => undefined;
  const first = new Promise<string>((resolve) => (resolveFirst = resolve));
  const handler = (signal: NodeJS.Signals): void => {
    if (fired) return repeated(signal);
    fired = true;
    resolveFirst(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    first,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, handler);
    },
  };
}

/** Runs the hub until `until` (default: a signal), then stops it gracefully. */
export async function runServe(options: ServeCommandOptions, ctx: CommandContext): Promise<ServeCommandResult> {
  const log = createLogger(ctx.io, { level: options.logLevel, format: options.logFormat, stdoutIsTty: options.stdoutIsTty ?? process.stdout.isTTY === true });
  const signals = options.until === undefined ? stopSignals((s) => log.debug({ event: 'signalIgnored', signal: s }, `${s} again: already stopping`)) : null;
  const until = options.until ?? signals!.first;
  try {
    const server = await startServer({ ...options, env: options.env ?? ctx.io.env }, log);
    const ended = await Promise.race([until.then((reason) => ({ reason })), server.failed.then((error) => ({ error }))]);
    if ('error' in ended) {
      await server.close('storeFailed');
      throw new StoreFailedError(`${ended.error.message}; restart to recover from the journal`, { cause: ended.error });
    }
    return await server.close(ended.reason);
  } finally {
    signals?.dispose();
  }
}

function listOf(value: unknown, name: string): string[] {
  if (typeof value !== 'string') throw new UsageError(`${name} needs a value`);
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${name} '${value}' has an empty item`);
  return items;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new UsageError(`unknown ${name} '${String(value)}' (expected ${allowed.join(', ')})`);
  return value as T;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--ftp` and its companions; null without `--ftp`. Mixing them with the TCP options is a usage error. */
function parseFtp(o: Readonly<Record<string, unknown>>): FtpServeTarget | null {
  if (o['ftp'] === undefined) {
    for (const [key, flag] of [['ftps', '--ftps'], ['ftpsCa', '--ftps-ca'], ['pollInterval', '--poll-interval'], ['ftpConnections', '--ftp-connections']] as const) {
      if (o[key] !== undefined) throw new UsageError(`${flag} needs --ftp`);
    }
    return null;
  }
  for (const [key, flag] of [['host', '--host'], ['port', '--port'], ['tlsKey', '--tls-key'], ['tlsCert', '--tls-cert']] as const) {
    if (o[key] !== undefined) throw new UsageError(`${flag} is for TCP; --ftp serves an FTP mailbox instead`);
  }
  if (typeof o['ftp'] !== 'string' || o['ftp'].trim() === '') throw new UsageError('--ftp needs a URL');
  const caFile = typeof o['ftpsCa'] === 'string' ? o['ftpsCa'] : null;
  if (caFile !== null && o['ftps'] !== true) throw new UsageError('--ftps-ca needs --ftps');
  return {
    ...parseFtpUrl(o['ftp'].trim()),
    tls: o['ftps'] === true,
    caFile,
    pollIntervalMs: o['pollInterval'] === undefined ? DEFAULT_POLL_INTERVAL_MS : integer(o['pollInterval'], '--poll-interval', 1, 86_400_000),
    connections: o['ftpConnections'] === undefined ? null : integer(o['ftpConnections'], '--ftp-connections', 1, 16),
  };
}

/** `--legacy-ftp` and its companions; null without `--legacy-ftp`. It goes with TCP and with `--ftp` alike. */
function parseLegacy(o: Readonly<Record<string, unknown>>, ftp: FtpServeTarget | null): LegacyServeTarget | null {
  if (o['legacyFtp'] === undefined) {
    for (const [key, flag] of [['legacyFtps', '--legacy-ftps'], ['legacyFtpsCa', '--legacy-ftps-ca'], ['legacyPollInterval', '--legacy-poll-interval'], ['legacyReset', '--legacy-reset']] as const) {
      if (o[key] !== undefined) throw new UsageError(`${flag} needs --legacy-ftp`);
    }
    return null;
  }
  if (typeof o['legacyFtp'] !== 'string' || o['legacyFtp'].trim() === '') throw new UsageError('--legacy-ftp needs a URL');
  const caFile = typeof o['legacyFtpsCa'] === 'string' ? o['legacyFtpsCa'] : null;
  if (caFile !== null && o['legacyFtps'] !== true) throw new UsageError('--legacy-ftps-ca needs --legacy-ftps');
  const target = legacyTarget(parseFtpUrl(o['legacyFtp'].trim(), LEGACY_URL_OPTION), {
    tls: o['legacyFtps'] === true,
    caFile,
    pollIntervalMs: o['legacyPollInterval'] === undefined ? DEFAULT_LEGACY_POLL_INTERVAL_MS : integer(o['legacyPollInterval'], '--legacy-poll-interval', 1, 86_400_000),
    reset: o['legacyReset'] === true,
  });
  // The mailbox's files and the fleet's in one directory would read each other's as foreign (or worse).
  if (ftp !== null && ftp.host === target.host && ftp.port === target.port && (ftp.remoteDir ?? 'dialoghub') === target.remoteDir) {
    throw new UsageError(`--legacy-ftp and --ftp name the same directory (${target.remoteDir}): the legacy fleet needs a directory of its own`);
  }
  return target;
}

export function parseServe(o: Readonly<Record<string, unknown>>): ServeCommandOptions {
  const ftp = parseFtp(o);
  const legacy = parseLegacy(o, ftp);
  const host = typeof o['host'] === 'string' ? o['host'].trim() : '127.0.0.1';
  if (host === '') throw new UsageError('--host is empty');
  const keyFile = o['tlsKey'];
  const certFile = o['tlsCert'];
  if ((keyFile === undefined) !== (certFile === undefined)) throw new UsageError('--tls-key and --tls-cert go together');
  const adminHost = typeof o['adminHost'] === 'string' ? o['adminHost'].trim() : '127.0.0.1';
  if (adminHost === '') throw new UsageError('--admin-host is empty');
  const adminPort = o['adminPort'] === undefined ? DEFAULT_ADMIN_PORT : integer(o['adminPort'], '--admin-port', 0, 65_535);
  const chosenPolicy: Policy | null = o['policy'] !== undefined ? policy(o['policy']) : null;
  const appTypes = o['appTypes'] !== undefined ? listOf(o['appTypes'], '--app-types') : null;
  try {
    // The core's own rule for the config (a type name it would refuse).
    resolveConfig({ ...(chosenPolicy !== null ? { policy: chosenPolicy } : {}), appMessageTypes: appTypes ?? DEFAULT_APP_TYPES });
  } catch (e) {
    if (e instanceof HubUsageError) throw new UsageError(`--app-types: ${e.message}`);
    throw e;
  }
  return {
    host,
    port: o['port'] === undefined ? DEFAULT_PORT : integer(o['port'], '--port', 0, 65_535),
    tls: keyFile === undefined ? null : { keyFile: String(keyFile), certFile: String(certFile) },
    dataDir: typeof o['data'] === 'string' ? o['data'] : DEFAULT_DATA_DIR,
    policy: chosenPolicy,
    appTypes,
    profiles: profileSpecs((o['profile'] as string[] | undefined) ?? []),
    echo: o['echo'] === true,
    trace: typeof o['trace'] === 'string' ? o['trace'] : null,
    admin: o['admin'] === false ? null : { host: adminHost, port: adminPort },
    ftp,
    legacy,
    logLevel: o['logLevel'] === undefined ? 'info' : oneOf(o['logLevel'], '--log-level', LOG_LEVELS),
    logFormat: o['logFormat'] === undefined ? 'auto' : oneOf(o['logFormat'], '--log-format', LOG_FORMATS),
  };
}

export const serveCommand: CliCommand<ServeCommandOptions, ServeCommandResult> = {
  name: 'serve',
  configure(command: Command): void {
    command
      .description('run a hub over TCP (or an FTP mailbox with --ftp; a legacy Hub fleet too with --legacy-ftp) on a data directory until SIGINT/SIGTERM; one log line per client event')
      .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)')
      .option('--port <port>', `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`)
      .option('--tls-key <file>', 'serve TLS with this PEM key (with --tls-cert)')
      .option('--tls-cert <file>', 'serve TLS with this PEM certificate (with --tls-key)')
      .option('--ftp <url>', `serve an FTP mailbox instead of listening: ftp://[user[:password]@]host[:port][/dir] (credentials also from ${FTP_USER_ENV} / ${FTP_PASSWORD_ENV})`)
      .option('--ftps', 'with --ftp: explicit FTPS (AUTH TLS), certificate checked against the system CAs or --ftps-ca')
      .option('--ftps-ca <file>', 'with --ftps: trust the PEM certificates in this file instead of the system CAs')
      .option('--poll-interval <ms>', `with --ftp: milliseconds between mailbox ticks (default ${DEFAULT_POLL_INTERVAL_MS})`)
      .option('--ftp-connections <n>', 'with --ftp: control connections a busy tick shares its transfers out on, 1–16 (default 2; 1 for a server that allows one per account)')
      .option('--legacy-ftp <url>', `also serve an unmodified legacy Hub fleet through the legacy bridge: ftp://[user[:password]@]host[:port][/dir] (default dir ${DEFAULT_LEGACY_DIR}; credentials also from ${LEGACY_FTP_USER_ENV} / ${LEGACY_FTP_PASSWORD_ENV})`)
      .option('--legacy-ftps', 'with --legacy-ftp: explicit FTPS (AUTH TLS), certificate checked against the system CAs or --legacy-ftps-ca')
      .option('--legacy-ftps-ca <file>', 'with --legacy-ftps: trust the PEM certificates in this file instead of the system CAs')
      .option('--legacy-reset', 'with --legacy-ftp: empty cxnreq.hub and cxnresp.gov before the first bridge tick, as the old governor did at each start (taking over a directory from it)')
      .option('--legacy-poll-interval <ms>', `with --legacy-ftp: milliseconds between bridge ticks (default ${DEFAULT_LEGACY_POLL_INTERVAL_MS}, the original governor's)`)
      .option('--data <dir>', `the data directory: journal, snapshots, lock (default ${DEFAULT_DATA_DIR})`)
      .option('--policy <policy>', `re-login policy of a new hub: ${POLICIES.join(' | ')} (default replaceOld)`)
      .option('--app-types <list>', `application message types of a new hub, comma-separated (default ${DEFAULT_APP_TYPES.join(',')})`)
      .option('--profile <id:name[:policy]>', 'a profile the hub must have (created if missing); repeat for more', collect)
      .option('--echo', 'answer every application message with its own payload')
      .option('--trace <file>', 'also write this run as a trace file (for replay and view)')
      .option('--admin-port <port>', `port of the operator console (HTTP API, live feed, /metrics, web page); 0 picks a free one (default ${DEFAULT_ADMIN_PORT})`)
      .option('--admin-host <host>', 'address of the operator console (default 127.0.0.1: this machine only)')
      .option('--no-admin', 'do not start the operator console')
      .option('--log-level <level>', `${LOG_LEVELS.join(' | ')} (default info)`)
      .option('--log-format <format>', 'auto (pretty on a terminal, JSON lines otherwise) | json | pretty (default auto)');
  },
  parse: (_args, o) => parseServe(o),
  run: runServe,
  // Everything was logged as it happened: nothing more to print.
  render: () => '',
  json: (r) => r,
  exitCode: () => 0,
};
