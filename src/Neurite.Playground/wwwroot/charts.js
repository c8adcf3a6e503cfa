// Charts with axes: a plot frame with ticks and gridlines (also used by the lessons' plots), the history of a whole
// run kept at a bounded size, the loss chart and the gradient-flow chart. Hovering a chart reads the point under it.

export const LAYER_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** Round tick values covering [lo, hi], about `count` of them: steps of 1, 2 or 5 × 10ᵏ. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * 0.999);
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** A tick label: short, without trailing zeros; thousands as k. */
export function formatTick(value) {
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 10000) return `${Number((value / 1000).toPrecision(3))}k`;
  if (a >= 0.01) return String(Number(value.toPrecision(3)));
  return value.toExponential(0);
}

/** 10 to a whole power, as 10⁻³. */
export function powerOfTen(exponent) {
  return `10${String(exponent).split('').map((c) => SUPERSCRIPT[c]).join('')}`;
}

/**
 * A plot on a canvas: margins for the axes, the data ranges and their mapping to pixels. With `logY` the y range is
 * given in data units and drawn on a log₁₀ scale.
 */
export class Plot {
  constructor(canvas, { x, y, logY = false, margin = {} }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.logY = logY;
    this.margin = { left: 38, right: 8, top: 8, bottom: 20, ...margin };
    this.x = x;
    this.y = logY ? [Math.log10(y[0]), Math.log10(y[1])] : y;
    if (!(this.x[1] > this.x[0])) this.x = [this.x[0] - 0.5, this.x[0] + 0.5];
    if (!(this.y[1] > this.y[0])) this.y = [this.y[0] - 0.5, this.y[0] + 0.5];
    this.width = canvas.width - this.margin.left - this.margin.right;
    this.height = canvas.height - this.margin.top - this.margin.bottom;
  }

  px(x) { return this.margin.left + ((x - this.x[0]) / (this.x[1] - this.x[0])) * this.width; }

  py(y) {
    const v = this.logY ? Math.log10(y) : y;
    return this.margin.top + this.height - ((v - this.y[0]) / (this.y[1] - this.y[0])) * this.height;
  }

  /** The data x at a pixel column. */
  xAt(px) { return this.x[0] + ((px - this.margin.left) / this.width) * (this.x[1] - this.x[0]); }

  /** Clears the canvas and draws gridlines, both axes, their tick values and labels. */
  drawAxes({ xLabel = '', yLabel = '', xTicks, yTicks } = {}) {
    const { ctx, margin } = this;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.font = '10px system-ui, sans-serif';
    ctx.lineWidth = 1;
    const xs = xTicks ?? niceTicks(this.x[0], this.x[1], Math.max(3, Math.floor(this.width / 50)));
    const ys = (yTicks ?? (this.logY ? this.logTicks() : niceTicks(this.y[0], this.y[1], Math.max(3, Math.floor(this.height / 28)))))
      .map((t) => (typeof t === 'number' ? { value: t, label: formatTick(t) } : t));
    ctx.strokeStyle = '#e6e6e6';
    ctx.fillStyle = '#555';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xs) {
      const x = Math.round(this.px(t)) + 0.5;
      if (x < margin.left - 0.5 || x > margin.left + this.width + 0.5) continue;
      ctx.beginPath(); ctx.moveTo(x, margin.top); ctx.lineTo(x, margin.top + this.height); ctx.stroke();
      ctx.fillText(formatTick(t), x, margin.top + this.height + 3);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of ys) {
      const y = Math.round(this.py(t.value)) + 0.5;
      if (y < margin.top - 0.5 || y > margin.top + this.height + 0.5) continue;
      ctx.beginPath(); ctx.moveTo(margin.left, y); ctx.lineTo(margin.left + this.width, y); ctx.stroke();
      ctx.fillText(t.label, margin.left - 3, y);
    }
    ctx.strokeStyle = '#888';
    ctx.beginPath();
    ctx.moveTo(margin.left + 0.5, margin.top);
    ctx.lineTo(margin.left + 0.5, margin.top + this.height + 0.5);
    ctx.lineTo(margin.left + this.width, margin.top + this.height + 0.5);
    ctx.stroke();
    ctx.fillStyle = '#777';
    if (xLabel) {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(xLabel, margin.left + this.width, margin.top + this.height - 2);
    }
    if (yLabel) {
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(yLabel, margin.left + 3, margin.top + 1);
    }
    this.xTicks = xs;
    this.yTicks = ys;
  }

  /** Ticks of a log axis: every power of ten in range (every other one over many decades), with 2 and 5 over a short one. */
  logTicks() {
    const [lo, hi] = this.y;
    const ticks = [];
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e += every) ticks.push({ value: 10 ** e, label: powerOfTen(e) });
    if (hi - lo < 2) {
      for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
        for (const m of [2, 5]) {
          const v = m * 10 ** e;
          if (Math.log10(v) >= lo && Math.log10(v) <= hi) ticks.push({ value: v, label: `${m}·${powerOfTen(e)}` });
        }
      }
    }
    return ticks;
  }

  /** A polyline through [x, y] points, skipping missing values (and, on a log axis, values that are not positive). */
  line(points, color, width = 1.5, dash = []) {
    const { ctx } = this;
    ctx.save();
    ctx.beginPath();
    ctx.rect(this.margin.left, this.margin.top - 1, this.width + 1, this.height + 2);
    ctx.clip();
    ctx.beginPath();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    let started = false;
    for (const [x, y] of points) {
      if (!Number.isFinite(y) || (this.logY && y <= 0)) { started = false; continue; }
      if (started) ctx.lineTo(this.px(x), this.py(y)); else { ctx.moveTo(this.px(x), this.py(y)); started = true; }
    }
    ctx.stroke();
    ctx.restore();
  }
}

