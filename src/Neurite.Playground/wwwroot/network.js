// The network diagram: a column of input features, the hidden layers and the output, each neuron
// a small heat map; links drawn with width by |w| and colour by sign.

import { cssColor, decodeGrid, drawGrid } from './heatmap.js';

const SVG = 'http://www.w3.org/2000/svg';
const NODE = 36;
const ROW = 62;
const TOP = 44;

/** Input features, in the server's canonical order, with the labels the page shows. */
const FEATURES = [
  ['x1', 'x₁'], ['x2', 'x₂'], ['x1sq', 'x₁²'], ['x2sq', 'x₂²'], ['x1x2', 'x₁x₂'], ['sinx1', 'sin(x₁)'], ['sinx2', 'sin(x₂)'],
];

/** Activation names the server knows, with the labels the page shows. */
const ACTIVATIONS = [
  ['step', 'Step'], ['sigmoid', 'Sigmoid'], ['tanh', 'Tanh'], ['relu', 'ReLU'], ['leaky_relu', 'Leaky ReLU'],
  ['gelu', 'GELU'], ['silu', 'SiLU'], ['linear', 'Linear'],
];

/** Whether the network ends in a sigmoid (binary classification with cross-entropy): its output is a probability. */
export function sigmoidOutput(config) { return config.problem === 'classification' && config.loss === 'cross_entropy'; }

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : '–');

export class NetworkView {
  /**
   * @param {HTMLElement} container where the diagram goes
   * @param {HTMLElement} tooltip shown over links and biases
   * @param {object} on callbacks: toggleFeature(name), addNeuron(layer), removeNeuron(layer),
   *   hoverNeuron(layer, index) with null to leave, editWeight(layer, to, from, value, event),
 *   setLayerActivation(layer, name) with '' for the common one
   */
  constructor(container, tooltip, on) {
    this.container = container;
    this.tooltip = tooltip;
    this.on = on;
    this.links = [];
    this.nodes = [];
  }

