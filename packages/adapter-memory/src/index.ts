/**
 * @packageDocumentation
 * `@dialoghub/adapter-memory`: an in-process, deterministic transport for
 * dialoghub — for tests, for embedding a hub and its clients in one process,
 * and for the simulator.
 *
 * ```ts
 * const network = createMemoryNetwork();                  // or { delivery: 'manual', wireCodec: true }
 * const hub = await Hub.open({ transport: network.transport, clock, store });
 * const link = network.connect();                          // a client's end
 * link.onReceive((frame) => { ... });                      // answers, dialog messages, close + reason
 * link.send({ kind: 'request', request: { kind: 'login', ... } });
 * ```
 *
 * See docs/adapters/memory.md.
 */
export { createMemoryNetwork, MemoryNetwork, type MemoryNetworkOptions, type DeliveryMode, type PendingDelivery } from './network.js';
export { MemoryTransport } from './memory-transport.js';
export { MemoryClientLink, type LinkEnd } from './client-link.js';
export type { ClientFrame, HubFrame, WireCodecOption } from './frames.js';
