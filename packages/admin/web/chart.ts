/**
 * Theory of operation: a small live chart on a canvas — online clients and
 * dialog messages per second (received + written), one point per stats
 * poll, the last `capacity` points. Rates are computed from the counters'
 * differences over the wall-clock time between polls; a counter that went
 * down (the hub restarted) starts the rate again at 0.
 */

export interface ChartPoint {
  readonly online: number;
  readonly perSecond: number;
}

export class LiveChart {
  private readonly points: ChartPoint[] = [];
  private last: { readonly at: number; readonly messages: number } | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly capacity = 90,
  ) {}

  /** Adds a sample: `messages` is the cumulative counter, `at` the page's clock in ms. */
  add(online: number, messages: number, at: number): ChartPoint {
    let perSecond = 0;
    if (this.last !== null && at > this.last.at && messages >= this.last.messages) perSecond = ((messages - this.last.messages) * 1000) / (at - this.last.at);
    this.last = { at, messages };
    const point = { online, perSecond };
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.shift();
    this.draw();
    return point;
  }

  get size(): number {
    return this.points.length;
  }

  draw(): void {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth || 600;
    const hgt = c.clientHeight || 140;
    if (c.width !== Math.round(w * ratio)) c.width = Math.round(w * ratio);
    if (c.height !== Math.round(hgt * ratio)) c.height = Math.round(hgt * ratio);
    const g = c.getContext('2d');
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const pad = { l: 44, r: 44, t: 18, b: 14 };
    const plotW = w - pad.l - pad.r;
    const plotH = hgt - pad.t - pad.b;
    g.strokeStyle = '#d7dde5';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + (plotH * i) / 4 + 0.5;
      g.beginPath();
      g.moveTo(pad.l, y);
      g.lineTo(pad.l + plotW, y);
      g.stroke();
    }
    const maxOnline = Math.max(1, ...this.points.map((p) => p.online));
    const maxRate = Math.max(1, ...this.points.map((p) => p.perSecond));
    const x = (i: number): number => pad.l + (this.capacity <= 1 ? 0 : (plotW * (i + this.capacity - this.points.length)) / (this.capacity - 1));
    const series = (value: (p: ChartPoint) => number, max: number, color: string, fillColor: string): void => {
      if (this.points.length === 0) return;
      g.beginPath();
      this.points.forEach((p, i) => {
        const y = pad.t + plotH - (plotH * value(p)) / max;
        if (i === 0) g.moveTo(x(i), y);
        else g.lineTo(x(i), y);
      });
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.stroke();
      g.lineTo(x(this.points.length - 1), pad.t + plotH);
      g.lineTo(x(0), pad.t + plotH);
      g.closePath();
      g.fillStyle = fillColor;
      g.fill();
    };
    series((p) => p.online, maxOnline, '#1f6feb', 'rgba(31,111,235,0.12)');
    series((p) => p.perSecond, maxRate, '#d9480f', 'rgba(217,72,15,0.10)');
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#1f6feb';
    g.textAlign = 'right';
    g.fillText(String(maxOnline), pad.l - 6, pad.t + 8);
    g.fillText('0', pad.l - 6, pad.t + plotH);
    g.fillStyle = '#d9480f';
    g.textAlign = 'left';
    g.fillText(maxRate >= 10 ? String(Math.round(maxRate)) : maxRate.toFixed(1), pad.l + plotW + 6, pad.t + 8);
    g.fillText('0', pad.l + plotW + 6, pad.t + plotH);
    const now = this.points.at(-1);
    g.textAlign = 'left';
    g.fillStyle = '#1f6feb';
    g.fillText(`online ${now?.online ?? 0}`, pad.l, 11);
    g.fillStyle = '#d9480f';
    g.fillText(`messages/s ${(now?.perSecond ?? 0).toFixed(1)}`, pad.l + 110, 11);
  }
}
