// The CNN view: a small convolutional network trains on the server (its own session at /ws/cnn); this page picks or
// draws the image it looks at, and draws the first layer's filters, every convolution's feature maps for that image,
// the class probabilities and the losses.
import { attachHover, Plot } from './charts.js';
import { decodeGrid } from './heatmap.js';
import { $, downloadModel, showClock, showError, wireErrorBanner } from './page.js';

const SIDE = 28;
const MAX_POINTS = 1000;

const state = {
  socket: null,
  gallery: null, // { side, classNames, labels, images: Float32Array }
  snapshot: null,
  status: null,
  playing: false,
  drawn: false, // the image shown is the drawing
  train: [], // [round, training loss]
  test: [], // [round, test loss] at each snapshot
  chart: null,
  messages: 0,
};
// For tests and the curious: what the page holds and drew.
window.cnnView = state;

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function connect() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/cnn`);
  state.socket = socket;
  socket.addEventListener('open', () => {
    $('connection').textContent = 'connected';
    $('connection').classList.add('connected');
    sendPace();
  });
  socket.addEventListener('message', (event) => {
    state.messages++;
    receive(JSON.parse(event.data));
  });
  socket.addEventListener('close', () => {
    $('connection').textContent = 'reconnecting…';
    $('connection').classList.remove('connected');
    setTimeout(connect, 2000);
  });
}

function receive(message) {
  switch (message.type) {
    case 'gallery': showGallery(message); break;
    case 'status': applyStatus(message); break;
    case 'snapshot': applySnapshot(message); break;
    case 'model': downloadModel(message.model, 'neurite-playground-cnn'); break;
    case 'error': showError(message.message); break;
    default: break;
  }
}

wireErrorBanner();

// ---------- images ----------

/** Draws `values` (row-major, width × height) on a canvas of that size: grayscale from lo (black) to hi (white). */
function drawGray(canvas, values, width, height, lo = 0, hi = 1) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, (values[i] - lo) / span)));
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

/** A filter on one diverging scale for all filters: blue negative, white zero, red positive (as the HTML report). */
function drawFilter(canvas, values, side, scale) {
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const t = Math.max(-1, Math.min(1, values[i] / scale));
    const fade = Math.round(255 * (1 - Math.abs(t)));
    image.data.set(t >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

function galleryImage(index) {
  const size = SIDE * SIDE;
  return state.gallery.images.subarray(index * size, (index + 1) * size);
}

function showGallery(gallery) {
  state.gallery = { ...gallery, images: decodeGrid(gallery.images) };
  const buttons = gallery.labels.map((label, i) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.title = gallery.classNames[label];
    button.dataset.index = String(i);
    const canvas = document.createElement('canvas');
    drawGray(canvas, galleryImage(i), SIDE, SIDE);
    button.append(canvas);
    button.addEventListener('click', () => { state.drawn = false; send({ type: 'chooseImage', index: i }); });
    return button;
  });
  $('gallery').replaceChildren(...buttons);
  $('data-note').textContent = `Trains on ${gallery.trainImages.toLocaleString('en-US')} Fashion-MNIST training images, `
    + `${gallery.roundImages} per round; tested on ${gallery.testImages} held-out ones.`;
  $('network-summary').textContent = summarize(gallery.spec);
}

/** The spec's layers in a line: conv 8 5×5 → relu → pool 2 → … */
function summarize(spec) {
  const kernel = (k) => (Array.isArray(k) ? `${k[0]}×${k[1]}` : `${k}×${k}`);
  return spec.layers.map((l) => {
    if (l.type === 'conv2d') return `conv ${l.out} ${kernel(l.kernel)}`;
    if (l.type === 'max_pool2d') return `max pool ${kernel(l.kernel)}`;
    if (l.type === 'linear') return `linear ${l.out}`;
    return l.type;
  }).join(' → ');
}

// ---------- drawing: 28×28 pixels, painted at 10× with a soft round brush ----------

const draw = $('draw');
const drawCtx = draw.getContext('2d');
function clearDrawing() {
  drawCtx.fillStyle = '#000';
  drawCtx.fillRect(0, 0, draw.width, draw.height);
}
clearDrawing();
let painting = false;
function paint(event) {
  const rect = draw.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * draw.width;
  const y = ((event.clientY - rect.top) / rect.height) * draw.height;
  const brush = drawCtx.createRadialGradient(x, y, 0, x, y, 22);
  brush.addColorStop(0, 'rgba(255,255,255,1)');
  brush.addColorStop(0.5, 'rgba(255,255,255,0.9)');
  brush.addColorStop(1, 'rgba(255,255,255,0)');
  drawCtx.fillStyle = brush;
  drawCtx.beginPath();
  drawCtx.arc(x, y, 22, 0, 2 * Math.PI);
  drawCtx.fill();
}
draw.addEventListener('pointerdown', (event) => { painting = true; draw.setPointerCapture(event.pointerId); paint(event); });
draw.addEventListener('pointermove', (event) => { if (painting) paint(event); });
draw.addEventListener('pointerup', () => {
  if (!painting) return;
  painting = false;
  sendDrawing();
});
$('draw-clear').addEventListener('click', () => { clearDrawing(); sendDrawing(); });

/** The drawing as 28×28 values from 0 to 1: each pixel the mean brightness of its 10×10 block. */
function drawingPixels() {
  const block = draw.width / SIDE;
  const data = drawCtx.getImageData(0, 0, draw.width, draw.height).data;
  const pixels = new Array(SIDE * SIDE).fill(0);
  for (let y = 0; y < draw.height; y++) {
    for (let x = 0; x < draw.width; x++) {
      pixels[Math.floor(y / block) * SIDE + Math.floor(x / block)] += data[4 * (y * draw.width + x)] / 255 / (block * block);
    }
  }
  return pixels.map((v) => Math.min(1, Number(v.toFixed(3))));
}

function sendDrawing() {
  state.drawn = true;
  send({ type: 'drawImage', pixels: drawingPixels() });
}

// ---------- controls ----------

$('play').addEventListener('click', () => send({ type: state.playing ? 'pause' : 'play' }));
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', () => send({ type: 'reset' }));
$('export').addEventListener('click', () => send({ type: 'exportModel' }));
$('speed').addEventListener('change', sendPace);

/** The speed the control has, in rounds a second (null: as fast as the engine goes). */
function sendPace() {
  const speed = $('speed').value;
  send({ type: 'pace', epochsPerSecond: speed === 'max' ? null : Number(speed) });
}
// A tab out of sight pauses, as the network view's does, and resumes when seen again.
document.addEventListener('visibilitychange', () => {
  if (document.hidden && state.playing) {
    state.resumeWhenVisible = true;
    send({ type: 'pause' });
  } else if (!document.hidden && state.resumeWhenVisible) {
    state.resumeWhenVisible = false;
    send({ type: 'play' });
  }
});

function applyStatus(status) {
  state.status = status;
  state.playing = status.playing;
  $('play').textContent = status.playing ? '❚❚' : '▶';
  $('play').classList.toggle('playing', status.playing);
  showClock(status.elapsed);
  const note = $('queue-note');
  note.hidden = !((status.playing || status.stepping) && status.queued > 0);
  if (!note.hidden) {
    note.textContent = `All ${status.trainers} of the server's trainers are busy: this tab is number ${status.queued} in line, `
      + `and its ${status.playing ? 'training' : 'step'} starts as soon as one is free.`;
  }
}

