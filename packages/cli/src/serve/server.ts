/**
 * Theory of operation: the hub `dialoghub serve` runs — the runtime's `Hub`
 * over a `JournalStore` in the data directory and the TCP transport (or,
 * with `--ftp`, the FTP mailbox transport of `@dialoghub/adapter-ftp` and
 * the core's `MAILBOX_TIMINGS`), with logging around it. The order matters:
 *
 * 1. read the TLS (or FTPS CA) files and build the transport (bad options
 *    fail here, before the data directory is touched);
 * 2. open the store (takes the directory's lock) and the hub, which recovers
 *    the state from the snapshot and the journal; listeners and handlers are
 *    attached in `setup`, so the sessions the restart ends are logged too;
 * 3. create the `--profile`s that are missing (operator actions, journaled);
 * 4. start the operator console (`@dialoghub/admin`) unless `--no-admin`:
 *    its token comes from DIALOGHUB_ADMIN_TOKEN or `<data>/admin-token`
 *    (created 0600 on first start); the log names the file, never the
 *    token;
 * 5. only then listen, and say where (`listening on HOST:PORT`); for a
 *    mailbox, connect to the FTP server, make sure the mailbox directories
 *    exist, and say which (`serving the mailbox ftp://user@host:port/dir`,
 *    never the password). Every mailbox tick then logs what it moved.
 *
 * With `--legacy-ftp` (legacy-bridge.ts) the hub also serves an unmodified
 * legacy Hub fleet through `LegacyBridge`, a client of the hub: the hub's
 * transport is `combineTransports(main, bridgeNetwork.transport)` (gated as
 * a whole), the bridge connects through `memoryTransport(bridgeNetwork)`.
 * Its state file is loaded right after the hub opens (a corrupt one is an
 * input error), and its tick loop starts once the transport is open. A new
 * data directory gets `MAILBOX_TIMINGS` then too: the legacy clients tick
 * every 30 s.
 *
 * Any failure after step 2 closes the hub again, so the lock is released
 * and nothing is half-done. `close` stops the bridge's tick loop (waiting
 * for a running tick) and closes the bridge, then `hub.close()`: every
 * client is told `shutdown`, handlers finish, the state is snapshotted, the
 * lock released.
 *
 * The application part is small on purpose: messages of the configured
 * types are logged (debug) and, with `--echo`, answered with their own
 * payload. Every protocol decision is the core's.
 */
import { readFile } from 'node:fs/promises';
import { HubUsageError, MAILBOX_TIMINGS, type HubConfig, type Policy } from '@dialoghub/core';
import { combineTransports, JournalStore, Hub, type HubStore, type HubTransport, type LogCommand } from '@dialoghub/runtime';
import { TcpTransport, type TcpLogEntry } from '@dialoghub/adapter-tcp';
import { FtpTransport, type FtpLogEntry, type LegacyBridge } from '@dialoghub/adapter-ftp';
import { createMemoryNetwork } from '@dialoghub/adapter-memory';
import { memoryTransport } from '@dialoghub/client';
import { loadOrCreateToken, startAdmin, type RunningAdmin } from '@dialoghub/admin';
import type { Logger } from 'pino';
import { asInputError, InputError, readingInput, UsageError } from '../errors.js';
import { eventLine, LostCauses } from './event-lines.js';
import { consoleExposureWarning } from './console-exposure.js';
import { ftpServerOptions, redacted, tickLine, type FtpServeTarget } from './ftp-target.js';
import { GatedTransport } from './gated-transport.js';
import { legacyBridgeFor, LegacyTicker, type LegacyServeTarget } from './legacy-bridge.js';
import type { ProfileSpec } from './profile-spec.js';
import { TraceRecorder } from './trace-recorder.js';
import { semiSpaceMiB } from './young-generation.js';

