/**
 * Theory of operation: a transport that opens only when told. `Hub.open`
 * starts its transport as its last step; `serve` wants the hub recovered
 * and its `--profile`s created before the first client can connect, and
 * wants to release the data directory cleanly when the port cannot be bound.
 * So the hub gets this wrapper: its `start` only keeps the sink, and `open`
 * starts the real transport with it. Everything else passes through.
 */
import type { HubTransport, TransportCommand, TransportEvent } from '@dialoghub/runtime';

export class GatedTransport implements HubTransport {
  private sink: ((event: TransportEvent) => void) | null = null;

  constructor(private readonly inner: HubTransport) {}

  start(sink: (event: TransportEvent) => void): Promise<void> {
    this.sink = sink;
    return Promise.resolve();
  }

  /** Starts the real transport with the hub's sink. Rejects as its `start` does (a port in use). */
  open(): Promise<void> {
    if (this.sink === null) return Promise.reject(new Error('the hub has not started the transport yet'));
    return this.inner.start(this.sink);
  }

  execute(command: TransportCommand): Promise<void> {
    return this.inner.execute(command);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
