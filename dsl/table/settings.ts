// Statements that set up the compile rather than act on layers: recipe, include, model, cleanup,
// output, search, target.
import { en, int, opt, type StatementDef } from './types.ts';

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

export const recipe: StatementDef = {
  keyword: 'recipe',
  id: 'recipe',
  summary: 'optional header; the name goes into the output’s provenance',
  shape: { argument: 'string' },
  once: true,
  examples: ['recipe "ocr-cls-small"'],
};

export const include: StatementDef = {
  keyword: 'include',
  id: 'include',
  summary: 'inline another recipe (the path is relative to this file)',
  shape: { argument: 'string' },
  examples: ['include "base-calibration.squish"'],
  notes:
    'The host (CLI) reads the file. Included statements take the include’s place. An include cycle (also a file including itself) is an error (SQ319), and so is a missing file (SQ318). Includes nest at most 32 files deep, at most 256 files in all, and 4 MB of text in all; only regular files are read (SQ325).',
};

export const model: StatementDef = {
  keyword: 'model',
  id: 'model',
  summary: 'facts about the model: fixed shapes of its inputs',
  shape: { argument: 'inputs' },
  examples: [
    `model {
  input x: float32[1, 3, 48, 192]
  input "onnx::Flatten_0": float32[1, 25, 96]
}`,
  ],
  notes: `\`input NAME: DTYPE[dims]\` pins the shape of a dynamic input. \`NAME\` is a word or a quoted string; \`DTYPE\` one of
${DTYPES.map((d) => `\`${d}\``).join(' ')}; dims are positive whole numbers. With a model, an unknown input name is an error (SQ404).`,
};

export const cleanup: StatementDef = {
  keyword: 'cleanup',
  id: 'cleanup',
  summary: 'turn off the exact cleanups that otherwise always run: `cleanup none`',
  shape: { argument: 'word', words: ['none'] },
  once: true,
  examples: ['cleanup none'],
};

export const output: StatementDef = {
  keyword: 'output',
  id: 'output',
  summary: 'what is written: the ONNX opset and the file format',
  shape: { block: 'required' },
  once: true,
  options: [
    opt(
      'opset',
      int({ ge: 7, le: 23 }),
      'ONNX opset of the output (default: the model’s, raised where a pass needs it)',
      'opset 17',
    ),
    opt('format', en('onnx', 'sqz'), 'a standard ONNX file, or the compact .sqz container', 'format onnx'),
  ],
  examples: ['output { opset 17  format sqz }'],
};

export const search: StatementDef = {
  keyword: 'search',
  id: 'search',
  summary:
    'bounds the effort of searching ranges (`sparsity 20%..60%`, `bits 2..8`) per layer to meet the targets',
  shape: { block: 'required' },
  once: true,
  options: [
    opt('candidates', int({ ge: 1 }), 'values tried per layer and knob', 'candidates 8'),
    opt('budget', { type: 'duration' }, 'time the search may take (`90s`, `10m`, `1h`)', 'budget 10m'),
  ],
  examples: ['search { candidates 8  budget 10m }'],
  notes: 'Durations are written with a unit: `ms`, `s`, `m` (minutes), `h`.',
};

export const target: StatementDef = {
  keyword: 'target',
  id: 'target',
  summary: 'a budget or fidelity bound the compiler must meet',
  shape: { argument: 'target' },
  examples: [
    `target size <= 200KB
target params <= 2M
target flops <= 50%
target latency <= 60%
target agreement >= 99%
target cosine >= 0.999
target snr >= 30`,
    'target size <= 1.5MiB',
  ],
  notes:
    'A metric with the same comparison twice is an error (SQ307). Fidelity metrics need calibration data (the reference examples assume a calibrate block), `accuracy` needs labels (SQ328) for the calibrate block’s files: the report gives the original’s accuracy beside the compiled model’s, each with a 95% interval, on the same held-apart files.',
};

/** Target metrics: which way they bound, what they compare with, what they need. */
export interface MetricSpec {
  name: string;
  /** upper: a budget (`<=`, `<`); lower: a fidelity floor (`>=`, `>`). */
  bound: 'upper' | 'lower';
  doc: string;
  /** Measured on calibration data (a calibrate block is required). */
  needsData?: true;
}

export const TARGET_METRICS: MetricSpec[] = [
  { name: 'size', bound: 'upper', doc: 'bytes (`KB MB GB`, `KiB MiB GiB`, `B`) or % of the original' },
  { name: 'params', bound: 'upper', doc: 'a count (`64k`, `1.5M`) or % of the original' },
  { name: 'flops', bound: 'upper', doc: 'a count or % of the original' },
  {
    name: 'latency',
    bound: 'upper',
    doc: '% of the original’s latency in onnxruntime-node on this machine, or a time (`ms`, `s`)',
  },
  {
    name: 'agreement',
    bound: 'lower',
    doc: 'the task metric’s agreement with the original: a percentage (or a share 0..1)',
    needsData: true,
  },
  {
    name: 'accuracy',
    bound: 'lower',
    doc: 'top-1 (CTC models: whole decoded label sequence) accuracy against `finetune { labels … }` on the held-apart calibration files: a percentage',
    needsData: true,
  },
  {
    name: 'cosine',
    bound: 'lower',
    doc: 'cosine similarity of the outputs, -1..1 (or a percentage)',
    needsData: true,
  },
  {
    name: 'snr',
    bound: 'lower',
    doc: 'signal-to-noise ratio of the outputs in decibels, a plain number',
    needsData: true,
  },
];
