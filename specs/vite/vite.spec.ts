// squish/vite: examples/vite builds with its own vite.config (the plugin from the built package),
// and the model it emits is byte for byte what `squish compile` writes for the same model and
// recipe; a second build and `vite dev` take the compiled model from the cache; a broken recipe fails the build
// with the diagnostics `squish check` reports, as file:line:col.

import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { build, createServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import squish from '../../compiler/vite/index.ts';
import { runCli } from '../support/cli.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const EXAMPLE = join(ROOT, 'examples/vite');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-vite-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Build examples/vite with its vite.config into `outDir`, the cache in `cacheDir`. */
async function buildExample(outDir: string, cacheDir: string): Promise<{ asset: string; js: string }> {
  await build({
    root: EXAMPLE,
    configFile: join(EXAMPLE, 'vite.config.mjs'),
    cacheDir,
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  const files = readdirSync(join(outDir, 'assets'));
  const asset = files.find((f) => f.endsWith('.onnx'));
  const js = files.find((f) => f.endsWith('.js'));
  expect(asset).toMatch(/^ch_ppocr_mobile_v2\.0_cls_infer-.+\.onnx$/);
  return { asset: join(outDir, 'assets', asset!), js: readFileSync(join(outDir, 'assets', js!), 'utf8') };
}

describe('squish/vite', () => {
  it('builds examples/vite; the emitted model equals squish compile’s bytes; a rebuild uses the cache', async () => {
    const cacheDir = join(tmp, 'cache');
    const first = await buildExample(join(tmp, 'dist1'), cacheDir);
    expect(first.js).toContain(`"${basename(first.asset)}"`);

    const cliOut = join(tmp, 'cli.onnx');
    const cli = await runCli(
      ['compile', MODELS.cls, '--recipe', 'cls.squish', '-o', cliOut, '--quiet'],
      join(EXAMPLE, 'src'),
    );
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const emitted = readFileSync(first.asset);
    expect(emitted.length).toBeLessThan(0.4 * readFileSync(MODELS.cls).length);
    expect(Buffer.compare(emitted, readFileSync(cliOut))).toBe(0);

    // The cache holds one compiled model; a rebuild emits what the cache holds.
    const cached = readdirSync(join(cacheDir, 'squish'));
    expect(cached).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.onnx$/)]);
    const marker = Buffer.concat([emitted, Buffer.from('cached')]);
    writeFileSync(join(cacheDir, 'squish', cached[0]!), marker);
    const second = await buildExample(join(tmp, 'dist2'), cacheDir);
    expect(Buffer.compare(readFileSync(second.asset), marker)).toBe(0);

    // vite dev serves the compiled model itself (from the same cache here)
    const dev = await createServer({
      root: EXAMPLE,
      configFile: join(EXAMPLE, 'vite.config.mjs'),
      cacheDir,
      logLevel: 'silent',
      server: { port: 0, host: '127.0.0.1' },
    });
    try {
      await dev.listen();
      const base = dev.resolvedUrls!.local[0]!;
      const main = await (await fetch(new URL('src/main.js', base))).text();
      const id = /from "(\/@id\/[^"]*squish[^"]*)"/.exec(main)?.[1];
      expect(id, main).toBeDefined();
      const virtual = await (await fetch(new URL(id!, base))).text();
      const url = /"(\/@squish\/[0-9a-f]{16}\/ch_ppocr_mobile_v2\.0_cls_infer\.onnx)"/.exec(virtual)?.[1];
      expect(url).toBeDefined();
      const served = Buffer.from(await (await fetch(new URL(url!, base))).arrayBuffer());
      expect(Buffer.compare(served, marker)).toBe(0);
    } finally {
      await dev.close();
    }
  }, 600_000);

  it('fails the build on a broken recipe with squish check’s diagnostics as file:line:col', async () => {
    const project = join(tmp, 'broken');
    mkdirSync(project);
    copyFileSync(MODELS.cls, join(project, 'cls.onnx'));
    writeFileSync(
      join(project, 'broken.squish'),
      'recipe "broken"\nquantize weights of conv { bits 3 }\nprune channel of conv\n',
    );
    writeFileSync(
      join(project, 'main.js'),
      "import url from './cls.onnx?squish=./broken.squish';\nconsole.log(url);\n",
    );
    const check = await runCli(['check', 'broken.squish'], project);
    const heads = check.stderr.split('\n').filter((l) => /^broken\.squish:\d+:\d+: error\[SQ\d+\]/.test(l));
    expect(heads).toHaveLength(2);
    const failed = build({
      root: project,
      configFile: false,
      logLevel: 'silent',
      cacheDir: join(tmp, 'broken-cache'),
      plugins: [squish()],
      build: { outDir: join(project, 'dist'), lib: { entry: join(project, 'main.js'), formats: ['es'] } },
    });
    const error = (await failed.then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; loc?: { file: string; line: number; column: number } } | undefined;
    expect(error).toBeDefined();
    const shown = relative(process.cwd(), join(project, 'broken.squish'));
    for (const h of heads) expect(error!.message).toContain(h.replace(/^broken\.squish/, shown));
    const [line, column] = heads[0]!.split(':').slice(1, 3).map(Number);
    expect(error!.loc).toMatchObject({ file: join(project, 'broken.squish'), line, column });
  }, 120_000);
});
