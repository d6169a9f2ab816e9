/**
 * @packageDocumentation
 * `@dialoghub/adapter-tests`: the conformance suite every dialoghub transport
 * adapter runs in its own test file (architecture.md §6), plus the pieces it
 * is built from, for adapters that want adapter-specific tests in the same
 * style.
 *
 * ```ts
 * import { runTransportConformance } from '@dialoghub/adapter-tests';
 * runTransportConformance('my-transport', () => ({ transport, connect, teardown }));
 * ```
 *
 * See docs/adapters/writing-an-adapter.md.
 */
export { runTransportConformance, type ConformanceOptions } from './conformance.js';
export type { TransportHarness, TransportSetup, TestPeer, PeerEvent, ClientFrame, HubFrame } from './harness.js';
export { PeerInbox, peerOfLink, type PeerLink } from './peer-inbox.js';
export { RecordingTransport, type TransportRecordEntry } from './recording-transport.js';
export { checkTransportRules } from './transport-rules.js';
export { GatedStore } from './gated-store.js';
export { WatchList } from './watch-list.js';
export { hasOpenssl, testCertificate, type TestCertificate } from './certificate.js';
