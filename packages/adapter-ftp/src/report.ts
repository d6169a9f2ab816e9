/**
 * The counts of one hub tick or client poll, gathered as it runs and frozen
 * into a `TickReport` at its end. A client poll takes no listing, so its
 * `listed` stays 0.
 */
import { describeError, type ConnectionCounts } from './ftp-connection.js';
import type { TickReport } from './options.js';

export class ReportBuilder {
  listed = 0;
  downloaded = 0;
  unchanged = 0;
  uploaded = 0;
  deleted = 0;
  failed = 0;
  delivered = 0;
  /** Set at the end: what the connections carried during the tick or poll. */
  bytes = 0;
  dataConnections = 0;
  readonly errors: string[] = [];

  constructor(readonly tick: number) {}

  fail(what: string, error: unknown): void {
    this.failed++;
    this.errors.push(`${what}: ${describeError(error)}`);
  }

  build(links: number): TickReport {
    const { tick, listed, downloaded, unchanged, uploaded, deleted, failed, delivered, bytes, dataConnections, errors } = this;
    return Object.freeze({ tick, listed, downloaded, unchanged, uploaded, deleted, failed, delivered, links, bytes, dataConnections, errors: Object.freeze([...errors]) });
  }

  /** Counts from `before` (the connections' counts when the tick began) to `after`. */
  carried(before: readonly ConnectionCounts[], after: readonly ConnectionCounts[]): void {
    for (const [i, a] of after.entries()) {
      this.bytes += a.bytes - (before[i]?.bytes ?? 0);
      this.dataConnections += a.dataConnections - (before[i]?.dataConnections ?? 0);
    }
  }
}
