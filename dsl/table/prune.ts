// `prune GRANULARITY of SELECTORS [where PRED] [{ … }]`: granularities, criteria and which options
// apply to which granularity.
import type { Option, TableStatement } from '../ast.ts';
import { type Diagnostic, diag } from '../diagnostics.ts';
import { didYouMean } from '../suggest.ts';
import { en, findOption, int, opt, percent, real, type StatementDef, wordOf } from './types.ts';

export const CRITERIA = ['l1', 'l2', 'bn-gamma', 'apoz', 'activation', 'taylor', 'sparsegpt', 'random'];

/** Criteria each kind of granularity can rank by. */
const CRITERIA_FOR: Record<'channels' | 'layers' | 'fine', string[]> = {
  channels: ['l1', 'l2', 'bn-gamma', 'apoz', 'activation', 'taylor', 'random'],
  layers: ['l1', 'l2', 'activation', 'random'],
  fine: ['l1', 'l2', 'taylor', 'sparsegpt', 'random'],
};

const GRANULARITY_WORDS = ['layers', 'channels', 'filters', 'kernels', 'blocks', 'weights'];

export const prune: StatementDef = {
  keyword: 'prune',
  id: 'prune',
  summary:
    'remove units of the selected layers at a granularity (layers, channels, kernels, blocks, N:M, weights)',
  shape: { granularity: true, selectors: 'of', where: true, block: 'optional' },
  options: [
    opt(
      'sparsity',
      percent({ ge: 0, lt: 100 }, { range: 'search' }),
      'share of units removed (default 25% for channels and layers, 50% otherwise)',
      'sparsity 25%',
    ),
    opt('criterion', en(...CRITERIA), 'how units are ranked (default l1)', 'criterion l1', {
      needsData: ['apoz', 'activation', 'taylor', 'sparsegpt'],
    }),
    opt('scope', en('local', 'global'), 'rank per layer, or across every selected layer', 'scope global'),
    opt('round', int({ ge: 1, le: 4096 }), 'channels left are a multiple of N (channel pruning)', 'round 8'),
    opt('min', int({ ge: 0 }), 'channels always left per layer (channel pruning)', 'min 8'),
    opt(
      'reconstruct',
      en('none', 'least-squares'),
      'refit each layer towards the original outputs on calibration data',
      'reconstruct least-squares',
      {
        needsData: ['least-squares'],
      },
    ),
    opt(
      'slimming',
      real({ gt: 0 }),
      'Network Slimming: train with an L1 penalty λ on the BatchNormalization scales first (with criterion bn-gamma)',
      'criterion bn-gamma  slimming 1e-4',
      {
        needsData: true,
      },
    ),
    opt(
      'slimming-steps',
      int({ ge: 1 }),
      'training steps of slimming (default 200; batch 8, adamw, lr 1e-3, the original model as teacher)',
      'slimming-steps 300',
    ),
    opt('seed', int({ ge: 0 }), 'seed of criterion random and of the slimming batches', 'seed 3'),
  ],
  action: {
    kinds: [
      { kind: 'prune-structure', stage: 10 },
      { kind: 'prune-sparse', stage: 30 },
    ],
    kindOf: (s) =>
      s.granularity?.kind === 'layers' || s.granularity?.kind === 'channels'
        ? 'prune-structure'
        : 'prune-sparse',
  },
  title: (s) => `prune ${granularityText(s)}`,
  examples: [
    `prune channels of conv where out_channels >= 16 and not depthwise {
  sparsity 25%
  criterion l1
  scope global
  round 8
  min 8
  reconstruct least-squares
  seed 1
}`,
    'prune layers of conv where params > 100k { sparsity 10% }',
    'prune filters of conv { criterion bn-gamma  slimming 1e-4  slimming-steps 300  sparsity 30% }',
    'prune channels of conv where not depthwise { criterion taylor  sparsity 20% }',
    'prune kernels of conv where kernel == 3x3 { sparsity 20% }',
    'prune blocks 4x4 of gemm { sparsity 50% }',
    'prune 2:4 of matmul',
    'prune weights of linear { sparsity 40%..80%  criterion sparsegpt }',
  ],
  notes: `Granularities, coarse to fine: \`layers\` (whole residual branches), \`channels\` (alias \`filters\`;
output channels and every coupled tensor), \`kernels\` (whole k×k kernels), \`blocks RxC\` (R×C blocks
inside the weight), \`N:M\` (N of every M consecutive weights along the input axis; 1 ≤ N < M),
\`weights\` (unstructured). Criteria by granularity: channels ${CRITERIA_FOR.channels.join(', ')};
layers ${CRITERIA_FOR.layers.join(', ')}; kernels, blocks, N:M and weights ${CRITERIA_FOR.fine.join(', ')}.
\`sparsity\` with \`N:M\` warns (N:M fixes the sparsity); \`round\`, \`min\` and \`scope\` where they do
nothing warn; \`reconstruct\` does not apply to \`layers\`; \`scope global\` does not apply to \`N:M\`;
\`slimming\` needs \`criterion bn-gamma\`; it trains the whole model on the calibration data to match the
original (kl on class scores, else mse) plus λ·Σ|γ| over the BatchNormalization scales of the selected
layers, with BN on its stored statistics, before the cleanups fold BN. \`criterion taylor\` (first-order
Taylor) ranks a channel by |mean of activation × ∂loss/∂activation| over the calibration samples and
positions, a weight by |w·∂loss/∂w|; the loss is the cross-entropy of the first output (class scores)
against the class labels of a \`finetune\` statement (its data, up to 64 samples), else against the
model's own top class on the calibration samples.`,
  check: (s, { out }) => checkPrune(s, out),
};