/** Application message types of a new hub when `--app-types` is not given. */
export const DEFAULT_APP_TYPES: readonly string[] = Object.freeze(['chat']);

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly keyFile: string; readonly certFile: string } | null;
  readonly dataDir: string;
  /** `--policy`, when given (a new data directory's hub policy; default the core's, replaceOld). */
  readonly policy: Policy | null;
  /** `--app-types`, when given (a new data directory's types; default `chat`). */
  readonly appTypes: readonly string[] | null;
  /** Profiles the hub must have: created when missing, renamed or given their policy when they differ. */
  readonly profiles: readonly ProfileSpec[];
  /** Answer every application message with its own payload. */
  readonly echo: boolean;
  /** Write the run's trace there (a new file). */
  readonly trace: string | null;
  /** Inputs between snapshots (the runtime's default when absent). */
  readonly snapshotEvery?: number;
  /** The operator console's address (`--admin-host`, `--admin-port`), or null/absent for none (`--no-admin`). */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /**
   * Wraps the data directory's journal store before the hub uses it: a seam
   * for tests (a store that fails on demand) and for embedders that observe
   * the store. Default: the journal itself.
   */
  readonly wrapStore?: (journal: HubStore) => HubStore;
  /** Where `DIALOGHUB_ADMIN_TOKEN` (and `DIALOGHUB_FTP_USER` / `DIALOGHUB_FTP_PASSWORD`) are looked up. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `--ftp`: serve this FTP mailbox instead of listening on `host`/`port` (which are then ignored). Null/absent: TCP. */
  readonly ftp?: FtpServeTarget | null;
  /** `--legacy-ftp`: also serve this legacy Hub fleet through the legacy bridge (with TCP or `--ftp`). Null/absent: none. */
  readonly legacy?: LegacyServeTarget | null;
}

export interface ServeSummary {
  /** The TCP address, or the FTP server's. */
  readonly host: string;
  readonly port: number;
  /** `--ftp`: the mailbox served, without the password; null over TCP. */
  readonly mailbox: string | null;
  /** `--legacy-ftp`: the legacy fleet's directory, without the password; null without the bridge. */
  readonly legacy: string | null;
  readonly reason: string;
  readonly uptimeMs: number;
  /** Inputs this run stepped. */
  readonly inputs: number;
  /** The journal's last seq when the hub stopped. */
  readonly journalSeq: number;
  readonly profiles: number;
  readonly clients: number;
  /** Sessions open when the hub stopped (each told `shutdown`). */
  readonly online: number;
  readonly trace: string | null;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly hub: Hub;
  /** The operator console, or null when it was not started. */
  readonly admin: RunningAdmin | null;
  /** `--legacy-ftp`: the legacy bridge (ticking on its own), or null. */
  readonly legacy: LegacyBridge | null;
  /** Resolves with the error if the hub stops on a store failure (it never rejects). */
  readonly failed: Promise<Error>;
  /** Stops the hub gracefully (idempotent) and says what it did. */
  close(reason: string): Promise<ServeSummary>;
}

const ERRNO: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'permission denied',
  ENOTFOUND: 'unknown host',
};

function errnoText(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && ERRNO[code] !== undefined) return ERRNO[code]!;
  return e instanceof Error ? e.message : String(e);
}

function coreLog(log: Logger, entry: LogCommand): void {
  // The core's info logs repeat what the event lines say (connectionLost, clientClosed…): debug here.
  const level = entry.level === 'info' ? 'debug' : entry.level;
  log[level]({ src: 'core', event: entry.event, clientId: entry.clientId, detail: entry.detail }, `core: ${entry.event}`);
}

function tcpLog(log: Logger): (entry: TcpLogEntry) => void {
  return (entry) => log[entry.level]({ src: 'tcp', event: entry.event, link: entry.link, detail: entry.detail }, `tcp: ${entry.event}`);
}

function ftpLog(log: Logger): (entry: FtpLogEntry) => void {
  return (entry) => log[entry.level]({ src: 'ftp', event: entry.event, link: entry.link, detail: entry.detail }, `ftp: ${entry.event}`);
}

/** The mailbox transport of `--ftp`, and how logs name it. */
interface Mailbox {
  readonly transport: FtpTransport;
  /** `ftp://user@host:port/dir`: no password. */
  readonly url: string;
  readonly target: FtpServeTarget;
}

