// `distill` and `finetune`: train the compressed model (after the lossy passes), keeping the structure
// the recipe chose; the training options both share.
import { flattenStatements, type RecipeAst, type TableStatement } from '../ast.ts';
import { diag } from '../diagnostics.ts';
import { DATA_OPTIONS } from './calibrate.ts';
import {
  type CheckContext,
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

const TRAINING: OptionSpec[] = [
  opt('steps', int({ ge: 1 }), 'optimizer steps', 'steps 2000'),
  opt('batch', int({ ge: 1 }), 'samples per step', 'batch 8'),
  opt('optimizer', en('sgd', 'adamw'), 'the optimizer (default adamw)', 'optimizer adamw'),
  opt('lr', real({ gt: 0 }), 'peak learning rate', 'lr 1e-3'),
  opt('weight-decay', real({ ge: 0 }), 'decoupled weight decay', 'weight-decay 0'),
  opt('momentum', real({ ge: 0, lt: 1 }), 'SGD momentum', 'momentum 0.9'),
  flag('nesterov', 'Nesterov momentum (SGD)'),
  opt(
    'schedule',
    en('cosine', 'step', 'linear', 'constant'),
    'learning-rate schedule after warm-up',
    'schedule cosine',
  ),
  opt('warmup', int({ ge: 0 }), 'steps of linear warm-up', 'warmup 100'),
  opt('clip', real({ gt: 0 }), 'clip the gradient norm to this value', 'clip 1'),
  opt(
    'holdout',
    percent({ ge: 0, lt: 100 }, { zeroOk: true }),
    'share of the training data held back to stop early',
    'holdout 10%',
  ),
  opt(
    'patience',
    int({ ge: 1 }),
    'stop when the held-back loss has not improved for N evaluations',
    'holdout 10%  patience 5',
  ),
  opt('seed', int({ ge: 0 }), 'seed of sampling, augmentation and initialization', 'seed 1'),
  opt(
    'every',
    int({ ge: 1 }),
    'steps between points of the loss curve (and held-back evaluations)',
    'every 50',
  ),
  opt(
    'data',
    { type: 'block', options: DATA_OPTIONS },
    'train on other files than the calibration set, given as in calibrate',
    'data { images "transfer/lines/*.png"  samples 1200 }',
  ),
];

/** Both training statements: Deep Compression's schedule (compiler/plan/phases.ts). */
const PHASES =
  'Where a trained layer is both weight-pruned and clustered, training runs in two phases as in Deep Compression (prune → retrain → cluster → retrain): the first half of the steps before clustering, each surviving weight on its own with pruned zeros kept, so the codebook is fitted to retrained weights; the rest after, training the shared centroids. The report lists both runs.';

export const distill: StatementDef = {
  keyword: 'distill',
  id: 'distill',
  summary: 'train the compressed model to match a teacher (knowledge distillation)',
  shape: { selectors: 'of?', where: true, block: 'optional' },
  options: [
    {
      name: 'teacher',
      forms: [[en('original')], [str('a quoted .onnx path')]],
      doc: 'the model to match: original (the model before compression, the default) or an ONNX file',
      example: 'teacher original',
    },
    opt('loss', en('kl', 'mse', 'cosine', 'l1'), 'loss on the model outputs (default kl)', 'loss kl'),
    opt('temperature', real({ gt: 0 }), 'softmax temperature of loss kl', 'temperature 4'),
    {
      name: 'match',
      forms: [
        [str('a quoted glob of value names'), en('mse', 'cosine', 'l1')],
        [str('a quoted glob of value names'), en('mse', 'cosine', 'l1'), real({ ge: 0 })],
      ],
      doc: 'a hint loss on inner values matching the glob (FitNets), with a weight (default 1); repeatable',
      example: 'match "backbone.*" mse 0.1',
      repeatable: true,
    },
    ...TRAINING,
  ],
  action: { kinds: [{ kind: 'distill', stage: 70 }], defaultLayers: 'weights' },
  examples: [
    `distill {
  teacher original
  loss kl  temperature 4
  match "backbone.*" mse 0.1
  steps 2000  batch 8
  optimizer adamw  lr 1e-3  weight-decay 0  schedule cosine  warmup 100
  holdout 10%  patience 5  every 50
  seed 1
}`,
    'distill of conv where params > 10k { teacher "teacher.onnx"  loss mse  steps 500 }',
    `distill {
  data { images "transfer/lines/*.png"  samples 1200  resize 192x48  normalize mean 0.5 std 0.5 }
  steps 300  batch 16  optimizer sgd  lr 0.01  momentum 0.9  nesterov  clip 1
}`,
  ],
  notes: `Without selectors every layer with weights trains; \`keep\` layers and layers outside \`of …\` stay frozen. The data is the calibrate block’s unless \`data { … }\` names other files (the calibrate data options: images or tensors, samples, resize, normalize, channels, layout, seed). ${PHASES}`,
  check: (s, ctx) => checkTraining(s, ctx),
};

export const finetune: StatementDef = {
  keyword: 'finetune',
  id: 'finetune',
  summary: 'train the compressed model on labelled data (instead of or besides a teacher)',
  shape: { selectors: 'of?', where: true, block: 'optional' },
  options: [
    opt(
      'labels',
      str('a quoted .tsv path'),
      'input file → label (a class index; class indices separated by spaces for CTC models; a .npy tensor), one per line',
      'labels "data/lines.tsv"',
    ),
    opt(
      'loss',
      en('cross-entropy', 'ctc', 'mse'),
      'loss against the labels (default cross-entropy)',
      'loss cross-entropy',
    ),
    ...TRAINING,
  ],
  action: { kinds: [{ kind: 'finetune', stage: 75 }], defaultLayers: 'weights' },
  examples: [
    `finetune {
  labels "data/lines.tsv"
  loss ctc
  steps 1000  batch 16  optimizer sgd  lr 0.01  momentum 0.9
}`,
    `finetune { labels "lines.tsv" }
target accuracy >= 95%`,
  ],
  notes: `The data is the calibrate block’s files unless \`data { … }\` names others; calibration files held apart for fidelity (\`calibrate { holdout … }\`) never train. \`target accuracy\` is measured against these labels on those held-apart files, which therefore need labels too. ${PHASES}`,
  check: (s, ctx) => {
    if (!findOption(s.options, 'labels'))
      ctx.out.push(
        diag('SQ323', s.keywordSpan, 'finetune needs labels', 'add labels "file.tsv" (input file → label)'),
      );
    checkTraining(s, ctx);
  },
};

function checkTraining(s: TableStatement, ctx: CheckContext): void {
  const options = s.options ?? [];
  const data = findOption(options, 'data');
  if (!data && !ctx.has('calibrate'))
    ctx.out.push(
      diag(
        'SQ322',
        s.keywordSpan,
        `${s.kind} needs training data`,
        'add a calibrate { … } block, or data { images "…" } to the statement',
      ),
    );
  const block = data?.values[0];
  if (
    block?.kind === 'block' &&
    !findOption(block.options, 'images') &&
    !findOption(block.options, 'tensors')
  )
    ctx.out.push(
      diag(
        'SQ323',
        data!.nameSpan,
        'data needs images "…" or tensors "…"',
        'e.g. data { images "transfer/*.png"  samples 100 }',
      ),
    );
  const sgd = wordOf(findOption(options, 'optimizer')?.values[0]) === 'sgd';
  for (const name of ['momentum', 'nesterov']) {
    const o = findOption(options, name);
    if (o && !sgd)
      ctx.out.push(
        diag(
          'SQ317',
          o.nameSpan,
          `'${name}' only applies to optimizer sgd`,
          'remove it, or add optimizer sgd',
        ),
      );
  }
  const temperature = findOption(options, 'temperature');
  const loss = wordOf(findOption(options, 'loss')?.values[0]);
  if (temperature && loss !== undefined && loss !== 'kl')
    ctx.out.push(
      diag(
        'SQ317',
        temperature.nameSpan,
        `'temperature' has no effect with loss ${loss}`,
        'remove it, or use loss kl',
      ),
    );
  const patience = findOption(options, 'patience');
  if (patience && !findOption(options, 'holdout'))
    ctx.out.push(
      diag(
        'SQ321',
        patience.nameSpan,
        "'patience' needs a held-back share to watch",
        'add holdout 10% (or another share)',
      ),
    );
}

/** Whether a recipe trains (a distill or finetune statement, includes inlined): minutes of work. */
export function recipeTrains(ast: RecipeAst): boolean {
  return flattenStatements(ast).some((s) => s.kind === 'distill' || s.kind === 'finetune');
}
