/**
 * Bounds and clean-up for the end-to-end tests.
 *
 * `within` is a guard, not a way to synchronise: every test waits on the
 * event it needs, and `within` only turns a wait that would hang (a bug) into
 * a failure that names what was awaited, well before vitest's own timeout.
 */
import { afterEach } from 'vitest';

/** Default bound on a single wait. Generous: it only matters when something is broken. */
export const WAIT_MS = 10_000;

export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Things to undo after each test, last registered first (engines before the hub they talk to). */
const stack: (() => unknown)[] = [];

export function onCleanup(fn: () => unknown): void {
  stack.push(fn);
}

/** Registers the `afterEach` that runs the clean-ups; call once at the top of a test file. */
export function useCleanup(): void {
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const fn of stack.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
}

export const utf8 = new TextEncoder();
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
