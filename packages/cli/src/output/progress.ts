/**
 * Theory of operation: progress bars for long runs (cli-progress), drawn on
 * stderr and only when stderr is a terminal (`CliIo.progressStream`);
 * otherwise every method does nothing, so commands report progress without
 * asking where it goes. A bar is cleared when it stops: the result that
 * follows is what stays on screen.
 *
 * The simulator reports progress from inside a synchronous run, so the bar
 * redraws from `update` itself (cli-progress's synchronous updates) rather
 * than from a timer that could not fire until the run ends. The cursor stays
 * visible: a Ctrl+C during such a run ends the process at once, with no
 * chance to show a hidden cursor again.
 */
import cliProgress from 'cli-progress';
import type { CliIo } from '../io.js';

export interface Progress {
  /** Sets the value: a fraction in [0, 1] for a `fraction` bar, a count for a `counter`. */
  update(value: number): void;
  /** Clears the bar. Idempotent. */
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

/** A bar from 0 % to 100 %, labelled. */
export function fractionBar(io: CliIo, label: string): Progress {
  if (io.progressStream === null) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.progressStream,
      format: `${label} [{bar}] {percentage}% | {duration_formatted} elapsed, ETA {eta_formatted}`,
      clearOnComplete: true,
      hideCursor: false,
      etaBuffer: 20,
      synchronousUpdate: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0);
  let stopped = false;
  return {
    update: (fraction) => bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 1000)),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/** A running count without a known total (records of a stream), labelled. */
export function counter(io: CliIo, label: string, unit: string): Progress {
  if (io.progressStream === null) return NONE;
  const bar = new cliProgress.SingleBar({
    stream: io.progressStream,
    format: `${label} {value} ${unit} | {duration_formatted} elapsed`,
    clearOnComplete: true,
    hideCursor: false,
    synchronousUpdate: true,
  });
  bar.start(0, 0);
  let stopped = false;
  return {
    update: (count) => bar.update(count),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
