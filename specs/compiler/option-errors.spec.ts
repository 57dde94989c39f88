// Every option error compile raises is a catalogued diagnostic that `squish check` finds first
// (with the model for the model-dependent ones): for each case, checkRecipe (the code behind
// `squish check --model`) reports the code at its file:line:col, and compile stops with the same
// diagnostic before doing any work. No pass raises a user error of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../compiler/api.ts';
import { compileModel } from '../../compiler/compile.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf } from '../compiler/graphs.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const W = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 11 - 0.5);

/** x[1,4,6,6] → Conv 4→8 3×3 → Relu → Conv 8→8 1×1; no BatchNormalization anywhere. */
const convNet = bytesOf(
  buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'w1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['b'] },
      { op: 'Conv', name: 'c2', inputs: ['b', 'w2'], outputs: ['y'] },
    ],
    initializers: { w1: float32([8, 4, 3, 3], W(288)), w2: float32([8, 8, 1, 1], W(64)) },
  }),
);

/** x[2,3,4] → MatMul with a 3-D weight [2,4,5] → y[2,3,5] (not class scores: rank 3, but 3-D weight). */
const batchedMatMul = bytesOf(
  buildModel({
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    outputs: ['y'],
    nodes: [{ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: { w: float32([2, 4, 5], W(40)) },
  }),
);

const cls = new Uint8Array(readFileSync(MODELS.cls));
const CAL = 'calibrate { random  samples 2 }\n';

interface Case {
  recipe: string;
  model: Uint8Array;
  /** `line:col CODE` expected. */
  at: string;
  text: RegExp;
}

const MODEL_FREE: [string, string, RegExp][] = [
  ['prune weights of conv { sparsty 10% }', '1:25 SQ301', /unknown option 'sparsty'/],
  [
    'prune weights of conv { criterion apoz }',
    '1:35 SQ324',
    /criterion apoz does not apply to weights pruning/,
  ],
  [
    'prune channels of conv { criterion sparsegpt }',
    '1:36 SQ324',
    /criterion sparsegpt does not apply to prune channels/,
  ],
  ['prune layers of conv { criterion bn-gamma }', '1:34 SQ324', /does not apply to prune layers/],
  ['prune layers of conv { reconstruct least-squares }', '1:36 SQ324', /does not apply to prune layers/],
  ['prune 2:4 of conv { scope global }', '1:27 SQ324', /'scope global' does not apply to 2:4/],
  ['prune weights of conv { sparsity 100% }', '1:34 SQ303', /must be ≥ 0 and < 100/],
  [
    'prune channels of conv { criterion l1  slimming 1e-4 }',
    '1:40 SQ321',
    /'slimming' needs criterion bn-gamma/,
  ],
  ['quantize weights of conv { bits 3 }', '1:33 SQ303', /'bits' must be one of 2, 4, 8/],
  [
    'quantize weights of conv { ternary  per-channel  method gptq }',
    '1:57 SQ324',
    /gptq does not apply to ternary/,
  ],
  ['quantize weights of conv { bits 4  method gptq }', '1:43 SQ324', /per output channel or per group/],
  ['output { opset 13 }\nquantize weights of conv { bits 4  group 8 }', '2:36 SQ324', /need opset 21/],
  ['output { opset 17 }\nquantize activations { bits 16 }', '2:24 SQ324', /16-bit activations need opset 21/],
  ['quantize activations { calibration percentile 0 }', '1:47 SQ303', /'calibration' must be > 0/],
  ['factorize conv { rank 4  energy 90% }', '1:26 SQ305', /'energy' contradicts 'rank'/],
  ['factorize conv { method qr }', '1:25 SQ316', /'method' cannot be 'qr'/],
  ['cluster weights of conv { clusters 1 }', '1:36 SQ303', /between 2 and 65535/],
  ['cluster weights of conv { init random }', '1:32 SQ316', /'init' cannot be 'random'/],
  ['finetune { steps 10 }', '1:1 SQ323', /finetune needs labels/],
];

/** Options that read calibration data, in a recipe without any. */
const NEED_DATA: [string, string][] = [
  ['prune weights of conv { reconstruct least-squares }', '1:37'],
  ['prune weights of conv { criterion sparsegpt }', '1:35'],
  ['prune channels of conv { criterion activation }', '1:36'],
  ['prune channels of conv { criterion taylor }', '1:36'],
  ['prune weights of conv { criterion taylor }', '1:35'],
  ['prune channels of conv { criterion bn-gamma  slimming 1e-4 }', '1:46'],
  ['quantize weights of conv { per-channel  method gptq }', '1:48'],
  ['quantize activations { bits 8 }', '1:1'],
  ['factorize conv { reconstruct least-squares }', '1:30'],
  ['factorize conv { method separable }', '1:25'],
  ['factorize conv { method stacked }', '1:25'],
  ['target agreement >= 99%', '1:8'],
  ['prune weights of conv { sparsity 20%..60% }', '1:34'],
  ['quantize weights of conv { bits 2..8 }', '1:33'],
];

const MODEL_DEPENDENT: Case[] = [
  {
    recipe: `${CAL}prune channels of "c1" { criterion bn-gamma }`,
    model: convNet,
    at: '2:36 SQ405',
    text: /c1 is not followed by a BatchNormalization/,
  },
  {
    recipe: `${CAL}prune channels of "c1" { criterion taylor }`,
    model: convNet,
    at: '2:36 SQ413',
    text: /criterion taylor .* output 'y' is \[1, 8, 6, 6\], not class scores/,
  },
  {
    recipe: `${CAL}prune weights of "c2" { criterion taylor }`,
    model: convNet,
    at: '2:35 SQ413',
    text: /criterion taylor .* not class scores/,
  },
  {
    recipe: `${CAL}quantize weights of conv[0] { bits 4  group 4  method gptq }`,
    model: convNet,
    at: '2:55 SQ405',
    text: /method gptq with group 4 does not apply to Conv c1/,
  },
  {
    recipe: `${CAL}quantize weights of matmul { bits 8  per-channel  method gptq }`,
    model: batchedMatMul,
    at: '2:58 SQ405',
    text: /mm has a 3-D weight/,
  },
  {
    recipe: 'cluster weights of conv[0] { clusters 4 }\nquantize weights of conv { bits 8 }',
    model: convNet,
    at: '2:1 SQ406',
    text: /cannot both apply to layer c1/,
  },
  {
    recipe: CAL,
    model: cls,
    at: '1:1 SQ407',
    text: /random calibration data needs a fixed shape for input x/,
  },
  {
    recipe: 'calibrate { images "*.png" }',
    model: batchedMatMul,
    at: '1:1 SQ407',
    text: /images calibration needs exactly one 4-D float input/,
  },
  {
    recipe: 'output { opset 11 }',
    model: convNet,
    at: '1:16 SQ409',
    text: /lowering it to 11 is not supported/,
  },
  {
    recipe: `calibrate { random  samples 2  trust  task regress }\ntarget agreement >= 99%`,
    model: convNet,
    at: '2:8 SQ410',
    text: /holds no answers/,
  },
  {
    recipe: 'model { input z: float32[1, 4, 6, 6] }',
    model: convNet,
    at: '1:15 SQ404',
    text: /no input 'z'/,
  },
  {
    recipe: 'quantize weights of gemm { bits 8 }',
    model: convNet,
    at: '1:21 SQ401',
    text: /matches nothing/,
  },
];

const cases: Case[] = [
  ...MODEL_FREE.map(([recipe, at, text]) => ({
    recipe: `${CAL}${recipe}`,
    model: convNet,
    at: shift(at),
    text,
  })),
  ...NEED_DATA.map(([recipe, at]) => ({
    recipe,
    model: convNet,
    at: `${at} SQ322`,
    text: /needs calibration data/,
  })),
  ...MODEL_DEPENDENT,
];

/** The model-free cases sit below the calibrate line. */
function shift(at: string): string {
  const [pos, code] = at.split(' ');
  const [line, col] = pos!.split(':').map(Number);
  return `${line! + 1}:${col} ${code}`;
}

describe('option errors: squish check (with the model) finds every one compile would raise', () => {
  for (const c of cases) {
    it(`${c.at}: ${c.recipe.replace(CAL, '').replace(/\n/g, ' ⏎ ')}`, async () => {
      const checked = checkRecipe(c.recipe, { recipeFile: 'r.squish', model: c.model });
      const errors = checked.diagnostics.filter((d) => d.severity === 'error');
      const found = errors.find((d) => `${d.span.line}:${d.span.column} ${d.code}` === c.at);
      expect(
        found,
        errors.map((d) => `${d.span.line}:${d.span.column} ${d.code} ${d.message}`).join('\n'),
      ).toBeDefined();
      expect(found!.message).toMatch(c.text);
      const e = await compileModel(c.model, c.recipe, { recipeFile: 'r.squish' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      const [line, col] = c.at.split(' ')[0]!.split(':');
      expect((e as Error).message).toContain(
        `r.squish:${line}:${col}: error[${c.at.split(' ')[1]}]: ${found!.message}`,
      );
    });
  }

  it('no pass or plan step raises a user error of its own: option errors live in the checks', () => {
    const dirs = ['compiler/passes', 'compiler/plan', 'compiler/engine'];
    const raising: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && /new UserError\(/.test(readFileSync(join(ROOT, p), 'utf8')))
          raising.push(p);
      }
    };
    for (const d of dirs) walk(d);
    // the CLI's --shape flag (not a recipe option), and the pass manager naming the pass a data or
    // model error came from
    expect(raising.sort()).toEqual(['compiler/engine/pass.ts', 'compiler/plan/model-plan.ts']);
  });
});
