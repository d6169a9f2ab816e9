/**
 * Theory of operation: the timeline page's script, inlined into the HTML.
 *
 * It reads the model from the page's JSON data block and draws it as SVG,
 * virtualised: only the lanes in (or near) the scrolled viewport exist in the
 * DOM, so a page with thousands of lanes scrolls as fast as one with ten.
 * Interactions: a filter box (every word must match the lane's label, its
 * marker kinds or takeover reasons; a number must match a whole id), zoom (buttons, Ctrl+wheel at the
 * pointer), pan (drag, or horizontal wheel), and tooltips on every drawn
 * element (`data-tip`).
 *
 * It is plain ES2017 with no dependency and no network access (no fetch, no
 * external URL), written without template literals so that it can live in a
 * TypeScript string. Marker shapes mirror `markerPath` in palette.ts.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('timeline-data').textContent);
  var LANE_H = 22, LABEL_W = 230, PAD_R = 18, AXIS_H = 34, OVERSCAN = 8;
  var root = document.getElementById('timeline');
  var scroller = document.getElementById('scroller');
  var spacer = document.getElementById('spacer');
  var svg = document.getElementById('lanes');
  var axis = document.getElementById('axis');
  var tip = document.getElementById('tip');
  var filterBox = document.getElementById('filter');
  var shownCount = document.getElementById('shown-count');
  var span = Math.max(D.span, 1);
  var view = { v0: 0, v1: span };
  var rows = [];
  var rowOfClient = {};
  var pending = false;

  D.lanes.forEach(function (l) {
    var words = [l.label, 'client ' + l.c];
    if (l.p !== null) words.push('profile ' + l.p);
    l.m.forEach(function (m) { words.push(D.kinds[m[1]]); if (D.kinds[m[1]] === 'takeover') words.push(m[3]); });
    l.search = ' ' + words.join(' ').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join(' ') + ' ';
  });

  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function pad(n, w) { var s = String(n); while (s.length < w) s = '0' + s; return s; }
  function fmt(ms) {
    var sign = ms < 0 ? '-' : '+';
    var rest = Math.abs(ms);
    var h = Math.floor(rest / 3600000); rest -= h * 3600000;
    var m = Math.floor(rest / 60000); rest -= m * 60000;
    var s = (rest / 1000).toFixed(3);
    if (h > 0) return sign + h + 'h' + pad(m, 2) + 'm' + pad(s, 6) + 's';
    if (m > 0) return sign + m + 'm' + pad(s, 6) + 's';
    return sign + s + 's';
  }
  function chartW() { return Math.max(50, scroller.clientWidth - LABEL_W - PAD_R); }
  function x(t) { return LABEL_W + (t - view.v0) / (view.v1 - view.v0) * chartW(); }
  function tAt(px) { return view.v0 + (px - LABEL_W) / chartW() * (view.v1 - view.v0); }
  function r1(v) { return Math.round(v * 10) / 10; }

  function shape(kind, cx, cy, r) {
    switch (kind) {
      case 'diamond': return 'M' + cx + ',' + (cy - r) + 'L' + (cx + r) + ',' + cy + 'L' + cx + ',' + (cy + r) + 'L' + (cx - r) + ',' + cy + 'Z';
      case 'down': return 'M' + (cx - r) + ',' + (cy - r) + 'L' + (cx + r) + ',' + (cy - r) + 'L' + cx + ',' + (cy + r) + 'Z';
      case 'up': return 'M' + (cx - r) + ',' + (cy + r) + 'L' + (cx + r) + ',' + (cy + r) + 'L' + cx + ',' + (cy - r) + 'Z';
      case 'square': return 'M' + (cx - r) + ',' + (cy - r) + 'h' + (2 * r) + 'v' + (2 * r) + 'h' + (-2 * r) + 'Z';
      default: return 'M' + (cx - r) + ',' + (cy - r) + 'L' + (cx + r) + ',' + (cy + r) + 'M' + (cx + r) + ',' + (cy - r) + 'L' + (cx - r) + ',' + (cy + r);
    }
  }

  function applyFilter() {
    var words = filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    rows = [];
    rowOfClient = {};
    D.lanes.forEach(function (l, i) {
      // A number must be a whole id ("profile 2" is not profile 21); any other word may be part of one.
      for (var k = 0; k < words.length; k++) if (l.search.indexOf(/^[0-9]+$/.test(words[k]) ? ' ' + words[k] + ' ' : words[k]) < 0) return;
      rowOfClient[l.c] = rows.length;
      rows.push(i);
    });
    shownCount.textContent = String(rows.length);
    // The lanes' SVG sits at the old scroll position: move it first, or it keeps the old scroll height.
    svg.style.top = '0px';
    spacer.style.height = Math.max(rows.length * LANE_H, 1) + 'px';
    scroller.scrollTop = 0;
    schedule();
  }

  var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000];
  function niceStep(range, target) {
    var raw = range / Math.max(target, 1);
    for (var i = 0; i < STEPS.length; i++) if (STEPS[i] >= raw) return STEPS[i];
    return Math.ceil(raw / 86400000) * 86400000;
  }
  function fmtTick(ms) {
    if (ms === 0) return '0';
    var h = Math.floor(ms / 3600000), m = Math.floor(ms % 3600000 / 60000), s = Math.floor(ms % 60000 / 1000), r = Math.round(ms % 1000);
    var out = '+';
    if (h) out += h + 'h';
    if (m) out += (h ? pad(m, 2) : m) + 'm';
    if (s || r) out += (h || m ? pad(s, 2) : s) + (r ? '.' + pad(r, 3).replace(/0+$/, '') : '') + 's';
    return out;
  }

  function drawAxis() {
    var w = scroller.clientWidth;
    var out = [];
    var step = niceStep(view.v1 - view.v0, chartW() / 110);
    var first = Math.ceil(view.v0 / step);
    out.push('<rect class="axis-bg" x="0" y="0" width="' + w + '" height="' + AXIS_H + '"/>');
    out.push('<text class="axis-title" x="8" y="13">virtual time</text>');
    out.push('<text class="axis-title" x="8" y="27">since ' + esc(D.originText) + '</text>');
    for (var i = first; i * step <= view.v1 + 1e-9; i++) {
      var t = i * step, px = r1(x(t));
      var anchor = px < LABEL_W + 30 ? 'start' : px > w - PAD_R - 30 ? 'end' : 'middle';
      out.push('<line class="tick" x1="' + px + '" x2="' + px + '" y1="' + (AXIS_H - 8) + '" y2="' + AXIS_H + '"/>');
      out.push('<text class="tick-label" x="' + px + '" y="' + (AXIS_H - 12) + '" text-anchor="' + anchor + '">' + esc(fmtTick(t)) + '</text>');
    }
    D.restarts.forEach(function (r) {
      if (r[0] < view.v0 || r[0] > view.v1) return;
      var px = r1(x(r[0]));
      out.push('<path class="crash-mark" d="M' + (px - 6) + ',0L' + (px + 6) + ',0L' + px + ',9Z" data-tip="' + esc(restartTip(r)) + '"/>');
    });
    axis.setAttribute('width', w);
    axis.setAttribute('height', AXIS_H);
    axis.innerHTML = out.join('');
  }

  function restartTip(r) {
    return 'hub restart after seq ' + r[1] + ' at ' + fmt(r[0]) + '\n' + r[2] + ' session(s) closed (connectionClosed, cause hubRestarted)';
  }

  /** A lane's background, label, status segments and online spans. */
  function laneSvg(l, row, y, w) {
    var out = [];
    var mid = LANE_H / 2;
    var end = span;
    out.push('<g class="lane' + (row % 2 ? ' odd' : '') + '" data-client="' + l.c + '" transform="translate(0,' + y + ')">');
    out.push('<rect class="lane-bg" x="0" y="0" width="' + w + '" height="' + LANE_H + '"/>');
    out.push('<text class="label" x="8" y="' + (mid + 4) + '" data-tip="' + esc(l.tip) + '">' + esc(l.label) + '</text>');
    out.push('<g clip-path="url(#chart-clip)">');
    for (var i = 0; i < l.s.length; i++) {
      var s = l.s[i], until = i + 1 < l.s.length ? l.s[i + 1][0] : end;
      var st = D.statuses[s[1]];
      if (st === 'deleted' || until < view.v0 || s[0] > view.v1) continue;
      var x0 = Math.max(x(s[0]), LABEL_W - 2), x1 = Math.min(x(until), w);
      out.push('<rect class="st st-' + st + '" x="' + r1(x0) + '" y="3" width="' + r1(Math.max(x1 - x0, 1)) + '" height="' + (LANE_H - 6) + '" data-tip="' + esc(st + ' from ' + fmt(s[0]) + ' to ' + (i + 1 < l.s.length ? fmt(until) : 'the end')) + '"/>');
    }
    for (var j = 0; j < l.o.length; j++) {
      var o = l.o[j], to = o[1] === null ? end : o[1];
      if (to < view.v0 || o[0] > view.v1) continue;
      var a = Math.max(x(o[0]), LABEL_W - 2), b = Math.min(x(to), w);
      out.push('<rect class="on" x="' + r1(a) + '" y="' + (mid - 2.5) + '" width="' + r1(Math.max(b - a, 1.5)) + '" height="5" data-tip="' + esc('online on link ' + o[2] + ' via ' + o[3] + '\nfrom ' + fmt(o[0]) + ' to ' + (o[1] === null ? 'the end' : fmt(o[1])) + (o[4] ? '\nended: ' + o[4] : '')) + '"/>');
    }
    out.push('</g></g>');
    return out.join('');
  }

  /**
   * A lane's markers, in their own layer above the restart lines and the
   * takeover links. Markers of one kind closer than 3 px are drawn once, and
   * the tooltip says how many more are there.
   */
  function marksSvg(l, y) {
    var mid = LANE_H / 2;
    var drawn = [];
    var last = {};
    for (var k = 0; k < l.m.length; k++) {
      var m = l.m[k];
      if (m[0] < view.v0 || m[0] > view.v1) continue;
      var kind = D.kinds[m[1]];
      var px = Math.round(x(m[0]));
      var key = kind + '|' + (kind === 'takeover' ? m[3] : '');
      var prev = last[key];
      if (prev !== undefined && Math.abs(px - prev.px) < 3) { prev.more++; continue; }
      last[key] = { px: px, m: m, more: 0 };
      drawn.push(last[key]);
    }
    var out = ['<g class="marks" data-client="' + l.c + '" transform="translate(0,' + y + ')"><g clip-path="url(#chart-clip)">'];
    drawn.forEach(function (d) {
      var m = d.m, kind = D.kinds[m[1]], style = D.markers[kind];
      var color = kind === 'takeover' ? (D.reasonColors[m[3]] || style.color) : style.color;
      var paint = style.shape === 'cross' ? 'fill:none;stroke-width:2;stroke:' + color : 'fill:' + color;
      var text = style.title + ': ' + m[4] + '\nseq ' + m[2] + ' at ' + fmt(m[0]) + (d.more ? '\n(+' + d.more + ' more here: zoom in)' : '');
      out.push('<path class="mk mk-' + kind + '" data-kind="' + kind + '" data-reason="' + esc(m[3]) + '" d="' + shape(style.shape, d.px, mid, kind === 'takeover' ? 6 : 4.5) + '" style="' + paint + '" data-tip="' + esc(text) + '"/>');
    });
    out.push('</g></g>');
    return out.join('');
  }

  function drawLanes() {
    var w = scroller.clientWidth, h = scroller.clientHeight;
    var top = Math.max(0, Math.min(scroller.scrollTop, rows.length * LANE_H - h));
    var first = Math.max(0, Math.floor(top / LANE_H) - OVERSCAN);
    var last = Math.min(rows.length, Math.ceil((top + h) / LANE_H) + OVERSCAN);
    var out = ['<defs><clipPath id="chart-clip"><rect x="' + (LABEL_W - 2) + '" y="-10" width="' + (chartW() + PAD_R) + '" height="' + (LANE_H + 20) + '"/></clipPath></defs>'];
    var r;
    for (r = first; r < last; r++) out.push(laneSvg(D.lanes[rows[r]], r, r * LANE_H - top, w));
    var bottom = Math.max(0, Math.min(h, rows.length * LANE_H - top));
    D.restarts.forEach(function (rs) {
      if (rs[0] < view.v0 || rs[0] > view.v1) return;
      var px = r1(x(rs[0]));
      var tipText = esc(restartTip(rs));
      out.push('<line class="crash" x1="' + px + '" x2="' + px + '" y1="0" y2="' + bottom + '" data-tip="' + tipText + '"/>');
      // A wider, invisible twin that is easier to hover than a dashed 2 px line.
      out.push('<line class="crash-hit" x1="' + px + '" x2="' + px + '" y1="0" y2="' + bottom + '" data-tip="' + tipText + '"/>');
    });
    D.takeovers.forEach(function (k) {
      var rw = rowOfClient[k[1]], rl = rowOfClient[k[2]];
      if (rw === undefined || rl === undefined || rw === rl || k[0] < view.v0 || k[0] > view.v1) return;
      if (Math.max(rw, rl) < first || Math.min(rw, rl) >= last) return;
      var px = r1(x(k[0]));
      out.push('<line class="link" x1="' + px + '" x2="' + px + '" y1="' + (rw * LANE_H - top + LANE_H / 2) + '" y2="' + (rl * LANE_H - top + LANE_H / 2) + '" data-tip="' + esc('takeover (' + k[4] + ', ' + k[3] + ') at ' + fmt(k[0]) + ', seq ' + k[5] + ': client ' + k[1] + ' wins over client ' + k[2]) + '"/>');
    });
    for (r = first; r < last; r++) out.push(marksSvg(D.lanes[rows[r]], r * LANE_H - top));
    svg.setAttribute('width', w);
    svg.setAttribute('height', h);
    svg.style.top = top + 'px';
    svg.innerHTML = out.join('');
    root.setAttribute('data-drawn-lanes', String(Math.max(0, last - first)));
  }

  function fit() {
    var top = scroller.getBoundingClientRect().top + window.scrollY;
    scroller.style.height = Math.max(160, window.innerHeight - top - 6) + 'px';
  }
  function draw() { pending = false; drawAxis(); drawLanes(); }
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(draw); } }

  function zoom(factor, at) {
    var width = view.v1 - view.v0;
    var next = Math.min(span, Math.max(10, width * factor));
    var c = at === undefined ? (view.v0 + view.v1) / 2 : at;
    var f = (c - view.v0) / width;
    view.v0 = c - f * next;
    view.v1 = view.v0 + next;
    clamp();
    schedule();
  }
  function clamp() {
    var width = view.v1 - view.v0;
    if (view.v0 < 0) { view.v0 = 0; view.v1 = width; }
    if (view.v1 > span) { view.v1 = span; view.v0 = Math.max(0, span - width); }
  }

  function showTip(ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest('[data-tip]') : null;
    if (!el) { tip.style.display = 'none'; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
    var px = ev.clientX + 14, py = ev.clientY + 14;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    if (px + tw > window.innerWidth - 4) px = Math.max(4, ev.clientX - tw - 14);
    if (py + th > window.innerHeight - 4) py = Math.max(4, ev.clientY - th - 14);
    tip.style.left = px + 'px';
    tip.style.top = py + 'px';
  }

  var drag = null;
  scroller.addEventListener('mousedown', function (ev) {
    if (ev.button !== 0 || ev.clientX - scroller.getBoundingClientRect().left < LABEL_W) return;
    drag = { x: ev.clientX, v0: view.v0, v1: view.v1 };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', function (ev) {
    if (drag) {
      var dt = (ev.clientX - drag.x) / chartW() * (drag.v1 - drag.v0);
      view.v0 = drag.v0 - dt; view.v1 = drag.v1 - dt;
      clamp();
      schedule();
    }
  });
  window.addEventListener('mouseup', function () { drag = null; });
  scroller.addEventListener('wheel', function (ev) {
    var rect = scroller.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey) {
      ev.preventDefault();
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, tAt(ev.clientX - rect.left));
    } else if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      ev.preventDefault();
      var dt = ev.deltaX / chartW() * (view.v1 - view.v0);
      view.v0 += dt; view.v1 += dt;
      clamp();
      schedule();
    }
  }, { passive: false });
  scroller.addEventListener('scroll', schedule);
  svg.addEventListener('mousemove', showTip);
  axis.addEventListener('mousemove', showTip);
  svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  axis.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  window.addEventListener('resize', function () { fit(); schedule(); });
  filterBox.addEventListener('input', applyFilter);
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(0.5); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(2); });
  document.getElementById('zoom-reset').addEventListener('click', function () { view.v0 = 0; view.v1 = span; schedule(); });

  drawAxis();
  fit();
  applyFilter();
  draw();
  root.setAttribute('data-ready', 'true');
})();
`;
