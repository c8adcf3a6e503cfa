// The Playground page: keeps the state the server accepted, mirrors it in the controls and the URL,
// and draws the snapshots the server streams over the WebSocket. All training happens on the server.

import { attachHover, drawGradientChart, drawLossChart, LAYER_COLORS, Plot, RunHistory, ticksOf } from './charts.js';
import { decodeGrid, drawClassGrid, drawGrid, drawPoints, labelColor } from './heatmap.js';
import { NetworkView, sigmoidOutput } from './network.js';
import { AnyInputs } from './anynet.js';
import { startLab } from './lab.js';
import { Stepper } from './stepper.js';
import { $, download, downloadModel, showClock, showError, wireErrorBanner } from './page.js';

const EXTENT = 6;
const DATASETS = {
  classification: [['circles', 'Circle'], ['xor', 'XOR'], ['gaussians', 'Gaussian'], ['spirals', 'Spiral']],
  regression: [['plane', 'Plane'], ['multi-gaussian', 'Multi-gaussian']],
  multiclass: [['blobs', 'Blobs'], ['spirals', 'Spirals']],
};
for (const list of Object.values(DATASETS)) list.push(['custom', 'Your own']);
const LIST_SETTINGS = ['features', 'hidden', 'layerActivations'];
const PAGE_SETTINGS = ['showTest', 'discretize', 'speed', 'stopAt', 'lossLog', 'weights', 'trace'];
const DEFAULT_SPEED = '60'; // epochs a second: one per animation frame

/** State shared with the other modules of the page (and with tests, through window.playground). */
const state = {
  config: null,
  data: { train: [], test: [] },
  snapshot: null,
  playing: false,
  hovered: null,
  traced: null,
  lastTrace: null,
  custom: [],
  history: new RunHistory(),
  charts: { loss: null, gradient: null },
  socket: null,
  connected: false,
  messages: 0,
  status: null,
  resumeWhenVisible: false,
};
window.playground = state;

// ---------- URL ----------