// ---------- snapshots ----------

function applySnapshot(snapshot) {
  state.snapshot = snapshot;
  showClock(snapshot.elapsed);
  $('epoch').textContent = snapshot.epoch.toLocaleString('en-US');
  $('images-seen').textContent = snapshot.imagesSeen.toLocaleString('en-US');
  $('test-accuracy').textContent = snapshot.testAccuracy === null ? '–' : `${(100 * snapshot.testAccuracy).toFixed(1)}%`;
  $('test-loss').textContent = snapshot.testLoss === null ? '–' : snapshot.testLoss.toFixed(3);
  if (snapshot.epoch === 0 || (state.test.length && state.test.at(-1)[0] > snapshot.epoch)) { state.train = []; state.test = []; }
  state.train.push(...snapshot.history);
  if (!state.test.length || state.test.at(-1)[0] !== snapshot.epoch) state.test.push([snapshot.epoch, snapshot.testLoss]);
  while (state.train.length > MAX_POINTS) state.train = state.train.filter((_, i) => i % 2 === 0);
  while (state.test.length > MAX_POINTS) state.test = state.test.filter((_, i) => i % 2 === 0);
  for (const button of $('gallery').children) button.classList.toggle('selected', Number(button.dataset.index) === snapshot.chosen);
  draw.classList.toggle('selected', snapshot.chosen < 0);
  drawChosen(snapshot);
  drawFilters(snapshot.filters);
  drawFeatureMaps(snapshot.maps);
  drawProbabilities(snapshot);
  drawLosses();
}

function drawChosen(snapshot) {
  if (!state.gallery) return;
  const pixels = snapshot.chosen >= 0 ? galleryImage(snapshot.chosen) : drawingPixels();
  drawGray($('chosen'), pixels, SIDE, SIDE);
  $('chosen-label').textContent = snapshot.chosen >= 0
    ? `test image ${snapshot.chosen + 1}: ${state.gallery.classNames[state.gallery.labels[snapshot.chosen]]}`
    : 'your drawing';
}