  /** Rebuilds the diagram for a configuration (features, hidden sizes, outputs). */
  render(config) {
    this.config = config;
    const active = FEATURES.filter(([name]) => config.features.includes(name));
    const outputs = config.problem === 'multiclass' ? config.classes : 1;
    const sizes = [active.length, ...config.hidden, outputs];
    const columns = config.hidden.length + 2;
    const width = Math.max(420, this.container.parentElement.clientWidth - 10);
    const gap = (width - 140) / (columns - 1);
    const height = TOP + Math.max(FEATURES.length, ...sizes) * ROW + 30;
    this.container.replaceChildren();
    this.container.style.height = `${height}px`;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    this.svg = svg;
    this.container.append(svg);
    this.labels = document.createElementNS(SVG, 'g');

    // positions[c][i] = centre of neuron i in column c; column 0 lists only the active features.
    const x = (c) => 80 + c * gap;
    const y = (i) => TOP + i * ROW + NODE / 2;
    this.positions = [active.map(([name]) => ({ x: x(0), y: y(FEATURES.findIndex(([n]) => n === name)) }))];
    for (let c = 1; c < columns; c++) {
      this.positions.push(Array.from({ length: sizes[c] }, (_, i) => ({ x: x(c), y: y(i) })));
    }

    this.links = [];
    for (let l = 0; l < columns - 1; l++) {
      const layerLinks = [];
      this.positions[l + 1].forEach((to, j) => {
        const row = [];
        this.positions[l].forEach((from, i) => {
          const path = document.createElementNS(SVG, 'path');
          const x0 = from.x + NODE / 2, x1 = to.x - NODE / 2, mx = (x0 + x1) / 2;
          path.setAttribute('d', `M${x0},${from.y} C${mx},${from.y} ${mx},${to.y} ${x1},${to.y}`);
          path.setAttribute('class', 'link');
          path.id = `link-${l}-${j}-${i}`;
          path.dataset.layer = l; path.dataset.to = j; path.dataset.from = i;
          path.addEventListener('mouseenter', (e) => this.showTooltip(e, `Weight is ${fmt(path.weight)}.`));
          path.addEventListener('mousemove', (e) => this.moveTooltip(e));
          path.addEventListener('mouseleave', () => this.hideTooltip());
          path.addEventListener('click', (e) => this.on.editWeight(l, j, i, path.weight, e));
          svg.append(path);
          row.push(path);
        });
        layerLinks.push(row);
      });
      this.links.push(layerLinks);
    }
    svg.append(this.labels);

    // Features: all of them, the inactive ones pale; clicking toggles.
    this.nodes = [[]];
    FEATURES.forEach(([name, label], row) => {
      const on = config.features.includes(name);
      const node = this.node(x(0), y(row), `feature-${name}`, `node feature${on ? '' : ' inactive'}`);
      node.title = on ? `${label}: click to remove this input` : `${label}: click to use this input`;
      const text = document.createElement('span');
      text.className = 'label';
      text.textContent = label;
      node.append(text);
      node.addEventListener('click', () => this.on.toggleFeature(name));
      if (on) {
        const index = this.nodes[0].length;
        this.hoverable(node, 0, index);
        this.nodes[0].push(node);
      }
    });
    for (let c = 1; c < columns; c++) {
      const isOutput = c === columns - 1;
      this.nodes.push(this.positions[c].map((p, i) => {
        const node = this.node(p.x, p.y, `neuron-${c}-${i}`, `node${isOutput ? ' output' : ''}`);
        this.hoverable(node, c, i);
        const bias = document.createElement('div');
        bias.className = 'bias';
        bias.id = `bias-${c - 1}-${i}`;
        bias.addEventListener('mouseenter', (e) => this.showTooltip(e, `Bias is ${fmt(bias.bias)}.`));
        bias.addEventListener('mouseleave', () => this.hideTooltip());
        bias.addEventListener('click', (e) => { e.stopPropagation(); this.on.editWeight(c - 1, i, -1, bias.bias, e); });
        node.append(bias);
        return node;
      }));
      const title = document.createElement('div');
      title.className = 'layer-title';
      title.style.left = `${x(c) - NODE}px`;
      title.style.top = '0px';
      if (isOutput) {
        title.textContent = config.problem === 'multiclass' ? 'softmax'
          : config.problem === 'classification' ? `output (${sigmoidOutput(config) ? 'sigmoid' : 'tanh'})` : 'output';
      } else {
        const n = config.hidden[c - 1];
        title.textContent = `${n} neuron${n === 1 ? '' : 's'}`;
        const buttons = document.createElement('div');
        buttons.className = 'neuron-buttons';
        buttons.style.left = `${x(c) - NODE / 2}px`;
        buttons.style.top = '14px';
        buttons.append(this.button(`add-neuron-${c - 1}`, '+', () => this.on.addNeuron(c - 1)),
          this.button(`remove-neuron-${c - 1}`, '−', () => this.on.removeNeuron(c - 1)));
        this.container.append(buttons);
        const select = document.createElement('select');
        select.id = `layer-activation-${c - 1}`;
        select.className = 'layer-activation';
        select.title = `Activation of hidden layer ${c}`;
        select.style.left = `${x(c) - NODE}px`;
        select.style.top = `${height - 24}px`;
        select.add(new Option('', '')); // named after the common activation in syncActivations
        for (const [value, text] of ACTIVATIONS) select.add(new Option(text, value));
        select.addEventListener('change', () => this.on.setLayerActivation(c - 1, select.value));
        this.container.append(select);
      }
      this.container.append(title);
    }
  }

  /** Shows each hidden layer's own activation (empty: the one chosen for all layers). */
  syncActivations(config) {
    const common = ACTIVATIONS.find(([name]) => name === config.activation)?.[1] ?? config.activation;
    config.hidden.forEach((_, l) => {
      const select = document.getElementById(`layer-activation-${l}`);
      if (!select) return;
      select.options[0].text = `${common} (all layers)`;
      select.value = config.layerActivations[l] ?? '';
    });
  }

