// squish compile end to end on the OCR models: cleanup none is lossless, cleanups are exact,
// output is atomic and deterministic, provenance and report figures checked independently.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { commitHooks } from '../../compiler/io/commit.ts';
import { saveModelFile } from '../../compiler/io/model-file.ts';
import type { Report } from '../../compiler/report/types.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { runCli } from '../support/cli.ts';
import { clsInput, detInput, fixtures, recInput, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), 'squish-compile-'));
const recipe = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const NONE = recipe('none.squish', 'recipe "lossless"\ncleanup none\n');
const CLEAN = recipe('clean.squish', 'recipe "cleanups only"\n');
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

const INPUT = {
  cls: () => clsInput(fixtures('lines')[0].file),
  rec: () => recInput(fixtures('lines')[0].file),
  det: () => detInput(fixtures('pages')[0].file),
};

/** Independent count over the protobuf (onnx-proto): elements of initializers and Constant values. */
function independentParams(bytes: Uint8Array): number {
  const m = onnx.ModelProto.decode(bytes);
  const size = (dims: (number | { toNumber(): number })[]) =>
    dims.reduce((s: number, d) => s * (typeof d === 'number' ? d : d.toNumber()), 1);
  let n = 0;
  for (const t of m.graph!.initializer!) n += size(t.dims as never);
  for (const node of m.graph!.node!) {
    if (node.opType !== 'Constant') continue;
    const a = node.attribute![0]!;
    if (a.t) n += size(a.t.dims as never);
    else if (a.floats?.length || a.ints?.length) n += (a.floats?.length || 0) + (a.ints?.length || 0);
    else n += 1;
  }
  return n;
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  commitHooks.midWrite = undefined;
});

describe('squish compile on the OCR models', () => {
  for (const k of ['cls', 'rec', 'det'] as const) {
    it(`${k}: cleanup none re-exports losslessly; cleanups agree (≤ 1e-4) with BN gone; report counts are exact`, async () => {
      const x = await INPUT[k]();
      const original = new Uint8Array(readFileSync(MODELS[k]));
      const ref = await runOrt(original, { x });

      const lossless = join(dir, `${k}-none.onnx`);
      const r1 = await runCli(['compile', MODELS[k], '--recipe', NONE, '-o', lossless]);
      expect(r1.stderr).toBe('');
      expect(r1.code).toBe(0);
      // byte for byte the original once squish's provenance entries are taken out again
      const back = importModel(new Uint8Array(readFileSync(lossless)));
      back.metadataProps = back.metadataProps.filter((e) => !e.key.startsWith('squish.'));
      expect(sha(exportModel(back))).toBe(sha(original));
      const same = await runOrt(lossless, { x });
      for (const name of Object.keys(ref)) {
        expect(Buffer.from((same[name].data as Float32Array).buffer)).toEqual(
          Buffer.from((ref[name].data as Float32Array).buffer),
        );
      }

      const cleaned = join(dir, `${k}-clean.onnx`);
      const reportPath = join(dir, `${k}-report.json`);
      const r2 = await runCli([
        'compile',
        MODELS[k],
        '--recipe',
        CLEAN,
        '-o',
        cleaned,
        '--report',
        reportPath,
      ]);
      expect(r2.code, r2.stderr).toBe(0);
      const out = new Uint8Array(readFileSync(cleaned));
      const got = await runOrt(out, { x });
      for (const name of Object.keys(ref)) {
        const a = ref[name].data as Float32Array;
        const b = got[name].data as Float32Array;
        let max = 0;
        for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        expect(max).toBeLessThanOrEqual(1e-4);
      }
      const decoded = onnx.ModelProto.decode(out);
      expect(decoded.graph!.node!.filter((n) => n.opType === 'BatchNormalization')).toHaveLength(0);

      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
      expect(report.before.bytes).toBe(original.length);
      expect(report.after.bytes).toBe(out.length);
      expect(report.before.params).toBe(independentParams(original));
      expect(report.after.params).toBe(independentParams(out));
      expect(report.after.params).toBeLessThan(report.before.params);
      expect(report.targets).toEqual([]);
      const bn = report.layers.filter((l) => l.op === 'BatchNormalization');
      expect(bn.length).toBeGreaterThan(0);
      expect(bn.every((l) => l.params_before > 0 && l.params_after === 0 && l.bytes_after === 0)).toBe(true);
      expect(report.layers.reduce((s, l) => s + l.params_after, 0)).toBe(report.after.params);
      expect(report.layers.every((l) => l.error === 0 && Array.isArray(l.actions))).toBe(true);
      expect(Object.keys(report.timings_ms)).toContain('total');
    });
  }
});

