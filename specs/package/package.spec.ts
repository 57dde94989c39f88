// The package as a user gets it: `npm pack`, the tarball installed into an empty project (from the
// local npm cache where it can), `compile` imported from plain .mjs and run on the cls model, the
// package's own wasm kernels doing the runtime's work, a strict TypeScript consumer with 0
// errors, and the CLI from node_modules/.bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, ROOT } from '../support/paths.ts';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const RECIPE = join(ROOT, 'examples/default.squish');

let tmp: string;
let app: string;
let tarball: { filename: string; size: number; files: { path: string }[] };

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Bytes of every file under `dir` (symlinks not followed). */
function footprint(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += footprint(p);
    else total += lstatSync(p).size;
  }
  return total;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-package-'));
  // dist/ is current (globalSetup builds it); --ignore-scripts keeps `prepare` from rebuilding it
  // under the feet of specs running in parallel
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT));
  tarball = packed[0];
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', join(tmp, tarball.filename), '--prefer-offline', '--no-audit', '--no-fund'], app);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships bin/ and dist/ (JavaScript, declarations, licenses), no sources or specs, under 600 KB', () => {
    const paths = tarball.files.map((f) => f.path);
    console.log(`tarball ${tarball.filename}: ${tarball.size} bytes, ${paths.length} files`);
    expect(tarball.size).toBeLessThan(600 * 1024);
    for (const p of paths) expect(p).toMatch(/^(bin\/|dist\/|package\.json$|README\.md$)/);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    for (const p of ['bin/squish.js', 'dist/index.js', 'dist/types/compiler/index.d.ts', 'dist/LICENSES.txt'])
      expect(paths).toContain(p);
  });
});