  button(id, text, click) {
    const b = document.createElement('button');
    b.type = 'button';
    b.id = id;
    b.textContent = text;
    b.addEventListener('click', click);
    return b;
  }

  node(cx, cy, id, className) {
    const node = document.createElement('div');
    node.className = className;
    node.id = id;
    node.style.left = `${cx - NODE / 2}px`;
    node.style.top = `${cy - NODE / 2}px`;
    const canvas = document.createElement('canvas');
    node.append(canvas);
    const value = document.createElement('span');
    value.className = 'value';
    node.append(value);
    this.container.append(node);
    return node;
  }

  hoverable(node, layer, index) {
    node.addEventListener('mouseenter', () => { node.classList.add('hovered'); this.on.hoverNeuron(layer, index); });
    node.addEventListener('mouseleave', () => { node.classList.remove('hovered'); this.on.hoverNeuron(null, null); });
  }

  showTooltip(event, text) {
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    this.moveTooltip(event);
  }

  moveTooltip(event) {
    const box = this.tooltip.parentElement.getBoundingClientRect();
    this.tooltip.style.left = `${event.clientX - box.left + 12}px`;
    this.tooltip.style.top = `${event.clientY - box.top + 12}px`;
  }

  hideTooltip() { this.tooltip.hidden = true; }

  /** Draws every input feature's heat map, the unused ones too (grids by feature name, base64). */
  drawFeatures(grids, size) {
    for (const [name] of FEATURES) {
      const canvas = document.querySelector(`#feature-${name} canvas`);
      if (!canvas || !grids[name]) continue;
      canvas.width = size; canvas.height = size;
      drawGrid(canvas, decodeGrid(grids[name]), size);
    }
  }

  /** A link by its weight: width by |w| against the largest |w| of the network, colour by sign. */
  styleLink(path, value, max = this.maxWeight) {
    this.maxWeight = max;
    path.setAttribute('stroke', cssColor(Math.sign(value)));
    path.setAttribute('stroke-width', (0.5 + 7.5 * Math.abs(value) / max).toFixed(2));
    path.setAttribute('stroke-opacity', '0.75');
  }

  /** Draws a snapshot: every neuron's heat map, link widths and colours, biases. */
  update(snapshot, discretize) {
    const size = snapshot.grid;
    snapshot.neurons.forEach((layer, c) => {
      const grids = layer.map(decodeGrid);
      const isOutput = c === snapshot.neurons.length - 1;
      (this.nodes[c] || []).forEach((node, i) => {
        const canvas = node.querySelector('canvas');
        canvas.width = size; canvas.height = size;
        if (isOutput && (grids.length > 1 || sigmoidOutput(this.config))) {
          // A probability: per class from grey (0) to blue (1); a sigmoid's from orange (0) to blue (1).
          drawGrid(canvas, grids[i].map((p) => 2 * p - 1), size, discretize);
        } else {
          drawGrid(canvas, grids[i], size, discretize && isOutput);
        }
      });
    });
    const all = snapshot.weights.flat(2).map(Math.abs);
    const max = Math.max(1e-6, ...all);
    snapshot.weights.forEach((w, l) => w.forEach((row, j) => row.forEach((value, i) => {
      const path = this.links[l]?.[j]?.[i];
      if (!path) return;
      path.weight = value;
      this.styleLink(path, value, max);
    })));
    snapshot.biases.forEach((b, l) => b.forEach((value, j) => {
      const bias = document.getElementById(`bias-${l}-${j}`);
      if (!bias) return;
      bias.bias = value;
      bias.style.background = cssColor(value);
    }));
  }

