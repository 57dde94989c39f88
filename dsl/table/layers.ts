// Statements that act on layers besides prune: factorize, quantize weights/activations, cluster, keep.
import type { TableStatement } from '../ast.ts';
import { diag } from '../diagnostics.ts';
import type { Span } from '../span.ts';
import {
  type CheckContext,
  en,
  findOption,
  flag,
  int,
  opt,
  percent,
  type StatementDef,
  wordOf,
} from './types.ts';

export const factorize: StatementDef = {
  keyword: 'factorize',
  id: 'factorize',
  summary: 'low-rank factorization of the selected layers',
  shape: { selectors: 'bare', where: true, block: 'optional' },
  options: [
    {
      name: 'rank',
      forms: [[int({ ge: 1 }, { range: 'search' })], [percent({ ge: 0, le: 100 }, { range: 'search' })]],
      doc: 'rank kept: a whole number, or a percentage of full rank',
      example: 'rank 25%',
      conflicts: ['energy'],
    },
    opt(
      'energy',
      percent({ ge: 0, le: 100 }, { range: 'search' }),
      'keep the singular values holding this share of the squared spectrum (default 95%)',
      'energy 95%',
      {
        conflicts: ['rank'],
      },
    ),
    opt(
      'method',
      en('svd', 'tucker', 'spatial', 'channel', 'separable', 'stacked'),
      'svd (Gemm/MatMul default), tucker (Conv default), spatial, channel; separable (k×k → depthwise k×k + pointwise 1×1) and stacked (5×5/7×7 → 3×3 stack) are the compact designs, fitted on calibration data',
      'method svd',
      {
        needsData: ['separable', 'stacked'],
      },
    ),
    opt(
      'reconstruct',
      en('none', 'least-squares'),
      'choose the factors that minimize the layer output error on calibration data',
      'reconstruct least-squares',
      {
        needsData: ['least-squares'],
      },
    ),
    opt('round', int({ ge: 1, le: 4096 }), 'the rank is rounded up to a multiple of N', 'round 8'),
  ],
  action: { kinds: [{ kind: 'factorize', stage: 20 }] },
  examples: [
    'factorize gemm, matmul where params > 64k { rank 25%  round 8 }',
    'factorize matmul { energy 95%  method svd  reconstruct least-squares }',
    'factorize conv where kernel == 3x3 { rank 4..16  method spatial }',
    'factorize conv where kernel == 5x5 { method stacked }',
  ],
  notes:
    '`rank` and `energy` exclude each other. A factorization that would not reduce parameters is skipped with a warning.',
};

const BITS_LADDER = ['binary', 'ternary', 2, 4, 8];

export const quantizeWeights: StatementDef = {
  keyword: 'quantize',
  variant: 'weights',
  id: 'quantize-weights',
  summary: 'weight quantization of the selected layers',
  shape: { selectors: 'of', where: true, block: 'optional' },
  options: [
    {
      name: 'bits',
      forms: [[{ type: 'bits', ladder: BITS_LADDER }]],
      doc: '8, 4 or 2 (default 8); a range searches the ladder 8 > 4 > 2 > ternary > binary, e.g. `bits 2..8` or `bits binary..8`',
      example: 'bits 8',
      conflicts: ['binary', 'ternary'],
    },
    flag('binary', 'codes ±α per output channel', ['bits', 'ternary']),
    flag('ternary', 'codes {−α, 0, α} per output channel', ['bits', 'binary']),
    flag('per-tensor', 'one scale for the whole weight (the default)', ['per-channel', 'group']),
    flag('per-channel', 'one scale per output channel', ['per-tensor', 'group']),
    opt(
      'group',
      int({ ge: 1, le: 1 << 20 }, { range: 'search' }),
      'one scale per N values along the input axis (opset 21)',
      'group 32',
      {
        conflicts: ['per-tensor', 'per-channel'],
      },
    ),
    flag('symmetric', 'zero point 0 (the default)', ['asymmetric']),
    flag('asymmetric', 'a zero point per scale', ['symmetric']),
    opt(
      'method',
      en('minmax', 'mse', 'gptq'),
      'how codes are chosen: range, least error, or GPTQ on calibration data (per-channel or group)',
      'per-channel  method gptq',
      {
        needsData: ['gptq'],
      },
    ),
  ],
  action: { kinds: [{ kind: 'quantize-weights', stage: 50 }] },
  examples: [
    'quantize weights of * { bits 8  per-channel  symmetric }',
    'quantize weights of "head/*" { ternary }',
    'quantize weights of matmul { bits 4  group 32  asymmetric  method gptq }',
    'quantize weights of depthwise { binary  per-tensor  method mse }',
    'quantize weights of conv { bits binary..8  per-channel }',
  ],
  notes:
    '`bits`/`binary`/`ternary` exclude each other; so do `per-tensor`/`per-channel`/`group`, and `symmetric`/`asymmetric`. A range of bits is written low..high on the ladder binary < ternary < 2 < 4 < 8. `method gptq` needs `per-channel` or `group N` and uniform codes (bits).',
  check: checkWeights,
};

