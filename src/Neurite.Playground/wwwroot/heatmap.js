// Colours and heat maps: TensorFlow Playground's scale (orange −1, grey 0, blue +1) and, for
// multi-class data, one colour per class.

const NEG = [245, 147, 34];
const MID = [232, 234, 235];
const POS = [8, 119, 189];

/** Class colours for multi-class data, index = class. */
const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40]];

/** RGB for a value, clamped to [−1, 1]. */
function valueColor(v) {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const [from, to, s] = t < 0 ? [MID, NEG, -t] : [MID, POS, t];
  return from.map((c, i) => Math.round(c + (to[i] - c) * s));
}

/** A CSS colour string for a value. */
export function cssColor(v) {
  const [r, g, b] = valueColor(v);
  return `rgb(${r},${g},${b})`;
}

/** A CSS colour for a data point's label. */
export function labelColor(label, multiclass) {
  const [r, g, b] = multiclass ? CLASS_COLORS[label] : valueColor(label);
  return `rgb(${r},${g},${b})`;
}

/** Decodes a base64 little-endian Float32 array. */
export function decodeGrid(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

/** Draws one neuron's values (size × size, row by row from the top) onto a canvas of that size. */
export function drawGrid(canvas, values, size, discretize = false) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = discretize ? Math.sign(values[i]) : values[i];
    const [r, g, b] = valueColor(v);
    image.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

/** Draws class probabilities (one grid per class): the likeliest class's colour, paler where unsure. */
export function drawClassGrid(canvas, grids, size, discretize = false) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    let best = 0;
    for (let c = 1; c < grids.length; c++) if (grids[c][i] > grids[best][i]) best = c;
    const confidence = discretize ? 1 : (grids[best][i] - 1 / grids.length) / (1 - 1 / grids.length);
    const color = CLASS_COLORS[best].map((c, k) => Math.round(MID[k] + (c - MID[k]) * Math.max(0, confidence)));
    image.data.set([...color, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

/** Draws data points [x1, x2, label] on a canvas spanning [−extent, extent]². */
export function drawPoints(canvas, points, { extent, multiclass, stroke }) {
  const ctx = canvas.getContext('2d');
  const scale = canvas.width / (2 * extent);
  for (const [x1, x2, label] of points) {
    ctx.beginPath();
    ctx.arc((x1 + extent) * scale, (extent - x2) * scale, 3, 0, 2 * Math.PI);
    ctx.fillStyle = labelColor(label, multiclass);
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = stroke;
    ctx.stroke();
  }
}
