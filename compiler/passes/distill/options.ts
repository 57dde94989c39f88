// Reading a `distill` or `finetune` statement (checked by the statement table) into training
// settings: teacher, losses, optimizer, schedule, stopping, data and labels.

import type { TableStatement } from '../../../dsl/ast.ts';
import type { Span } from '../../../dsl/span.ts';
import { findOption, wordOf } from '../../../dsl/table/index.ts';
import type { CalibrationSpec } from '../../data/calibration.ts';
import { at, atCol, hasOption, numberOf, numberOption, wordOption } from '../../plan/options.ts';
import { calibrationSpec } from '../../plan/settings.ts';
import type { OptimizerSpec } from '../../train/optim/optimizers.ts';
import type { ScheduleSpec } from '../../train/optim/schedule.ts';

export type OutputLoss = 'kl' | 'mse' | 'cosine' | 'l1' | 'cross-entropy' | 'ctc';

/** A hint loss on inner values (`match "glob" mse 0.1`). */
export interface HintLoss {
  glob: string;
  loss: 'mse' | 'cosine' | 'l1';
  weight: number;
  span: Span;
}

export interface TrainingSettings {
  kind: 'distill' | 'finetune';
  statement: TableStatement;
  /** `file:line` (plan and report) and `file:line:col` of the keyword (messages). */
  from: string;
  where: string;
  /** distill: `original` or a file (with the span of its name); finetune trains on labels. */
  teacher?: { file?: string; span: Span };
  loss: OutputLoss;
  lossSpan: Span;
  temperature?: number;
  hints: HintLoss[];
  steps: number;
  /** Set where the statement trains in two phases (plan/phases.ts): which one these settings run. */
  phase?: 'before clustering' | 'after clustering';
  batch: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  clip?: number;
  /** Share of the data held back (0..1). */
  holdout: number;
  patience?: number;
  seed: number;
  /** Steps between points of the loss curve and held-back evaluations. */
  every: number;
  /** `data { … }`: other files than the calibration set. */
  data?: CalibrationSpec;
  /** finetune: the labels file as written, with its span. */
  labels?: { file: string; span: Span };
}

/** Defaults of a recipe that says only `distill` (RECIPE-LANGUAGE.md, Training). */
export const TRAINING_DEFAULTS = { steps: 500, batch: 8, lr: 1e-3, points: 20 } as const;

export function trainingSettings(s: TableStatement): TrainingSettings {
  const kind = s.kind === 'finetune' ? 'finetune' : 'distill';
  const optimizer = (wordOption(s, 'optimizer') ?? 'adamw') as 'sgd' | 'adamw';
  const steps = numberOption(s, 'steps') ?? TRAINING_DEFAULTS.steps;
  const lossOption = findOption(s.options, 'loss');
  const teacherOption = findOption(s.options, 'teacher');
  const teacherValue = teacherOption?.values[0];
  const dataBlock = findOption(s.options, 'data');
  const labels = findOption(s.options, 'labels');
  const schedule = wordOption(s, 'schedule') as ScheduleSpec['kind'];
  const holdout = numberOption(s, 'holdout');
  return {
    kind,
    statement: s,
    from: at(s.span),
    where: atCol(s.keywordSpan),
    ...(kind === 'distill'
      ? {
          teacher: {
            ...(teacherValue?.kind === 'string' ? { file: teacherValue.value } : {}),
            span: teacherValue?.span ?? s.keywordSpan,
          },
        }
      : {}),
    loss: (wordOf(lossOption?.values[0]) ?? (kind === 'distill' ? 'kl' : 'cross-entropy')) as OutputLoss,
    lossSpan: lossOption?.values[0]?.span ?? s.keywordSpan,
    ...(hasOption(s, 'temperature') ? { temperature: numberOption(s, 'temperature') } : {}),
    hints: (s.options ?? [])
      .filter((o) => o.name === 'match')
      .map((o) => ({
        glob: wordOf(o.values[0])!,
        loss: wordOf(o.values[1]) as HintLoss['loss'],
        weight: o.values[2] ? numberOf(o.values[2])! : 1,
        span: o.values[0]!.span,
      })),
    steps,
    batch: numberOption(s, 'batch') ?? TRAINING_DEFAULTS.batch,
    optimizer: {
      kind: optimizer,
      lr: numberOption(s, 'lr') ?? TRAINING_DEFAULTS.lr,
      weightDecay: numberOption(s, 'weight-decay') ?? 0,
      ...(optimizer === 'sgd'
        ? { momentum: numberOption(s, 'momentum') ?? 0, nesterov: hasOption(s, 'nesterov') }
        : {}),
    },
    schedule: { kind: schedule ?? 'cosine', warmup: numberOption(s, 'warmup') ?? 0 },
    ...(hasOption(s, 'clip') ? { clip: numberOption(s, 'clip') } : {}),
    holdout: holdout === undefined ? 0 : holdout / 100,
    ...(hasOption(s, 'patience') ? { patience: numberOption(s, 'patience') } : {}),
    seed: numberOption(s, 'seed') ?? 0,
    every: numberOption(s, 'every') ?? Math.max(1, Math.round(steps / TRAINING_DEFAULTS.points)),
    ...(dataBlock?.values[0]?.kind === 'block'
      ? { data: calibrationSpec(dataBlock.values[0].options, dataBlock.nameSpan) }
      : {}),
    ...(labels?.values[0]?.kind === 'string'
      ? { labels: { file: labels.values[0].value, span: labels.values[0].span } }
      : {}),
  };
}
