// The browser build: the package's `squish`, `squish/browser` and `squish/runtime` entries bundle
// for the browser (esbuild, browser conditions: any node: import reachable fails the bundle), and a
// page in headless Chromium (Debian's chromium, driven by puppeteer-core) compiles the cls model
// with a recipe — fetched model and recipes, an include read ahead, calibration images as File
// objects — and shows the report's sizes and agreement. The same recipe compiled in Node is the
// reference for the sizes; the browser's image decoding is checked against sharp's.

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import { loadImage } from '../../compiler/io/images.ts';
import { launchChromium } from '../support/chromium.ts';
import { FIXTURES, MODELS, ROOT } from '../support/paths.ts';

const PAGE = join(ROOT, 'specs/browser/page');
const LINES = join(FIXTURES, 'lines');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

let tmp: string;
let bundle: esbuild.BuildResult<{ metafile: true; write: false }>;
let server: Server;
let browser: Browser;
let base: string;
let sideways: Buffer;

/** A 5×3 JPEG stored sideways (EXIF orientation 6): displayed 3 wide, 5 tall. */
function sidewaysJpeg(): Promise<Buffer> {
  const raw = Buffer.alloc(5 * 3 * 3);
  for (let i = 0; i < 15; i++) raw.set([i * 16, 255 - i * 16, 128], i * 3);
  return sharp(raw, { raw: { width: 5, height: 3, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** The files the page fetches: itself, its bundle, the model, recipes and the text lines. */
function serve(path: string): Buffer | string | undefined {
  if (path === '/' || path === '/index.html') return readFileSync(join(PAGE, 'index.html'));
  if (path === '/app.js') return Buffer.from(bundle.outputFiles[0]!.contents);
  if (path === '/models/cls.onnx') return readFileSync(MODELS.cls);
  if (path === '/sideways.jpg') return sideways;
  if (path === '/lines/index.json')
    return JSON.stringify(readdirSync(LINES).filter((f) => f.endsWith('.png')));
  const recipe = /^\/recipes\/([\w-]+\.squish)$/.exec(path);
  if (recipe) return readFileSync(join(PAGE, 'recipes', recipe[1]!));
  const line = /^\/lines\/(line\d+\.png)$/.exec(path);
  if (line) return readFileSync(join(LINES, line[1]!));
  return undefined;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-browser-'));
  sideways = await sidewaysJpeg();
  // resolve `squish` as a consumer does: node_modules/squish, its exports under browser conditions
  mkdirSync(join(tmp, 'node_modules'));
  symlinkSync(ROOT, join(tmp, 'node_modules/squish'), 'dir');
  bundle = await esbuild.build({
    entryPoints: [join(PAGE, 'main.ts')],
    nodePaths: [join(tmp, 'node_modules')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    outfile: join(tmp, 'app.js'),
    logLevel: 'silent',
  });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = serve(path);
    // cross-origin isolation lets gpu.js's webasm backend share memory with its workers
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'text/html' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await launchChromium(join(tmp, 'profile'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('browser build', () => {
  it('bundles for the browser from the package entries with no Node-only module inside', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((p) => p.includes('dist/vendor/gpu.js'))).toBe(true);
    expect(inputs.some((p) => p.includes('dist/vendor/no-require.js'))).toBe(true);
    expect(
      inputs.filter((p) => /node:|dist\/(node|cli)\.js|node-require|sharp|tinyglobby|commander/.test(p)),
    ).toEqual([]);
    console.log(`page bundle: ${bundle.outputFiles[0]!.contents.length} bytes from ${inputs.length} inputs`);
  });

  it('a page in headless Chromium compiles cls with a recipe and shows sizes and agreement', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(base);
    await page.waitForSelector('#status:not([data-state="running"])', { timeout: 300_000 });
    const state = await page.$eval('#status', (el) => (el as HTMLElement).dataset.state);
    const text = await page.$eval('#status', (el) => el.textContent ?? '');
    expect(errors).toEqual([]);
    expect(state, text).toBe('done');
    const shown = {
      before: await page.$eval('#before', (el) => el.textContent),
      after: await page.$eval('#after', (el) => el.textContent),
      agreement: await page.$eval('#agreement', (el) => el.textContent),
    };
    const got = JSON.parse(text);
    await page.close();

    // the same recipe files compiled in Node (sharp decodes the images there), the lines beside them
    const recipes = join(tmp, 'recipes');
    cpSync(join(PAGE, 'recipes'), recipes, { recursive: true });
    symlinkSync(LINES, join(recipes, 'lines'), 'dir');
    const recipeFile = join(recipes, 'browser.squish');
    const node = await compile(new Uint8Array(readFileSync(MODELS.cls)), readFileSync(recipeFile, 'utf8'), {
      recipeFile,
      host: nodeHost(),
    });
    console.log(
      `browser: ${got.before} → ${got.after} bytes, agreement ${got.fidelity.agreement} on ${got.fidelity.samples} samples, ${got.ms} ms, backends ${got.backends.join(', ')}, crossOriginIsolated ${got.crossOriginIsolated}; node: ${node.report.after.bytes} bytes, agreement ${node.report.fidelity?.agreement}`,
    );
    expect(shown.before).toBe(`${got.before} bytes`);
    expect(shown.after).toBe(`${got.after} bytes`);
    expect(shown.agreement).toBe(
      `${(got.fidelity.agreement * 100).toFixed(1)}% on ${got.fidelity.samples} samples`,
    );
    expect(got.before).toBe(node.report.before.bytes);
    expect(got.after).toBe(got.outBytes);
    expect(got.after).toBe(node.report.after.bytes); // int8 weights do not depend on the decoder
    expect(got.fidelity.samples).toBe(node.report.fidelity?.samples);
    expect(got.targets.every((t: { met: boolean }) => t.met)).toBe(true);

    // createImageBitmap + canvas against sharp on the same line: same tensor up to resampling
    const ref = await loadImage(join(LINES, got.line.name), {
      width: 192,
      height: 48,
      fit: 'fill',
      mean: 0.5,
      std: 0.5,
      channels: 'bgr',
    });
    expect(got.line.dims).toEqual(ref.dims);
    const refData = ref.data as Float32Array;
    let diff = 0;
    for (let i = 0; i < refData.length; i++) diff += Math.abs(got.line.data[i] - refData[i]!);
    const meanDiff = diff / refData.length;
    console.log(
      `line ${got.line.name}: mean |browser − sharp| = ${meanDiff.toFixed(4)} (normalized units, range 2)`,
    );
    expect(meanDiff).toBeLessThan(0.05);

    // EXIF orientation 6 in the browser as in Node: upright, every value finite
    const upright = await loadImage(new Uint8Array(sideways));
    expect(got.sideways.dims).toEqual([1, 3, 5, 3]);
    expect(got.sideways.dims).toEqual(upright.dims);
    expect(got.sideways.data.every(Number.isFinite)).toBe(true);
  });
});
