/**
 * Theory of operation: waiting for a condition without sleeping. Whatever
 * may change the demo's world (a hub event, an engine event) calls `poke`;
 * `until(condition, ms)` resolves true as soon as a poke finds the
 * condition true, or false when `ms` ran out. A slow re-check (every 50 ms)
 * covers changes nobody pokes for, such as the hub's state after a step.
 */
export class Pulse {
  private readonly waiting = new Set<{ readonly check: () => boolean; readonly done: (ok: boolean) => void }>();
  private ticker: NodeJS.Timeout | null = null;

  poke(): void {
    for (const w of [...this.waiting]) if (w.check()) w.done(true);
  }

  until(condition: () => boolean, ms: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => w.done(false), ms);
      const w = {
        check: condition,
        done: (ok: boolean) => {
          if (!this.waiting.delete(w)) return;
          clearTimeout(timer);
          if (this.waiting.size === 0 && this.ticker !== null) {
            clearInterval(this.ticker);
            this.ticker = null;
          }
          resolve(ok);
        },
      };
      this.waiting.add(w);
      this.ticker ??= setInterval(() => this.poke(), 50);
    });
  }
}