async function mailboxFor(target: FtpServeTarget, env: Readonly<Record<string, string | undefined>>, log: Logger): Promise<Mailbox> {
  const { server, user, passwordFrom } = await ftpServerOptions(target, env);
  const url = redacted(target, user);
  if (passwordFrom === 'url') {
    log.warn({ event: 'ftpPasswordInUrl', mailbox: url }, 'the FTP password in --ftp can be seen by other users of this machine (ps): prefer DIALOGHUB_FTP_PASSWORD');
  }
  try {
    const transport = new FtpTransport({
      server,
      ...(target.remoteDir !== undefined ? { remoteDir: target.remoteDir } : {}),
      pollIntervalMs: target.pollIntervalMs,
      ...(target.connections !== null ? { connections: target.connections } : {}),
      onTick: (report) => {
        const line = tickLine(report);
        log[line.level](line.fields, line.msg);
      },
      log: ftpLog(log),
    });
    return { transport, url, target };
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(`--ftp: ${e.message}`);
    throw e;
  }
}

async function tlsOptions(tls: ServerConfig['tls']): Promise<{ key: Buffer; cert: Buffer } | undefined> {
  if (tls === null) return undefined;
  const key = await readingInput(tls.keyFile, () => readFile(tls.keyFile));
  const cert = await readingInput(tls.certFile, () => readFile(tls.certFile));
  return { key, cert };
}