/** The granularity as written: `channels`, `blocks 4x4`, `2:4`. */
export function granularityText(s: TableStatement): string {
  const g = s.granularity;
  if (!g) return '';
  if (g.kind === 'blocks') return `blocks ${g.text}`;
  return g.kind === 'nm' ? g.text : g.word;
}

function checkPrune(s: TableStatement, out: Diagnostic[]): void {
  const g = s.granularity;
  if (!g) return;
  if (g.kind === 'unknown') {
    out.push(
      diag(
        'SQ308',
        g.span,
        `unknown granularity '${g.word}'`,
        didYouMean(g.word.split(' ')[0]!, GRANULARITY_WORDS) ??
          `write one of ${GRANULARITY_WORDS.join(', ')}, blocks RxC or N:M (2:4)`,
      ),
    );
    return;
  }
  if (g.kind === 'nm' && (g.n < 1 || g.n >= g.m)) {
    out.push(
      diag(
        'SQ303',
        g.span,
        `N:M pruning needs 1 <= N < M, got ${g.text}`,
        'e.g. 2:4 keeps 2 of every 4 weights',
      ),
    );
  } else if (g.kind === 'blocks' && (g.r < 1 || g.c < 1)) {
    out.push(diag('SQ303', g.span, `block size ${g.text} must be at least 1x1`));
  }
  const options = s.options ?? [];
  const noEffect = (o: Option, why: string) => out.push(diag('SQ317', o.nameSpan, why, 'remove it'));
  const notHere = (o: Option, why: string, help: string) =>
    out.push(diag('SQ324', o.values[0]?.span ?? o.nameSpan, why, help));
  const family = g.kind === 'channels' ? 'channels' : g.kind === 'layers' ? 'layers' : 'fine';
  for (const o of options) {
    if ((o.name === 'round' || o.name === 'min') && g.kind !== 'channels')
      noEffect(o, `'${o.name}' only applies to channel pruning`);
    if (o.name === 'sparsity' && g.kind === 'nm')
      noEffect(
        o,
        `'sparsity' has no effect with ${g.text}: N:M fixes the sparsity at ${((1 - g.n / g.m) * 100).toFixed(0)}%`,
      );
    if (o.name === 'scope' && wordOf(o.values[0]) === 'global') {
      if (g.kind === 'layers')
        noEffect(
          o,
          "'scope global' has no effect on prune layers: layers are always ranked across the selection",
        );
      if (g.kind === 'nm')
        notHere(
          o,
          `'scope global' does not apply to ${g.text}: N:M keeps N of every M weights in every layer`,
          'remove scope',
        );
    }
    if (o.name === 'reconstruct' && g.kind === 'layers' && wordOf(o.values[0]) === 'least-squares')
      notHere(
        o,
        "'reconstruct least-squares' does not apply to prune layers (a removed branch leaves nothing to refit)",
        'remove it, or prune channels',
      );
    if (o.name === 'criterion') {
      const c = wordOf(o.values[0]);
      if (c && CRITERIA.includes(c) && !CRITERIA_FOR[family].includes(c)) {
        const what = family === 'fine' ? `${granularityText(s)} pruning` : `prune ${g.kind}`;
        notHere(
          o,
          `criterion ${c} does not apply to ${what}`,
          `use one of ${CRITERIA_FOR[family].join(', ')}`,
        );
      }
    }
  }
  const steps = findOption(options, 'slimming-steps');
  if (steps && !findOption(options, 'slimming'))
    noEffect(steps, "'slimming-steps' has no effect without slimming");
  const slimming = findOption(options, 'slimming');
  if (slimming && wordOf(findOption(options, 'criterion')?.values[0]) !== 'bn-gamma') {
    out.push(
      diag(
        'SQ321',
        slimming.nameSpan,
        "'slimming' needs criterion bn-gamma (it trains the BatchNormalization scales that criterion ranks by)",
        'add criterion bn-gamma, or remove slimming',
      ),
    );
  }
}
