// Every shared recipe, every example block of RECIPE-LANGUAGE.md and every examples/*.squish parses and checks clean.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRecipe,
  flattenStatements,
  formatRecipe,
  type IncludeHost,
  parseRecipe,
  renderDiagnostic,
  type StatementOf,
  stripSpans,
} from '../../dsl/index.ts';
import { REFERENCE_BEGIN, REFERENCE_END, statementsReference } from '../../dsl/reference.ts';
import { type OptionSpec, STATEMENT_KEYWORDS, STATEMENTS } from '../../dsl/table/index.ts';
import { RECIPES, ROOT, SHARED } from '../support/paths.ts';

function clean(text: string, file: string, include?: IncludeHost): void {
  const r = checkRecipe(text, { file, ...(include ? { include } : {}) });
  expect(r.diagnostics.map((d) => renderDiagnostic(d, text))).toEqual([]);
  const f = formatRecipe(text, { file });
  expect(f.ok).toBe(true);
  expect(formatRecipe(f.text, { file }).text).toBe(f.text);
  expect(stripSpans(parseRecipe(f.text, { file }).ast)).toEqual(stripSpans(parseRecipe(text, { file }).ast));
}

const sharedRecipes = readdirSync(RECIPES).filter((f) => f.endsWith('.squish'));
const md = readFileSync(join(SHARED, 'design/RECIPE-LANGUAGE.md'), 'utf8');
const mdBlocks = [...md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('shared recipes', () => {
  it('are there', () => {
    expect(sharedRecipes.length).toBeGreaterThanOrEqual(4);
  });
  for (const f of sharedRecipes) {
    it(`${f} parses and checks with no diagnostics`, () => {
      clean(readFileSync(join(RECIPES, f), 'utf8'), f);
    });
  }
});

describe('RECIPE-LANGUAGE.md examples', () => {
  it('has example blocks', () => {
    expect(mdBlocks.length).toBeGreaterThan(0);
  });
  mdBlocks.forEach((block, i) => {
    it(`block ${i + 1} parses and checks with no diagnostics`, () => {
      clean(block, `RECIPE-LANGUAGE.md#${i + 1}`);
    });
  });

  it('means what it says: the complete example', () => {
    const { ast } = parseRecipe(mdBlocks[0]!, { file: 'x' });
    const s = flattenStatements(ast);
    expect(s.map((x) => x.kind)).toEqual([
      'recipe',
      'model',
      'calibrate',
      'prune',
      'prune',
      'prune',
      'factorize',
      'quantize',
      'quantize',
      'quantize',
      'cluster',
      'keep',
      'target',
      'target',
    ]);
    const prune = s[3] as StatementOf<'prune'>;
    expect(prune.granularity).toMatchObject({ kind: 'channels' });
    expect(stripSpans(prune.where)).toEqual({
      kind: 'and',
      left: {
        kind: 'cmp',
        property: 'out_channels',
        op: '>=',
        value: { kind: 'number', text: '16', value: 16, unit: '' },
      },
      right: { kind: 'not', operand: { kind: 'flag', property: 'depthwise' } },
    });
    expect(
      prune.options?.map((o) => [o.name, o.values.map((v) => ('value' in v ? v.value : v.kind))]),
    ).toEqual([
      ['sparsity', [25]],
      ['criterion', ['l1']],
      ['round', [8]],
    ]);
    const nm = s[4] as StatementOf<'prune'>;
    expect(nm.granularity).toMatchObject({ kind: 'nm', n: 2, m: 4 });
    const fact = s[6] as StatementOf<'factorize'>;
    expect(stripSpans(fact.where)).toMatchObject({ value: { unit: 'count', value: 64000 } });
    const keep = s[11] as StatementOf<'keep'>;
    expect(stripSpans(keep.selectors)).toEqual([
      { kind: 'position', op: 'conv', from: 0 },
      { kind: 'position', op: 'conv', from: -1 },
      { kind: 'regex', source: '.*classifier.*', flags: '' },
    ]);
    const size = s[12] as StatementOf<'target'>;
    expect(size).toMatchObject({ metric: 'size', op: '<=', value: { unit: 'bytes', value: 200_000 } });
    const model = s[1] as StatementOf<'model'>;
    expect(model.inputs.map((i) => [i.name, i.dtype, i.dims])).toEqual([['x', 'float32', [1, 3, 48, 192]]]);
  });

  it('forms from the statement table parse: quoted input names, units, ranges, every granularity', () => {
    const text = [
      'model { input "onnx::Flatten_0": float32[1, 25, 96] }',
      'include "base.squish"',
      'cleanup none',
      'output { opset 21  format sqz }',
      'calibrate { tensors "calib/*.npy"  layout nhwc  seed 3 }',
      'prune layers of conv { sparsity 20%..60%  seed 1 }',
      'prune filters of conv { criterion bn-gamma  scope global  min 8  reconstruct least-squares }',
      'prune kernels of conv where kernel == 3x3',
      'prune blocks 4x4 of gemm',
      'factorize linear where params >= 1.5M { rank 4..8  method tucker }',
      'factorize conv { energy 90%  method spatial }',
      'quantize weights of depthwise { bits 4  group 32  asymmetric  method mse }',
      'quantize weights of conv[2..5], "head/*" { binary  per-tensor }',
      'quantize activations of conv { bits 16  unsigned  calibration entropy }',
      'cluster weights of * where (name == "a*" or index < 3) and stride != 2 { clusters 4..64  init kmeans++ }',
      'target size <= 1.5MiB',
      'target params <= 64k',
      'target flops <= 50%',
      'target cosine >= 0.999',
      'target snr >= 30',
    ].join('\n');
    const host = () => ({ file: 'base.squish', text: 'recipe "base"' });
    clean(text, 'forms.squish', host);
    const { ast } = parseRecipe(text, { file: 'forms.squish', include: host });
    const flat = flattenStatements(ast);
    expect(flat[0]).toMatchObject({ kind: 'model', inputs: [{ name: 'onnx::Flatten_0' }] });
    expect(flat[1]).toMatchObject({ kind: 'recipe', name: 'base' });
    expect(flat.find((x) => x.kind === 'target' && x.metric === 'size')).toMatchObject({
      value: { value: 1.5 * 1024 * 1024 },
    });
  });
});

describe('dsl/README.md', () => {
  const readme = readFileSync(join(ROOT, 'dsl/README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```squish\n([\s\S]*?)```/g)].map((m) => m[1]!);
  it('documents every statement and option (nested ones too) with an example', () => {
    const all = blocks.join('\n');
    for (const word of STATEMENT_KEYWORDS) expect(all).toMatch(new RegExp(`^${word} `, 'm'));
    const names = (specs: readonly OptionSpec[]): string[] =>
      specs.flatMap((o) => [
        o.name,
        ...o.forms.flat().flatMap((v) => (v.type === 'block' ? names(v.options) : [])),
      ]);
    for (const d of STATEMENTS)
      for (const name of names(d.options ?? []))
        expect(all, `${d.id} ${name}`).toMatch(
          new RegExp(`(^|[{ ])${name.replace(/[+]/g, '\\+')}( |$)`, 'm'),
        );
  });

  it('its statements section is the one generated from the table (npm run docs:dsl)', () => {
    const from = readme.indexOf(REFERENCE_BEGIN);
    const to = readme.indexOf(REFERENCE_END) + REFERENCE_END.length;
    expect(from).toBeGreaterThan(0);
    expect(readme.slice(from, to)).toBe(statementsReference());
  });

  blocks.forEach((block, i) => {
    it(`example ${i + 1} parses and checks with no diagnostics (in a recipe with calibration data)`, () => {
      const text = /^calibrate /m.test(block) ? block : `calibrate { images "calib/*.png" }\n${block}`;
      clean(text, `README.md#${i + 1}`, () => ({ file: 'base.squish', text: '' }));
    });
  });
});

describe('examples/*.squish', () => {
  const dir = join(ROOT, 'examples');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.squish')) : [];
  it('has one recipe per capability', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });
  for (const f of files) {
    it(`${f} parses and checks with no diagnostics`, () => {
      const host = (p: string) => ({ file: p, text: readFileSync(join(dir, p), 'utf8') });
      clean(readFileSync(join(dir, f), 'utf8'), f, host);
    });
  }
});
