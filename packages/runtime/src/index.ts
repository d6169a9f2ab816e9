/**
 * @packageDocumentation
 * `@dialoghub/runtime`: the shell around the pure core — the hub driver, the
 * transport contract adapters implement, clocks, entropy and stores.
 */
export { Hub, SNAPSHOT_SLICE, type HubOptions, type HubObserver, type ActionOutcome, type Delivery, type DeliveryHandler, type Authenticate, type LogCommand, type DistributiveOmit } from './hub.js';
export {
  isTransportCommand,
  isClientFrame,
  isHubFrame,
  hubFrameOf,
  eventOf,
  type HubTransport,
  type TransportCommand,
  type TransportEvent,
  type ClientFrame,
  type HubFrame,
} from './transport.js';
export { combineTransports, CombinedTransport, type CombinedTransportOptions, type CombinedRoute } from './combined-transport.js';
export { systemClock, ManualClock, type Clock, type CancelTimer } from './clock.js';
export { LinkIdAllocator } from './link-ids.js';
export { ClientLinkEvents, type LinkEnding } from './client-link-events.js';
export { cryptoEntropy, seededEntropy, type Entropy } from './entropy.js';
export { MemoryStore, type HubStore, type JournalRecord, type Recovered, type RecoveryVisitor } from './store.js';
export * from './journal/index.js';
