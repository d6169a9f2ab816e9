/**
 * Theory of operation: the timeline as ONE self-contained HTML file.
 *
 * The page holds everything it needs: the CSS, the model as a JSON block,
 * and the script that draws it (page-script.ts). It references nothing
 * outside itself (no URL, no font, no CDN), and its Content-Security-Policy
 * forbids the browser to fetch anything at all, so opening a trace's page
 * leaks nothing and works offline.
 *
 * The HTML is a pure function of the records and the options: no wall-clock
 * time, no random ids, object members in a fixed order, so the same trace
 * gives the same bytes (a page can be diffed, or kept next to its trace).
 *
 * Size: lanes beyond `maxLanes` (default 500, the busiest) are counted but
 * not embedded, which bounds the page for a trace of any number of clients;
 * times are integers relative to the origin; marker details are short. The
 * legend is static HTML so it shows even before the script has run.
 */
import type { HubState, TraceRecord } from '@dialoghub/core';
import { withCommands } from '../replay/record-trace.js';
import { formatOffset } from '../replay/summary.js';
import { PAGE_SCRIPT } from './page-script.js';
import { CRASH_COLOR, LINK_COLOR, MARKER_STYLE, ONLINE_COLOR, REASON_COLORS, STATUS_COLORS, STATUS_ORDER, STATUS_TEXT, markerPath, reasonColor } from './palette.js';
import { MARKER_KINDS, TimelineBuilder, type Lane, type TimelineModel, type TimelineOptions } from './timeline-model.js';

export interface RenderOptions extends TimelineOptions {
  /** The page's title. Default "dialoghub timeline". */
  readonly title?: string;
  /** A line under the title (what the trace is: seed, scenario…). */
  readonly subtitle?: string;
  /**
   * The state before the first record. When given, records without commands
   * (a journal's) get the commands their step returns, so the timeline can
   * show what the hub did; without it they only count.
   */
  readonly initial?: HubState;
}

const LABEL_CHARS = 34;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that can sit inside a `<script>` element: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function laneLabel(lane: Lane, names: ReadonlyMap<number, string>): { label: string; full: string } {
  const name = lane.profileId === null ? undefined : names.get(lane.profileId);
  const full = `client ${lane.clientId}${lane.profileId === null ? '' : ` · profile ${lane.profileId}${name !== undefined ? ` "${name}"` : ''}`}`;
  return { label: full.length > LABEL_CHARS ? `${full.slice(0, LABEL_CHARS - 1)}…` : full, full };
}

function laneTip(lane: Lane, full: string): string {
  const counts = new Map<string, number>();
  for (const m of lane.markers) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  const marks = MARKER_KINDS.filter((k) => counts.has(k)).map((k) => `${k} ${counts.get(k)}`);
  const status = lane.statuses[lane.statuses.length - 1]?.status ?? 'unknown';
  return [full, `status at the end: ${status}`, `online ${lane.online.length} time(s)`, marks.length > 0 ? marks.join(', ') : 'no takeover, loss or resend', `${lane.activity} record(s) concern it`].join('\n');
}

function originText(origin: number): string {
  // Virtual times are epoch milliseconds in the simulator and the runtime; show them as dates then.
  return origin >= 1e11 && origin < 1e14 ? new Date(origin).toISOString() : `t = ${origin} ms`;
}

/** The model in the compact form the page's script reads. */
function pageData(model: TimelineModel): unknown {
  const statusIndex = new Map(STATUS_ORDER.map((s, i) => [s, i]));
  const kindIndex = new Map(MARKER_KINDS.map((k, i) => [k, i]));
  return {
    span: model.span,
    originText: originText(model.origin),
    statuses: STATUS_ORDER,
    kinds: MARKER_KINDS,
    markers: Object.fromEntries(MARKER_KINDS.map((k) => [k, { shape: MARKER_STYLE[k].shape, color: MARKER_STYLE[k].color, title: MARKER_STYLE[k].title }])),
    reasonColors: REASON_COLORS,
    lanes: model.lanes.map((l) => {
      const { label, full } = laneLabel(l, model.profileNames);
      return {
        c: l.clientId,
        p: l.profileId,
        label,
        tip: laneTip(l, full),
        s: l.statuses.map((s) => [s.t, statusIndex.get(s.status)]),
        o: l.online.map((o) => [o.from, o.to, o.link, o.via, o.reason]),
        m: l.markers.map((m) => [m.t, kindIndex.get(m.kind), m.seq, m.label, m.detail]),
      };
    }),
    takeovers: model.takeovers.map((k) => [k.t, k.winner, k.loser, k.reason, k.conflict, k.seq]),
    restarts: model.restarts.map((r) => [r.t, r.afterSeq, r.sessionsClosed]),
  };
}

