// Builds dist/: the package as ES modules (esbuild, one file per entry plus shared chunks, so each
// CLI command and the gpu.js backend load only when used), declarations (tsc), and gpu.js bundled
// with patches/gpu.js+*.patch applied (a consumer's install never runs patch-package, so the fast
// kernels must travel inside dist). Plain JavaScript so a fresh checkout builds without tsx.
//
//   node scripts/build.mjs             build everything
//   node scripts/build.mjs --if-stale  skip when dist/ was built from the current inputs

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildPlayground } from '../examples/playground/build.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.inputs-sha256');
const require = createRequire(join(ROOT, 'package.json'));

/** Public entry points: dist/<name>.js and its declarations (package.json `exports`). */
const ENTRIES = {
  index: 'compiler/index.ts',
  runtime: 'runtime/index.ts',
  dsl: 'dsl/index.ts',
  node: 'compiler/io/node.ts',
  browser: 'compiler/io/browser.ts',
  cli: 'compiler/cli/main.ts',
  vite: 'compiler/vite/index.ts',
};

function filesUnder(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}

/** A hash of everything the build reads: sources, configs, the patches and the gpu.js version. */
function inputsHash() {
  const h = createHash('sha256');
  const files = [
    ...['compiler', 'dsl', 'runtime', 'patches', 'examples/playground'].flatMap((d) =>
      filesUnder(join(ROOT, d)),
    ),
    join(ROOT, 'package.json'),
    join(ROOT, 'tsconfig.json'),
    join(ROOT, 'tsconfig.build.json'),
    join(ROOT, 'scripts/build.mjs'),
    require.resolve('gpu.js/package.json'),
  ].sort();
  for (const f of files) h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

/** The patched gpu.js sources, or a clear error when patch-package has not run. */
function patchedGpujsDir() {
  const dir = join(dirname(require.resolve('gpu.js/package.json')), 'src');
  const probe = readFileSync(join(dir, 'backend/web-assembly/function-node.js'), 'utf8');
  if (!probe.includes('vContiguousLoad')) {
    throw new Error(
      'node_modules/gpu.js is not patched (patches/gpu.js+*.patch): run `npx patch-package`, then build again',
    );
  }
  return dir;
}

/**
 * gpu.js (CommonJS) as one ES module with its named exports, for Node and browsers alike: its
 * require() of os, worker_threads and the optional `gl` goes through #gpu.js/require, which is
 * Node's require under the `node` condition and undefined elsewhere (gpu.js probes all three).
 */
async function buildGpujs(srcDir) {
  const names = Object.keys(require(join(srcDir, 'index.js')));
  const wrapper = [
    `import gpujs from ${JSON.stringify(join(srcDir, 'index.js'))};`,
    `export const { ${names.join(', ')} } = gpujs;`,
    'export default gpujs;',
  ].join('\n');
  const gpu = await esbuild.build({
    metafile: true,
    stdin: { contents: wrapper, resolveDir: ROOT, sourcefile: 'gpu.js-entry.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['os', 'worker_threads', 'gl'],
    banner: { js: "import { require } from '#gpu.js/require';" },
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    outfile: join(DIST, 'vendor/gpu.js'),
  });
  writeFileSync(
    join(DIST, 'vendor/node-require.js'),
    "import { createRequire } from 'node:module';\nexport const require = createRequire(import.meta.url);\n",
  );
  writeFileSync(join(DIST, 'vendor/no-require.js'), 'export const require = undefined;\n');
  return gpu.metafile;
}

/**
 * Bundled into dist rather than imported: chevrotain (its ES modules and lodash-es's ~650 files
 * take 0.4 s to import, the whole startup budget of `squish check`).
 */
const BUNDLED = /^(chevrotain|@chevrotain\/|lodash-es)/;

/** The package's own modules: dependencies stay imports, gpu.js becomes the package-internal #gpu.js. */
async function buildLibrary() {
  const imports = {
    name: 'package-imports',
    setup(b) {
      b.onResolve({ filter: /^gpu\.js$/ }, () => ({ path: '#gpu.js', external: true }));
      b.onResolve({ filter: /^[^./]/ }, (a) =>
        BUNDLED.test(a.path) ? undefined : { path: a.path, external: true },
      );
    },
  };
  const lib = await esbuild.build({
    metafile: true,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    plugins: [imports],
    chunkNames: 'chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return lib.metafile;
}

/** dist/LICENSES.txt: the license of every package whose code esbuild put into dist. */
function writeLicenses(metafiles) {
  const packages = new Map();
  for (const m of metafiles) {
    for (const input of Object.keys(m.inputs)) {
      const at = input.lastIndexOf('node_modules/');
      if (at < 0) continue;
      const parts = input.slice(at + 'node_modules/'.length).split('/');
      const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      packages.set(name, join(ROOT, input.slice(0, at), 'node_modules', name));
    }
  }
  const byText = new Map(); // one copy of each license text, with every package it covers
  for (const [name, dir] of [...packages].sort()) {
    const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `${license} (no license file)`;
    byText.set(text, [...(byText.get(text) ?? []), `${name}@${version} (${license})`]);
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`);
  writeFileSync(
    join(DIST, 'LICENSES.txt'),
    `dist/ bundles code of these packages (gpu.js with squish's patches/ applied):\n\n${sections.join('\n---\n\n')}`,
  );
}

/**
 * Declarations for the public entries, imports spelled `.js`; only the files the entries reach are
 * kept (tsc also writes the ones of modules that are imported for their code only).
 */
function buildDeclarations() {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
  const types = join(DIST, 'types');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const reached = new Set();
  const queue = Object.entries(ENTRIES)
    .filter(([name]) => name !== 'cli')
    .map(([, src]) => join(types, src.replace(/\.ts$/, '.d.ts')));
  while (queue.length) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    const text = readFileSync(file, 'utf8');
    const fixed = text
      .replace(/^import ['"][^'"]+['"];\n/gm, '') // side-effect imports: no types, and not shipped
      .replace(/((?:from |import\()['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
    for (const m of fixed.matchAll(/(?:from |import\()['"](\.{1,2}\/[^'"]*?)\.js['"]/g))
      queue.push(join(dirname(file), `${m[1]}.d.ts`));
  }
  for (const f of filesUnder(types)) if (!reached.has(f)) rmSync(f);
  const dropEmpty = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) dropEmpty(p);
    }
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  };
  dropEmpty(types);
}

async function build({ ifStale = false } = {}) {
  const hash = inputsHash();
  if (ifStale && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return false;
  const srcDir = patchedGpujsDir();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  const [gpu, lib] = await Promise.all([buildGpujs(srcDir), buildLibrary()]);
  writeLicenses([gpu, lib, await buildPlayground(join(DIST, 'playground'))]);
  buildDeclarations();
  writeFileSync(STAMP, hash);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = performance.now();
  try {
    const built = await build({ ifStale: process.argv.includes('--if-stale') });
    console.log(built ? `built dist/ in ${Math.round(performance.now() - t)} ms` : 'dist/ is up to date');
  } catch (e) {
    console.error(`build failed: ${e.message}`);
    process.exitCode = 1;
  }
}