export const quantizeActivations: StatementDef = {
  keyword: 'quantize',
  variant: 'activations',
  id: 'quantize-activations',
  summary: 'static activation quantization, calibrated on the calibration data',
  shape: { selectors: 'of?', where: true, block: 'optional' },
  needsData: true,
  options: [
    opt(
      'bits',
      int({}, { oneOf: [8, 16], range: 'search' }),
      '8 or 16 (default 8; 16 needs opset 21)',
      'bits 8',
    ),
    flag('signed', 'int8 codes', ['unsigned']),
    flag('unsigned', 'uint8 codes (the default: onnxruntime’s fast path with int8 weights)', ['signed']),
    {
      name: 'calibration',
      forms: [
        [en('minmax', 'entropy', 'mse')],
        [
          { type: 'keyword', word: 'percentile' },
          { type: 'real', gt: 0, le: 100, percent: true },
        ],
      ],
      doc: 'how ranges are chosen from the calibration data (default minmax)',
      example: 'calibration percentile 99.99',
    },
  ],
  action: { kinds: [{ kind: 'quantize-activations', stage: 60 }], defaultLayers: 'quantizable' },
  examples: [
    'quantize activations { bits 8  calibration percentile 99.99 }',
    'quantize activations of conv[-1] { bits 16  unsigned  calibration entropy }',
    'quantize activations of gemm { bits 8  signed  calibration mse }',
  ],
  notes: 'Without selectors it applies to every Conv, Gemm and MatMul with a weight.',
  check: (s, ctx) => {
    const bits = findOption(s.options, 'bits');
    if (bits?.values[0]?.kind === 'number' && bits.values[0].value === 16)
      needsOpset(bits.nameSpan, 21, '16-bit activations', ctx);
    needsOpset(s.keywordSpan, 13, 'quantized values (QuantizeLinear)', ctx);
  },
};

export const cluster: StatementDef = {
  keyword: 'cluster',
  variant: 'weights',
  id: 'cluster',
  summary: 'weight sharing by k-means (Deep Compression): each weight becomes an index into a codebook',
  shape: { selectors: 'of', where: true, block: 'optional' },
  options: [
    opt(
      'clusters',
      int({ ge: 2, le: 65535 }, { range: 'search' }),
      'shared values per layer (default 16)',
      'clusters 16',
    ),
    opt('init', en('linear', 'kmeans++', 'density'), 'initial centroids (default linear)', 'init linear'),
  ],
  action: { kinds: [{ kind: 'cluster', stage: 40 }] },
  title: () => 'cluster',
  examples: [
    'cluster weights of * where params > 1k { clusters 16  init linear }',
    'cluster weights of gemm { clusters 4..64  init kmeans++ }',
  ],
};

export const keep: StatementDef = {
  keyword: 'keep',
  id: 'keep',
  summary: 'these layers are left exactly as they are by every lossy statement',
  shape: { selectors: 'bare', where: true },
  examples: ['keep conv[0], conv[-1], /.*classifier.*/', 'keep conv where stride == 2'],
};

/** Pinned `output { opset N }` below what this needs → SQ324 at `at` (an option's or statement's span). */
function needsOpset(at: Span | undefined, min: number, what: string, ctx: CheckContext): void {
  const opset = findOption(ctx.first('output')?.options, 'opset')?.values[0];
  if (!at || opset?.kind !== 'number' || opset.value >= min) return;
  ctx.out.push(
    diag(
      'SQ324',
      at,
      `${what} need opset ${min}, but output { opset ${opset.text} } pins the output below it`,
      `raise the output opset to ${min} or more, or leave it out`,
    ),
  );
}

function checkWeights(s: TableStatement, ctx: CheckContext): void {
  const options = s.options ?? [];
  const method = findOption(options, 'method');
  if (wordOf(method?.values[0]) === 'gptq') {
    const codes = findOption(options, 'binary') ?? findOption(options, 'ternary');
    if (codes)
      ctx.out.push(
        diag(
          'SQ324',
          method!.values[0]!.span,
          `method gptq does not apply to ${codes.name} codes`,
          'drop method gptq, or use bits 8, 4 or 2',
        ),
      );
    else if (!findOption(options, 'per-channel') && !findOption(options, 'group'))
      ctx.out.push(
        diag(
          'SQ324',
          method!.values[0]!.span,
          'method gptq is per output channel or per group',
          'add per-channel or group N',
        ),
      );
  }
  needsOpset(findOption(options, 'group')?.nameSpan, 21, 'grouped scales (blocked DequantizeLinear)', ctx);
  needsOpset(s.keywordSpan, 13, 'quantized weights (DequantizeLinear)', ctx);
}
