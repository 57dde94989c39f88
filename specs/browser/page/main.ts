// The page specs/browser/page.spec.ts bundles (esbuild, platform browser) and opens in headless
// Chromium: it compiles the cls model with recipes/browser.squish through the public API and the
// browser host — model and recipes fetched, the include read ahead, calibration images handed over
// as File objects and decoded by createImageBitmap — and shows the report's sizes and agreement.
import { compile, type ImageLoadOptions } from 'squish';
import { browserHost } from 'squish/browser';
import { availableBackends } from 'squish/runtime';

const LINE_OPTIONS: ImageLoadOptions = {
  width: 192,
  height: 48,
  fit: 'fill',
  mean: [0.5],
  std: [0.5],
  channels: 'bgr',
};

function show(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res;
}

async function run() {
  // the text lines as a user would pick them (File objects), beside the recipe that globs them
  const names = (await (await fetchOk('lines/index.json')).json()) as string[];
  const files: Record<string, File> = {};
  for (const name of names)
    files[`recipes/lines/${name}`] = new File([await (await fetchOk(`lines/${name}`)).blob()], name);
  const host = browserHost({ files });
  const model = await host.readFile('models/cls.onnx');
  const recipe = new TextDecoder().decode(await host.readFile('recipes/browser.squish'));
  const t0 = performance.now();
  const { model: out, report } = await compile(model, recipe, { recipeFile: 'recipes/browser.squish', host });
  const ms = Math.round(performance.now() - t0);
  show('before', `${report.before.bytes} bytes`);
  show('after', `${report.after.bytes} bytes`);
  show(
    'agreement',
    `${((report.fidelity?.agreement ?? Number.NaN) * 100).toFixed(1)}% on ${report.fidelity?.samples} samples`,
  );
  // the browser image loader on one line and on a JPEG stored sideways (EXIF orientation 6)
  const line = await host.loadImage!(`recipes/lines/${names[0]}`, LINE_OPTIONS);
  const sideways = await host.loadImage!('sideways.jpg', {});
  return {
    before: report.before.bytes,
    after: report.after.bytes,
    outBytes: out.length,
    fidelity: report.fidelity,
    targets: report.targets,
    ms,
    backends: await availableBackends(),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    line: { name: names[0], dims: line.dims, data: Array.from(line.data as Float32Array) },
    sideways: { dims: sideways.dims, data: Array.from(sideways.data as Float32Array) },
  };
}

const status = document.getElementById('status')!;
run().then(
  (result) => {
    status.textContent = JSON.stringify(result);
    status.dataset.state = 'done';
  },
  (e: Error) => {
    status.textContent = `${e.name}: ${e.message}\n${e.stack ?? ''}`;
    status.dataset.state = 'error';
  },
);