function swatch(inner: string, width = 22): string {
  return `<svg class="swatch" width="${width}" height="14" viewBox="0 0 ${width} 14" aria-hidden="true">${inner}</svg>`;
}

function legend(model: TimelineModel): string {
  const keys: string[] = [];
  const key = (cls: string, sw: string, text: string): void => {
    keys.push(`<span class="key ${cls}">${sw}<span>${escapeHtml(text)}</span></span>`);
  };
  for (const s of STATUS_ORDER) {
    if (s === 'deleted') continue;
    key(`key-status key-${s}`, swatch(`<rect x="1" y="2" width="20" height="10" fill="${STATUS_COLORS[s]}" stroke="#999" stroke-width="0.5"/>`), STATUS_TEXT[s]);
  }
  key('key-online', swatch(`<rect x="1" y="4.5" width="20" height="5" fill="${ONLINE_COLOR}"/>`), 'online (no bar: offline)');
  for (const k of MARKER_KINDS) {
    const st = MARKER_STYLE[k];
    const paint = st.shape === 'cross' ? `fill="none" stroke="${st.color}" stroke-width="2"` : `fill="${st.color}" stroke="#000" stroke-width="0.6"`;
    key(`key-marker key-${k}`, swatch(`<path d="${markerPath(st.shape, 11, 7, 5)}" ${paint}/>`), st.text);
  }
  const reasons = model.takeoverReasons.length > 0 ? model.takeoverReasons : ['pushedOut', 'replaced', 'banned'];
  for (const r of reasons) key(`key-reason key-reason-${r}`, swatch(`<path d="${markerPath('diamond', 11, 7, 6)}" fill="${reasonColor(r)}" stroke="#000" stroke-width="0.6"/>`), `takeover: ${r}`);
  key('key-link', swatch(`<line x1="11" y1="0" x2="11" y2="14" stroke="${LINK_COLOR}" stroke-width="1.5" stroke-dasharray="3 2"/>`), 'takeover link: winner ↔ loser');
  key('key-crash', swatch(`<line x1="11" y1="0" x2="11" y2="14" stroke="${CRASH_COLOR}" stroke-width="2" stroke-dasharray="4 2"/>`), 'hub restart (crash and recovery)');
  return `<div id="legend" aria-label="legend">${keys.join('')}</div>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;background:#fff}
header{padding:10px 14px 8px;border-bottom:1px solid #ddd}
h1{font-size:16px;margin:0 0 2px}
.subtitle{color:#555;margin:0 0 4px}
.summary{color:#333;margin:0}
.scale{color:#666;margin:2px 0 0;font-size:12px}
.controls{display:flex;gap:8px;align-items:center;margin-top:8px;flex-wrap:wrap}
.controls input{font:inherit;padding:3px 6px;width:320px;border:1px solid #bbb;border-radius:3px}
.controls button{font:inherit;padding:2px 9px;border:1px solid #bbb;border-radius:3px;background:#f4f4f4;cursor:pointer}
.controls .hint{color:#777;font-size:12px}
#legend{display:flex;flex-wrap:wrap;gap:3px 14px;padding:6px 14px;border-bottom:1px solid #ddd;font-size:12px;color:#333}
.key{display:inline-flex;align-items:center;gap:4px}
#timeline{position:relative}
#axis{display:block;border-bottom:1px solid #ccc}
#scroller{position:relative;overflow-y:auto;overflow-x:hidden;height:400px;cursor:grab}
#spacer{width:1px}
#lanes{position:absolute;left:0;top:0;display:block}
.lane-bg{fill:#fff}
.lane.odd .lane-bg{fill:#f5f6f8}
.label{font-size:12px;fill:#222;cursor:default}
${STATUS_ORDER.map((s) => `.st-${s}{fill:${STATUS_COLORS[s]}}`).join('\n')}
.on{fill:${ONLINE_COLOR}}
.mk{stroke:#000;stroke-width:.6}
.link{stroke:${LINK_COLOR};stroke-width:1.5;stroke-dasharray:3 2}
.crash{stroke:${CRASH_COLOR};stroke-width:2;stroke-dasharray:6 3}
.crash-hit{stroke:transparent;stroke-width:9;pointer-events:stroke}
.crash-mark{fill:${CRASH_COLOR}}
.axis-bg{fill:#fafafa}
.axis-title{font-size:10px;fill:#777}
.tick{stroke:#888}
.tick-label{font-size:11px;fill:#444}
#tip{position:fixed;display:none;max-width:520px;white-space:pre-line;background:#222;color:#fff;padding:6px 8px;border-radius:4px;font-size:12px;pointer-events:none;z-index:10}
noscript p{padding:8px 14px;color:#a00}
`;

/** The page for a finished model. */
export function renderModel(model: TimelineModel, options: Pick<RenderOptions, 'title' | 'subtitle'> = {}): string {
  const title = options.title ?? 'dialoghub timeline';
  const c = model.counts;
  const losses = c.gap + c.outboxFull + c.connectionLost + c.heartbeatTimeout + c.commandFailed;
  const range = model.firstSeq === null ? 'no records' : `seq ${model.firstSeq}..${model.lastSeq}`;
  const summary =
    `${model.records} inputs (${range}) over ${formatOffset(model.span)} of virtual time · ${model.totalClients} clients · ` +
    `${c.login} logins · ${c.takeover} takeovers · ${losses} losses · ${c.resend + c.duplicate} resends · ${c.rejected} rejections · ${c.statusChange} status changes · ${model.restarts.length} hub restarts`;
  const hidden = model.totalClients - model.lanes.length;
  const scale =
    hidden > 0
      ? `Showing the ${model.lanes.length} busiest of ${model.totalClients} clients (takeovers first, then losses, resends, status changes, activity); the counts above cover all of them. Render with a larger maxLanes, or name clients, to see others.`
      : `One lane per client (${model.lanes.length}), ordered by profile then client.`;
  const missing = model.withoutCommands > 0 ? ` ${model.withoutCommands} record(s) carried no commands and were not drawn (give the initial state to recompute them).` : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="@dialoghub/sim renderTimeline">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    options.subtitle !== undefined ? `<p class="subtitle">${escapeHtml(options.subtitle)}</p>` : '',
    `<p class="summary" id="summary">${escapeHtml(summary)}</p>`,
    `<p class="scale">${escapeHtml(scale + missing)}</p>`,
    '<div class="controls">',
    '<input id="filter" type="search" placeholder="filter lanes: client 12, profile 3, takeover, replaced, gap…" aria-label="filter lanes">',
    `<span><span id="shown-count">${model.lanes.length}</span> lane(s)</span>`,
    '<button id="zoom-in" type="button" title="zoom in">+</button>',
    '<button id="zoom-out" type="button" title="zoom out">−</button>',
    '<button id="zoom-reset" type="button" title="whole trace">reset</button>',
    '<span class="hint">Ctrl+wheel: zoom · drag: pan · hover: details</span>',
    '</div>',
    '</header>',
    legend(model),
    `<div id="timeline" data-lanes="${model.lanes.length}" data-clients="${model.totalClients}" data-restarts="${model.restarts.length}">`,
    '<svg id="axis" role="img" aria-label="time axis" width="100%" height="34"></svg>',
    '<div id="scroller"><div id="spacer"></div><svg id="lanes" role="img" aria-label="client lanes" width="100%" height="0"></svg></div>',
    '</div>',
    '<div id="tip" role="tooltip"></div>',
    '<noscript><p>The timeline is drawn by the page\'s script: enable JavaScript for this file.</p></noscript>',
    `<script type="application/json" id="timeline-data">${scriptJson(pageData(model))}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}

/**
 * Renders trace records as one self-contained HTML page: a lane per client
 * (statuses, online spans, takeovers, losses, resends), hub restarts as
 * vertical lines, a legend, tooltips, a filter box and zoom. The same records
 * and options always give the same string. Write it to a `.html` file and
 * open it in any browser; it needs no network.
 */
export function renderTimeline(records: Iterable<TraceRecord>, options: RenderOptions = {}): string {
  const builder = new TimelineBuilder(options);
  const source = options.initial !== undefined ? withCommands(records, options.initial) : records;
  for (const r of source) builder.add(r);
  return renderModel(builder.finish(), options);
}