/** The settings in the page's URL, as the server's names and JSON types; text that is not a number stays text. */
function settingsFromUrl() {
  const params = new URLSearchParams(location.search);
  const settings = {};
  for (const [key, raw] of params) {
    if (PAGE_SETTINGS.includes(key)) continue;
    const value = (text) => (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : text === 'true' ? true : text === 'false' ? false : text);
    settings[key] = LIST_SETTINGS.includes(key) ? (raw === '' ? [] : raw.split(',').map(value)) : value(raw);
  }
  return settings;
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state.config)) {
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  if ($('show-test').checked) params.set('showTest', 'true');
  if ($('discretize').checked) params.set('discretize', 'true');
  if ($('loss-log').checked) params.set('lossLog', 'true');
  if ($('speed').value !== DEFAULT_SPEED) params.set('speed', $('speed').value);
  if ($('stop-at').value !== '') params.set('stopAt', $('stop-at').value);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

// ---------- socket ----------

/** Sends a command to this tab's session on the server. */
function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

/** Asks the server for a change of settings; the controls follow once the server accepts it. */
function configure(settings) { send({ type: 'configure', config: settings }); }

function connect(initial) {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  state.socket = socket;
  socket.addEventListener('open', () => {
    state.connected = true;
    $('connection').textContent = 'connected';
    $('connection').classList.add('connected');
    // After a server restart the new session starts from what this page last had.
    const settings = state.config ?? initial;
    if (Object.keys(settings).length) configure(settings);
    // Points the person drew or uploaded live in this page; a new session gets them again.
    if (settings.dataset === 'custom' && state.custom.length) send({ type: 'setPoints', points: state.custom });
    // Weights in the link (a preset's) are set once, on the network the link describes.
    if (linkWeights) { importWeights(linkWeights); linkWeights = null; }
    // A point in the link (a worked example's input) is traced once, through those weights.
    if (linkTrace) { stepper.pick(linkTrace[0], linkTrace[1], 0); linkTrace = null; }
    sendPace();
    if (state.playing) send({ type: 'play' });
  });
  socket.addEventListener('message', (event) => {
    state.messages++;
    receive(JSON.parse(event.data));
  });
  socket.addEventListener('close', () => {
    state.connected = false;
    $('connection').textContent = 'reconnecting…';
    $('connection').classList.remove('connected');
    setTimeout(() => connect(initial), 1000);
  });
}

function receive(message) {
  switch (message.type) {
    case 'config': applyConfig(message.config); break;
    case 'data':
      state.data = { train: message.train, test: message.test };
      if (state.config?.dataset === 'custom') state.custom = [...message.train, ...message.test];
      network.drawFeatures(message.featureGrids, Math.round(Math.sqrt(decodeGrid(message.featureGrids.x1).length)));
      state.history.clear();
      break;
    case 'status': applyStatus(message); break;
    case 'snapshot': applySnapshot(message); break;
    case 'error': showError(message.message); break;
    default: document.dispatchEvent(new CustomEvent('playground-message', { detail: message }));
  }
}

// ---------- controls ----------

function setControl(element, value) {
  if (element.type === 'checkbox') { element.checked = Boolean(value); return; }
  if (element.tagName === 'SELECT' && ![...element.options].some((o) => (o.value || o.text) === String(value))) {
    element.add(new Option(String(value), String(value)));
  }
  element.value = String(value);
  const shown = $(`${element.id}-value`);
  if (shown) shown.textContent = String(value);
}

function structureKey(config) {
  return JSON.stringify([config.features, config.hidden, config.problem, config.classes, config.loss]);
}

function applyConfig(config) {
  const rebuild = !state.config || structureKey(state.config) !== structureKey(config);
  state.config = config;
  for (const element of document.querySelectorAll('[data-setting]')) setControl(element, config[element.dataset.setting]);
  renderDatasets();
  $('classes-control').hidden = config.problem !== 'multiclass';
  $('custom-controls').hidden = config.dataset !== 'custom';
  $('init-note').hidden = config.init !== 'zeros';
  $('legend').hidden = config.problem === 'multiclass';
  $('loss-control').hidden = config.problem !== 'classification';
  // The output's colour scale: a sigmoid's probability 0 … 1, or tanh's −1 … 1.
  $('legend').querySelector('.neg').textContent = sigmoidOutput(config) ? '0' : '−1';
  fillDrawLabels(config);
  $('accuracy-row').hidden = config.problem === 'regression';
  $('layer-count').textContent = `${config.hidden.length} hidden layer${config.hidden.length === 1 ? '' : 's'}`;
  if (rebuild) network.render(config);
  network.syncActivations(config);
  writeUrl();
  document.dispatchEvent(new CustomEvent('playground-config', { detail: config }));
}

function fillDrawLabels(config) {
  const select = $('draw-label');
  const labels = config.problem === 'multiclass'
    ? Array.from({ length: config.classes }, (_, c) => [String(c), `class ${c}`])
    : config.problem === 'classification' ? [['1', '+1 (blue)'], ['-1', '−1 (orange)']] : [['1', '1'], ['0.5', '0.5'], ['0', '0'], ['-0.5', '−0.5'], ['-1', '−1']];
  const key = JSON.stringify(labels);
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  select.replaceChildren(...labels.map(([value, text]) => new Option(text, value)));
}

const previews = new Map();

/** Draws a data set's thumbnail from the server's generator (fetched once per data set and class count; two classes for a binary problem). */
async function drawPreview(canvas, dataset, classes) {
  const key = `${dataset}/${classes}`;
  if (!previews.has(key)) previews.set(key, fetch(`api/preview?dataset=${dataset}&classes=${classes}`).then((r) => r.json()));
  const { points } = await previews.get(key);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#f4f4f4';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const multiclass = classes > 2;
  for (const [x1, x2, label] of points) {
    ctx.fillStyle = labelColor(label, multiclass);
    ctx.fillRect(((x1 + EXTENT) / (2 * EXTENT)) * canvas.width - 1, ((EXTENT - x2) / (2 * EXTENT)) * canvas.height - 1, 2, 2);
  }
}

function renderDatasets() {
  const box = $('datasets');
  box.replaceChildren();
  for (const [name, label] of DATASETS[state.config.problem]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = `dataset-${name}`;
    button.dataset.dataset = name;
    button.title = label;
    button.className = name === state.config.dataset ? 'selected' : '';
    if (name === 'custom') {
      button.textContent = label;
    } else {
      const canvas = document.createElement('canvas');
      canvas.width = 44;
      canvas.height = 44;
      button.append(canvas);
      drawPreview(canvas, name, state.config.problem === 'multiclass' ? state.config.classes : 2);
    }
    button.addEventListener('click', () => configure({ dataset: name }));
    box.append(button);
  }
}

/** The speed and the epoch to stop at, as the controls have them. */
function sendPace() {
  const speed = $('speed').value;
  const stopAt = $('stop-at').value;
  send({ type: 'pace', epochsPerSecond: speed === 'max' ? null : Number(speed), stopAt: stopAt === '' ? 0 : Number(stopAt) });
}

function applyStatus(status) {
  state.status = status;
  setPlaying(status.playing);
  showClock(status.elapsed);
  const note = $('queue-note');
  note.hidden = !((status.playing || status.stepping) && status.queued > 0);
  if (!note.hidden) {
    note.textContent = `All ${status.trainers} of the server's trainers are busy: this tab is number ${status.queued} in line, `
      + `and its ${status.playing ? 'training' : 'step'} starts as soon as one is free.`;
  }
}

function setPlaying(playing) {
  state.playing = playing;
  $('play').textContent = playing ? '❚❚' : '▶';
  $('play').classList.toggle('playing', playing);
}

function readControl(element) {
  if (element.type === 'checkbox') return element.checked;
  return element.dataset.type === 'number' ? Number(element.value) : element.value;
}

for (const element of document.querySelectorAll('[data-setting]')) {
  element.addEventListener('change', () => {
    const setting = element.dataset.setting;
    const settings = { [setting]: readControl(element) };
    // A new problem type needs a data set of its kind.
    if (setting === 'problem') settings.dataset = DATASETS[settings.problem][0][0];
    configure(settings);
  });
  element.addEventListener('input', () => {
    const shown = $(`${element.id}-value`);
    if (shown) shown.textContent = element.value;
  });
}

$('play').addEventListener('click', () => send({ type: state.playing ? 'pause' : 'play' }));
for (const id of ['speed', 'stop-at']) $(id).addEventListener('change', () => { sendPace(); writeUrl(); });
// A tab out of sight pauses, as an animation frame would, so that it costs the server nothing; it resumes when seen again.
document.addEventListener('visibilitychange', () => {
  if (document.hidden && state.playing) {
    state.resumeWhenVisible = true;
    send({ type: 'pause' });
  } else if (!document.hidden && state.resumeWhenVisible) {
    state.resumeWhenVisible = false;
    send({ type: 'play' });
  }
});
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', () => send({ type: 'reset' }));
$('regenerate').addEventListener('click', () => send({ type: 'regenerate' }));
wireErrorBanner();
$('add-layer').addEventListener('click', () => {
  const hidden = state.config.hidden;
  configure({ hidden: [...hidden, hidden.length ? hidden[hidden.length - 1] : 4] });
});
let zoom = 1;
function setZoom(level) {
  zoom = Math.max(0.5, Math.min(2, level));
  $('network').style.transform = `scale(${zoom})`;
  $('zoom-level').textContent = `${Math.round(zoom * 100)}%`;
}
$('zoom-in').addEventListener('click', () => setZoom(zoom + 0.25));
$('zoom-out').addEventListener('click', () => setZoom(zoom - 0.25));
$('remove-layer').addEventListener('click', () => configure({ hidden: state.config.hidden.slice(0, -1) }));
$('loss-log').addEventListener('change', () => { writeUrl(); drawCharts(); });
attachHover($('loss-chart'));
attachHover($('grad-chart'));
for (const id of ['show-test', 'discretize']) {
  $(id).addEventListener('change', () => { writeUrl(); drawHeatmap(); if (state.snapshot) network.update(state.snapshot, $('discretize').checked); });
}

// ---------- weights ----------

/** Sends W and b of every layer, from JSON text; a paste that is not JSON gets a message here, one that does not fit the network from the server. */
function importWeights(text) {
  let layers;
  try {
    layers = JSON.parse(text);
  } catch (e) {
    showError(`weights: not JSON (${e.message}); paste [{"W": [[…]], "b": […]}, …]`);
    return;
  }
  send({ type: 'setWeights', layers });
}

$('weights-import').addEventListener('click', () => importWeights($('weights-text').value));
$('weights-copy').addEventListener('click', () => {
  const { weights, biases } = state.snapshot;
  $('weights-text').value = `[\n${weights.map((w, l) => `  ${JSON.stringify({ W: w, b: biases[l] })}`).join(',\n')}\n]`;
});

// ---------- network ----------

const editor = $('weight-editor');
let editing = null;

const network = new NetworkView($('network'), $('tooltip'), {
  toggleFeature(name) {
    const features = state.config.features.includes(name)
      ? state.config.features.filter((f) => f !== name)
      : [...state.config.features, name];
    configure({ features });
  },
  addNeuron(layer) {
    configure({ hidden: state.config.hidden.map((n, l) => (l === layer ? n + 1 : n)) });
  },
  removeNeuron(layer) {
    configure({ hidden: state.config.hidden.map((n, l) => (l === layer ? n - 1 : n)) });
  },
  setLayerActivation(layer, name) {
    const activations = state.config.hidden.map((_, l) => state.config.layerActivations[l] ?? '');
    activations[layer] = name;
    configure({ layerActivations: activations });
  },
  hoverNeuron(layer, index) {
    state.hovered = layer === null ? null : { layer, index };
    drawHeatmap();
  },
  editWeight(layer, to, from, value, event) {
    editing = { layer, to, from };
    const box = editor.parentElement.getBoundingClientRect();
    editor.style.left = `${event.clientX - box.left}px`;
    editor.style.top = `${event.clientY - box.top}px`;
    editor.querySelector('label').textContent = from < 0 ? 'Bias' : 'Weight';
    $('weight-value').value = Number.isFinite(value) ? value.toFixed(3) : '0';
    editor.hidden = false;
    $('weight-value').focus();
    $('weight-value').select();
  },
});

editor.addEventListener('submit', (event) => {
  event.preventDefault();
  editor.hidden = true;
  const text = $('weight-value').value;
  send({ type: 'setWeight', ...editing, value: text === '' || Number.isNaN(Number(text)) ? text : Number(text) });
});
$('weight-value').addEventListener('keydown', (event) => { if (event.key === 'Escape') editor.hidden = true; });

state.network = network;
const stepper = new Stepper(network, send, () => state.config, (hidden) => configure({ hidden }));
document.addEventListener('playground-message', (event) => {
  if (event.detail.type !== 'trace') return;
  state.traced = [event.detail.x1, event.detail.x2];
  state.lastTrace = event.detail;
  drawHeatmap();
});
document.addEventListener('playground-config', () => { state.traced = null; });

// A click on the output heat map traces that point, with the label of the nearest training point;
// with your own data it adds a point instead (shift-click removes the nearest one).
$('points').addEventListener('click', (event) => {
  const box = event.target.getBoundingClientRect();
  const x1 = ((event.clientX - box.left) / box.width) * 2 * EXTENT - EXTENT;
  const x2 = EXTENT - ((event.clientY - box.top) / box.height) * 2 * EXTENT;
  const nearest = (points) => {
    let best = -1;
    let distance = Infinity;
    points.forEach((p, i) => {
      const d = (p[0] - x1) ** 2 + (p[1] - x2) ** 2;
      if (d < distance) { distance = d; best = i; }
    });
    return best;
  };
  if (state.config.dataset === 'custom') {
    const points = [...state.custom];
    if (event.shiftKey) {
      const i = nearest(points);
      if (i >= 0) points.splice(i, 1);
    } else {
      points.push([Number(x1.toFixed(2)), Number(x2.toFixed(2)), Number($('draw-label').value)]);
    }
    send({ type: 'setPoints', points });
    return;
  }
  const i = nearest(state.data.train);
  stepper.pick(x1, x2, i >= 0 ? state.data.train[i][2] : 0);
});
$('clear-points').addEventListener('click', () => send({ type: 'setPoints', points: [] }));
$('download-points').addEventListener('click', () => {
  const csv = ['x1,x2,label', ...state.custom.map((p) => p.join(','))].join('\n');
  download(new Blob([`${csv}\n`], { type: 'text/csv' }), 'neurite-playground-data.csv');
});
$('csv-file').addEventListener('change', async () => {
  const file = $('csv-file').files[0];
  if (file) send({ type: 'uploadCsv', text: await file.text() });
  $('csv-file').value = '';
});

// The trained model, from the server.
$('export').addEventListener('click', () => send({ type: 'exportModel' }));
document.addEventListener('playground-message', (event) => {
  if (event.detail.type === 'model') downloadModel(event.detail.model, 'neurite-playground-model');
});

// ---------- snapshots ----------

function applySnapshot(snapshot) {
  state.snapshot = snapshot;
  showClock(snapshot.elapsed);
  $('epoch').textContent = snapshot.epoch.toLocaleString('en-US', { minimumIntegerDigits: 6 }).replace(/\u00a0/g, ',');
  const fmt = (v) => (v === null || v === undefined ? '–' : v.toFixed(3));
  $('test-loss').textContent = fmt(snapshot.testLoss);
  $('current-lr').textContent = `now ${Number(snapshot.learningRate.toPrecision(3))}`;
  $('train-loss').textContent = fmt(snapshot.trainLoss);
  $('test-accuracy').textContent = snapshot.testAccuracy === null ? '–' : `${(100 * snapshot.testAccuracy).toFixed(1)}%`;
  const run = state.history;
  const last = run.view().at(-1);
  if (snapshot.epoch === 0 || (last && last.epoch > snapshot.epoch)) run.clear();
  if (snapshot.epoch === 0) run.add(0, snapshot.trainLoss, snapshot.testLoss, []);
  for (const [epoch, train, test, norms] of snapshot.history) run.add(epoch, train, test, norms);
  // The losses now: the same epoch again after a pause or an edited weight may have changed them.
  run.setLatest(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss);
  drawCharts();
  network.update(snapshot, $('discretize').checked);
  drawHeatmap();
  drawConfusion(snapshot.confusion);
  document.dispatchEvent(new CustomEvent('playground-snapshot', { detail: snapshot }));
}

function layerNames() {
  return state.config ? [...state.config.hidden.map((_, l) => `layer ${l + 1}`), 'output'] : null;
}

/** The loss and gradient-flow charts over the whole run; what they drew is kept in state.charts (for tests, too). */
function drawCharts() {
  const points = state.history.view();
  state.charts.loss = drawLossChart($('loss-chart'), points, { logScale: $('loss-log').checked });
  state.charts.gradient = drawGradientChart($('grad-chart'), points, layerNames());
}

/** Axes around the output heat map: x₁ and x₂ over the data's range, with tick values. */
function drawHeatmapAxes() {
  const canvas = $('heatmap-axes');
  const plot = new Plot(canvas, { x: [-EXTENT, EXTENT], y: [-EXTENT, EXTENT], margin: { left: 26, right: 4, top: 4, bottom: 18 } });
  const ticks = [-6, -4, -2, 0, 2, 4, 6];
  plot.drawAxes({ xTicks: ticks, yTicks: ticks });
  const ctx = plot.ctx;
  // The axes' names between the last two tick values.
  ctx.fillStyle = '#555';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.fillText('x₁', plot.px(5), canvas.height - 15);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.fillText('x₂', plot.margin.left - 3, plot.py(5));
  canvas.ticks = ticksOf(plot);
}

function drawHeatmap() {
  const snapshot = state.snapshot;
  if (!snapshot) return;
  const canvas = $('heatmap');
  const discretize = $('discretize').checked;
  const layers = snapshot.neurons;
  const hovered = state.hovered;
  // A hovered neuron's own heat map, else the output on its finer grid.
  const size = hovered ? snapshot.grid : snapshot.output.size;
  canvas.width = size;
  canvas.height = size;
  if (hovered && layers[hovered.layer]?.[hovered.index] !== undefined) {
    drawGrid(canvas, decodeGrid(layers[hovered.layer][hovered.index]), size, false);
  } else if (state.config.problem === 'multiclass') {
    drawClassGrid(canvas, snapshot.output.grids.map(decodeGrid), size, discretize);
  } else {
    const output = decodeGrid(snapshot.output.grids[0]);
    drawGrid(canvas, sigmoidOutput(state.config) ? output.map((p) => 2 * p - 1) : output, size, discretize);
  }
  const points = $('points');
  points.getContext('2d').clearRect(0, 0, points.width, points.height);
  const multiclass = state.config.problem === 'multiclass';
  drawPoints(points, state.data.train, { extent: EXTENT, multiclass, stroke: '#fff' });
  if ($('show-test').checked) drawPoints(points, state.data.test, { extent: EXTENT, multiclass, stroke: '#000' });
  if (state.traced) {
    // The point the stepper traces: a ring.
    const ctx = points.getContext('2d');
    const scale = points.width / (2 * EXTENT);
    ctx.beginPath();
    ctx.arc((state.traced[0] + EXTENT) * scale, (EXTENT - state.traced[1]) * scale, 7, 0, 2 * Math.PI);
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffb300';
    ctx.stroke();
  }
}

function drawConfusion(confusion) {
  const table = $('confusion');
  $('confusion-wrap').hidden = !confusion;
  if (!confusion) return;
  const names = state.config.problem === 'multiclass' ? confusion.map((_, i) => `class ${i}`) : ['−1', '+1'];
  const header = `<tr><th>true \\ predicted</th>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
  const rows = confusion.map((row, i) => `<tr><th>${names[i]}</th>${row.map((v, j) => `<td class="${i === j ? 'diagonal' : ''}">${v}</td>`).join('')}</tr>`);
  table.innerHTML = header + rows.join('');
}

// ---------- start ----------

const params = new URLSearchParams(location.search);
let linkWeights = params.get('weights');
let linkTrace = /^-?[\d.]+,-?[\d.]+$/.test(params.get('trace') ?? '') ? params.get('trace').split(',').map(Number) : null;
$('show-test').checked = params.get('showTest') === 'true';
$('discretize').checked = params.get('discretize') === 'true';
$('loss-log').checked = params.get('lossLog') === 'true';
$('speed').value = [...$('speed').options].some((o) => o.value === params.get('speed')) ? params.get('speed') : DEFAULT_SPEED;
$('stop-at').value = /^\d+$/.test(params.get('stopAt') ?? '') ? params.get('stopAt') : '';
const legend = document.createElement('div');
legend.className = 'grad-legend';
document.addEventListener('playground-config', (event) => {
  legend.innerHTML = layerNames()
    .map((name, l) => `<span style="color:${LAYER_COLORS[l % LAYER_COLORS.length]}">■ ${name}</span>`).join(' ');
});
$('grad-chart').parentElement.after(legend);
drawHeatmapAxes();
startLab(showError);
// Any number of inputs: a pasted network's forward pass, on its own diagram.
state.anyInputs = new AnyInputs();
connect(settingsFromUrl());
