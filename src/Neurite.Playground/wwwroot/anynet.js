// Any number of inputs: the learner pastes a network (its inputs, one row per sample, and W, b per layer), the server
// runs the forward pass through a network built from a Neurite spec (POST /api/forward), and this module steps
// through it layer by layer on its own diagram, writing out each neuron's sum.

import { $ } from './page.js';

const SVG = 'http://www.w3.org/2000/svg';
const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n) => String(n).split('').map((d) => SUBSCRIPTS[d]).join('');
const f3 = (v) => (v === null || v === undefined ? '–' : v.toFixed(3));
const paren = (v) => (v < 0 ? `(${v})` : String(v));

/** Seed 002's worked examples, as one would paste them. */
export const EXAMPLES = {
  1: '# seed 002, example 1: one neuron, three inputs, ReLU\nx = 2, 3, -1\nw = 0.5, -0.2, 0.8\nb = 0.1\noutput = relu',
  2: '# seed 002, example 2: 2 inputs, 3 ReLU units, 1 linear output\nx = 1, 2\nW1 = 0.2, -0.1; 0.4, 0.3; -0.5, 0.6\n'
    + 'b1 = 0.1, -0.2, 0.0\nW2 = 0.7, -0.3, 0.5\nb2 = 0.1\nactivation = relu\noutput = linear',
};

export class AnyInputs {
  constructor() {
    this.pass = null; // the server's forward pass
    this.sample = 0;
    this.step = 0;
    $('any-run').addEventListener('click', () => this.run());
    for (const [id, example] of [['any-example-1', 1], ['any-example-2', 2]]) {
      $(id).addEventListener('click', () => { $('any-text').value = EXAMPLES[example]; this.run(); });
    }
    $('any-first').addEventListener('click', () => this.go(0));
    $('any-back').addEventListener('click', () => this.go(this.step - 1));
    $('any-step').addEventListener('click', () => this.go(this.step + 1));
    $('any-last').addEventListener('click', () => this.go(this.layers));
    $('any-sample').addEventListener('change', () => { this.sample = Number($('any-sample').value); this.go(this.step); });
  }

  get layers() { return this.pass ? this.pass.sizes.length : 0; }

  async run() {
    $('any-error').hidden = true;
    const response = await fetch('api/forward', { method: 'POST', body: $('any-text').value, headers: { 'Content-Type': 'text/plain' } });
    const answer = await response.json();
    if (!response.ok) {
      $('any-error').textContent = answer.error;
      $('any-error').hidden = false;
      return;
    }
    this.pass = answer;
    this.sample = 0;
    const options = answer.samples.map((s, i) => new Option(`sample ${i + 1}: x = (${s.x.join(', ')})`, String(i)));
    $('any-sample').replaceChildren(...options);
    $('any-sample').hidden = answer.samples.length < 2;
    $('any-controls').hidden = false;
    this.draw();
    this.go(0);
  }

