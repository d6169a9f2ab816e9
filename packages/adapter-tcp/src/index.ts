/**
 * @packageDocumentation
 * `@dialoghub/adapter-tcp`: the dialoghub transport over TCP and TLS
 * (node:net, node:tls) — length-prefixed frames of the core's wire codec, a
 * first-frame deadline, idle timeout and keep-alive, bounded write queues,
 * connection caps and a graceful stop — and the client side of a link.
 *
 * ```ts
 * const transport = new TcpTransport({ port: 7400, tls: { key, cert } });
 * const hub = await Hub.open({ transport, store, config });
 *
 * const link = await connectTcp({ port: transport.address().port, tls: { ca: cert } });
 * link.onFrame((frame) => { ... });               // answers, dialog messages, the close frame
 * link.onClose((reason, cause) => { ... });       // once, after every frame
 * await link.send({ kind: 'request', request });
 * ```
 *
 * See docs/adapters/tcp.md.
 */
export { TcpTransport, type TcpAddress } from './tcp-transport.js';
export { connectTcp, TcpClientLink, type ClientLink, type ClientLinkCause, type ClientLinkEnd } from './client-link.js';
export {
  ADAPTER_CLOSE_REASONS,
  DEFAULTS,
  type TcpTransportOptions,
  type TcpConnectOptions,
  type TlsServerOptions,
  type TlsClientOptions,
  type TcpLogEntry,
} from './options.js';
export { FrameParser, lengthPrefixed, LENGTH_PREFIX_BYTES, type FramingError, type ParseResult } from './framing.js';
export { encodeWithin, type ClientFrame, type HubFrame } from './frames.js';