function transportFor(config: ServerConfig, tls: { key: Buffer; cert: Buffer } | undefined, log: Logger): TcpTransport {
  try {
    return new TcpTransport({ host: config.host, port: config.port, ...(tls !== undefined ? { tls } : {}), log: tcpLog(log) });
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(e.message);
    // node:tls refuses a key or certificate it cannot read.
    throw new InputError(`--tls-key ${config.tls?.keyFile} / --tls-cert ${config.tls?.certFile}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Creates, renames or re-policies the `--profile`s; a refusal is the user's mistake. */
async function ensureProfiles(hub: Hub, specs: readonly ProfileSpec[], log: Logger): Promise<void> {
  for (const spec of specs) {
    const existing = hub.state.profiles.get(spec.id);
    const actions: Parameters<Hub['operate']>[0][] = [];
    if (existing === undefined) {
      actions.push({ type: 'profileCreated', profileId: spec.id, name: spec.name, policy: spec.policy });
    } else {
      if (existing.name !== spec.name) actions.push({ type: 'profileRenamed', profileId: spec.id, name: spec.name });
      if (spec.policy !== null && existing.policy !== spec.policy) actions.push({ type: 'profilePolicySet', profileId: spec.id, policy: spec.policy });
      if (actions.length === 0) log.debug({ event: 'profileKept', profileId: spec.id }, `profile ${spec.id} '${spec.name}' is there already`);
    }
    for (const action of actions) {
      const outcome = await hub.operate(action);
      if (!outcome.ok) throw new UsageError(`--profile ${spec.id}:${spec.name}: ${outcome.message}`);
    }
  }
}

/** Warns when `--policy` / `--app-types` differ from what a restored hub keeps. */
function checkKeptConfig(hub: Hub, config: ServerConfig, log: Logger): void {
  const kept = hub.state.config;
  const differs: string[] = [];
  if (config.policy !== null && config.policy !== kept.policy) differs.push(`--policy ${config.policy} (the hub keeps ${kept.policy})`);
  if (config.appTypes !== null) {
    const given = [...new Set(config.appTypes)].sort().join(',');
    if (given !== kept.appMessageTypes.join(',')) differs.push(`--app-types ${given} (the hub keeps ${kept.appMessageTypes.join(',') || 'none'})`);
  }
  if (differs.length > 0) {
    log.warn({ event: 'configKept', policy: kept.policy, appTypes: kept.appMessageTypes }, `the data directory's hub keeps the config it was created with; ignored: ${differs.join('; ')}`);
  }
}

/** Warns when a restored hub keeps timings other than `MAILBOX_TIMINGS` (a data directory first served over TCP). */
function checkKeptTimings(hub: Hub, log: Logger): void {
  const kept = hub.state.config;
  const keys = ['syncAfterMs', 'syncEveryMs', 'deadAfterMs', 'retryAfterMs'] as const;
  const differs = keys.filter((k) => kept[k] !== MAILBOX_TIMINGS[k]);
  if (differs.length === 0) return;
  log.warn(
    { event: 'timingsKept', ...Object.fromEntries(keys.map((k) => [k, kept[k]])) },
    `the data directory's hub keeps the timings it was created with (${differs.map((k) => `${k} ${kept[k]}`).join(', ')}), not the mailbox's: clients polling every few seconds or more may be declared offline; serve a mailbox from a new data directory`,
  );
}

/** Starts the hub (see the module comment). Throws `UsageError` / `InputError` for what the user can fix. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const started = Date.now();
  const ftp = config.ftp ?? null;
  const tls = ftp === null ? await tlsOptions(config.tls) : undefined;
  const mailbox = ftp === null ? null : await mailboxFor(ftp, config.env ?? process.env, log);
  const tcp = mailbox === null ? transportFor(config, tls, log) : null;
  const main: HubTransport = mailbox?.transport ?? tcp!;
  // The legacy bridge is a client of the hub, in this process: its links come over a memory network.
  const legacyTarget = config.legacy ?? null;
  const bridgeNetwork = legacyTarget !== null ? createMemoryNetwork() : null;
  const legacy = legacyTarget !== null ? await legacyBridgeFor(legacyTarget, config.dataDir, memoryTransport(bridgeNetwork!), config.env ?? process.env, log) : null;
  const gate = new GatedTransport(bridgeNetwork === null ? main : combineTransports(main, bridgeNetwork.transport));
  // A mailbox, or a legacy fleet, is polled: the seed's 30 s ticks, not a connection's heartbeats (protocol.md §7.2).
  const polled = mailbox !== null || legacy !== null;
  const hubConfig: HubConfig = {
    ...(polled ? MAILBOX_TIMINGS : {}),
    ...(config.policy !== null ? { policy: config.policy } : {}),
    appMessageTypes: config.appTypes ?? DEFAULT_APP_TYPES,
  };
  const journal = await readingInput(config.dataDir, () => JournalStore.open({ dir: config.dataDir, onWarning: (m) => log.warn({ event: 'journalRepaired' }, m) }));
  const store: HubStore = config.wrapStore?.(journal) ?? journal;
  const causes = new LostCauses();
  const recorder =
    config.trace === null
      ? null
      : new TraceRecorder(config.trace, {
          writer: 'dialoghub serve',
          extra: {
            serve: {
              ...(mailbox !== null ? { mailbox: mailbox.url } : { host: config.host, port: config.port }),
              ...(legacy !== null ? { legacy: legacy.url } : {}),
              data: config.dataDir,
            },
          },
          onError: (e) => log.error({ event: 'traceFailed', trace: config.trace }, `the trace ${config.trace} cannot be written, recording stopped: ${errnoText(e)}`),
        });
  let firstSeq = 0;
  const setup = (hub: Hub): void => {
    firstSeq = hub.journalSeq;
    recorder?.begin(hub);
    const policyOf = (profileId: number): Policy => hub.state.profiles.get(profileId)?.policy ?? hub.state.config.policy;
    hub.onAny((event) => {
      const cause = event.type === 'clientOffline' ? causes.take(event.clientId) : undefined;
      const line = eventLine(event, { policyOf, ...(cause !== undefined ? { cause } : {}) });
      log[line.level](line.fields, line.msg);
    });
    for (const appType of hub.state.config.appMessageTypes) {
      hub.handle(appType, async (d) => {
        log.debug({ event: 'message', clientId: d.clientId, seq: d.seq, appType: d.appType, bytes: d.payload.length }, `message ${d.seq} from client ${d.clientId} (${d.appType}, ${d.payload.length} bytes)`);
        if (config.echo) await d.reply(d.payload);
      });
    }
  };

  // Settled if the hub stops on a store failure (runtime docs §2): `runServe` then exits with code 4.
  let storeFailed!: (error: Error) => void;
  const failed = new Promise<Error>((resolve) => (storeFailed = resolve));
  let hub: Hub;
  try {
    hub = await Hub.open({
      transport: gate,
      store,
      config: hubConfig,
      ...(config.snapshotEvery !== undefined ? { snapshotEvery: config.snapshotEvery } : {}),
      log: (entry) => {
        causes.noteLog(entry);
        coreLog(log, entry);
      },
      ...(recorder !== null ? { onStep: recorder.onStep } : {}),
      setup,
      onFailure: (error) => {
        log.fatal({ event: 'storeFailed', error: error.message }, `${error.message}: stopping without a snapshot; restart to recover from the journal`);
        storeFailed(error);
      },
    });
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof HubUsageError) throw new UsageError(e.message);
    const mapped = asInputError(e, config.dataDir);
    if (mapped instanceof UsageError || !(e instanceof Error) || e.constructor !== Error) throw mapped;
    // The runtime throws a plain Error for a snapshot that does not restore or a gap in the journal: the directory's fault.
    throw new InputError(`${config.dataDir}: ${e.message}`, { cause: e });
  }

  let closing: Promise<ServeSummary> | null = null;
  const summary = (reason: string, online: number): ServeSummary => ({
    host: config.host,
    port: config.port,
    mailbox: mailbox?.url ?? null,
    legacy: legacy?.url ?? null,
    reason,
    uptimeMs: Date.now() - started,
    inputs: hub.journalSeq - firstSeq,
    journalSeq: hub.journalSeq,
    profiles: hub.state.profiles.size,
    clients: hub.state.clients.size,
    online,
    trace: config.trace,
  });
  let admin: RunningAdmin | null = null;
  const abort = async (e: unknown): Promise<never> => {
    await legacy?.bridge.close().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    await hub.close().catch(() => undefined);
    await recorder?.close().catch(() => undefined);
    throw e;
  };

  try {
    await recorder?.open();
  } catch (e) {
    return abort(asInputError(e, config.trace ?? 'the trace'));
  }
  try {
    // A state file that cannot be used fails the start (an empty start would answer every running legacy client Reseted).
    await legacy?.bridge.open();
  } catch (e) {
    return abort(asInputError(e, legacy!.statePath));
  }
  if (legacy !== null && legacy.target.reset) {
    try {
      await legacy.bridge.resetConnectionFiles();
      log.info({ event: 'legacyReset', legacy: legacy.url }, `emptied cxnreq.hub and cxnresp.gov at ${legacy.url} (--legacy-reset)`);
    } catch (e) {
      return abort(new InputError(`--legacy-reset: cannot empty the connection files at ${legacy.url}: ${errnoText(e)}`, { cause: e }));
    }
  }
  checkKeptConfig(hub, config, log);
  if (polled) checkKeptTimings(hub, log);
  try {
    await ensureProfiles(hub, config.profiles, log);
  } catch (e) {
    return abort(e);
  }
  if (config.admin !== undefined && config.admin !== null) {
    const where = `${config.admin.host}:${config.admin.port}`;
    const exposure = consoleExposureWarning(config.admin.host, tls !== undefined);
    if (exposure !== null) log.warn({ event: 'consoleInClear', host: config.admin.host }, exposure);
    try {
      const token = await loadOrCreateToken(config.dataDir, config.env ?? process.env);
      admin = await startAdmin({
        hub,
        token: token.token,
        host: config.admin.host,
        port: config.admin.port,
        ...(tls !== undefined ? { tls } : {}),
        processMetrics: true,
        onError: (e, method, path) => log.error({ event: 'consoleFailed', method, path, error: e instanceof Error ? e.stack : String(e) }, `console: ${method} ${path} failed: ${errnoText(e)}`),
      });
      log.info(
        { event: 'console', url: admin.url, tokenFile: token.path, tokenSource: token.source },
        `console at ${admin.url} (admin token ${token.source === 'env' ? 'from DIALOGHUB_ADMIN_TOKEN' : `in ${token.path}${token.source === 'created' ? ', just created' : ''}`})`,
      );
    } catch (e) {
      return abort(new InputError(`cannot start the console on ${where}: ${errnoText(e)}`, { cause: e }));
    }
  }
  try {
    await gate.open();
  } catch (e) {
    if (mailbox !== null) return abort(new InputError(`cannot serve the mailbox ${mailbox.url}: ${errnoText(e)}`, { cause: e }));
    return abort(new InputError(`cannot listen on ${config.host}:${config.port}: ${errnoText(e)}`, { cause: e }));
  }
  const address = tcp !== null ? tcp.address() : { host: mailbox!.target.host, port: mailbox!.target.port };
  const s = hub.state;
  const common = {
    data: config.dataDir,
    journalSeq: hub.journalSeq,
    policy: s.config.policy,
    appTypes: s.config.appMessageTypes,
    profiles: s.profiles.size,
    clients: s.clients.size,
    echo: config.echo,
    trace: config.trace,
    semiSpaceMiB: semiSpaceMiB(),
    node: process.version,
  };
  if (mailbox !== null) {
    const every = mailbox.target.pollIntervalMs;
    log.info(
      { event: 'serving', mailbox: mailbox.url, ftps: mailbox.target.tls, pollIntervalMs: every, syncAfterMs: s.config.syncAfterMs, deadAfterMs: s.config.deadAfterMs, ...common },
      `serving the mailbox ${mailbox.url}${mailbox.target.tls ? ' (FTPS)' : ''}, a tick every ${every} ms`,
    );
  } else {
    log.info({ event: 'listening', host: address.host, port: address.port, tls: tls !== undefined, ...common }, `listening on ${address.host}:${address.port}${tls !== undefined ? ' (TLS)' : ''}`);
  }
  let ticker: LegacyTicker | null = null;
  if (legacy !== null) {
    const every = legacy.target.pollIntervalMs;
    log.info(
      { event: 'legacyBridge', legacy: legacy.url, ftps: legacy.target.tls, pollIntervalMs: every, state: legacy.statePath, legacyClients: legacy.bridge.snapshot?.clients.size ?? 0 },
      `bridging the legacy fleet at ${legacy.url}${legacy.target.tls ? ' (FTPS)' : ''}, a tick every ${every} ms (state ${legacy.statePath})`,
    );
    ticker = new LegacyTicker(legacy.bridge, every, log);
    ticker.start();
  }

  return {
    host: address.host,
    port: address.port,
    hub,
    admin,
    legacy: legacy?.bridge ?? null,
    failed,
    close(reason: string): Promise<ServeSummary> {
      closing ??= (async () => {
        const online = hub.state.sessions.size;
        log.info({ event: 'stopping', reason, online }, `stopping (${reason}): telling ${online} connected client(s) shutdown`);
        // The bridge's loop first (a running tick finishes); its clients are then told shutdown by the hub like
        // everyone else, and the bridge closes last: its state stays as last saved, its sessions log in again at the next start.
        await ticker?.stop();
        await admin?.close();
        await hub.close();
        if (legacy !== null) {
          await legacy.bridge.close().catch((e: unknown) => log.error({ event: 'legacyCloseFailed' }, `the legacy bridge did not close cleanly: ${errnoText(e)}`));
        }
        if (recorder !== null) {
          await recorder.close().catch((e: unknown) => log.error({ event: 'traceFailed' }, `the trace ${config.trace} is incomplete: ${errnoText(e)}`));
        }
        const result = { ...summary(reason, online), host: address.host, port: address.port };
        log.info(
          { event: 'stopped', journalSeq: result.journalSeq, inputs: result.inputs, uptimeMs: result.uptimeMs, ...(recorder !== null ? { traceRecords: recorder.records } : {}) },
          hub.failed !== null
            ? `stopped on a store failure: journal at seq ${result.journalSeq}, no snapshot, ${config.dataDir} unlocked`
            : `stopped: journal at seq ${result.journalSeq} and snapshotted, ${config.dataDir} unlocked`,
        );
        return result;
      })();
      return closing;
    },
  };
}
