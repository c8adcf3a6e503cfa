// Small line charts on canvas: the loss over epochs and the gradient norm of each layer over epochs.

const LAYER_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

function lines(canvas, series, { colors, logScale }) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const all = series.flat().filter((v) => Number.isFinite(v) && (!logScale || v > 0));
  if (all.length === 0) return;
  const f = logScale ? Math.log10 : (v) => v;
  let lo = logScale ? f(Math.min(...all)) : 0;
  let hi = f(Math.max(...all));
  if (hi - lo < 1e-9) { hi += 0.5; lo -= logScale ? 0.5 : 0; }
  const n = Math.max(...series.map((s) => s.length));
  series.forEach((s, k) => {
    ctx.beginPath();
    ctx.strokeStyle = colors[k % colors.length];
    ctx.lineWidth = 1.5;
    let started = false;
    s.forEach((v, i) => {
      if (!Number.isFinite(v) || (logScale && v <= 0)) return;
      const x = n <= 1 ? 0 : (i / (n - 1)) * canvas.width;
      const y = canvas.height - 2 - ((f(v) - lo) / (hi - lo)) * (canvas.height - 4);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    });
    ctx.stroke();
  });
}

/** Test loss (black) and training loss (grey) over epochs. */
export function drawLossChart(canvas, history) {
  lines(canvas, [history.map((h) => h.train), history.map((h) => h.test)], { colors: ['#aaa', '#000'], logScale: false });
}

/** ‖∂L/∂W‖ per layer over epochs, on a log scale, one colour per layer (input side first). */
export function drawGradientChart(canvas, history) {
  if (history.length === 0) { lines(canvas, [], { colors: LAYER_COLORS }); return; }
  const layers = history[history.length - 1].length;
  const series = [];
  for (let l = 0; l < layers; l++) series.push(history.map((h) => h[l]));
  lines(canvas, series, { colors: LAYER_COLORS, logScale: true });
}

export { LAYER_COLORS };