  /** The diagram: a column of inputs, then a column per layer; links thin and coloured by the weight's sign. */
  draw() {
    const p = this.pass;
    const sizes = [p.inputs, ...p.sizes];
    const width = 140 * sizes.length;
    const tallest = Math.max(...sizes);
    const height = Math.max(180, 84 * tallest + 30);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    this.positions = sizes.map((n, c) => Array.from({ length: n }, (_, j) => [60 + 140 * c, (height / (n + 1)) * (j + 1)]));
    const maxWeight = Math.max(1e-9, ...p.weights.flat(2).map(Math.abs));
    this.links = p.weights.map((w, l) => w.map((row, j) => row.map((value, i) => {
      const [x1, y1] = this.positions[l][i];
      const [x2, y2] = this.positions[l + 1][j];
      const line = document.createElementNS(SVG, 'line');
      Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => line.setAttribute(k, v));
      line.setAttribute('stroke', value >= 0 ? 'var(--pos)' : 'var(--neg)');
      line.setAttribute('stroke-width', 0.5 + (3 * Math.abs(value)) / maxWeight);
      line.setAttribute('class', 'any-link');
      svg.append(line);
      return line;
    })));
    this.labels = [];
    this.nodes = this.positions.map((column, c) => column.map(([x, y], j) => {
      const circle = document.createElementNS(SVG, 'circle');
      Object.entries({ cx: x, cy: y, r: 16 }).forEach(([k, v]) => circle.setAttribute(k, v));
      circle.setAttribute('class', c === 0 ? 'any-node input' : 'any-node');
      const name = document.createElementNS(SVG, 'text');
      Object.entries({ x, y: y + 4, 'text-anchor': 'middle' }).forEach(([k, v]) => name.setAttribute(k, v));
      name.setAttribute('class', 'any-name');
      name.textContent = c === 0 ? `x${sub(j + 1)}` : c === sizes.length - 1 ? (sizes[c] === 1 ? 'ŷ' : `ŷ${sub(j + 1)}`) : `h${sub(j + 1)}`;
      const value = document.createElementNS(SVG, 'text');
      // Values under the node, clear of the links' labels.
      Object.entries({ x, y: y + 29, 'text-anchor': 'middle' }).forEach(([k, v]) => value.setAttribute(k, v));
      value.setAttribute('class', 'any-value');
      svg.append(circle, name, value);
      return value;
    }));
    $('any-diagram').replaceChildren(svg);
    this.svg = svg;
  }

  /** Step 0 shows the inputs; step k the sums and activations of layer k, its links labelled wᵢaᵢ. */
  go(step) {
    if (!this.pass) return;
    const p = this.pass;
    const s = p.samples[this.sample];
    this.step = Math.max(0, Math.min(this.layers, step));
    const k = this.step;
    $('any-index').textContent = `${k + 1} / ${this.layers + 1}`;
    const inputsOf = (l) => (l === 0 ? s.x : s.a[l - 1]);
    this.nodes.forEach((column, c) => column.forEach((text, j) => {
      text.replaceChildren();
      const lines = c === 0 ? [`${s.x[j]}`] : c <= k ? [`z=${f3(s.z[c - 1][j])}`, `a=${f3(s.a[c - 1][j])}`] : [];
      lines.forEach((line, i) => {
        const span = document.createElementNS(SVG, 'tspan');
        span.setAttribute('x', text.getAttribute('x'));
        span.setAttribute('dy', i === 0 ? 0 : 12);
        span.textContent = line;
        text.append(span);
      });
    }));
    for (const label of this.labels) label.remove();
    this.labels = [];
    this.links.forEach((layer, l) => layer.flat().forEach((line) => line.classList.toggle('dim', k > 0 && l !== k - 1)));
    const lines = [];
    if (k === 0) {
      lines.push(`Inputs: x = (${s.x.join(', ')}), ${p.inputs} of them.`);
    } else {
      const l = k - 1;
      const a = inputsOf(l);
      const f = p.activations[l];
      const last = k === this.layers;
      p.weights[l].forEach((row, j) => {
        row.forEach((w, i) => {
          // wᵢaᵢ along the link, staggered by the target so that labels of converging links do not meet.
          const [x1, y1] = this.positions[l][i];
          const [x2, y2] = this.positions[l + 1][j];
          const t = row.length === 1 && p.weights[l].length === 1 ? 0.5 : 0.3 + (0.4 * j) / Math.max(1, p.weights[l].length - 1);
          const label = document.createElementNS(SVG, 'text');
          label.setAttribute('x', x1 + t * (x2 - x1));
          label.setAttribute('y', y1 + t * (y2 - y1) - 3);
          label.setAttribute('class', 'any-link-label');
          label.textContent = f3(w * a[i]);
          this.svg.append(label);
          this.labels.push(label);
        });
        const name = last ? (row.length && p.weights[l].length === 1 ? 'ŷ' : `ŷ${sub(j + 1)}`) : `h${sub(j + 1)}`;
        const terms = row.map((w, i) => `(${w})(${Number(a[i].toFixed(3))})`).join(' + ');
        const z = s.z[l][j];
        const out = f === 'linear' ? `${name} = z = ${f3(z)}` : `${name} = ${f}(${f3(z)}) = ${f3(s.a[l][j])}`;
        lines.push(`z${sub(j + 1)} = ${terms} + ${paren(p.biases[l][j])} = ${f3(z)};  ${out}`);
      });
      lines.unshift(last ? `Output layer (${f}): z = Σ wᵢaᵢ + b. Links carry wᵢaᵢ.` : `Hidden layer ${k} (${f}): z = Σ wᵢxᵢ + b. Links carry wᵢxᵢ.`);
    }
    $('any-caption').textContent = lines.join('\n');
  }
}
