// The forward and backward pass of one point, step by step: the server traces the point through
// the real network (z, a, δ, ∂L/∂W); this module walks through the numbers layer by layer.

import { $ } from './page.js';

const SPEEDS = { '0.25': 0.25, 1: 1 };
const STEP_MS = 1500;

const f3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : '–');

export class Stepper {
  /**
   * @param {import('./network.js').NetworkView} network the diagram to write the numbers on
   * @param {(message: object) => void} send sends a command to the server
   * @param {() => object} config the configuration the server accepted last
   * @param {(hidden: number[]) => void} setHidden asks the server for other hidden layers
   */
  constructor(network, send, config, setHidden) {
    this.network = network;
    this.setHidden = setHidden;
    this.retrace = false;
    this.send = send;
    this.config = config;
    this.trace = null;
    this.step = 0;
    this.speed = 1;
    this.timer = null;
    $('trace-start').addEventListener('click', () => this.request());
    $('step-first').addEventListener('click', () => this.go(0));
    $('step-back').addEventListener('click', () => this.go(this.step - 1));
    $('step-forward').addEventListener('click', () => this.go(this.phaseEnd()));
    $('step-one').addEventListener('click', () => this.go(this.step + 1));
    // The number of hidden layers, from here as from the diagram; the same point is traced again through the new network.
    $('step-layers').addEventListener('change', () => {
      const n = Math.max(0, Math.min(6, Math.round(Number($('step-layers').value) || 0)));
      const hidden = this.config().hidden;
      this.retrace = true;
      this.setHidden(Array.from({ length: n }, (_, l) => hidden[l] ?? hidden[hidden.length - 1] ?? 4));
    });
    $('step-play').addEventListener('click', () => this.toggleAuto());
    for (const [id, speed] of [['speed-025', '0.25'], ['speed-1', 1]]) {
      $(id).addEventListener('click', () => this.setSpeed(SPEEDS[speed], id));
    }
    document.addEventListener('playground-message', (event) => {
      if (event.detail.type === 'trace') this.start(event.detail);
    });
    document.addEventListener('playground-config', (event) => {
      this.clear();
      $('step-layers').value = String(event.detail.hidden.length);
      if (this.retrace) { this.retrace = false; this.request(); }
    });
  }

  /** Picks (x₁, x₂) and the label to trace, e.g. from a click on the heat map. */
  pick(x1, x2, target) {
    $('trace-x1').value = x1.toFixed(2);
    $('trace-x2').value = x2.toFixed(2);
    $('trace-target').value = String(target);
    this.request();
  }

  request() {
    const number = (id) => { const t = $(id).value; return t === '' || Number.isNaN(Number(t)) ? t : Number(t); };
    this.send({ type: 'trace', x1: number('trace-x1'), x2: number('trace-x2'), target: number('trace-target') });
  }

  /**
   * ▶▶: the last step of the current phase (the forward pass, the loss, the backward pass, the updates), or of the
   * next phase when already there.
   */
  phaseEnd() {
    const layers = this.trace ? this.trace.z.length : 0;
    const ends = [layers, layers + 1, 2 * layers + 1, 3 * layers + 1];
    return ends.find((e) => e > this.step) ?? this.count - 1;
  }

  /** Number of steps: the inputs, each layer forward, the loss, each layer backward, each layer's update. */
  get count() { return this.trace ? 3 * this.trace.z.length + 2 : 0; }

  start(trace) {
    this.trace = trace;
    $('stepper-controls').hidden = false;
    this.go(0);
  }

  clear() {
    this.stopAuto();
    this.trace = null;
    $('stepper-controls').hidden = true;
    $('step-caption').textContent = '';
    this.network.showValues(null);
    this.network.showLinkLabels(-1, null);
    this.network.showLinkGradients(-1, null);
  }

  setSpeed(speed, id) {
    this.speed = speed;
    for (const b of document.querySelectorAll('.speed')) b.classList.toggle('selected', b.id === id);
    if (this.timer) { this.stopAuto(); this.toggleAuto(); }
  }

  toggleAuto() {
    if (this.timer) { this.stopAuto(); return; }
    $('step-play').textContent = '❚❚';
    this.timer = setInterval(() => {
      if (this.step >= this.count - 1) this.stopAuto(); else this.go(this.step + 1);
    }, STEP_MS / this.speed);
  }

  stopAuto() {
    clearInterval(this.timer);
    this.timer = null;
    $('step-play').textContent = '▶';
  }

