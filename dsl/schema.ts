// What each block accepts: option names, their values and the ranges that make sense (data, checked by check.ts).

export type BlockKind =
  | 'calibrate'
  | 'output'
  | 'prune'
  | 'factorize'
  | 'quantize-weights'
  | 'quantize-activations'
  | 'cluster';

/** How one value position is checked. */
export type ValueSpec =
  | { type: 'int'; min: number; max?: number; oneOf?: number[]; range?: boolean }
  | { type: 'count'; min: number } // 8, 64k
  | { type: 'real'; min: number; max: number } // 99.99 (a plain number or a percentage)
  | { type: 'percent'; min: number; max: number; maxExclusive?: boolean; range?: boolean }
  | { type: 'enum'; words: string[] }
  | { type: 'string' }
  | { type: 'dims' }
  | { type: 'scalars'; positive?: boolean } // 0.5 or [0.485, 0.456, 0.406]
  | { type: 'keyword'; word: string }; // a fixed word such as `mean`

export interface OptionSpec {
  name: string;
  /** Alternative value shapes; the first that fits the count of values is used. */
  forms: ValueSpec[][];
  example: string;
  /** Other options it cannot be combined with in the same block. */
  conflicts?: string[];
}

const int = (min: number, max?: number, extra: Partial<ValueSpec & { type: 'int' }> = {}): ValueSpec => ({
  type: 'int',
  min,
  ...(max !== undefined ? { max } : {}),
  ...extra,
});
const en = (...words: string[]): ValueSpec => ({ type: 'enum', words });
const flag = (name: string, example: string, conflicts: string[]): OptionSpec => ({
  name,
  forms: [[]],
  example,
  conflicts,
});

export const CRITERIA = ['l1', 'l2', 'bn-gamma', 'apoz', 'activation', 'taylor', 'sparsegpt', 'random'];

export const SCHEMA: Record<BlockKind, OptionSpec[]> = {
  calibrate: [
    {
      name: 'images',
      forms: [[{ type: 'string' }]],
      example: 'images "fixtures/ocr/lines/*.png"',
      conflicts: ['tensors', 'random'],
    },
    {
      name: 'tensors',
      forms: [[{ type: 'string' }]],
      example: 'tensors "calib/*.npy"',
      conflicts: ['images', 'random'],
    },
    flag('random', 'random', ['images', 'tensors']),
    { name: 'samples', forms: [[int(1, 1e6)]], example: 'samples 32' },
    { name: 'resize', forms: [[{ type: 'dims' }]], example: 'resize 192x48' },
    {
      name: 'normalize',
      forms: [
        [
          { type: 'keyword', word: 'mean' },
          { type: 'scalars' },
          { type: 'keyword', word: 'std' },
          { type: 'scalars', positive: true },
        ],
      ],
      example: 'normalize mean 0.5 std 0.5',
    },
    { name: 'channels', forms: [[en('rgb', 'bgr')]], example: 'channels bgr' },
    { name: 'layout', forms: [[en('nchw', 'nhwc')]], example: 'layout nchw' },
    { name: 'seed', forms: [[int(0)]], example: 'seed 7' },
  ],
  output: [
    { name: 'opset', forms: [[int(7, 23)]], example: 'opset 17' },
    { name: 'format', forms: [[en('onnx', 'sqz')]], example: 'format onnx' },
  ],
  prune: [
    {
      name: 'sparsity',
      forms: [[{ type: 'percent', min: 0, max: 100, maxExclusive: true, range: true }]],
      example: 'sparsity 25%',
    },
    { name: 'criterion', forms: [[en(...CRITERIA)]], example: 'criterion l1' },
    { name: 'scope', forms: [[en('local', 'global')]], example: 'scope global' },
    { name: 'round', forms: [[int(1, 4096)]], example: 'round 8' },
    { name: 'min', forms: [[int(0)]], example: 'min 8' },
    { name: 'reconstruct', forms: [[en('none', 'least-squares')]], example: 'reconstruct least-squares' },
    { name: 'seed', forms: [[int(0)]], example: 'seed 7' },
  ],
  factorize: [
    {
      name: 'rank',
      forms: [[int(1, undefined, { range: true })], [{ type: 'percent', min: 0, max: 100, range: true }]],
      example: 'rank 25%',
      conflicts: ['energy'],
    },
    {
      name: 'energy',
      forms: [[{ type: 'percent', min: 0, max: 100, range: true }]],
      example: 'energy 95%',
      conflicts: ['rank'],
    },
    { name: 'method', forms: [[en('svd', 'tucker', 'spatial', 'channel')]], example: 'method svd' },
    { name: 'reconstruct', forms: [[en('none', 'least-squares')]], example: 'reconstruct least-squares' },
    { name: 'round', forms: [[int(1, 4096)]], example: 'round 8' },
  ],
  'quantize-weights': [
    {
      name: 'bits',
      forms: [[int(2, 8, { oneOf: [2, 4, 8], range: true })]],
      example: 'bits 8',
      conflicts: ['binary', 'ternary'],
    },
    flag('binary', 'binary', ['bits', 'ternary']),
    flag('ternary', 'ternary', ['bits', 'binary']),
    flag('per-tensor', 'per-tensor', ['per-channel', 'group']),
    flag('per-channel', 'per-channel', ['per-tensor', 'group']),
    {
      name: 'group',
      forms: [[int(1, 1 << 20)]],
      example: 'group 32',
      conflicts: ['per-tensor', 'per-channel'],
    },
    flag('symmetric', 'symmetric', ['asymmetric']),
    flag('asymmetric', 'asymmetric', ['symmetric']),
    { name: 'method', forms: [[en('minmax', 'mse', 'gptq')]], example: 'method gptq' },
  ],
  'quantize-activations': [
    { name: 'bits', forms: [[int(8, 16, { oneOf: [8, 16], range: true })]], example: 'bits 8' },
    flag('signed', 'signed', ['unsigned']),
    flag('unsigned', 'unsigned', ['signed']),
    {
      name: 'calibration',
      forms: [
        [en('minmax', 'entropy', 'mse')],
        [
          { type: 'keyword', word: 'percentile' },
          { type: 'real', min: 0, max: 100 },
        ],
      ],
      example: 'calibration percentile 99.99',
    },
  ],
  cluster: [
    { name: 'clusters', forms: [[int(2, 65536, { range: true })]], example: 'clusters 16' },
    { name: 'init', forms: [[en('linear', 'kmeans++', 'density')]], example: 'init linear' },
  ],
};

export const OPTION_NAMES_BY_BLOCK = Object.fromEntries(
  Object.entries(SCHEMA).map(([k, specs]) => [k, new Set(specs.map((s) => s.name))]),
) as Record<BlockKind, Set<string>>;

/** Human name of a block kind for messages. */
export const BLOCK_TITLE: Record<BlockKind, string> = {
  calibrate: 'calibrate',
  output: 'output',
  prune: 'prune',
  factorize: 'factorize',
  'quantize-weights': 'quantize weights',
  'quantize-activations': 'quantize activations',
  cluster: 'cluster',
};

export const TARGET_METRICS = ['size', 'params', 'flops', 'agreement', 'cosine', 'snr'];

/** `where` properties and what they compare against. */
export const WHERE_PROPERTIES: Record<string, 'count' | 'int' | 'dims' | 'flag' | 'name'> = {
  params: 'count',
  flops: 'count',
  in_channels: 'int',
  out_channels: 'int',
  kernel: 'dims',
  group: 'int',
  stride: 'int',
  depthwise: 'flag',
  name: 'name',
  index: 'int',
};

export const DTYPES = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'double',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
];
