/**
 * The counts of one hub tick or client poll, gathered as it runs and frozen
 * into a `TickReport` at its end. A client poll takes no listing, so its
 * `listed` stays 0.
 */
import { describeError } from './ftp-connection.js';
import type { TickReport } from './options.js';

export class ReportBuilder {
  listed = 0;
  downloaded = 0;
  unchanged = 0;
  uploaded = 0;
  deleted = 0;
  failed = 0;
  delivered = 0;
  readonly errors: string[] = [];

  constructor(readonly tick: number) {}

  fail(what: string, error: unknown): void {
    this.failed++;
    this.errors.push(`${what}: ${describeError(error)}`);
  }

  build(links: number): TickReport {
    const { tick, listed, downloaded, unchanged, uploaded, deleted, failed, delivered, errors } = this;
    return Object.freeze({ tick, listed, downloaded, unchanged, uploaded, deleted, failed, delivered, links, errors: Object.freeze([...errors]) });
  }
}
