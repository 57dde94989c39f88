// `calibrate { … }`: the data for calibration, data-driven criteria, fidelity and training; the data
// options are shared with the `data { … }` block of distill/finetune.
import type { Option } from '../ast.ts';
import { type Diagnostic, diag } from '../diagnostics.ts';
import {
  en,
  findOption,
  flag,
  int,
  type OptionSpec,
  opt,
  percent,
  real,
  type StatementDef,
  str,
  wordOf,
} from './types.ts';

/** Where samples come from and how they become model inputs (calibrate, and `data { … }`). */
export const DATA_OPTIONS: OptionSpec[] = [
  opt(
    'images',
    str('a quoted glob of images'),
    'images, resized and normalized into the model input',
    'images "fixtures/ocr/lines/*.png"',
    {
      conflicts: ['tensors', 'random'],
    },
  ),
  opt(
    'tensors',
    str('a quoted glob of .npy files'),
    'arrays stored as .npy, fed as they are',
    'tensors "calib/*.npy"',
    {
      conflicts: ['images', 'random'],
    },
  ),
  opt('samples', int({ ge: 1, le: 1e6 }), 'how many files (or random inputs) to use', 'samples 32'),
  opt('resize', { type: 'dims' }, 'image size WxH before normalizing', 'resize 192x48'),
  opt(
    'fit',
    en('fill', 'pad'),
    'how resize treats the aspect ratio: fill stretches; pad keeps it (at most WxH) and pads right and bottom',
    'fit pad',
  ),
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
    doc: '(x/255 − mean) / std per channel; a scalar broadcasts over the channels',
    example: 'normalize mean 0.5 std 0.5',
  },
  opt('channels', en('rgb', 'bgr'), 'channel order of image inputs', 'channels bgr'),
  opt('layout', en('nchw', 'nhwc'), 'memory layout of image inputs', 'layout nchw'),
  opt('seed', int({ ge: 0 }), 'shuffles the files before `samples` picks them', 'seed 7'),
];

/** Random variants of each training sample (flips only when written). */
const AUGMENT: OptionSpec[] = [
  opt(
    'crop',
    real({ gt: 0, le: 1 }, { range: 'interval' }),
    'random crop keeping this share of each side (a..b, or one value)',
    'crop 0.8..1',
  ),
  opt(
    'scale',
    real({ gt: 0 }, { range: 'interval' }),
    'random rescale by a factor in a..b (or one value)',
    'scale 0.9..1.1',
  ),
  opt('rotate', real({ ge: 0, le: 180 }), 'random rotation up to ± this many degrees', 'rotate 3'),
  opt(
    'jitter',
    real({ ge: 0, le: 1 }),
    'random brightness and contrast change up to this share',
    'jitter 0.1',
  ),
  opt(
    'noise',
    real({ ge: 0 }),
    'Gaussian noise with this standard deviation (on normalized inputs)',
    'noise 0.02',
  ),
  flag('flip', 'random horizontal flips'),
];

export const calibrate: StatementDef = {
  keyword: 'calibrate',
  id: 'calibrate',
  summary: 'the data used for calibration, data-driven criteria, fidelity and training',
  shape: { block: 'required' },
  once: true,
  options: [
    ...DATA_OPTIONS.slice(0, 2),
    flag('random', 'random inputs (no evidence of accuracy; see `trust`)', ['images', 'tensors']),
    ...DATA_OPTIONS.slice(2),
    opt(
      'augment',
      { type: 'block', options: AUGMENT },
      'random variants of each sample, seen by training',
      'augment { crop 0.8..1  flip }',
    ),
    opt(
      'holdout',
      percent({ ge: 0, lt: 100 }, { zeroOk: true }),
      'share of the samples no fitting step sees; fidelity is measured on them (default 25%)',
      'holdout 25%',
    ),
    opt(
      'task',
      en('classify', 'ctc-text', 'segment-map', 'regress'),
      "the model's task, which picks the fidelity metric (default: from the outputs)",
      'task ctc-text',
    ),
    opt(
      'threshold',
      real({ gt: 0, lt: 1 }),
      'binarization threshold of segment maps for IoU',
      'threshold 0.3',
    ),
    flag('trust', 'allow agreement targets on random data'),
  ],
  examples: [
    `calibrate {
  images "fixtures/ocr/lines/*.png"
  samples 32
  resize 192x48
  fit pad
  normalize mean [0.485, 0.456, 0.406] std 0.5
  channels bgr
  layout nchw
  seed 7
}`,
    'calibrate { tensors "calib/*.npy"  samples 8 }',
    'calibrate { random  samples 8  trust }',
    `calibrate {
  images "pages/*.png"
  holdout 25%
  task segment-map
  threshold 0.3
  augment { crop 0.8..1  scale 0.9..1.1  rotate 3  jitter 0.1  noise 0.02  flip }
}`,
  ],
  notes:
    '`images`, `tensors` and `random` exclude each other. `augment { … }` is a nested block. `trust` and `threshold` need the data and task they refer to (`random`, `task segment-map`).',
  check: (s, { out }) => checkCalibrate(s.options ?? [], out),
};

function checkCalibrate(options: Option[], out: Diagnostic[]): void {
  const trust = findOption(options, 'trust');
  if (trust && !findOption(options, 'random'))
    out.push(diag('SQ317', trust.nameSpan, "'trust' only matters with random data", 'remove it'));
  const threshold = findOption(options, 'threshold');
  const task = wordOf(findOption(options, 'task')?.values[0]);
  if (threshold && task !== undefined && task !== 'segment-map')
    out.push(diag('SQ317', threshold.nameSpan, `'threshold' has no effect with task ${task}`, 'remove it'));
}
