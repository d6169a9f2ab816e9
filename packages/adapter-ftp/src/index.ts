/**
 * @packageDocumentation
 * `@dialoghub/adapter-ftp`: the dialoghub mailbox transport over FTP and
 * explicit FTPS (basic-ftp). Each link is a session with two files on the
 * server — one the client writes, one the hub writes — holding frames of the
 * core's wire codec in a small checksummed format; uploads are atomic
 * (temporary name, size check, rename), batched per tick over one control
 * connection, and retried; files are trimmed by acknowledgement.
 *
 * ```ts
 * // The hub
 * const transport = new FtpTransport({ server: { host, port, user, password }, remoteDir: 'hub/dlg', pollIntervalMs: 30_000 });
 * const hub = await Hub.open({ transport, store, config: MAILBOX_TIMINGS });
 *
 * // A client (the engine from @dialoghub/client drives it)
 * const client = new FtpClientTransport({ server: { host, port }, remoteDir: 'hub/dlg', pollIntervalMs: 30_000 });
 * const link = await client.connect();
 * link.onFrame((frame) => { ... });
 * await link.send({ kind: 'request', request });
 * ```
 *
 * See docs/adapters/ftp.md.
 */
export { FtpTransport, joinRemote, randomHex64 } from './ftp-transport.js';
export { FtpClientTransport, FtpClientLink, type ClientLink, type ClientTransport, type FtpLinkCause } from './client-transport.js';
export {
  DEFAULTS,
  type FtpServerOptions,
  type FtpTlsOptions,
  type FtpTransportOptions,
  type FtpClientOptions,
  type FtpLogEntry,
  type TickReport,
} from './options.js';
export { DHMB_FORMAT, MAGIC, FORMAT_VERSION, HEADER_BYTES, NO_EPOCH, type MailboxFile, type MailboxFormat, type FormatError } from './format.js';
export {
  MailboxPaths,
  DIRECTORY,
  checkRemoteDir,
  isSessionId,
  sessionId,
  parseClientFileName,
  parseHubFileName,
  type SessionId,
  type Direction,
  type ClientFileName,
  type HubFileName,
} from './names.js';
export { fitFrames, type ClientFrame, type HubFrame, type SizedFrame } from './frames.js';
// The original Hub file format (docs/adapters/ftp-legacy.md).
export * from './legacy/index.js';
// The mailbox format that writes it (docs/adapters/ftp-legacy.md §9).
export {
  LEGACY_HUB_FORMAT,
  LEGACY_FRAME_PLACES,
  LEGACY_PART_KINDS,
  LEGACY_SUPPLEMENT_MAGIC,
  LEGACY_SUPPLEMENT_VERSION,
  legacyHubFormat,
  type LegacyHubFormatOptions,
} from './legacy-format.js';
// An unmodified legacy fleet served by a dialoghub hub (docs/adapters/ftp-legacy.md §10).
export * from './legacy-bridge/index.js';
