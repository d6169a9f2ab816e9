/**
 * The legacy bridge: an unmodified fleet of original Hub clients served by a
 * dialoghub hub (docs/adapters/ftp-legacy.md §10, decision 0007).
 */
export {
  LegacyBridge,
  type BridgeConnector,
  type BridgeFrame,
  type BridgeHubFrame,
  type BridgeLink,
  type BridgeLogEntry,
  type BridgeTickReport,
  type LegacyBridgeOptions,
} from './bridge.js';
export {
  BridgeStateError,
  emptyBridgeState,
  fileStateStore,
  memoryStateStore,
  parseBridgeState,
  stringifyBridgeState,
  type BridgeClient,
  type BridgeState,
  type BridgeStateStore,
  type GovEntry,
  type LegacySession,
  type PublishedAnswer,
} from './state.js';