  /** Shows step `step`: the numbers known up to it on the neurons, the current layer's links labelled. */
  go(step) {
    if (!this.trace) return;
    const t = this.trace;
    const layers = t.z.length;
    this.step = Math.max(0, Math.min(this.count - 1, step));
    const s = this.step;
    $('step-index').textContent = `${s + 1} / ${this.count}`;
    const texts = [t.features.map((x) => `x=${f3(x)}`)];
    let caption;
    let active = -1;
    let links = -1;
    let labels = null;
    const inputs = (k) => (k === 0 ? t.features : t.a[k - 1]);
    // z, then with batch norm the normalized ẑ that the activation sees, then a.
    const forward = (k) => t.z[k].map((z, j) => (t.normalized?.[k]
      ? `z=${f3(z)}\nẑ=${f3(t.normalized[k][j])}\na=${f3(t.a[k][j])}`
      : `z=${f3(z)}\na=${f3(t.a[k][j])}`));
    if (s === 0) {
      caption = `Input: the features of (x₁, x₂) = (${f3(t.x1)}, ${f3(t.x2)}).`;
      active = 0;
    } else if (s <= layers) {
      // Forward through layers 1..s.
      for (let k = 0; k < s; k++) texts.push(forward(k));
      const k = s - 1;
      active = s;
      links = k;
      labels = t.weights[k].map((row, j) => row.map((w, i) => `${f3(w * inputs(k)[i])}`));
      caption = s === layers
        ? `Output layer: z = Σ wᵢaᵢ + b${this.outputNote()}. Links carry wᵢaᵢ.`
        : t.normalized
          ? `Hidden layer ${s}: z = Σ wᵢxᵢ + b, ẑ = batch norm of z, a = ${this.activationOf(k)}(ẑ). Links carry wᵢxᵢ.`
          : `Hidden layer ${s}: z = Σ wᵢxᵢ + b, a = ${this.activationOf(k)}(z). Links carry wᵢxᵢ.`;
    } else if (s === layers + 1) {
      for (let k = 0; k < layers; k++) texts.push(forward(k));
      texts[layers] = texts[layers].map((v) => `${v}\nL=${f3(t.loss)}`);
      active = layers;
      caption = `Loss against the label ${t.target}: ${this.lossFormula()} = ${f3(t.loss)}.`;
    } else if (s <= 2 * layers + 1) {
      // Backward: from the output (layer index layers−1) down to layer k.
      const k = 2 * layers + 1 - s;
      for (let c = 0; c < layers; c++) {
        texts.push(t.z[c].map((_, j) => (c >= k ? `δ=${f3(t.delta[c][j])}` : '')));
      }
      active = k + 1;
      links = k;
      labels = t.weightGrad[k].map((row) => row.map((g) => `${f3(g)}`));
      caption = `Backward, layer ${k + 1}: δ = ∂L/∂z of each neuron; links carry ∂L/∂w = δ · (input of the link).`;
    } else {
      // The update, one layer at a time from the input side: the new weight on each link.
      const k = s - (2 * layers + 2);
      for (let c = 0; c < layers; c++) texts.push(t.z[c].map(() => ''));
      active = k + 1;
      links = k;
      labels = t.weights[k].map((row, j) => row.map((w, i) => `${f3(w - t.learningRate * t.weightGrad[k][j][i])}`));
      caption = `Update of layer ${k + 1} (a plain gradient step, η = ${t.learningRate}): links carry the new w ← w − η ∂L/∂w.`;
    }
    // Values flow along the links of the layer at hand (back from the output in the backward pass) and its
    // neurons' numbers appear as the marks arrive; backward, the links are drawn by ∂L/∂w.
    const travel = 600 / this.speed;
    this.network.container.style.setProperty('--travel', `${travel}ms`);
    const backward = s >= layers + 2 && s <= 2 * layers + 1;
    this.network.showLinkGradients(backward ? links : -1, backward ? t.weightGrad[links] : null);
    if ((s >= 1 && s <= layers) || backward) this.network.animateLinks(links, travel, backward);
    this.network.showValues(texts, active);
    this.network.showLinkLabels(links, labels);
    $('step-caption').textContent = caption;
  }

  /** The loss of one point, as a formula. */
  lossFormula() {
    const c = this.config();
    if (c.problem === 'multiclass') return 'L = −log p(label)';
    if (c.problem === 'classification' && c.loss === 'cross_entropy') return 'L = −[t log p + (1 − t) log(1 − p)] with t = 1 for +1, 0 for −1';
    return 'L = (a − label)²';
  }

  activationOf(k) {
    const c = this.config();
    return (c.layerActivations[k] || c.activation);
  }

  outputNote() {
    const c = this.config();
    if (c.problem === 'classification') return c.loss === 'cross_entropy' ? ', a = sigmoid(z) = p(label +1)' : ', a = tanh(z)';
    return c.problem === 'multiclass' ? ', a = softmax(z)' : ', a = z';
  }
}
