// Builds the playground into dist/playground/: the page, its script and the compile worker
// (esbuild, browser platform, CodeMirror and squish bundled in), and Chart.js for the HTML report.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Build into `out` (dist/playground); the esbuild metafile (dist/LICENSES.txt lists what it bundled). */
export async function buildPlayground(out) {
  mkdirSync(out, { recursive: true });
  const built = await esbuild.build({
    metafile: true,
    entryPoints: { app: join(HERE, 'main.ts'), worker: join(HERE, 'worker.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(join(HERE, 'index.html'), join(out, 'index.html'));
  const chart = createRequire(import.meta.url).resolve('chart.js');
  copyFileSync(join(dirname(chart), 'chart.umd.min.js'), join(out, 'chart.umd.min.js'));
  return built.metafile;
}