function drawFilters(filters) {
  const values = decodeGrid(filters.values);
  const area = filters.side * filters.side;
  const scale = Math.max(1e-12, ...Array.from(values, Math.abs));
  $('filters-title').textContent = `First-layer filters: ${filters.count} of ${filters.side}×${filters.side} `
    + `(blue negative, white zero, red positive; ±${scale.toPrecision(2)})`;
  const container = $('filters');
  container.classList.add('filters');
  while (container.children.length < filters.count) container.append(document.createElement('canvas'));
  while (container.children.length > filters.count) container.lastChild.remove();
  [...container.children].forEach((canvas, o) => drawFilter(canvas, values.subarray(o * area, (o + 1) * area), filters.side, scale));
}

/** Each convolution's maps, one canvas per channel, each from its own minimum (black) to its maximum (white). */
function drawFeatureMaps(maps) {
  const container = $('feature-maps');
  if (container.children.length !== maps.length) {
    container.replaceChildren(...maps.map(() => {
      const block = document.createElement('div');
      block.className = 'feature-layer';
      block.append(document.createElement('h3'), Object.assign(document.createElement('div'), { className: 'maps' }));
      return block;
    }));
  }
  maps.forEach((map, l) => {
    const block = container.children[l];
    block.querySelector('h3').textContent = `Layer ${map.name} (convolution ${l + 1}, before its ReLU): `
      + `${map.channels} feature maps of ${map.height}×${map.width}`;
    const values = decodeGrid(map.values);
    const plane = map.height * map.width;
    const row = block.querySelector('.maps');
    while (row.children.length < map.channels) row.append(document.createElement('canvas'));
    while (row.children.length > map.channels) row.lastChild.remove();
    const zoom = Math.max(1, Math.round(56 / map.width));
    [...row.children].forEach((canvas, c) => {
      const channel = values.subarray(c * plane, (c + 1) * plane);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of channel) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      drawGray(canvas, channel, map.width, map.height, lo, hi);
      canvas.style.width = `${map.width * zoom}px`;
      canvas.style.height = `${map.height * zoom}px`;
      canvas.title = `channel ${c}: ${lo.toFixed(2)} (black) … ${hi.toFixed(2)} (white)`;
    });
  });
}

function drawProbabilities(snapshot) {
  if (!state.gallery) return;
  const p = snapshot.probabilities;
  const best = p.indexOf(Math.max(...p));
  const truth = snapshot.chosen >= 0 ? state.gallery.labels[snapshot.chosen] : -1;
  const rows = state.gallery.classNames.flatMap((name, c) => {
    const label = Object.assign(document.createElement('span'), { textContent: name, className: c === truth ? 'truth' : '' });
    if (c === truth) label.title = 'the true class';
    const bar = Object.assign(document.createElement('div'), { className: c === best ? 'bar top' : 'bar' });
    bar.style.width = `${(100 * p[c]).toFixed(1)}%`;
    bar.dataset.probability = String(p[c]);
    const track = Object.assign(document.createElement('div'), { className: 'bar-track' });
    track.append(bar);
    const value = Object.assign(document.createElement('span'), { className: 'value', textContent: `${(100 * p[c]).toFixed(1)}%` });
    return [label, track, value];
  });
  $('probabilities').replaceChildren(...rows);
}

function drawLosses() {
  const canvas = $('loss-chart');
  const values = [...state.train, ...state.test].map(([, v]) => v).filter(Number.isFinite);
  const last = Math.max(1, state.train.at(-1)?.[0] ?? 0, state.test.at(-1)?.[0] ?? 0);
  const plot = new Plot(canvas, { x: [0, last], y: [0, values.length ? Math.max(...values) * 1.05 : 2.5] });
  plot.drawAxes({ xLabel: 'round', yLabel: 'loss' });
  plot.line(state.train, '#999');
  plot.line(state.test, '#000');
  canvas.readAt = (px) => {
    const round = plot.xAt(px);
    const near = (points) => points.reduce((a, b) => (Math.abs(b[0] - round) < Math.abs(a[0] - round) ? b : a), points[0]);
    const train = state.train.length ? near(state.train) : null;
    const test = state.test.length ? near(state.test) : null;
    return train && `round ${train[0]}: training loss ${train[1]?.toFixed(3)}${test ? `; test loss at round ${test[0]}: ${test[1]?.toFixed(3)}` : ''}`;
  };
  state.chart = { train: state.train.length, test: state.test.length };
}
attachHover($('loss-chart'));

connect();