// ---------- the history of a run ----------

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

function mean(values) {
  const ok = values.filter(finite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/** The geometric mean (the mean on a log axis) of the positive values. */
function geometricMean(values) {
  const ok = values.filter((v) => finite(v) && v > 0);
  return ok.length ? 10 ** (ok.reduce((a, v) => a + Math.log10(v), 0) / ok.length) : null;
}

/** Several epochs' points as one: at their mean epoch, losses averaged, gradient norms averaged on the log scale. */
function merge(points) {
  const layers = Math.max(0, ...points.map((p) => p.grads.length));
  return {
    epoch: mean(points.map((p) => p.epoch)),
    train: mean(points.map((p) => p.train)),
    test: mean(points.map((p) => p.test)),
    grads: Array.from({ length: layers }, (_, l) => geometricMean(points.map((p) => p.grads[l]))),
  };
}

/**
 * Every epoch of a run, from the first, in at most `capacity` points: while the run fits, a point per epoch; beyond,
 * neighbouring points merge in pairs and later epochs are grouped as many per point (the stride), so that the whole
 * run stays in view at a fixed cost.
 */
export class RunHistory {
  constructor(capacity = 500) {
    this.capacity = capacity;
    this.clear();
  }

  clear() {
    this.points = [];
    this.stride = 1;
    this.bucket = [];
    this.latest = null;
  }

  /** Adds one epoch: its training and test loss and its gradient norms per layer (any may be null). */
  add(epoch, train, test, grads) {
    this.bucket.push({ epoch, train, test, grads: grads ?? [] });
    if (this.bucket.length >= this.stride) {
      this.points.push(merge(this.bucket));
      this.bucket = [];
    }
    if (this.points.length > this.capacity) {
      const merged = [];
      for (let i = 0; i < this.points.length; i += 2) merged.push(merge(this.points.slice(i, i + 2)));
      this.points = merged;
      this.stride *= 2;
    }
    this.latest = null;
  }

  /** The losses now (after a pause or an edited weight), drawn as the last point. */
  setLatest(epoch, train, test) { this.latest = { epoch, train, test, grads: [] }; }

  /** The points to draw: the merged ones, the epochs not yet merged, and the latest losses. */
  view() {
    const points = this.bucket.length ? [...this.points, merge(this.bucket)] : [...this.points];
    if (this.latest) {
      const last = points[points.length - 1];
      if (last && last.epoch === this.latest.epoch) points[points.length - 1] = { ...last, train: this.latest.train, test: this.latest.test };
      else if (!last || last.epoch < this.latest.epoch) points.push(this.latest);
    }
    return points;
  }
}

// ---------- hover ----------

/** Shows what `canvas.readAt(x)` says about the point under the mouse in a small box over the chart. */
export function attachHover(canvas) {
  const tip = document.createElement('div');
  tip.className = 'chart-tip';
  tip.hidden = true;
  canvas.after(tip);
  canvas.parentElement.classList.add('chart-host');
  canvas.addEventListener('mousemove', (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * canvas.width;
    const text = canvas.readAt?.(x);
    tip.hidden = !text;
    if (!text) return;
    tip.textContent = text;
    tip.style.left = `${canvas.offsetLeft + Math.min(event.clientX - box.left + 10, box.width - 150)}px`;
    tip.style.top = `${canvas.offsetTop + event.clientY - box.top + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
}

function nearest(points, epoch) {
  let best = null;
  for (const p of points) if (!best || Math.abs(p.epoch - epoch) < Math.abs(best.epoch - epoch)) best = p;
  return best;
}

/** The tick values of a drawn plot's x axis and the labels of its y axis. */
export function ticksOf(plot) { return { x: plot.xTicks, y: plot.yTicks.map((t) => t.label) }; }

const show = (v) => (finite(v) ? Number(v.toPrecision(4)) : '–');

// ---------- the charts ----------

/**
 * Training (grey) and test (black) loss over the whole run, on a linear or a log axis. Returns what it drew:
 * { epochs, train, test, ticks }.
 */
export function drawLossChart(canvas, points, { logScale = false, xLabel = 'epoch' } = {}) {
  const values = points.flatMap((p) => [p.train, p.test]).filter((v) => finite(v) && (!logScale || v > 0));
  const last = points.length ? points[points.length - 1].epoch : 1;
  const y = values.length === 0 ? [logScale ? 0.01 : 0, 1]
    : logScale ? [Math.min(...values), Math.max(...values)] : [0, Math.max(...values) * 1.05];
  const plot = new Plot(canvas, { x: [points.length ? points[0].epoch : 0, Math.max(last, 1)], y, logY: logScale });
  plot.drawAxes({ xLabel, yLabel: 'loss' });
  plot.line(points.map((p) => [p.epoch, p.train]), '#999');
  plot.line(points.map((p) => [p.epoch, p.test]), '#000');
  canvas.readAt = (px) => {
    const p = points.length ? nearest(points, plot.xAt(px)) : null;
    return p && `${xLabel} ${Math.round(p.epoch)}: training loss ${show(p.train)}, test loss ${show(p.test)}`;
  };
  return { epochs: points.map((p) => p.epoch), train: points.map((p) => p.train), test: points.map((p) => p.test), ticks: ticksOf(plot) };
}

/** A centred moving average on the log scale over 2h + 1 points (fewer at the ends). */
function smoothLog(values, h) {
  const logs = values.map((v) => (finite(v) && v > 0 ? Math.log10(v) : null));
  return logs.map((_, i) => {
    const window = logs.slice(Math.max(0, i - h), i + h + 1).filter((v) => v !== null);
    return window.length ? 10 ** (window.reduce((a, b) => a + b, 0) / window.length) : null;
  });
}

/**
 * ‖∂L/∂W‖ per layer over the whole run as smoothed lines on a log axis, one colour per layer (input side first).
 * Returns what it drew: { epochs, layers: [{ name, values }], ticks }.
 */
export function drawGradientChart(canvas, points, names) {
  const layers = Math.max(0, ...points.map((p) => p.grads.length));
  const withGrads = points.filter((p) => p.grads.length);
  const h = Math.max(2, Math.round(withGrads.length / 25));
  const series = Array.from({ length: layers }, (_, l) => smoothLog(withGrads.map((p) => p.grads[l]), h));
  const values = series.flat().filter((v) => finite(v) && v > 0);
  const y = values.length ? [Math.min(...values) / 1.5, Math.max(...values) * 1.5] : [1e-3, 1];
  const x = withGrads.length ? [withGrads[0].epoch, Math.max(withGrads[withGrads.length - 1].epoch, withGrads[0].epoch + 1)] : [0, 1];
  const plot = new Plot(canvas, { x, y, logY: true, margin: { left: 44 } });
  plot.drawAxes({ xLabel: 'epoch', yLabel: '‖∂L/∂W‖' });
  series.forEach((s, l) => plot.line(s.map((v, i) => [withGrads[i].epoch, v]), LAYER_COLORS[l % LAYER_COLORS.length], 2));
  const label = (l) => names?.[l] ?? `layer ${l + 1}`;
  canvas.readAt = (px) => {
    if (!withGrads.length) return null;
    const target = plot.xAt(px);
    let i = 0;
    withGrads.forEach((p, k) => { if (Math.abs(p.epoch - target) < Math.abs(withGrads[i].epoch - target)) i = k; });
    return `epoch ${Math.round(withGrads[i].epoch)}: ${series.map((s, l) => `${label(l)} ${show(s[i])}`).join(', ')}`;
  };
  return { epochs: withGrads.map((p) => p.epoch), layers: series.map((values, l) => ({ name: label(l), values })), ticks: ticksOf(plot) };
}
