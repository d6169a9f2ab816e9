/**
 * Theory of operation: the memory adapter's client link
 * (`@dialoghub/adapter-memory`'s `MemoryClientLink`) seen as a `ClientLink`.
 * Typed by shape only, so this package does not depend on the adapter.
 */
import type { CloseReason } from '@dialoghub/core';
import type { ClientFrame, ClientLink, ClientTransport, HubFrame } from './link.js';

/** The surface of `MemoryClientLink` the engine uses. */
export interface MemoryLinkLike {
  send(frame: ClientFrame): boolean;
  onReceive(listener: (frame: HubFrame) => void): () => void;
  onClose(
    listener: (end: { readonly by: 'hub' | 'client' | 'transport'; readonly reason: CloseReason | null; readonly detail: string | null }) => void,
  ): () => void;
  close(): void;
}

/** Adapts one memory link. `send` rejects once the link has ended (the memory link returns false). */
export function fromMemoryLink(link: MemoryLinkLike): ClientLink {
  return {
    send: (frame) => (link.send(frame) ? Promise.resolve() : Promise.reject(new Error('the link has ended'))),
    onFrame: (listener) => link.onReceive(listener),
    onClose: (listener) =>
      link.onClose((end) => {
        const cause = end.by === 'hub' ? 'closedByHub' : end.by === 'client' ? 'closedByClient' : `transport: ${end.detail ?? 'unknown'}`;
        listener(end.reason, cause);
      }),
    close: () => link.close(),
  };
}

/** A transport over a memory network (`createMemoryNetwork()` of `@dialoghub/adapter-memory`). */
export function memoryTransport(network: { connect(): MemoryLinkLike }): ClientTransport {
  return { connect: () => Promise.resolve(fromMemoryLink(network.connect())) };
}
