/**
 * Theory of operation: `serve --legacy-ftp URL` — an unmodified legacy Hub
 * fleet served through `@dialoghub/adapter-ftp`'s `LegacyBridge`
 * (docs/adapters/ftp-legacy.md §10, decision 0007), next to whatever else
 * the hub serves (TCP or an `--ftp` mailbox).
 *
 * The bridge is a *client* of the hub: it reaches it over an in-process
 * memory network whose hub side is combined with the main transport
 * (server.ts), and logs in on behalf of each legacy client with the secret
 * the hub issued at registration. It keeps those secrets and its counters
 * in `<data>/legacy-bridge.json` (mode 0600, atomic replace: `fileStateStore`).
 *
 * This module turns the options into the bridge, its reports into log lines,
 * and runs its tick loop: one tick right after the hub's transport opens,
 * then one every `--legacy-poll-interval` ms after the previous tick
 * settled (a `setTimeout` chain, so ticks never overlap). A tick that
 * throws is logged at error level and the loop goes on. `stop` ends the
 * loop and waits for a running tick, so the bridge can be closed after it.
 *
 * - **The URL and credentials** are `--ftp`'s rules (ftp-target.ts) under
 *   other names: `--legacy-ftp`, `--legacy-ftps`, `--legacy-ftps-ca`,
 *   `DIALOGHUB_LEGACY_FTP_USER` / `DIALOGHUB_LEGACY_FTP_PASSWORD`; no path is
 *   the original's `hub/dlg`.
 * - **Tick lines**: `info` when the tick did something (a request, an
 *   answer, a message either way, an upload), `warn` with the errors when an
 *   operation failed, `debug` otherwise — the download of `cxnreq.hub` every
 *   tick is the bridge's polling, not news.
 */
import { join } from 'node:path';
import { fileStateStore, LegacyBridge, type BridgeConnector, type BridgeLogEntry, type BridgeTickReport } from '@dialoghub/adapter-ftp';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import { ftpServerOptions, redacted, type FtpServeTarget, type FtpUrlOption } from './ftp-target.js';

/** The default `--legacy-poll-interval`: the original governor's 30 s dialog tick. */
export const DEFAULT_LEGACY_POLL_INTERVAL_MS = 30_000;

/** The legacy fleet's dialog directory when the URL names none: the original's `/hub/dlg/`, under the login directory. */
export const DEFAULT_LEGACY_DIR = 'hub/dlg';

/** The environment variables `serve --legacy-ftp` reads credentials from when the URL has none. */
export const LEGACY_FTP_USER_ENV = 'DIALOGHUB_LEGACY_FTP_USER';
export const LEGACY_FTP_PASSWORD_ENV = 'DIALOGHUB_LEGACY_FTP_PASSWORD';

/** The bridge's state file in the data directory. */
export const LEGACY_STATE_FILE = 'legacy-bridge.json';

/** How `--legacy-ftp` URLs are named in errors. */
export const LEGACY_URL_OPTION: FtpUrlOption = Object.freeze({ flag: '--legacy-ftp', tlsFlag: '--legacy-ftps', dirName: 'the legacy dialog directory' });

/** `--legacy-ftp` and its companions, checked; credentials are resolved at start. */
export interface LegacyServeTarget {
  readonly host: string;
  readonly port: number;
  /** From the URL, or null (then the environment, then anonymous). */
  readonly user: string | null;
  /** From the URL, or null (then the environment, then anonymous). */
  readonly password: string | null;
  /** The fleet's dialog directory (the URL's, or `hub/dlg`), relative to the login directory unless it starts with `/`. */
  readonly remoteDir: string;
  /** `--legacy-ftps`: explicit FTPS (`AUTH TLS`). */
  readonly tls: boolean;
  /** `--legacy-ftps-ca FILE`: PEM certificates to trust instead of the system's. */
  readonly caFile: string | null;
  /** `--legacy-poll-interval`: ms between the end of one bridge tick and the start of the next. */
  readonly pollIntervalMs: number;
  /** `--legacy-reset`: empty `cxnreq.hub` and `cxnresp.gov` before the first tick (the old governor's start-up). */
  readonly reset: boolean;
}

/** The bridge of `--legacy-ftp`, and how logs name it. */
export interface Legacy {
  readonly bridge: LegacyBridge;
  /** `ftp://user@host:port/dir`: no password. */
  readonly url: string;
  /** The state file. */
  readonly statePath: string;
  readonly target: LegacyServeTarget;
}

