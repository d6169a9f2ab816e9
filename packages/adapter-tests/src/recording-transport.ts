/**
 * Theory of operation: the suite sits between the hub and the transport
 * under test and writes down, in order, every fact the transport reports,
 * every command the hub asks it to run with how it settled, and the calls to
 * `stop`. The record serves two ends: tests await entries in it (no
 * sleeping), and `checkTransportRules` reads it after each test to check the
 * contract rules that hold for every run (rules 3, 4 and 5 of transport.ts).
 *
 * It changes nothing on the way through — with one exception: an `execute`
 * that throws instead of rejecting is recorded as a violation and turned into
 * a rejection, so one broken adapter call does not take the hub down.
 */
import type { HubTransport, TransportCommand, TransportEvent } from '@dialoghub/runtime';
import { WatchList } from './watch-list.js';

/** One line of a transport's record. `call` numbers `execute` calls from 1. */
export type TransportRecordEntry =
  | { readonly kind: 'fact'; readonly event: TransportEvent }
  | { readonly kind: 'execute'; readonly call: number; readonly command: TransportCommand }
  | { readonly kind: 'settled'; readonly call: number; readonly ok: boolean; readonly error: string | null }
  | { readonly kind: 'threw'; readonly call: number; readonly error: string }
  | { readonly kind: 'stop' }
  | { readonly kind: 'stopped' };

/** A `HubTransport` that forwards to `inner` and records everything that passes. */
export class RecordingTransport implements HubTransport {
  /** The record, in order; await conditions on it with `record.until(...)`. */
  readonly record = new WatchList<TransportRecordEntry>();
  private calls = 0;

  constructor(readonly inner: HubTransport) {}

  start(sink: (event: TransportEvent) => void): Promise<void> {
    return this.inner.start((event) => {
      this.record.push({ kind: 'fact', event });
      sink(event);
    });
  }

  execute(command: TransportCommand): Promise<void> {
    const call = ++this.calls;
    this.record.push({ kind: 'execute', call, command });
    let outcome: Promise<void>;
    try {
      outcome = this.inner.execute(command);
    } catch (error) {
      this.record.push({ kind: 'threw', call, error: String(error) });
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    outcome.then(
      () => this.record.push({ kind: 'settled', call, ok: true, error: null }),
      (error: unknown) => this.record.push({ kind: 'settled', call, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
    return outcome;
  }

  async stop(): Promise<void> {
    this.record.push({ kind: 'stop' });
    await this.inner.stop();
    this.record.push({ kind: 'stopped' });
  }

  /** The facts recorded so far. */
  facts(): TransportEvent[] {
    const out: TransportEvent[] = [];
    for (const e of this.record.items) if (e.kind === 'fact') out.push(e.event);
    return out;
  }

  /** Resolves with the first fact (recorded or to come) that `match` accepts. */
  fact(match: (event: TransportEvent) => boolean): Promise<TransportEvent> {
    return this.record.until((items) => {
      for (const e of items) if (e.kind === 'fact' && match(e.event)) return e.event;
      return undefined;
    });
  }

  /** Resolves with how the first `execute` matching `match` settled, once it has. */
  settled(match: (command: TransportCommand) => boolean): Promise<{ command: TransportCommand; ok: boolean; error: string | null }> {
    return this.record.until((items) => {
      const call = items.find((e) => e.kind === 'execute' && match(e.command));
      if (call === undefined || call.kind !== 'execute') return undefined;
      const done = items.find((e) => (e.kind === 'settled' || e.kind === 'threw') && e.call === call.call);
      if (done === undefined) return undefined;
      return done.kind === 'settled' ? { command: call.command, ok: done.ok, error: done.error } : { command: call.command, ok: false, error: (done as { error: string }).error };
    });
  }
}
