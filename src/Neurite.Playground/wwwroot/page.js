// What both Playground views do the same way: the error banner, the training clock and the downloads.

export const $ = (id) => document.getElementById(id);

/** Puts a message in the page's error banner. */
export function showError(text) {
  $('error-text').textContent = text;
  $('error').hidden = false;
}

/** Lets the banner's × close it. */
export function wireErrorBanner() {
  $('error-close').addEventListener('click', () => { $('error').hidden = true; });
}

/** Shows the training time the server reported, in seconds. */
export function showClock(seconds) {
  $('clock').textContent = `t = ${seconds < 100 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}

/** Saves `blob` as a file called `name` through the browser's download. */
export function download(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

/**
 * The trained model from the server's `exportModel` answer: a Neurite .safetensors model file (for `neurite
 * predict`) and the JSON spec with the weights, as `baseName`.safetensors and `baseName`.json.
 */
export function downloadModel(model, baseName) {
  const { safetensors, ...spec } = model;
  const bytes = Uint8Array.from(atob(safetensors), (c) => c.charCodeAt(0));
  download(new Blob([bytes], { type: 'application/octet-stream' }), `${baseName}.safetensors`);
  download(new Blob([JSON.stringify(spec, null, 2)], { type: 'application/json' }), `${baseName}.json`);
}
