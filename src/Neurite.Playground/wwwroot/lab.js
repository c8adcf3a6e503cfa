// Lessons beside the playground, each computed on the server by the engine: the activation
// explorer, the perceptron learning rule on logic gates, and universal approximation with ReLU hinges.

import { Plot, ticksOf } from './charts.js';
import { $ } from './page.js';

const HINGE_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

async function fetchLesson(path, onError) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) { onError(body.error); return null; }
  return body;
}

/**
 * A plot on a canvas with axes, tick values and the lines x = 0 and y = 0; what it drew is kept in canvas.ticks.
 */
function frame(canvas, xRange, yRange, { xLabel = '', yLabel = '' } = {}) {
  const plot = new Plot(canvas, { x: xRange, y: yRange, margin: { left: 30 } });
  plot.drawAxes({ xLabel, yLabel });
  canvas.ticks = ticksOf(plot);
  const px = (x) => plot.px(x);
  const py = (y) => plot.py(y);
  plot.line([[xRange[0], 0], [xRange[1], 0]], '#bbb', 1);
  plot.line([[0, yRange[0]], [0, yRange[1]]], '#bbb', 1);
  const line = (xs, ys, color, width = 2, dash = []) => plot.line(xs.map((x, i) => [x, ys[i]]), color, width, dash);
  return { ctx: plot.ctx, px, py, line, plot };
}

// ---------- activation explorer ----------

let activations = null;

function saturationFacts(a) {
  const share = a.saturated.filter(Boolean).length / a.saturated.length;
  return `${a.name}: range ${a.range}; saturated (|f′| < 5 % of its peak, shaded) on ${(100 * share).toFixed(0)} % of [−5, 5]`;
}

function drawActivation() {
  if (!activations) return;
  const find = (name) => activations.activations.find((x) => x.name === name);
  const a = find($('explore-activation').value);
  const other = find($('compare-activation').value);
  const canvas = $('activation-chart');
  const { ctx, px, line, plot } = frame(canvas, [-5, 5], [-1.5, 3], { xLabel: 'x', yLabel: 'f(x), f′(x)' });
  // Saturation: where the derivative is below 5 % of its peak, learning through this unit stalls.
  ctx.fillStyle = 'rgba(214, 39, 40, 0.12)';
  activations.x.forEach((x, i) => { if (a.saturated[i]) ctx.fillRect(px(x) - 1.3, plot.margin.top, 2.6, plot.height); });
  if (other) {
    line(activations.x, other.y, '#2ca02c', 2);
    line(activations.x, other.dy, '#9467bd', 1.5, [5, 4]);
  }
  line(activations.x, a.y, '#0877bd', 2.5);
  line(activations.x, a.dy, '#f59322', 2, [5, 4]);
  $('activation-facts').textContent = other ? `${saturationFacts(a)}. Compared: ${saturationFacts(other)} (green f, purple f′).` : saturationFacts(a);
}

// ---------- perceptron ----------

let perceptron = null;
let perceptronTimer = null;

function drawPerceptron(index) {
  const canvas = $('perceptron-chart');
  const { ctx, px, py } = frame(canvas, [-0.5, 1.5], [-0.5, 1.5], { xLabel: 'x₁', yLabel: 'x₂' });
  const e = perceptron.epochs[index];
  const [w1, w2] = e.w;
  // The separating line w₁x₁ + w₂x₂ + b = 0.
  ctx.strokeStyle = '#183d4e';
  ctx.lineWidth = 2;
  ctx.beginPath();
  if (Math.abs(w2) > 1e-6) {
    ctx.moveTo(px(-0.5), py((-e.b - w1 * -0.5) / w2));
    ctx.lineTo(px(1.5), py((-e.b - w1 * 1.5) / w2));
  } else if (Math.abs(w1) > 1e-6) {
    ctx.moveTo(px(-e.b / w1), py(-0.5));
    ctx.lineTo(px(-e.b / w1), py(1.5));
  }
  ctx.stroke();
  for (const [x1, x2, label] of perceptron.points) {
    ctx.beginPath();
    ctx.arc(px(x1), py(x2), 8, 0, 2 * Math.PI);
    ctx.fillStyle = label ? '#0877bd' : '#f59322';
    ctx.fill();
  }
  $('perceptron-epoch').textContent =
    `epoch ${e.epoch}: w = (${w1}, ${w2}), b = ${e.b}, ${e.mistakes} mistake${e.mistakes === 1 ? '' : 's'}`;
}

function runPerceptron(showError) {
  clearInterval(perceptronTimer);
  $('perceptron-summary').textContent = '';
  const query = new URLSearchParams({ gate: $('perceptron-gate').value, epochs: $('perceptron-epochs').value });
  fetchLesson(`api/perceptron?${query}`, showError).then((lesson) => {
    if (!lesson) return;
    perceptron = lesson;
    let i = 0;
    drawPerceptron(0);
    perceptronTimer = setInterval(() => {
      i++;
      if (i >= lesson.epochs.length) {
        clearInterval(perceptronTimer);
        $('perceptron-summary').textContent = lesson.summary;
        return;
      }
      drawPerceptron(i);
    }, 250);
  });
}

// ---------- universal approximation ----------

let approximation = null;

function drawApproximation() {
  if (!approximation) return;
  const f = approximation.frames[Number($('approx-frame').value)];
  const canvas = $('approx-chart');
  const { line } = frame(canvas, [-3, 3], [-2, 2], { xLabel: 'x', yLabel: 'y' });
  // Each ReLU unit adds a hinge vⱼ·max(0, wⱼx + bⱼ); the fit is their sum plus the output bias.
  f.hinges.forEach((h, j) => line(approximation.x, h.values, HINGE_COLORS[j % HINGE_COLORS.length], 1, [3, 3]));
  line(approximation.x, approximation.y, '#aaa', 4);
  line(approximation.x, f.fit, '#000', 2);
  $('approx-info').textContent = `epoch ${f.epoch}: loss ${f.loss.toFixed(4)}, ${f.hinges.length} ReLU hinges (dashed)`;
}

function runApproximation(showError) {
  const query = new URLSearchParams({
    function: $('approx-function').value, units: $('approx-units').value, epochs: $('approx-epochs').value, seed: $('approx-seed').value,
  });
  $('approx-info').textContent = 'training…';
  fetchLesson(`api/approximate?${query}`, showError).then((lesson) => {
    if (!lesson) { $('approx-info').textContent = ''; return; }
    approximation = lesson;
    $('approx-frame').max = String(lesson.frames.length - 1);
    $('approx-frame').value = String(lesson.frames.length - 1);
    drawApproximation();
  });
}

/** Wires the lessons; `showError` puts a server message in the page's error banner. */
export function startLab(showError) {
  fetchLesson('api/activations', showError).then((lesson) => { activations = lesson; drawActivation(); });
  $('explore-activation').addEventListener('change', drawActivation);
  $('compare-activation').addEventListener('change', drawActivation);
  $('perceptron-run').addEventListener('click', () => runPerceptron(showError));
  $('approx-run').addEventListener('click', () => runApproximation(showError));
  // Re-roll: the same fit from other initial output weights.
  $('approx-reroll').addEventListener('click', () => {
    $('approx-seed').value = String((Number($('approx-seed').value) || 0) + 1);
    runApproximation(showError);
  });
  $('approx-frame').addEventListener('input', drawApproximation);
}
