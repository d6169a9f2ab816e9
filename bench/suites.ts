/**
 * Theory of operation: the registry of benchmark suites, one line each.
 *
 * A suite is loaded only when asked for, so a suite that needs sockets, files
 * or a server costs nothing to the others. To add one, write
 * `bench/<name>/suite.ts` exporting `suite: Suite` and add its line below.
 */
import type { SuiteRecord } from './report.js';

export interface SuiteOptions {
  /** Smoke-check size: the smaller configurations only, in seconds rather than minutes. */
  readonly quick: boolean;
}

export interface SuiteContext {
  readonly options: SuiteOptions;
  /** Reports one measured figure. */
  readonly report: (record: SuiteRecord) => void;
  /** Tells a person what is going on (stderr). */
  readonly progress: (message: string) => void;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  run(ctx: SuiteContext): Promise<void>;
}

export const SUITES: Readonly<Record<string, () => Promise<Suite>>> = {
  core: async () => (await import('./core/suite.js')).suite,
  journal: async () => (await import('./journal/suite.js')).suite,
  tcp: async () => (await import('./tcp/suite.js')).suite,
  ftp: async () => (await import('./ftp/suite.js')).suite,
};
