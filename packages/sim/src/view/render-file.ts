/**
 * Theory of operation: the timeline of a file, read with the runtime's trace
 * reader. The simulator's header gives the restarts and a subtitle (seed,
 * clients, policy, faults); a journal's records, which carry no commands, get
 * them by stepping the core from the file's initial state (see
 * `openTraceStart`). Records are consumed as they are read: only the model is
 * kept in memory.
 */
import { basename } from 'node:path';
import { redactCommand, step, type HubState, type TraceRecord } from '@dialoghub/core';
import { openTraceStart } from '../replay/replay-file.js';
import { renderModel, type RenderOptions } from './render-html.js';
import { TimelineBuilder, type TimelineModel } from './timeline-model.js';

function simSubtitle(json: Readonly<Record<string, unknown>>): string | undefined {
  const sim = json['sim'];
  if (typeof sim !== 'object' || sim === null) return undefined;
  const s = sim as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of ['seed', 'clients', 'hours', 'profiles', 'policy']) if (s[k] !== undefined) parts.push(`${k} ${JSON.stringify(s[k])}`);
  if (typeof s['faults'] === 'object' && s['faults'] !== null) parts.push(`faults ${JSON.stringify(s['faults'])}`);
  return parts.length > 0 ? `simulation: ${parts.join(', ')}` : undefined;
}

/**
 * Renders the timeline of a trace file, a journal segment or a data
 * directory (see `renderTimeline`). Throws the reader's `JournalError` on a
 * corrupt file.
 */
export async function renderTimelineFile(path: string, options: RenderOptions = {}): Promise<string> {
  return (await renderTimelineFileWithModel(path, options)).html;
}

/**
 * `renderTimelineFile`, with the model the page was drawn from (how many
 * clients the trace has, lanes shown, counts, restarts), for a caller that
 * reports on the page it wrote.
 */
export async function renderTimelineFileWithModel(path: string, options: RenderOptions = {}): Promise<{ readonly html: string; readonly model: TimelineModel }> {
  const start = await openTraceStart(path, options.initial !== undefined ? { initial: options.initial } : {});
  const json = start.trace.header.json as Readonly<Record<string, unknown>>;
  const subtitle = options.subtitle ?? simSubtitle(json);
  const builder = new TimelineBuilder({ ...options, restarts: options.restarts ?? start.restarts });
  let state: HubState = start.initial;
  let recompute: boolean | null = null;
  for await (const r of start.trace.records()) {
    if (r.seq <= start.afterSeq) continue;
    recompute ??= r.commands === undefined;
    let record: TraceRecord = r;
    if (recompute) {
      const result = step(state, r.input, r.now);
      state = result.state;
      if (r.commands === undefined) record = { ...r, commands: result.commands.map(redactCommand) };
    }
    builder.add(record);
  }
  const model = builder.finish();
  return { html: renderModel(model, { title: options.title ?? `dialoghub timeline: ${basename(path)}`, ...(subtitle !== undefined ? { subtitle } : {}) }), model };
}
