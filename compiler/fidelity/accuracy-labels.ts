// The labels `target accuracy` is measured against: the recipe's `finetune { labels … }` rows for
// the calibration files held apart from every fitting and training step, in their order.

import { flattenStatements, type RecipeAst, type TableStatement } from '../../dsl/ast.ts';
import { type Diagnostic, diag } from '../../dsl/diagnostics.ts';
import { findOption } from '../../dsl/table/index.ts';
import type { Host } from '../data/host.ts';
import type { HeldApartSplit } from '../data/split.ts';
import { DataProblem, labelsOf, readLabelRows } from '../passes/distill/data.ts';
import { trainingSettings } from '../passes/distill/options.ts';
import { RecipeError } from '../plan/recipe.ts';
import type { TargetSpec } from '../plan/settings.ts';
import type { HeldApartLabels } from './held-apart.ts';

/** The first finetune statement that names labels (what `squish check` requires for target accuracy). */
export function labelledStatement(ast: RecipeAst): TableStatement | undefined {
  return flattenStatements(ast).find(
    (s): s is TableStatement =>
      s.kind === 'finetune' && !!findOption((s as TableStatement).options, 'labels'),
  );
}

/**
 * Labels of the held-apart calibration files when the recipe has a `target accuracy`, else undefined.
 * `files`: the calibration files in loading order (undefined for random data).
 */
export async function heldApartLabels(
  recipe: { ast: RecipeAst; render: (d: Diagnostic) => string },
  targets: readonly TargetSpec[],
  data: { files?: readonly string[]; split?: HeldApartSplit<unknown>; host: Host },
): Promise<HeldApartLabels | undefined> {
  const { files, split, host } = data;
  const { ast, render } = recipe;
  const target = targets.find((t) => t.metric === 'accuracy');
  if (!target) return undefined;
  const statement = labelledStatement(ast);
  const problem = (message: string, help: string) =>
    new RecipeError([diag('SQ328', target.span, message, help)], render);
  if (!statement) throw problem('target accuracy needs labels', 'add finetune { labels "file.tsv" }');
  if (!files || !split)
    throw problem('target accuracy needs labelled calibration files', 'calibrate on images or tensors');
  if (split.heldApart.length === 0)
    throw problem(
      `${target.text}: no calibration sample is held apart to measure it on (holdout 0%, or one sample)`,
      'load more calibration samples, or hold some apart: calibrate { holdout 25% }',
    );
  const labels = trainingSettings(statement).labels!;
  const held = split.heldIndices.map((i) => files[i]!);
  try {
    const rows = await readLabelRows(labels, statement.span.file, host);
    const help = `${target.text} is measured on the held-apart calibration files: give each a label`;
    return { labels: await labelsOf(labels, rows, held, host, help), file: labels.file };
  } catch (e) {
    if (e instanceof DataProblem) throw new RecipeError([e.diagnostic], render);
    throw e;
  }
}