  /** Writes a text under every neuron (texts[c][i]; null clears them all) and highlights column `active`. */
  showValues(texts, active = -1) {
    this.nodes.forEach((column, c) => column.forEach((node, i) => {
      node.querySelector('.value').textContent = texts ? (texts[c]?.[i] ?? '') : '';
      node.classList.remove('stepping');
      if (c === active) {
        void node.offsetWidth; // restart the arrival animation
        node.classList.add('stepping');
      }
    }));
  }

  /**
   * Labels the links of Linear layer `layer` with texts[to][from]; layer −1 clears. Each label sits on its own link,
   * staggered by target and slid along the link until it overlaps no label placed before it (links converge at a
   * neuron, so labels at their middles would pile up).
   */
  showLinkLabels(layer, texts) {
    this.labels.replaceChildren();
    if (layer < 0 || !texts) return;
    const placed = [];
    const overlaps = (b) => placed.some((o) => b.x < o.x + o.width && o.x < b.x + b.width && b.y < o.y + o.height && o.y < b.y + b.height);
    const targets = this.links[layer]?.length ?? 0;
    this.links[layer]?.forEach((row, j) => row.forEach((path, i) => {
      const length = path.getTotalLength();
      const text = document.createElementNS(SVG, 'text');
      text.setAttribute('class', 'link-label');
      text.id = `link-label-${layer}-${j}-${i}`;
      text.textContent = texts[j][i];
      this.labels.append(text);
      let box = null;
      for (let k = 0; k < 24; k++) {
        const at = (0.12 + (0.5 * (j + 0.5)) / Math.max(1, targets) + 0.035 * k) % 0.9;
        const p = path.getPointAtLength(length * at);
        text.setAttribute('x', p.x);
        text.setAttribute('y', p.y - 2);
        box = text.getBBox();
        if (!overlaps(box)) break;
      }
      placed.push(box);
    }));
  }

  /** Draws the links of Linear layer `layer` by ∂L/∂w (width by |∂L/∂w|, colour by sign) and dims the others; null restores the weights. */
  showLinkGradients(layer, grads) {
    const max = grads ? Math.max(1e-12, ...grads.flat().map(Math.abs)) : 1;
    this.links.forEach((rows, l) => rows.forEach((row, j) => row.forEach((path, i) => {
      if (!grads) { delete path.dataset.grad; this.styleLink(path, path.weight); return; }
      if (l !== layer) { path.setAttribute('stroke-opacity', '0.15'); delete path.dataset.grad; return; }
      const g = grads[j][i];
      path.dataset.grad = String(g);
      path.setAttribute('stroke', cssColor(-Math.sign(g))); // the colour of the way the update moves w: −∂L/∂w
      path.setAttribute('stroke-width', (0.5 + 7.5 * Math.abs(g) / max).toFixed(2));
      path.setAttribute('stroke-opacity', '0.9');
    })));
  }

  /**
   * Sends a mark along every link of Linear layer `layer` (backward: from the target back to the source) over
   * `duration` ms, as values flow through the network.
   */
  animateLinks(layer, duration, backward = false) {
    this.marks?.forEach((m) => m.remove());
    this.marks = [];
    const paths = (this.links[layer] ?? []).flat();
    for (const path of paths) {
      const mark = document.createElementNS(SVG, 'circle');
      mark.setAttribute('r', '3.5');
      mark.setAttribute('class', `mark${backward ? ' backward' : ''}`);
      this.svg.append(mark);
      this.marks.push(mark);
    }
    this.animation = { layer, backward, marks: paths.length, done: false };
    const start = performance.now();
    const frame = (now) => {
      const t = Math.min(1, (now - start) / duration);
      paths.forEach((path, k) => {
        const p = path.getPointAtLength(path.getTotalLength() * (backward ? 1 - t : t));
        this.marks[k]?.setAttribute('cx', p.x);
        this.marks[k]?.setAttribute('cy', p.y);
      });
      if (t < 1 && this.marks.length) requestAnimationFrame(frame);
      else { this.marks.forEach((m) => m.remove()); this.marks = []; this.animation.done = true; }
    };
    requestAnimationFrame(frame);
  }
}