describe('squish compile output', () => {
  it('writes provenance metadata (version, recipe, sha256 of recipe and model, plan)', async () => {
    const out = join(dir, 'prov.onnx');
    expect((await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out])).code).toBe(0);
    const m = onnx.ModelProto.decode(readFileSync(out));
    const meta = Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value]));
    const text = readFileSync(CLEAN, 'utf8');
    expect(meta['squish.version']).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(meta['squish.recipe']).toBe(text);
    expect(meta['squish.recipe_sha256']).toBe(sha(text));
    expect(meta['squish.model_sha256']).toBe(sha(readFileSync(MODELS.cls)));
    expect(JSON.parse(meta['squish.plan']!).cleanup).toBe(true);
  });

  it('re-running compile gives byte-identical output', async () => {
    const a = join(dir, 'det-a.onnx');
    const b = join(dir, 'det-b.onnx');
    expect((await runCli(['compile', MODELS.det, '--recipe', CLEAN, '-o', a])).code).toBe(0);
    expect((await runCli(['compile', MODELS.det, '--recipe', CLEAN, '-o', b])).code).toBe(0);
    expect(sha(readFileSync(a))).toBe(sha(readFileSync(b)));
  });

  it('a failure injected during export leaves no output file and the input untouched', async () => {
    const before = sha(readFileSync(MODELS.cls));
    const out = join(dir, 'never.onnx');
    let tmpSeen = '';
    commitHooks.midWrite = (tmp: string) => {
      tmpSeen = tmp;
      throw new Error('disk full (injected)');
    };
    const r = await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out]);
    commitHooks.midWrite = undefined;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*never\.onnx: disk full \(injected\)/);
    expect(tmpSeen).not.toBe('');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(tmpSeen)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('squish-tmp'))).toEqual([]);
    expect(sha(readFileSync(MODELS.cls))).toBe(before);
  });

  it('never writes over the input, nor over an existing file without --force', async () => {
    const r = await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', MODELS.cls, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-o .* is the input model \(MODEL\); squish never writes over its inputs/);
    const out = join(dir, 'exists.onnx');
    writeFileSync(out, 'keep me');
    const r2 = await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/already exists/);
    expect(r2.stderr).toMatch(/--force/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const r3 = await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out, '--force', '--quiet']);
    expect(r3.code).toBe(0);
    expect(r3.stdout).toBe('');
    expect(readFileSync(out).length).toBeGreaterThan(1000);
  });

  it('options that need data fail at file:line:col without it; ranges and missed targets fail clearly', async () => {
    const q = recipe('q.squish', 'recipe "q"\n\nfactorize conv { rank 50%  method separable }\n');
    const r = await runCli(['compile', MODELS.cls, '--recipe', q, '-o', join(dir, 'q.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/q\.squish:3:35: error\[SQ322\]: 'method separable' needs calibration data/);
    expect(existsSync(join(dir, 'q.onnx'))).toBe(false);
    const range = recipe('range.squish', 'prune weights of conv {\n  sparsity 20%..60%\n}\n');
    const r2 = await runCli(['compile', MODELS.cls, '--recipe', range, '-o', join(dir, 'range.onnx')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(
      /range\.squish:2:12: error\[SQ322\]: 'sparsity …' needs calibration data: a range is searched on it/,
    );
    const miss = recipe('miss.squish', 'target size <= 200KB\n');
    const rp = join(dir, 'miss.json');
    const r3 = await runCli([
      'compile',
      MODELS.cls,
      '--recipe',
      miss,
      '-o',
      join(dir, 'miss.onnx'),
      '--report-on-failure',
      rp,
    ]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(
      /miss\.squish:1:8: error\[SQ502\]: target size <= 200KB missed: achieved [\d.]+ KB, [\d.]+ KB over/,
    );
    expect(existsSync(join(dir, 'miss.onnx'))).toBe(false);
    const report = JSON.parse(readFileSync(rp, 'utf8')) as Report;
    expect(report.targets[0]).toMatchObject({ metric: 'size', op: '<=', value: 200000, met: false });
    expect(report.targets[0].achieved).toBe(report.after.bytes);
  });

  it('reads a model whose weights are in an external data file; the output holds all its data', async () => {
    const ext = join(dir, 'ext');
    mkdirSync(ext);
    const src = join(ext, 'cls.onnx');
    saveModelFile(src, importModel(new Uint8Array(readFileSync(MODELS.cls))), {
      externalData: { location: 'cls.data', threshold: 1024 },
    });
    expect(readFileSync(src).length).toBeLessThan(200_000);
    const out = join(dir, 'ext-out.onnx');
    const r = await runCli(['compile', src, '--recipe', CLEAN, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const x = await INPUT.cls();
    const a = (await runOrt(MODELS.cls, { x }))['softmax_0.tmp_0'].data as Float32Array;
    const b = (await runOrt(new Uint8Array(readFileSync(out)), { x }))['softmax_0.tmp_0']
      .data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-4);
  });

  it('bad input: one clear message each, exit 1, nothing written', async () => {
    const out = join(dir, 'bad.onnx');
    const cases: [string[], RegExp][] = [
      [
        ['compile', join(dir, 'nope.onnx'), '--recipe', CLEAN, '-o', out],
        /model file '.*nope\.onnx' does not exist/,
      ],
      [
        ['compile', MODELS.cls, '--recipe', join(dir, 'nope.squish'), '-o', out],
        /recipe file '.*nope\.squish' does not exist/,
      ],
      [['compile', CLEAN, '--recipe', CLEAN, '-o', out], /not a valid ONNX model|ONNX/],
      [
        ['compile', MODELS.cls, '--recipe', CLEAN, '-o', join(dir, 'no-dir', 'x.onnx')],
        /the folder of .* does not exist/,
      ],
      [['compile', MODELS.cls, '--recipe', CLEAN], /required option '-o, --output <out>'/],
    ];
    for (const [argv, msg] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
    const syntax = recipe('syntax.squish', 'recipe "s"\nquantize weights of conv { bitz 8 }\n');
    const r = await runCli(['compile', MODELS.cls, '--recipe', syntax, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/syntax\.squish:2:\d+: error\[SQ\d+\]/);
    expect(r.stderr).toMatch(/\^/); // code frame with a caret
    expect(existsSync(out)).toBe(false);
  });

  it('--shape pins a dynamic input, so a generic recipe with random calibration runs (deep-compression.squish)', async () => {
    const generic = recipe(
      'generic.squish',
      'recipe "g"\ncalibrate { random  samples 2 }\nprune weights of conv { sparsity 10% }\n',
    );
    const out = join(dir, 'shaped.onnx');
    const compileWith = (...more: string[]) =>
      runCli(['compile', MODELS.cls, '--recipe', generic, '-o', out, ...more]);
    const without = await compileWith();
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/needs a fixed shape for input x/);
    const bad = await compileWith('--shape', 'y=1x3x48x192');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--shape y=…: the model has no input 'y'\nhelp: did you mean 'x'\?/);
    expect(existsSync(out)).toBe(false);
    const ok = await compileWith('--shape', 'x=1x3x48x192');
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('has --help', async () => {
    const r = await runCli(['compile', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--recipe/);
    expect(r.stdout).toMatch(/--force/);
  });
});
