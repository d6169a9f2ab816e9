/**
 * Theory of operation: a `MemoryStore` whose group commit the suite can hold
 * open. The hub runs no command of a batch until the batch is durable
 * (runtime hub.ts, step 3), so holding `append` freezes the hub between
 * deciding and acting. That is how the suite lines up races without timing:
 * hold, let the hub decide (a command for a link), change the world (drop
 * the link), release, and watch what the transport does with the command.
 */
import { MemoryStore, type JournalRecord } from '@dialoghub/runtime';

/**
 * A `MemoryStore` with a gate on `append`. Pass it to `Hub.open` as the store;
 * `hold()` before the input whose effects you want to delay, await
 * `nextAppend()` to know the hub has decided, `release()` to let it act.
 */
export class GatedStore extends MemoryStore {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  private appendWaiters: (() => void)[] = [];

  /** From now on, `append` waits until `release()`. */
  hold(): void {
    if (this.gate !== null) return;
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  /** Lets waiting and future appends through. */
  release(): void {
    const open = this.open;
    this.gate = null;
    this.open = null;
    open?.();
  }

  /** Resolves when `append` is next called (held or not). Call it before causing the append. */
  nextAppend(): Promise<void> {
    return new Promise((resolve) => this.appendWaiters.push(resolve));
  }

  override async append(records: readonly JournalRecord[]): Promise<void> {
    const waiters = this.appendWaiters;
    this.appendWaiters = [];
    for (const resolve of waiters) resolve();
    while (this.gate !== null) await this.gate;
    await super.append(records);
  }
}