describe('installed into an empty project', () => {
  it('brings only what the code imports at run time (sharp optional), within 100 MB', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/squish/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      'chart.js',
      'cli-progress',
      'commander',
      'fflate',
      'tinyglobby',
      'vscode-languageserver',
      'vscode-languageserver-textdocument',
    ]);
    expect(Object.keys(manifest.optionalDependencies)).toEqual(['sharp']);
    const installed = readdirSync(join(app, 'node_modules'));
    for (const gone of ['tsx', 'patch-package', 'onnx-proto', 'protobufjs', 'gpu.js', 'webgpu', 'chevrotain'])
      expect(installed).not.toContain(gone);
    const bytes = footprint(join(app, 'node_modules'));
    console.log(`installed footprint: ${(bytes / 1e6).toFixed(1)} MB (${installed.length} entries)`);
    expect(bytes).toBeLessThan(100e6);
  });

  it("plain .mjs imports compile, compiles cls, and the runtime runs the package's wasm kernels", () => {
    writeFileSync(
      join(app, 'compile.mjs'),
      `import { readFile } from 'node:fs/promises';
import { compile } from 'squish';
import { nodeHost } from 'squish/node';
import { createSession, importAnyModel } from 'squish/runtime';

const [modelPath, recipePath] = process.argv.slice(2);
const { model, report } = await compile(
  new Uint8Array(await readFile(modelPath)),
  await readFile(recipePath, 'utf8'),
  { recipeFile: recipePath, host: nodeHost() },
);
const session = await createSession(importAnyModel(model), { backend: 'webasm' });
const x = { dtype: 'float32', dims: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192).fill(0.25) };
const outputs = await session.run({ x });
const accelerated = session.acceleratedNodes;
session.dispose();
console.log(JSON.stringify({ report, bytes: model.length, backend: session.backend, accelerated, outputs: Object.keys(outputs) }));
`,
    );
    const r = spawnSync(process.execPath, ['compile.mjs', MODELS.cls, RECIPE], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.report.before.bytes).toBe(readFileSync(MODELS.cls).length);
    expect(got.report.after.bytes).toBe(got.bytes);
    expect(got.bytes).toBeLessThan(got.report.before.bytes);
    expect(got.report.fidelity.agreement).toBe(1);
    expect(got.report.targets.every((t: { met: boolean }) => t.met)).toBe(true);
    expect(got.backend).toBe('webasm');
    expect(got.accelerated).toBeGreaterThan(0);
    expect(got.outputs).toEqual(['softmax_0.tmp_0']);
  });

  it('a strict TypeScript consumer type-checks with 0 errors (declarations checked, no skipLibCheck)', () => {
    const options = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: [],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      skipLibCheck: false,
      noEmit: true,
    };
    const nodeOnly = `import { checkRecipe, compile, type Host, loadModel, parseRecipe, plan, preloadIncludes, type Report, run, TargetsMissedError } from 'squish';
import { type Diagnostic, formatRecipe } from 'squish/dsl';
import { loadImage, loadModelFile, nodeHost } from 'squish/node';
import { createSession, type Tensor } from 'squish/runtime';

export async function build(model: Uint8Array, recipe: string, host: Host): Promise<Report> {
  const first: Diagnostic | undefined = checkRecipe(recipe, { recipeFile: 'r.squish', host }).diagnostics[0];
  if (first) throw new Error(first.message);
  const layers = plan(model, recipe, { host: await preloadIncludes(host, recipe, 'r.squish') }).layers;
  const name: string | undefined = layers[0]?.name;
  try {
    return (await compile(model, recipe, { recipeFile: 'r.squish', host })).report;
  } catch (e) {
    if (e instanceof TargetsMissedError) return e.report;
    throw new Error(name ?? String(e));
  }
}

export async function execute(bytes: Uint8Array, x: Tensor): Promise<Tensor | undefined> {
  const outs = await run(loadModel(bytes), { x }, { backend: 'cpu' });
  const session = await createSession(loadModelFile('m.onnx'));
  const again = await session.run({ x: await loadImage('a.png', { width: 8, height: 8, fit: 'pad' }) });
  session.dispose();
  return outs['y'] ?? again['y'];
}

export const host: Host = nodeHost('.');
export const formatted: string = formatRecipe('recipe "x"').text;
export const statements: number = parseRecipe('recipe "x"').ast.statements.length;
`;
    const browser = `import { compile, type Host } from 'squish';
import { browserHost } from 'squish/browser';

export const host: Host = browserHost({ base: 'https://example.com/app/', files: { 'r.squish': 'recipe "x"' } });
export async function inPage(model: Uint8Array, picked: File[]): Promise<number> {
  const { report } = await compile(model, 'recipe "x"', { host: browserHost({ files: picked }) });
  return report.after.bytes;
}
`;
    writeFileSync(join(app, 'node-only.ts'), nodeOnly);
    writeFileSync(join(app, 'browser.ts'), browser);
    // Node without DOM types for the Node entries; the browser entry with the DOM library
    const configs = {
      'tsconfig.node.json': { compilerOptions: { ...options, lib: ['ES2022'] }, files: ['node-only.ts'] },
      'tsconfig.browser.json': {
        compilerOptions: { ...options, lib: ['ES2022', 'DOM'] },
        files: ['browser.ts'],
      },
    };
    for (const [file, config] of Object.entries(configs)) {
      writeFileSync(join(app, file), JSON.stringify(config));
      const r = spawnSync(process.execPath, [TSC, '-p', file], { cwd: app, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`, file).toBe('');
      expect(r.status, file).toBe(0);
    }
  });

  it('the bin runs the built CLI: --version, check', () => {
    const bin = join(app, 'node_modules/.bin/squish');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const version = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);
    const check = spawnSync(bin, ['check', RECIPE], { cwd: app, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/ok \(0 errors, 0 warnings\)/);
  });

  it("the installed package's gpu.js is the patched one: loop counters compile to i32 (the fast path)", () => {
    // the same probe as specs/backends/gpujs-patch.spec.ts, on the copy bundled into the tarball:
    // a consumer's install never runs patch-package, so only dist/vendor/gpu.js can carry the patch
    writeFileSync(
      join(app, 'gpujs-probe.mjs'),
      `import * as g from './node_modules/squish/dist/vendor/gpu.js';
const proto = g.WebAssemblyFunctionNode.prototype;
const original = proto.setScalarLocal;
const seen = [];
proto.setScalarLocal = function (name, wtype, ...rest) {
  if (!this._analysisPass && name === 'i') seen.push(wtype);
  return original.call(this, name, wtype, ...rest);
};
const gpu = new g.GPU({ mode: 'webasm' });
const k = gpu
  .createKernel(function (a) {
    let s = 0;
    for (let i = 0; i < 8; i++) s += a[i * 8 + this.thread.x];
    return s;
  })
  .setOutput([8]);
const out = Array.from(k(Float32Array.from({ length: 64 }, (_, i) => i)));
gpu.destroy();
console.log(JSON.stringify({ seen, out }));
`,
    );
    const r = spawnSync(process.execPath, ['gpujs-probe.mjs'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.out).toEqual(Array.from({ length: 8 }, (_, x) => 8 * x + 8 * 28));
    expect(got.seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(got.seen)).toEqual(new Set(['i32']));
  });
});