function bridgeLog(log: Logger): (entry: BridgeLogEntry) => void {
  return (entry) =>
    log[entry.level](
      { src: 'legacy', event: entry.event, clientId: entry.clientId, detail: entry.detail },
      `legacy: ${entry.event}${entry.clientId !== null ? ` (client ${entry.clientId})` : ''}: ${entry.detail}`,
    );
}

/**
 * The bridge for `target` (nothing is connected yet: the first tick does it),
 * its state in `<dataDir>/legacy-bridge.json`, reaching the hub through `hub`.
 * Reads the CA file; warns when the password is in the URL.
 */
export async function legacyBridgeFor(
  target: LegacyServeTarget,
  dataDir: string,
  hub: BridgeConnector,
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
): Promise<Legacy> {
  const { server, user, passwordFrom } = await ftpServerOptions(target, env, { user: LEGACY_FTP_USER_ENV, password: LEGACY_FTP_PASSWORD_ENV });
  const url = redacted(target, user, DEFAULT_LEGACY_DIR);
  if (passwordFrom === 'url') {
    log.warn({ event: 'ftpPasswordInUrl', flag: '--legacy-ftp', legacy: url }, `the FTP password in --legacy-ftp can be seen by other users of this machine (ps): prefer ${LEGACY_FTP_PASSWORD_ENV}`);
  }
  const statePath = join(dataDir, LEGACY_STATE_FILE);
  try {
    const bridge = new LegacyBridge({ server, remoteDir: target.remoteDir, hub, state: fileStateStore(statePath), onLog: bridgeLog(log) });
    return { bridge, url, statePath, target };
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(`--legacy-ftp: ${e.message}`);
    throw e;
  }
}

/** A log line for one bridge tick: `info` when it did something, `warn` when an operation failed, `debug` when idle. */
export function legacyTickLine(report: BridgeTickReport): { readonly level: 'debug' | 'info' | 'warn'; readonly fields: Record<string, unknown>; readonly msg: string } {
  const { tick, requests, answers, toHub, toClients, uploaded, downloaded, failed, online, errors } = report;
  const fields: Record<string, unknown> = { event: 'legacyTick', tick, requests, answers, toHub, toClients, uploaded, downloaded, failed, online };
  if (failed > 0) fields['errors'] = errors;
  const level = failed > 0 ? 'warn' : requests + answers + toHub + toClients + uploaded > 0 ? 'info' : 'debug';
  const why = failed > 0 ? `: ${errors.join('; ')}` : '';
  return {
    level,
    fields,
    msg: `legacy tick ${tick}: ${requests} request${requests === 1 ? '' : 's'}, ${answers} answer${answers === 1 ? '' : 's'}, ${toHub} to hub, ${toClients} to clients, ${uploaded} uploaded, ${downloaded} downloaded, ${failed} failed (${online} online)${why}`,
  };
}

/** The bridge's tick loop: ticks never overlap; `stop` ends it and waits for a running tick. */
export class LegacyTicker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly bridge: LegacyBridge,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Runs the first tick now, and the next ones `intervalMs` after each settles. */
  start(): void {
    this.run();
  }

  /** Ends the loop; resolves once a tick that was running has settled. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private run(): void {
    this.timer = null;
    if (this.stopped) return;
    this.running = this.bridge
      .tick()
      .then(
        (report) => {
          const line = legacyTickLine(report);
          this.log[line.level](line.fields, line.msg);
        },
        (e: unknown) => {
          this.log.error({ event: 'legacyTickFailed', error: e instanceof Error ? e.stack : String(e) }, `legacy tick failed: ${e instanceof Error ? e.message : String(e)}`);
        },
      )
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.run(), this.intervalMs);
      });
  }
}

/** `--legacy-ftp`'s target from parsed URL parts (no path: `hub/dlg`). */
export function legacyTarget(parts: Pick<FtpServeTarget, 'host' | 'port' | 'user' | 'password' | 'remoteDir'>, rest: Pick<LegacyServeTarget, 'tls' | 'caFile' | 'pollIntervalMs'> & { readonly reset?: boolean }): LegacyServeTarget {
  return { ...parts, remoteDir: parts.remoteDir ?? DEFAULT_LEGACY_DIR, ...rest, reset: rest.reset ?? false };
}
